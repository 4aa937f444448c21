/**
 * One net-snmp session as promises, with every failure turned into a `DriverError`:
 *
 * - no answer (timeout, ICMP/socket errors, DNS) → `unreachable`;
 * - the agent answered no: error-status (noSuchName, notWritable, wrongType, authorizationError, …), a USM
 *   report (unknown user, wrong digest = wrong authKey, decryption error = wrong privKey, unsupported
 *   security level), an undecryptable or unauthentic response → `refused`.
 *
 * A wrong v2c community cannot be told from a dead agent: the agent drops the request silently
 * (RFC 3584), so it shows as `unreachable`. With v3 a wrong key is a clear `refused`.
 *
 * The causes attached to errors are fresh Errors holding only name and message: net-snmp's own error
 * objects may carry the USM user (keys included), and the engine may log causes.
 */
import snmp from "net-snmp";
import { DriverError } from "../types.ts";
import { installDesFallback } from "./snmp-des.ts";
import type { SnmpSettings } from "./snmp-options.ts";
import { walkColumns } from "./snmp-walk.ts";

export type Varbind = snmp.Varbind;

/** Error status tooBig (RFC 3416): the response would not fit one message. */
const TOO_BIG = 1;

const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EADDRNOTAVAIL",
]);

function safeCause(err: unknown): Error {
  const e = err as { name?: string; message?: string };
  const cause = new Error(String(e?.message ?? err));
  cause.name = String(e?.name ?? "Error");
  return cause;
}

/**
 * USM reports that mean our cached engine ID / boots / time are stale (the agent restarted or was
 * replaced): a fresh session's discovery fixes them, nothing the operator must do. net-snmp already
 * re-sends once after such a report (which covers a plain agent restart, see the interop test); this is
 * for when that re-send fails too.
 */
export function needsRediscovery(err: unknown): boolean {
  return (
    err instanceof snmp.ResponseInvalidError &&
    (err.code === snmp.ResponseInvalidCode.ENotInTimeWindow ||
      (err.code === snmp.ResponseInvalidCode.EAuthFailure && /time window|engine id/i.test(err.message)))
  );
}

/** Maps a net-snmp error to a DriverError. `what` says which request, e.g. `GET 1.3.6.1.2.1.1.5.0`. */
export function toDriverError(err: unknown, target: string, what: string): DriverError {
  if (err instanceof DriverError) return err;
  const cause = safeCause(err);
  const at = `SNMP ${what} on ${target}`;
  if (err instanceof snmp.RequestTimedOutError) {
    return new DriverError(
      "unreachable",
      `${at}: no answer within the timeout (agent down, wrong port, or wrong v2c community)`,
      { cause },
    );
  }
  if (err instanceof snmp.RequestFailedError) {
    return new DriverError("refused", `${at}: the agent answered ${err.message}`, { cause });
  }
  if (err instanceof snmp.ResponseInvalidError) {
    if (
      err.code === snmp.ResponseInvalidCode.EAuthFailure ||
      err.code === snmp.ResponseInvalidCode.ECouldNotDecrypt
    ) {
      if (needsRediscovery(err)) {
        return new DriverError(
          "unreachable",
          `${at}: the agent's SNMP engine changed (${err.message}; restarted?); will rediscover`,
          { cause },
        );
      }
      return new DriverError(
        "refused",
        `${at}: SNMPv3 authentication failed (${err.message}); check user, authKey, privKey and protocols`,
        { cause },
      );
    }
    if (err.code === snmp.ResponseInvalidCode.ENotInTimeWindow) {
      return new DriverError(
        "unreachable",
        `${at}: response outside the SNMPv3 time window; will rediscover`,
        { cause },
      );
    }
    if (err.code === snmp.ResponseInvalidCode.ECommunityNoMatch) {
      // net-snmp's message quotes both communities: keep them out of logs and shadows.
      return new DriverError("refused", `${at}: the response carried a different community`);
    }
    return new DriverError("refused", `${at}: invalid response (${err.message})`, { cause });
  }
  const code = (err as { code?: unknown })?.code;
  if (typeof code === "string" && SOCKET_CODES.has(code)) {
    return new DriverError("unreachable", `${at}: ${code}`, { cause });
  }
  if (err instanceof snmp.RequestInvalidError || err instanceof TypeError || err instanceof RangeError) {
    return new DriverError("refused", `${at}: cannot encode the request (${cause.message})`, { cause });
  }
  return new DriverError("unreachable", `${at}: ${cause.message}`, { cause });
}

