import type { AttributesReply } from "../device-agent/index.ts";
import { mergeAttributes } from "../shared/fleet-attributes.ts";
import type { JsonObject, JsonValue } from "../shared/json.ts";
import type { Logger } from "../shared/logger.ts";
import type { DeviceIdentity, Profile } from "./types.ts";

/**
 * The inventory attributes of a bridged device (docs/bridge.md, "Attributes"): the profile's
 * (`attributes:`, e.g. type pdu, vendor APC), then what the device says it is (the driver's
 * `identify`), then the profile's state points named in `attributesFrom` (e.g. the serial register),
 * then the bridge config's `attributes:` for the device (location, owner, labels), each over the last.
 * The bridge states the result through the SDK (`setAttributes`): the node keeps what an operator set.
 */
export function bridgeAttributes(
  profile: Profile,
  identity: DeviceIdentity,
  mapped: ReadonlyMap<string, string>,
  configured: JsonObject = {},
): JsonObject {
  const fromDevice: JsonObject = {};
  for (const k of ["vendor", "model", "serial"] as const) {
    const v = identity[k];
    if (v) fromDevice[k] = v;
  }
  if (identity.labels && Object.keys(identity.labels).length > 0) fromDevice.labels = { ...identity.labels };
  let out = mergeAttributes((profile.attributes ?? {}) as JsonObject, fromDevice);
  out = mergeAttributes(out, Object.fromEntries(mapped));
  return mergeAttributes(out, configured);
}

/** A state value as an attribute string: trimmed, at most 256 characters; undefined when empty. */
export function attributeString(v: JsonValue | undefined): string | undefined {
  if (typeof v !== "string" && typeof v !== "number") return undefined;
  const s = String(v).trim();
  return s === "" ? undefined : s.slice(0, 256);
}

export interface FillerDeps {
  thing: string;
  profile: Profile;
  configured?: JsonObject;
  setAttributes(attributes: JsonObject): Promise<AttributesReply | undefined>;
  identify(): Promise<DeviceIdentity>;
  log: Pick<Logger, "info" | "warn">;
}

/**
 * Keeps a bridged thing's attributes stated: at start (profile and config), again with the device's
 * identity each time the device starts answering (first poll, after it was unreachable: it may have
 * been swapped), and when a point named in `attributesFrom` changes.
 */
export class AttributeFiller {
  private identity: DeviceIdentity = {};
  private readonly mapped = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();
  private lastKept = "";

  constructor(private readonly d: FillerDeps) {}

  start(): void {
    this.state(false);
  }

  /** The runner's `onRead`. */
  readonly onRead = (state: ReadonlyMap<string, JsonValue>, answering: boolean): void => {
    let changed = false;
    for (const [key, path] of Object.entries(this.d.profile.attributesFrom ?? {})) {
      const v = attributeString(state.get(path));
      if (v !== undefined && this.mapped.get(key) !== v) {
        this.mapped.set(key, v);
        changed = true;
      }
    }
    if (answering || changed) this.state(answering);
  };

  /** Resolves when the statements queued so far are done (tests, close). */
  settled(): Promise<void> {
    return this.chain;
  }

  private state(identify: boolean): void {
    const mapped = new Map(this.mapped); // as of this read, not of when the queue gets to it
    this.chain = this.chain.then(async () => {
      if (identify) {
        try {
          this.identity = await this.d.identify();
        } catch (err) {
          this.d.log.warn({ thing: this.d.thing, err: (err as Error).message }, "device identity not read");
        }
      }
      const attributes = bridgeAttributes(this.d.profile, this.identity, mapped, this.d.configured);
      try {
        const r = await this.d.setAttributes(attributes);
        // Said once per distinct set of kept keys, not at every statement.
        const kept = r ? r.kept.join(",") : this.lastKept;
        if (kept !== this.lastKept && kept !== "")
          this.d.log.info(
            { thing: this.d.thing, kept: r?.kept },
            "attributes an operator set are kept as they are",
          );
        this.lastKept = kept;
      } catch (err) {
        this.d.log.warn({ thing: this.d.thing, err: (err as Error).message }, "attributes not stated");
      }
    });
  }
}
