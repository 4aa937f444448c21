/**
 * SNMPv3 DES privacy (RFC 3414 §8, CBC-DES) without OpenSSL's legacy provider.
 *
 * net-snmp encrypts DES with Node's `des-cbc` cipher, which OpenSSL 3 (Node 17+) only offers with
 * `--openssl-legacy-provider`; without it every DES request fails with "digital envelope routines::
 * unsupported". Older PDU and UPS management cards (APC NMC2 among them) still only speak DES, so the
 * driver swaps in the same algorithm built on `des-ede3-cbc` with the key repeated three times
 * (EDE with K1 = K2 = K3 is single DES), which the default provider keeps. The key derivation, salt and
 * IV follow net-snmp's own code (and RFC 3414 §8.1.1). Installed once, only when `des-cbc` is missing.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import snmp from "net-snmp";

const BLOCK = 8;

function nativeDesWorks(): boolean {
  try {
    createCipheriv("des-cbc", Buffer.alloc(BLOCK), Buffer.alloc(BLOCK));
    return true;
  } catch {
    return false;
  }
}

/** Single-DES CBC without padding (data a multiple of 8 bytes), as 3DES-EDE with K1 = K2 = K3 = key. */
export function desCbc(direction: "encrypt" | "decrypt", key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const triple = Buffer.concat([key, key, key]);
  const cipher =
    direction === "encrypt"
      ? createCipheriv("des-ede3-cbc", triple, iv)
      : createDecipheriv("des-ede3-cbc", triple, iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** DES key (first 8 bytes of the localized privacy key) and the pre-IV (next 8), RFC 3414 §8.1.1.1. */
function keys(privPassword: string, authProtocol: number, engineID: Buffer): { key: Buffer; preIv: Buffer } {
  const localized = snmp.Authentication.passwordToKey(authProtocol, privPassword, engineID);
  return { key: localized.subarray(0, BLOCK), preIv: localized.subarray(BLOCK, 2 * BLOCK) };
}

function xor(a: Buffer, b: Buffer): Buffer {
  return Buffer.from(a.map((byte, i) => byte ^ (b[i] ?? 0)));
}

let installed = false;

export function installDesFallback(): void {
  if (installed) return;
  installed = true;
  if (nativeDesWorks()) return;
  const des = snmp.Encryption.algorithms[snmp.PrivProtocols.des];
  if (!des) return;
  des.encryptPdu = (scopedPdu, _privProtocol, privPassword, authProtocol, engine) => {
    const { key, preIv } = keys(privPassword, authProtocol, engine.engineID);
    // Salt: engine boots (net-snmp keeps none, so 1) and a random 32-bit integer.
    const salt = Buffer.concat([Buffer.from([0, 0, 0, 1]), randomBytes(4)]);
    const padded = Buffer.alloc(Math.ceil(scopedPdu.length / BLOCK) * BLOCK);
    scopedPdu.copy(padded);
    return { encryptedPdu: desCbc("encrypt", key, xor(preIv, salt), padded), msgPrivacyParameters: salt };
  };
  des.decryptPdu = (encryptedPdu, _privProtocol, privParameters, privPassword, authProtocol, engine) => {
    const { key, preIv } = keys(privPassword, authProtocol, engine.engineID);
    return desCbc("decrypt", key, xor(preIv, privParameters), encryptedPdu);
  };
}
