import { type Principal, shadowDenial } from "../../shared/acl.ts";
import { ShadowError } from "../../shared/errors.ts";
import type { JsonObject } from "../../shared/json.ts";
import type { ShadowLimits } from "../../shared/limits.ts";
import { type ShadowView, stateBytes } from "../../shared/shadow-document.ts";
import { parseRequestPayload, type UpdateRequest } from "../../shared/shadow-request.ts";
import { reservedShadowDenial } from "../../shared/site-presence.ts";
import {
  isValidShadowName,
  isValidThingName,
  type ShadowAddress,
  type ShadowOp,
} from "../../shared/topics.ts";
import type { ShadowStore } from "./shadow-store.ts";

/**
 * Whether a shadow request may go ahead, before anything is applied: the address, the principal's
 * grant, reserved shadows, maintenance claims, the expected version and the resulting size. Each check
 * throws a ShadowError with its AWS code; ShadowService turns it into the error document.
 */

export type RequestBody = Uint8Array | string | JsonObject;

/** The extension points that may refuse a desired write (set on ShadowService by the node). */
export interface UpdateChecks {
  /** Why a desired write (or delete) is refused because of a maintenance claim (409), or null. */
  claimCheck?: (addr: ShadowAddress, principal: Principal) => string | null;
  /** Why a desired write is forbidden (403), or null. */
  readonly desiredChecks: readonly ((addr: ShadowAddress, principal: Principal) => string | null)[];
}

/** The request body as a JSON object (bytes and strings are parsed within the limits). */
export function parseBody(raw: RequestBody, limits: ShadowLimits): JsonObject {
  return isBytesOrString(raw) ? parseRequestPayload(raw, limits) : raw;
}

/** The checks every operation shares: a valid address, the grant for `op` (update checks its own), reserved shadows. */
export function checkRequest(op: ShadowOp, addr: ShadowAddress, principal: Principal): void {
  checkAddress(addr);
  if (op !== "update") forbidIf(shadowDenial(principal, addr.thing, op));
  if (op !== "get") forbidIf(reservedShadowDenial(principal, addr.shadow));
}

/** The checks of an update before it is applied: grant, claim, version, resulting size. */
export function admitUpdate(
  store: ShadowStore,
  limits: ShadowLimits,
  checks: UpdateChecks,
  addr: ShadowAddress,
  req: UpdateRequest,
  principal: Principal,
) {
  forbidIf(reservedShadowDenial(principal, addr.shadow));
  forbidIf(
    shadowDenial(principal, addr.thing, "update", {
      desired: req.desired !== undefined,
      reported: req.reported !== undefined,
    }),
  );
  if (req.desired !== undefined) {
    checkClaim(checks, addr, principal);
    for (const check of checks.desiredChecks) forbidIf(check(addr, principal));
  }
  const entry = store.open(addr);
  const previous = entry.doc.view;
  checkVersion(req.version, previous);
  const update = entry.doc.prepare(req);
  const size = stateBytes(update);
  if (size > limits.maxStateBytes) {
    throw new ShadowError(
      413,
      `The resulting state document is ${size} bytes; the limit is ${limits.maxStateBytes}`,
    );
  }
  return { entry, previous, update };
}

export function checkClaim(checks: UpdateChecks, addr: ShadowAddress, principal: Principal): void {
  const claimed = checks.claimCheck?.(addr, principal) ?? null;
  if (claimed !== null) throw new ShadowError(409, claimed);
}

export function checkAddress(addr: ShadowAddress): void {
  if (!isValidThingName(addr.thing)) {
    throw new ShadowError(400, "Invalid thing name: use 1-128 characters of [a-zA-Z0-9:_-]");
  }
  if (addr.shadow !== "" && !isValidShadowName(addr.shadow)) {
    throw new ShadowError(400, "Invalid shadow name: use 1-64 characters of [$a-zA-Z0-9:_-]");
  }
}

export function checkVersion(version: number | undefined, view: ShadowView): void {
  if (version !== undefined && version !== view.version) {
    throw new ShadowError(409, `Version conflict: the shadow is at version ${view.version}`);
  }
}

export function notFound(addr: ShadowAddress): ShadowError {
  return new ShadowError(
    404,
    addr.shadow === ""
      ? `No shadow exists with name: '${addr.thing}'`
      : `No shadow exists with name: '${addr.thing}~${addr.shadow}'`,
  );
}

function forbidIf(denial: string | null): void {
  if (denial !== null) throw new ShadowError(403, denial);
}

function isBytesOrString(raw: RequestBody): raw is Uint8Array | string {
  return typeof raw === "string" || raw instanceof Uint8Array;
}