/** An open session to one agent. Not safe for concurrent use (the engine never calls concurrently). */
export class SnmpSession {
  private readonly session: snmp.Session;
  readonly target: string;
  /** Set when a failure means the session's v3 engine state may be stale; the driver then replaces it. */
  stale = false;

  constructor(private readonly settings: SnmpSettings) {
    this.target =
      settings.transport === "udp6"
        ? `[${settings.host}]:${settings.port}`
        : `${settings.host}:${settings.port}`;
    const options: snmp.SessionOptions = {
      port: settings.port,
      transport: settings.transport,
      timeout: settings.timeoutMs,
      retries: settings.retries,
      context: settings.context,
      // Refuse agents whose GETNEXT/GETBULK answers go backwards: otherwise a buggy table loops forever.
      backwardsGetNexts: false,
    };
    if (settings.version === "3" && settings.user) {
      const u = settings.user;
      if (u.privProtocol === "des") installDesFallback();
      this.session = snmp.createV3Session(
        settings.host,
        {
          name: u.name,
          level: snmp.SecurityLevel[u.level],
          authProtocol: u.authProtocol ? snmp.AuthProtocols[u.authProtocol] : undefined,
          authKey: u.authKey,
          privProtocol: u.privProtocol ? snmp.PrivProtocols[u.privProtocol] : undefined,
          privKey: u.privKey,
        },
        { ...options, version: snmp.Version3 },
      );
    } else {
      this.session = snmp.createSession(settings.host, settings.community, {
        ...options,
        version: snmp.Version2c,
      });
    }
    // net-snmp emits "error" for undecodable datagrams; without a listener that would crash the bridge.
    this.session.on("error", () => {
      this.stale = true;
    });
  }

  private fail(err: unknown, what: string): DriverError {
    const mapped = toDriverError(err, this.target, what);
    if (this.settings.version === "3" && !(err instanceof snmp.RequestFailedError)) this.stale = true;
    return mapped;
  }

  /** One GET of these OIDs (the caller batches). Varbinds come back in request order. */
  get(oids: string[]): Promise<Varbind[]> {
    return new Promise((resolve, reject) => {
      this.session.get(oids, (err, varbinds) => {
        if (err) reject(this.fail(err, `GET ${oids.length === 1 ? oids[0] : `of ${oids.length} OIDs`}`));
        else resolve(varbinds);
      });
    });
  }

  set(varbind: Varbind): Promise<Varbind> {
    return new Promise((resolve, reject) => {
      try {
        this.session.set([varbind], (err, varbinds) => {
          const answer = varbinds?.[0];
          if (err) reject(this.fail(err, `SET ${varbind.oid}`));
          else if (!answer || snmp.isVarbindError(answer)) {
            reject(
              new DriverError(
                "refused",
                `SNMP SET ${varbind.oid} on ${this.target}: the agent has no such object`,
              ),
            );
          } else resolve(answer);
        });
      } catch (err) {
        reject(this.fail(err, `SET ${varbind.oid}`));
      }
    });
  }

  /** One GETBULK (non-repeaters 0); on tooBig it retries with half the repetitions, down to 1. */
  bulk(oids: string[], maxRepetitions: number): Promise<Varbind[][]> {
    return new Promise((resolve, reject) => {
      this.session.getBulk(oids, 0, maxRepetitions, (err, varbinds) => {
        if (!err) resolve(varbinds as unknown as Varbind[][]);
        else if (err instanceof snmp.RequestFailedError && err.status === TOO_BIG && maxRepetitions > 1) {
          this.bulk(oids, Math.floor(maxRepetitions / 2)).then(resolve, reject);
        } else reject(this.fail(err, `GETBULK of ${oids.length === 1 ? oids[0] : `${oids.length} columns`}`));
      });
    });
  }

  /** Every cell of these table columns, walked together (see snmp-walk.ts). */
  walkColumns(columns: readonly string[]): Promise<Map<string, Varbind[]>> {
    const { maxRepetitions, maxRows } = this.settings;
    return walkColumns((oids, reps) => this.bulk(oids, reps), columns, {
      maxRepetitions,
      maxRows,
      target: this.target,
    });
  }

  close(): void {
    try {
      this.session.close();
    } catch {
      // Already closed (socket error): nothing left to release.
    }
  }
}
