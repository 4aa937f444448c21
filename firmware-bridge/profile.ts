import { existsSync, readFileSync } from "node:fs";
import { extname, isAbsolute, join, resolve } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { parse as parseYaml } from "yaml";
import { AttributeError, validateAttributes } from "../shared/fleet-attributes.ts";
import type { JsonObject } from "../shared/json.ts";
import type { PointSpec, Profile } from "./types.ts";

/**
 * Profiles: declarative files (YAML or JSON) mapping shadow paths to device data points. They are
 * validated against a JSON Schema (ajv) so that a wrong profile fails at start-up with the file and the
 * JSON path of the mistake (`pdu.yaml: /points/3/type: must be one of bool, int16, …`), never at the
 * first poll. Driver-specific `address` fields are checked by each driver's factory.
 */

export const PROFILES_DIR = resolve(import.meta.dirname, "profiles");

export class ProfileError extends Error {
  override name = "ProfileError";
}

const rawValue = { type: ["number", "boolean", "string"] };

/** The schema of a profile file. `additionalProperties: false` everywhere: a typo must not pass silently. */
export const PROFILE_SCHEMA = {
  type: "object",
  required: ["name", "driver", "points"],
  additionalProperties: false,
  properties: {
    name: { type: "string", minLength: 1 },
    description: { type: "string" },
    driver: { enum: ["modbus", "snmp", "redfish", "ipmi"] },
    // Inventory attributes of the devices of this profile (checked like any attribute write).
    attributes: { type: "object" },
    attributesFrom: {
      type: "object",
      additionalProperties: false,
      properties: Object.fromEntries(
        ["type", "vendor", "model", "serial"].map((k) => [k, { type: "string", minLength: 1 }]),
      ),
    },
    points: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["path", "address"],
        additionalProperties: false,
        properties: {
          path: {
            type: "string",
            // Dotted keys; `$` is reserved for the bridge's and the SDK's own sections.
            pattern: "^[A-Za-z0-9_{}-][A-Za-z0-9_{}-]*(\\.[A-Za-z0-9_{}-]+)*$",
          },
          type: {
            enum: ["bool", "int16", "uint16", "int32", "uint32", "float32", "int64", "uint64", "string"],
          },
          kind: {
            enum: ["state", "measurement"],
            description:
              "state (default): into reported on change. measurement: a read-only number published as telemetry every poll and summarised into reported at most once per summaryInterval",
          },
          wordOrder: { enum: ["big", "little"] },
          scale: { type: "number", not: { const: 0 } },
          offset: { type: "number" },
          unit: { type: "string" },
          writable: { type: "boolean" },
          enum: { type: "object", minProperties: 1, additionalProperties: rawValue },
          verify: { type: "boolean" },
          verifyValue: rawValue,
          verifyValues: { type: "object", minProperties: 1, additionalProperties: rawValue },
          commands: { type: "array", minItems: 1, items: { type: "string" } },
          address: { type: "object" },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(PROFILE_SCHEMA);

function describeError(e: ErrorObject): string {
  const where = e.instancePath || "/";
  if (e.keyword === "additionalProperties")
    return `${where}: unknown key '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  if (e.keyword === "enum")
    return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(", ")}`;
  if (e.keyword === "pattern") return `${where}: must be a dotted path of letters, digits, _ - and {index}`;
  return `${where}: ${e.message ?? e.keyword}`;
}

/** Validates parsed profile data; `source` names the file in errors. */
export function parseProfile(data: unknown, source: string): Profile {
  if (!validate(data)) {
    const errors = (validate.errors ?? []).map(describeError);
    throw new ProfileError(`${source}: invalid profile:\n  ${[...new Set(errors)].join("\n  ")}`);
  }
  const profile = data as unknown as Profile;
  if (profile.attributes !== undefined) {
    try {
      validateAttributes(profile.attributes as JsonObject, false);
    } catch (err) {
      if (err instanceof AttributeError) throw new ProfileError(`${source}: /attributes: ${err.message}`);
      throw err;
    }
  }
  for (const [key, path] of Object.entries(profile.attributesFrom ?? {})) {
    const point = profile.points.find((p) => p.path === path);
    if (!point || point.kind === "measurement" || path.includes("{index}"))
      throw new ProfileError(
        `${source}: /attributesFrom/${key}: '${path}' is not a state point of this profile (a path of points, without {index})`,
      );
  }
  const seen = new Set<string>();
  profile.points.forEach((p: PointSpec, i) => {
    if (seen.has(p.path)) throw new ProfileError(`${source}: /points/${i}/path: '${p.path}' appears twice`);
    seen.add(p.path);
    if ((p.path.match(/\{index\}/g) ?? []).length > 1)
      throw new ProfileError(`${source}: /points/${i}/path: at most one {index} per path`);
    if ((p.scale !== undefined || p.offset !== undefined) && (p.type === "bool" || p.type === "string"))
      throw new ProfileError(`${source}: /points/${i}: scale/offset apply to numbers, not ${p.type}`);
    if (p.writable && p.type === undefined && p.enum === undefined)
      throw new ProfileError(
        `${source}: /points/${i}: a writable point needs a type or an enum (desired values are converted by it; e.g. type: bool for a coil, string for a name)`,
      );
    for (const name of p.commands ?? []) {
      if (!p.enum || !(name in p.enum))
        throw new ProfileError(
          `${source}: /points/${i}/commands: '${name}' is not a value of this point's enum`,
        );
    }
    if (p.kind === "measurement") checkMeasurement(p, `${source}: /points/${i}`);
    for (const key of ["verifyValue", "verifyValues", "commands"] as const) {
      if (p[key] !== undefined && !p.writable)
        throw new ProfileError(`${source}: /points/${i}/${key}: only for writable points`);
    }
  });
  return profile;
}

/** A measurement is a read-only number: telemetry stores numbers, and desired values are state. */
function checkMeasurement(p: PointSpec, where: string): void {
  const why = p.writable
    ? "is writable (a value an operator sets is state)"
    : p.enum
      ? "has an enum (its values are names, i.e. state)"
      : p.type === "bool" || p.type === "string"
        ? `is a ${p.type} (telemetry is numbers; this is state)`
        : ["ts", "timestamp"].includes(p.path.split(".")[0] as string)
          ? "is named ts/timestamp at the top level (the telemetry message's time stamp)"
          : undefined;
  if (why) throw new ProfileError(`${where}/kind: a measurement ${why}; use kind: state or drop kind`);
}

/** Parses profile text: JSON when the file ends in .json, YAML otherwise (YAML also reads JSON). */
export function parseProfileText(text: string, source: string): Profile {
  let data: unknown;
  try {
    data = extname(source) === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ProfileError(
      `${source}: not valid ${extname(source) === ".json" ? "JSON" : "YAML"}: ${(err as Error).message}`,
    );
  }
  return parseProfile(data, source);
}

/**
 * Where a profile reference points: a shipped name (`generic-modbus-pdu`) is looked up in
 * firmware-bridge/profiles; anything with a slash or an extension is a file, relative to `baseDir`.
 */
export function resolveProfile(ref: string, baseDir: string): string {
  if (!ref.includes("/") && extname(ref) === "") {
    for (const ext of [".yaml", ".yml", ".json"]) {
      const file = join(PROFILES_DIR, ref + ext);
      if (existsSync(file)) return file;
    }
    throw new ProfileError(
      `profile '${ref}': no shipped profile of that name (see ${PROFILES_DIR}); give a file path to use your own`,
    );
  }
  return isAbsolute(ref) ? ref : resolve(baseDir, ref);
}

export function loadProfile(ref: string, baseDir = process.cwd()): Profile {
  const file = resolveProfile(ref, baseDir);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ProfileError(
      `profile ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  return parseProfileText(text, file);
}
