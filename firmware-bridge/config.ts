import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { parseDocument } from "yaml";
import {
  ConfigCheckError,
  ConfigProblems,
  describe,
  fail,
  join,
  parseDuration,
  pathFromPointer,
  unknownKey,
} from "../shared/config-check.ts";
import { AttributeError, validateAttributes } from "../shared/fleet-attributes.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../shared/json.ts";
import { isValidThingName } from "../shared/topics.ts";
import { DEFAULT_SUMMARY_MS } from "./measurements.ts";
import type { DeviceSpec, DriverName } from "./types.ts";

/**
 * bridge.yaml: which node to connect to (and as whom), defaults, and the devices with their driver,
 * address, profile and timings. Secrets never live in the file: the node password comes from a file or
 * an environment variable, and any device option may be `{env: NAME}` or `{file: path}`.
 * The schema (ajv) checks shapes; the pass after it checks names, durations and secrets even when the schema
 * found problems, so one run reports every mistake of the file (ConfigProblems, shared/config-check.ts).
 */

/** The bridge config's errors are the shared validator's (shared/config-check.ts): every problem at once. */
export { ConfigCheckError as BridgeConfigError } from "../shared/config-check.ts";

export const DEFAULT_PASSWORD_ENV = "UMBRA_BRIDGE_PASSWORD";

export interface BridgeDevice {
  spec: DeviceSpec;
  /** Shipped profile name or a file path (resolved against the config file's directory). */
  profile: string;
  /** Inventory attributes of this device (location, owner, labels…), over the profile's and the device's. */
  attributes?: JsonObject;
}

export interface BridgeConfig {
  /** The config file (for messages) and its directory (relative paths). */
  source: string;
  baseDir: string;
  node: {
    url: string;
    username: string;
    password: string | undefined;
    /** PEM contents, read from the files named in the config. */
    tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
    /** Directory for one durable report queue per device (default: in memory). */
    queueDir?: string;
  };
  fullReportMs: number;
  backoffMaxMs: number;
  devices: BridgeDevice[];
}

const duration = { type: ["string", "number"] };
const secret = {
  type: "object",
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: { env: { type: "string", minLength: 1 }, file: { type: "string", minLength: 1 } },
};

