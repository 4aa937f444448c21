import { EventEmitter } from "node:events";
import { ANONYMOUS, type Principal } from "../../shared/acl.ts";
import { asShadowError, type ErrorDocument, errorDocument, type ShadowError } from "../../shared/errors.ts";
import type { JsonObject } from "../../shared/json.ts";
import type { ShadowLimits } from "../../shared/limits.ts";
import {
  type Presence,
  renderDeleteAccepted,
  renderShadow,
  renderUpdateAccepted,
  type ShadowView,
} from "../../shared/shadow-document.ts";
import { clientTokenOf, validatePlainRequest, validateUpdateRequest } from "../../shared/shadow-request.ts";
import type { ShadowAddress, ShadowOp } from "../../shared/topics.ts";
import { localRecord } from "../history/journal.ts";
import type { GroupCommit } from "./group-commit.ts";
import { cutShared, foldDeferred, type MergeContext, type MergeResult, mergeRemote } from "./remote-merge.ts";
import {
  admitUpdate,
  checkAddress,
  checkClaim,
  checkRequest,
  checkVersion,
  notFound,
  parseBody,
  type RequestBody,
  type UpdateChecks,
} from "./shadow-admission.ts";
import type { ShadowStore } from "./shadow-store.ts";

export type ShadowResult = { ok: true; body: JsonObject } | { ok: false; error: ErrorDocument };

/** Emitted after a change is durable: the MQTT adapter publishes delta/documents, `watch` streams it. */
export interface ShadowChange {
  addr: ShadowAddress;
  kind: "update" | "delete";
  previous: ShadowView;
  current: ShadowView;
  timestamp: number;
  clientToken?: string;
  /** The peer site whose changes were merged (absent for local requests). */
  origin?: string;
}

export interface ShadowServiceStats {
  requests: Record<ShadowOp, number>;
  byCode: Record<string, number>;
  changes: number;
  /** Newer epochs adopted from peers, and own changes carried over onto them (docs/shadow-engine.md). */
  adopted: number;
  carried: number;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * The shadow protocol, independent of transport: MQTT and HTTP both call get/update/delete with the
 * raw request body and receive either the accepted document or the error document (with AWS codes).
 */
export class ShadowService extends EventEmitter<{ change: [ShadowChange] }> implements UpdateChecks {
  readonly stats: ShadowServiceStats = {
    requests: { get: 0, update: 0, delete: 0 },
    byCode: {},
    changes: 0,
    adopted: 0,
    carried: 0,
  };

  /**
   * Set by the relay: per peer site, whether this shadow is known to be there ("synced"), on its way
   * ("pending") or not known yet ("unknown"); shown as `sync` in get replies (beyond AWS).
   */
  syncStatus?: (addr: ShadowAddress) => Record<string, string> | undefined;

  /**
   * Set by the node: admits the creation of a shadow that does not exist (throws a ShadowError over a
   * cap, broker/auth/shadow-quota.ts); returns what to call once the creation is committed or failed.
   */
  admitNew?: (addr: ShadowAddress, principal: Principal) => () => void;

  /** Added by capabilities (the fleet's per-system grants): why a desired write is forbidden (403), or null. */
  readonly desiredChecks: ((addr: ShadowAddress, principal: Principal) => string | null)[] = [];

  /**
   * Set by the jobs extension: why a desired write (or a delete) by `principal` is refused because of a
   * maintenance claim (409, the message names the claim), or null (docs/jobs.md).
   */
  claimCheck?: (addr: ShadowAddress, principal: Principal) => string | null;

  private readonly mergeContext: MergeContext;

  constructor(
    private readonly store: ShadowStore,
    private readonly commits: GroupCommit,
    private readonly limits: ShadowLimits,
    private readonly presenceOf: (thing: string) => Presence | undefined = () => undefined,
  ) {
    super();
    this.mergeContext = {
      store,
      commits,
      stats: this.stats,
      emitChange: (change) => this.emitChange(change),
    };
  }

