import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { parseDocument } from "yaml";
import { parseDuration } from "../shared/config-check.ts";
import { AttributeError, validateAttributes } from "../shared/fleet-attributes.ts";
import type { JsonObject } from "../shared/json.ts";
import { isValidThingName } from "../shared/topics.ts";
import { DEFAULT_SUMMARY_MS } from "./measurements.ts";
import type { DeviceSpec, DriverName } from "./types.ts";

/**
 * bridge.yaml: which node to connect to (and as whom), defaults, and the devices with their driver,
 * address, profile and timings. Secrets never live in the file: the node password comes from a file or
 * an environment variable, and any device option may be `{env: NAME}` or `{file: path}`.
 */

export class BridgeConfigError extends Error {
  override name = "BridgeConfigError";
}

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

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(BRIDGE_CONFIG_SCHEMA);
const isSecretRef = ajv.compile(secret);

function describeError(e: ErrorObject): string {
  const where = e.instancePath || "/";
  const p = e.params as Record<string, unknown>;
  if (e.keyword === "additionalProperties") {
    const key = String(p.additionalProperty);
    const hint =
      key === "password" ? " (put the password in passwordFile or the env variable passwordEnv names)" : "";
    return `${where}: unknown key '${key}'${hint}`;
  }
  if (e.keyword === "enum") return `${where}: must be one of ${(p.allowedValues as unknown[]).join(", ")}`;
  if (e.keyword === "required") return `${where}: missing '${String(p.missingProperty)}'`;
  return `${where}: ${e.message ?? e.keyword}`;
}

type Raw = {
  node: {
    url: string;
    username: string;
    passwordFile?: string;
    passwordEnv?: string;
    queueDir?: string;
    tls?: Record<string, string | boolean>;
  };
  defaults?: Record<string, string | number>;
  devices: {
    thing: string;
    driver: DriverName;
    address: string;
    profile: string;
    pollInterval?: string | number;
    timeout?: string | number;
    summaryInterval?: string | number;
    options?: Record<string, unknown>;
    attributes?: JsonObject;
  }[];
};

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new BridgeConfigError(
      `cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** Parses bridge.yaml text. `env` is the environment secrets are taken from. */
export function parseBridgeConfig(
  text: string,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): BridgeConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0] as (typeof doc.errors)[number];
    throw new BridgeConfigError(`${source}: invalid YAML: ${first.message.split("\n")[0]}`);
  }
  const data = doc.toJS() as unknown;
  if (!validate(data)) {
    const errors = [...new Set((validate.errors ?? []).map(describeError))];
    throw new BridgeConfigError(`${source}: invalid bridge config:\n  ${errors.join("\n  ")}`);
  }
  const raw = data as unknown as Raw;
  const baseDir = dirname(resolve(source));
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const dur = (v: string | number | undefined, where: string, fallback: number) => {
    if (v === undefined) return fallback;
    try {
      return parseDuration(v, where);
    } catch (err) {
      throw new BridgeConfigError(`${source}: ${(err as Error).message}`);
    }
  };
  const d = raw.defaults ?? {};
  const pollMs = dur(d.pollInterval, "/defaults/pollInterval", 5000);
  const timeoutMs = dur(d.timeout, "/defaults/timeout", 2000);
  const summaryMs = dur(d.summaryInterval, "/defaults/summaryInterval", DEFAULT_SUMMARY_MS);

  const n = raw.node;
  const passwordEnv = n.passwordEnv ?? DEFAULT_PASSWORD_ENV;
  const password = n.passwordFile
    ? (readText(path(n.passwordFile), "password file").split("\n")[0] ?? "").trim()
    : env[passwordEnv];
  const tls: NonNullable<BridgeConfig["node"]["tls"]> = {};
  for (const k of ["ca", "cert", "key"] as const) {
    const f = n.tls?.[k];
    if (typeof f === "string") tls[k] = readText(path(f), `TLS ${k} file`);
  }
  if (typeof n.tls?.rejectUnauthorized === "boolean") tls.rejectUnauthorized = n.tls.rejectUnauthorized;

  const things = new Set<string>();
  const devices = raw.devices.map((dev, i): BridgeDevice => {
    const where = `/devices/${i}`;
    if (!isValidThingName(dev.thing))
      throw new BridgeConfigError(`${source}: ${where}/thing: '${dev.thing}' is not a valid thing name`);
    if (things.has(dev.thing))
      throw new BridgeConfigError(`${source}: ${where}/thing: '${dev.thing}' appears twice`);
    things.add(dev.thing);
    if (dev.attributes !== undefined) {
      try {
        validateAttributes(dev.attributes, false);
      } catch (err) {
        if (err instanceof AttributeError)
          throw new BridgeConfigError(`${source}: ${where}/attributes: ${err.message}`);
        throw err;
      }
    }
    return {
      ...(dev.attributes !== undefined ? { attributes: dev.attributes } : {}),
      profile:
        dev.profile.includes("/") || /\.(ya?ml|json)$/.test(dev.profile) ? path(dev.profile) : dev.profile,
      spec: {
        thing: dev.thing,
        driver: dev.driver,
        address: dev.address,
        options: resolveSecrets(dev.options ?? {}, `${source}: ${where}/options`, env, path),
        pollMs: dur(dev.pollInterval, `${where}/pollInterval`, pollMs),
        timeoutMs: dur(dev.timeout, `${where}/timeout`, timeoutMs),
        summaryMs: dur(dev.summaryInterval, `${where}/summaryInterval`, summaryMs),
      },
    };
  });
  return {
    source,
    baseDir,
    node: {
      url: n.url,
      username: n.username,
      password,
      ...(Object.keys(tls).length > 0 ? { tls } : {}),
      ...(n.queueDir ? { queueDir: path(n.queueDir) } : {}),
    },
    fullReportMs: dur(d.fullReportInterval, "/defaults/fullReportInterval", 300_000),
    backoffMaxMs: dur(d.backoffMax, "/defaults/backoffMax", 60_000),
    devices,
  };
}

/** Device options whose value is `{env: NAME}` or `{file: path}` are replaced by that secret. */
function resolveSecrets(
  options: Record<string, unknown>,
  where: string,
  env: NodeJS.ProcessEnv,
  path: (p: string) => string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && isSecretRef(v)) {
      const ref = v as { env?: string; file?: string };
      if (ref.env !== undefined) {
        const value = env[ref.env];
        if (value === undefined)
          throw new BridgeConfigError(`${where}/${k}: environment variable ${ref.env} is not set`);
        out[k] = value;
      } else out[k] = (readText(path(ref.file as string), "secret file").split("\n")[0] ?? "").trim();
    } else out[k] = v;
  }
  return out;
}

export function loadBridgeConfig(file: string, env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  return parseBridgeConfig(readText(file, "bridge config"), file, env);
}
