import type { JsonValue } from "../../shared/json.ts";
import { writeFileAtomic } from "./atomic-file.ts";
import type { HandlerSpec } from "./handler-config.ts";
import { formatPath } from "./paths.ts";
import type { Action, Step } from "./plan.ts";
import { baseEnv, type RunResult, runFailure, runProcess } from "./run-process.ts";

/**
 * Executing a planned action: run the command or script, or write the file. Handlers are explicit
 * and allow-listed in the config; there is no way for a desired value to name a program, a path
 * outside the configured one, or to reach a shell.
 */
export interface Outcome {
  handler: HandlerSpec;
  value: JsonValue;
  ok: boolean;
  /** Why it failed (one line, safe to report). */
  error?: string;
  /** Whether trying again later may help (a bad value will not; a timeout might). */
  retry: boolean;
  durationMs: number;
  exitCode?: number | null;
}

function handlerEnv(h: HandlerSpec, value: JsonValue, thing: string): Record<string, string> {
  return {
    ...baseEnv(),
    ...(h.kind === "command" ? h.env : {}),
    UMBRA_THING: thing,
    UMBRA_HANDLER: h.name,
    UMBRA_DESIRED_PATH: formatPath(h.desired),
    UMBRA_VALUE: JSON.stringify(value),
  };
}

async function run(
  h: HandlerSpec,
  argv: string[],
  value: JsonValue,
  thing: string,
  stdin?: string,
): Promise<RunResult> {
  return runProcess({
    argv,
    cwd: h.kind === "command" ? h.cwd : h.kind === "script" ? h.dir : "/",
    env: handlerEnv(h, value, thing),
    timeoutMs: h.timeoutMs,
    stdin,
  });
}

async function execute(
  h: HandlerSpec,
  step: Step,
  value: JsonValue,
  thing: string,
): Promise<Omit<Outcome, "handler" | "value" | "durationMs">> {
  if (step.kind === "run") {
    const r = await run(h, step.argv, value, thing, step.stdin);
    const error = runFailure(r, h.timeoutMs);
    return { ok: error === undefined, error, retry: h.retry, exitCode: r.code };
  }
  if (!step.unchanged) {
    try {
      await writeFileAtomic(step.path, step.content, step.mode);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return { ok: false, error: `cannot write ${step.path}: ${e.code ?? e.message}`, retry: h.retry };
    }
    if (step.afterWrite) {
      const r = await run(h, step.afterWrite, value, thing);
      const error = runFailure(r, h.timeoutMs);
      if (error)
        return {
          ok: false,
          error: `wrote ${step.path}, afterWrite: ${error}`,
          retry: h.retry,
          exitCode: r.code,
        };
    }
  }
  return { ok: true, retry: false };
}

export async function executeAction(action: Action, thing: string): Promise<Outcome> {
  const started = Date.now();
  const base = { handler: action.handler, value: action.value };
  if (!action.step) {
    // Refused while planning (a value of the wrong shape…): a new desired value is needed, not a retry.
    return { ...base, ok: false, error: action.error ?? "nothing to do", retry: false, durationMs: 0 };
  }
  const r = await execute(action.handler, action.step, action.value, thing);
  return { ...base, ...r, durationMs: Date.now() - started };
}