  get(addr: ShadowAddress, raw: RequestBody = "", principal: Principal = ANONYMOUS): Promise<ShadowResult> {
    return this.run(
      "get",
      raw,
      principal,
      (body, ts) => {
        const req = validatePlainRequest(body, this.limits);
        const entry = this.store.open(addr);
        const view = entry.doc.view;
        return this.commits.submit().then(() => {
          if (!view.exists) throw notFound(addr);
          const doc = renderShadow(
            view,
            ts,
            req.clientToken,
            this.presenceOf(addr.thing),
          ) as unknown as JsonObject;
          const sync = this.syncStatus?.(addr);
          if (sync && Object.keys(sync).length > 0) doc.sync = sync;
          return doc;
        });
      },
      addr,
    );
  }

  update(addr: ShadowAddress, raw: RequestBody, principal: Principal = ANONYMOUS): Promise<ShadowResult> {
    return this.run(
      "update",
      raw,
      principal,
      (body, ts) => {
        const req = validateUpdateRequest(body, this.limits);
        const { entry, previous, update } = admitUpdate(this.store, this.limits, this, addr, req, principal);
        const admitted = previous.exists ? undefined : this.admitNew?.(addr, principal);
        if (!this.store.apply(entry, update, ts)) {
          admitted?.();
          return this.commits.submit().then(() => renderUpdateAccepted(req, previous.version, ts));
        }
        this.store.stage(entry);
        const current = entry.doc.view;
        this.store.record(entry, () => localRecord("update", current, principal, req.clientToken, update));
        // One promise step whichever way the commit goes (not .finally() and then): an extra step here
        // would let the replies of later updates in the same batch overtake this one's (a client's
        // replies must keep its order).
        return this.commits.submit(entry).then(
          () => {
            admitted?.();
            // The entry's own address (the same object for every change of this shadow while it is
            // cached): the MQTT adapter remembers per shadow who subscribes to its announcements.
            this.emitChange({
              addr: entry.addr,
              kind: "update",
              previous,
              current,
              timestamp: ts,
              clientToken: req.clientToken,
            });
            return renderUpdateAccepted(req, current.version, ts);
          },
          (err: unknown) => {
            admitted?.();
            throw err;
          },
        );
      },
      addr,
    );
  }

  /**
   * Why `update` would refuse this request (validation, grant, maintenance claim, version, size), or
   * null when it would be accepted; applies nothing. The jobs' dry run asks this (docs/jobs.md).
   */
  check(addr: ShadowAddress, raw: RequestBody, principal: Principal = ANONYMOUS): ShadowError | null {
    try {
      const body = parseBody(raw, this.limits);
      checkAddress(addr);
      admitUpdate(this.store, this.limits, this, addr, validateUpdateRequest(body, this.limits), principal);
      return null;
    } catch (err) {
      return asShadowError(err);
    }
  }

  delete(
    addr: ShadowAddress,
    raw: RequestBody = "",
    principal: Principal = ANONYMOUS,
  ): Promise<ShadowResult> {
    return this.run(
      "delete",
      raw,
      principal,
      (body, ts) => {
        const req = validatePlainRequest(body, this.limits);
        checkClaim(this, addr, principal);
        const entry = this.store.open(addr);
        const previous = entry.doc.view;
        if (!previous.exists) {
          return this.commits.submit().then(() => {
            throw notFound(addr);
          });
        }
        checkVersion(req.version, previous);
        entry.doc.delete(ts);
        this.store.stage(entry);
        const current = entry.doc.view;
        this.store.record(entry, () => localRecord("delete", current, principal, req.clientToken));
        return this.commits.submit(entry).then(() => {
          this.emitChange({
            addr,
            kind: "delete",
            previous,
            current,
            timestamp: ts,
            clientToken: req.clientToken,
          });
          return renderDeleteAccepted(current.version, ts, req.clientToken);
        });
      },
      addr,
    );
  }

