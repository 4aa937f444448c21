import type { Command } from "commander";
import { FILE_ENV_ONLY, flagHelp, kebab, SETTINGS, type SettingKey } from "../../shared/settings.ts";

/**
 * The flags of `umbra broker`, made from the settings schema (shared/settings.ts): each setting with a
 * flag gets `--kebab-name <arg>` and a help line ending with its default and its `UMBRA_*` variable.
 */

/** Commander's attribute for a flag name (`relay-topic` → `relayTopic`). */
const attribute = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function flagName(key: SettingKey): string | undefined {
  const flag = SETTINGS[key].flag;
  return flag === FILE_ENV_ONLY ? undefined : (flag.name ?? kebab(key));
}

export function addSettingFlags(command: Command): Command {
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const flag = SETTINGS[key].flag;
    if (flag === FILE_ENV_ONLY) continue;
    const spec = `--${flagName(key)}${flag.arg ? ` ${flag.arg}` : ""}`;
    if (flag.repeatable)
      command.option(spec, flagHelp(key), (v: string, prev: string[] = []) => [...prev, v]);
    else command.option(spec, flagHelp(key));
  }
  return command;
}

/** Commander's parsed options → settings by key (options that are not settings are left out). */
export function settingsFromFlags(opts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const name = flagName(key);
    if (name === undefined) continue;
    const value = opts[attribute(name)];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
