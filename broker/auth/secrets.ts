import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from "node:crypto";

/**
 * Password hashing with scrypt (N=2^14, r=8, p=1: ~16 MiB and a few ms per check). Stored as
 * `scrypt$N$r$p$salt$hash` (base64url) so the parameters can be raised later without a migration.
 */
const N = 16384;
const R = 8;
const P = 1;
const KEY_LEN = 32;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, KEY_LEN, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

export function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !hash) return Promise.resolve(false);
  const expected = Buffer.from(hash, "base64url");
  return new Promise((resolve) => {
    scrypt(
      password,
      Buffer.from(salt, "base64url"),
      expected.length,
      { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 },
      (err, derived) =>
        resolve(!err && derived.length === expected.length && timingSafeEqual(derived, expected)),
    );
  });
}

/** A random secret for a generated password (24 bytes, base64url: 32 characters). */
export function newSecret(bytes = 24): string {
  return randomBytes(bytes).toString("base64url");
}

/** Bearer tokens are high-entropy random, so a plain SHA-256 is a safe way to store them. */
export function tokenDigest(secret: string): string {
  return createHash("sha256").update(secret).digest("base64url");
}

export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
