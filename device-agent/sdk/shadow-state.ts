import { isJsonObject, type JsonObject } from "../../shared/json.ts";
import { computeDelta } from "../../shared/shadow-delta.ts";
import { leavesOf, mergePatch, setLeaf } from "./paths.ts";

/** What a shadow message says about the state, whichever topic it came on. */
export interface StateMessage {
  version: number;
  desired?: JsonObject;
  reported?: JsonObject;
}

/** Reads `version` and `state.{desired,reported}` of a get/accepted document (or documents' `current`). */
export function readFullState(doc: JsonObject): StateMessage | undefined {
  const state = doc.state;
  if (typeof doc.version !== "number" || !isJsonObject(state)) return undefined;
  return {
    version: doc.version,
    desired: isJsonObject(state.desired) ? state.desired : {},
    reported: isJsonObject(state.reported) ? state.reported : {},
  };
}

/**
 * The device's picture of its shadow, with the version it belongs to. Messages arrive on several topics
 * and, across reconnects and restarts, out of order: any message older than what we already know (lower
 * version) is stale and ignored, so an old delta replayed late can never undo a newer desired state.
 */
export class ShadowState {
  desired: JsonObject = {};
  reported: JsonObject = {};
  version = 0;
  /** Messages ignored because their version was older than the state already known. */
  stale = 0;

  /** A full state (get/accepted, documents' `current`). `restart`: the shadow was re-created (versions restart on AWS). */
  applyFull(msg: StateMessage, restart = false): boolean {
    if (!restart && msg.version < this.version) {
      this.stale++;
      return false;
    }
    this.version = msg.version;
    this.desired = structuredClone(msg.desired ?? {});
    this.reported = structuredClone(msg.reported ?? {});
    return true;
  }

  /** An `update/delta`: its leaves are desired values (it says nothing about desired keys not in it). */
  applyDelta(state: JsonObject, version: number): boolean {
    if (version < this.version) {
      this.stale++;
      return false;
    }
    this.version = version;
    const desired = structuredClone(this.desired);
    for (const leaf of leavesOf(state)) setLeaf(desired, leaf.path, structuredClone(leaf.value));
    this.desired = desired;
    return true;
  }

  /** Our own report, applied at once (optimistic: it is queued durably and will be sent). */
  applyReport(patch: JsonObject): void {
    this.reported = mergePatch(this.reported, patch);
  }

  /** Our own accepted update that removed desired keys (a patch of nulls). */
  applyDesiredPatch(patch: JsonObject): void {
    this.desired = mergePatch(this.desired, patch);
  }

  /** The version an accepted update produced. */
  noteVersion(version: number): void {
    if (version > this.version) this.version = version;
  }

  /** The shadow does not exist (get answered 404): nothing desired, nothing reported. */
  clear(): void {
    this.desired = {};
    this.reported = {};
    this.version = 0;
  }

  get delta(): JsonObject | undefined {
    return computeDelta(this.desired, this.reported);
  }
}