export const BRIDGE_CONFIG_SCHEMA = {
  type: "object",
  required: ["node", "devices"],
  additionalProperties: false,
  properties: {
    node: {
      type: "object",
      required: ["url", "username"],
      additionalProperties: false,
      properties: {
        url: { type: "string", pattern: "^(mqtts?|wss?)://" },
        username: { type: "string", minLength: 1 },
        passwordFile: { type: "string", minLength: 1 },
        passwordEnv: { type: "string", minLength: 1 },
        tls: {
          type: "object",
          additionalProperties: false,
          properties: {
            ca: { type: "string" },
            cert: { type: "string" },
            key: { type: "string" },
            rejectUnauthorized: { type: "boolean" },
          },
        },
        queueDir: { type: "string", minLength: 1 },
      },
    },
    defaults: {
      type: "object",
      additionalProperties: false,
      properties: {
        pollInterval: duration,
        timeout: duration,
        fullReportInterval: duration,
        backoffMax: duration,
        summaryInterval: duration,
      },
    },
    devices: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["thing", "driver", "address", "profile"],
        additionalProperties: false,
        properties: {
          thing: { type: "string", minLength: 1 },
          driver: { enum: ["modbus", "snmp", "redfish", "ipmi"] },
          address: { type: "string", minLength: 1 },
          profile: { type: "string", minLength: 1 },
          pollInterval: duration,
          timeout: duration,
          summaryInterval: duration,
          options: { type: "object" },
          attributes: { type: "object" },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
const validate = ajv.compile(BRIDGE_CONFIG_SCHEMA);
const isSecretRef = ajv.compile(secret);

/** One ajv error as a problem named by its dotted path (`devices[0].driver: must be one of ...`). */
function describeError(e: ErrorObject): string {
  const where = pathFromPointer(e.instancePath);
  const at = (path: string, message: string) => (path ? `${path}: ${message}` : message);
  const p = e.params as Record<string, unknown>;
  if (e.keyword === "additionalProperties") {
    const key = String(p.additionalProperty);
    const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
    const message =
      key === "password"
        ? "unknown key (put the password in passwordFile or the env variable passwordEnv names)"
        : unknownKey(key, known);
    return at(join(where, key), message);
  }
  if (e.keyword === "enum") return at(where, `must be one of ${(p.allowedValues as unknown[]).join(", ")}`);
  if (e.keyword === "required") return at(join(where, String(p.missingProperty)), "is required");
  if (e.keyword === "type")
    return at(
      where,
      `must be a ${String(p.type).replace(",", " or ")}, got ${describe(e.data as JsonValue)}`,
    );
  return at(where, e.message ?? e.keyword);
}

function readText(file: string, what: string, where = ""): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    return fail(
      where,
      `cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

const firstLine = (text: string) => (text.split("\n")[0] ?? "").trim();
const objectOr = (v: unknown): Record<string, JsonValue> =>
  isJsonObject(v as JsonValue) ? (v as JsonObject) : {};
const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Parses bridge.yaml text. `env` is the environment secrets are taken from. */
export function parseBridgeConfig(
  yamlText: string,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): BridgeConfig {
  const doc = parseDocument(yamlText, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0] as (typeof doc.errors)[number];
    throw new ConfigCheckError(`${source}: invalid YAML: ${first.message.split("\n")[0]}`);
  }
  const data = doc.toJS() as unknown;
  const p = new ConfigProblems();
  if (!validate(data)) p.list.push(...new Set((validate.errors ?? []).map(describeError)));
  const raw = objectOr(data);
  const baseDir = dirname(resolve(source));
  const path = (f: string) => (isAbsolute(f) ? f : resolve(baseDir, f));
  // Values of the wrong type were reported by the schema; the fallback keeps the pass going.
  const dur = (v: unknown, where: string, fallback: number) =>
    typeof v === "string" || typeof v === "number"
      ? (p.check(() => parseDuration(v, where)) ?? fallback)
      : fallback;
  const d = objectOr(raw.defaults);
  const pollMs = dur(d.pollInterval, "defaults.pollInterval", 5000);
  const timeoutMs = dur(d.timeout, "defaults.timeout", 2000);
  const summaryMs = dur(d.summaryInterval, "defaults.summaryInterval", DEFAULT_SUMMARY_MS);

  const n = objectOr(raw.node);
  const passwordEnv = text(n.passwordEnv) ?? DEFAULT_PASSWORD_ENV;
  const passwordFile = text(n.passwordFile);
  const password = passwordFile
    ? p.check(() => firstLine(readText(path(passwordFile), "password file", "node.passwordFile")))
    : env[passwordEnv];
  const tlsRaw = objectOr(n.tls);
  const tls: NonNullable<BridgeConfig["node"]["tls"]> = {};
  for (const k of ["ca", "cert", "key"] as const) {
    const f = text(tlsRaw[k]);
    if (f !== undefined) tls[k] = p.check(() => readText(path(f), `TLS ${k} file`, `node.tls.${k}`));
  }
  if (typeof tlsRaw.rejectUnauthorized === "boolean") tls.rejectUnauthorized = tlsRaw.rejectUnauthorized;

  const things = new Set<string>();
  const devices = (Array.isArray(raw.devices) ? raw.devices : []).map((entry, i): BridgeDevice => {
    const where = `devices[${i}]`;
    const dev = objectOr(entry);
    const thing = text(dev.thing);
    if (thing !== undefined && !isValidThingName(thing))
      p.add(join(where, "thing"), `'${thing}' is not a valid thing name`);
    else if (thing !== undefined && things.has(thing))
      p.add(join(where, "thing"), `'${thing}' appears twice`);
    if (thing !== undefined) things.add(thing);
    const attributes = isJsonObject(dev.attributes) ? dev.attributes : undefined;
    if (attributes !== undefined) {
      try {
        validateAttributes(attributes, false);
      } catch (err) {
        if (!(err instanceof AttributeError)) throw err;
        p.add(join(where, "attributes"), err.message);
      }
    }
    const profile = text(dev.profile) ?? "";
    return {
      ...(attributes !== undefined ? { attributes } : {}),
      profile: profile.includes("/") || /\.(ya?ml|json)$/.test(profile) ? path(profile) : profile,
      spec: {
        thing: thing ?? "",
        driver: dev.driver as DriverName,
        address: text(dev.address) ?? "",
        options: resolveSecrets(objectOr(dev.options), join(where, "options"), env, path, p),
        pollMs: dur(dev.pollInterval, join(where, "pollInterval"), pollMs),
        timeoutMs: dur(dev.timeout, join(where, "timeout"), timeoutMs),
        summaryMs: dur(dev.summaryInterval, join(where, "summaryInterval"), summaryMs),
      },
    };
  });
  p.throwIfAny(source);
  return {
    source,
    baseDir,
    node: {
      url: text(n.url) ?? "",
      username: text(n.username) ?? "",
      password,
      ...(Object.keys(tls).length > 0 ? { tls } : {}),
      ...(text(n.queueDir) ? { queueDir: path(text(n.queueDir) as string) } : {}),
    },
    fullReportMs: dur(d.fullReportInterval, "defaults.fullReportInterval", 300_000),
    backoffMaxMs: dur(d.backoffMax, "defaults.backoffMax", 60_000),
    devices,
  };
}

/** Device options whose value is `{env: NAME}` or `{file: path}` are replaced by that secret; each missing one is a problem. */
function resolveSecrets(
  options: Record<string, unknown>,
  where: string,
  env: NodeJS.ProcessEnv,
  path: (p: string) => string,
  p: ConfigProblems,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && isSecretRef(v)) {
      const ref = v as { env?: string; file?: string };
      if (ref.env !== undefined) {
        const value = env[ref.env];
        if (value === undefined) p.add(join(where, k), `environment variable ${ref.env} is not set`);
        out[k] = value;
      } else {
        out[k] = p.check(() => firstLine(readText(path(ref.file as string), "secret file", join(where, k))));
      }
    } else out[k] = v;
  }
  return out;
}

export function loadBridgeConfig(file: string, env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  return parseBridgeConfig(readText(file, "bridge config"), file, env);
}
