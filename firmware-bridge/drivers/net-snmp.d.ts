/**
 * The part of `net-snmp` (3.x, plain JavaScript, no bundled types) that the SNMP driver uses. Written from
 * the package's index.js; extend it here when the driver needs more.
 */
declare module "net-snmp" {
  import type { EventEmitter } from "node:events";

  namespace snmp {
    interface Varbind {
      oid: string;
      type: number;
      /** Integer family: number; OctetString/Opaque/Counter64: Buffer; OID/IpAddress: string. */
      value: unknown;
    }

    interface SessionOptions {
      port?: number;
      retries?: number;
      timeout?: number;
      backoff?: number;
      transport?: "udp4" | "udp6";
      version?: number;
      context?: string;
      idBitsSize?: 16 | 32;
      backwardsGetNexts?: boolean;
      reportOidMismatchErrors?: boolean;
    }

    interface User {
      name: string;
      level: number;
      authProtocol?: number;
      authKey?: string;
      privProtocol?: number;
      privKey?: string;
    }

    type ResponseCallback = (error: Error | null, varbinds: Varbind[]) => void;

    interface Session extends EventEmitter {
      get(oids: string[], callback: ResponseCallback): Session;
      set(varbinds: Varbind[], callback: ResponseCallback): Session;
      /** Varbinds come back grouped per requested OID (non-repeaters first, flat). */
      getBulk(
        oids: string[],
        nonRepeaters: number,
        maxRepetitions: number,
        callback: (error: Error | null, varbinds: (Varbind | Varbind[])[]) => void,
      ): Session;
      close(): Session;
    }

    function createSession(target: string, community: string, options?: SessionOptions): Session;
    function createV3Session(target: string, user: User, options?: SessionOptions): Session;
    function isVarbindError(varbind: Varbind): boolean;

    const Version2c: number;
    const Version3: number;
    const ObjectType: Record<string, number> & Record<number, string>;
    const ErrorStatus: Record<string, number> & Record<number, string>;
    const SecurityLevel: Record<"noAuthNoPriv" | "authNoPriv" | "authPriv", number>;
    const AuthProtocols: Record<"none" | "md5" | "sha" | "sha224" | "sha256" | "sha384" | "sha512", number>;
    const PrivProtocols: Record<"none" | "des" | "aes" | "aes256b" | "aes256r", number>;
    const ResponseInvalidCode: Record<string, number> & Record<number, string>;

    interface Engine {
      engineID: Buffer;
    }
    interface PrivAlgorithm {
      encryptPdu(
        scopedPdu: Buffer,
        privProtocol: number,
        privPassword: string,
        authProtocol: number,
        engine: Engine,
      ): { encryptedPdu: Buffer; msgPrivacyParameters: Buffer };
      decryptPdu(
        encryptedPdu: Buffer,
        privProtocol: number,
        privParameters: Buffer,
        privPassword: string,
        authProtocol: number,
        engine: Engine,
      ): Buffer;
    }
    const Encryption: { algorithms: Record<number, PrivAlgorithm> };
    const Authentication: { passwordToKey(authProtocol: number, password: string, engineID: Buffer): Buffer };

    class RequestTimedOutError extends Error {}
    class RequestFailedError extends Error {
      status: number;
    }
    class RequestInvalidError extends Error {}
    class ResponseInvalidError extends Error {
      code: number;
    }
  }

  export = snmp;
}