  /**
   * Merges changes from peer `origin` (the relay). Goes through the group commit like any update, so
   * when this resolves the changes are durable; `change` is emitted with `origin` so local devices get
   * their delta and the relay forwards the changes to the other peers. Returns the heads afterwards and
   * whether some dependency is still missing (then the waiting changes are not applied yet).
   */
  merge(
    addr: ShadowAddress,
    changes: readonly Uint8Array[],
    origin: string,
    epoch = 0,
  ): Promise<MergeResult> {
    return mergeRemote(this.mergeContext, addr, changes, origin, epoch);
  }

  /** Makes the agreed cut of a shared shadow (remote-merge.ts). */
  cutShared(addr: ShadowAddress): Promise<boolean> {
    return cutShared(this.mergeContext, addr);
  }

  /** Writes a shadow's deferred updates as one durable change (remote-merge.ts). */
  foldDeferred(addr: ShadowAddress): Promise<boolean> {
    return foldDeferred(this.mergeContext, addr);
  }

  /** The current view of a shadow (for subscribers that want the delta on subscribe). */
  peek(addr: ShadowAddress): ShadowView {
    return this.store.open(addr).doc.view;
  }

  /**
   * Deferred so that the requester's `accepted` reply goes out before `documents` and `delta`; the
   * changes of one turn (a group commit's batch) are emitted together, in order, from one immediate.
   */
  private emitChange(change: ShadowChange): void {
    this.stats.changes++;
    this.pendingChanges.push(change);
    if (this.pendingChanges.length === 1) setImmediate(this.emitPending);
  }

  private readonly pendingChanges: ShadowChange[] = [];
  private readonly emitPending = (): void => {
    const changes = this.pendingChanges.splice(0);
    let i = 0;
    try {
      for (; i < changes.length; i++) this.emit("change", changes[i] as ShadowChange);
    } finally {
      // A listener threw (it surfaces as before, from this immediate): the rest still go, in a later one.
      const rest = changes.slice(i + 1);
      if (rest.length > 0) {
        if (this.pendingChanges.length === 0) setImmediate(this.emitPending);
        this.pendingChanges.unshift(...rest);
      }
    }
  };

  /** An error reply decided outside the service (e.g. 429 from a rate limit), with the request's clientToken. */
  refuse(raw: RequestBody, error: ShadowError): ShadowResult {
    let token: string | undefined;
    try {
      token = clientTokenOf(parseBody(raw, this.limits), this.limits);
    } catch {
      token = undefined;
    }
    this.count(error.code);
    return { ok: false, error: errorDocument(error, nowSeconds(), token) };
  }

  /**
   * What every request shares: parse, clientToken, the common checks, then `handle`; an error at any
   * point becomes the error document. Not an async function: a request waiting for its commit keeps only
   * the continuations it needs (thousands wait at once in a closed loop, and GC copies what they hold).
   */
  private run(
    op: ShadowOp,
    raw: RequestBody,
    principal: Principal,
    handle: (body: JsonObject, ts: number) => Promise<JsonObject>,
    addr: ShadowAddress,
  ): Promise<ShadowResult> {
    this.stats.requests[op]++;
    const ts = nowSeconds();
    let token: string | undefined;
    let handled: Promise<JsonObject>;
    try {
      const body = parseBody(raw, this.limits);
      token = clientTokenOf(body, this.limits);
      checkRequest(op, addr, principal);
      handled = handle(body, ts);
    } catch (err) {
      return Promise.resolve(this.failed(err, ts, token));
    }
    return handled.then(
      (body): ShadowResult => {
        this.count(200);
        return { ok: true, body };
      },
      (err: unknown) => this.failed(err, ts, token),
    );
  }

  private failed(err: unknown, ts: number, token: string | undefined): ShadowResult {
    const error = asShadowError(err);
    this.count(error.code);
    return { ok: false, error: errorDocument(error, ts, token) };
  }

  private count(code: number): void {
    this.stats.byCode[code] = (this.stats.byCode[code] ?? 0) + 1;
  }
}
