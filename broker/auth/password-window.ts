/**
 * Which passwords of an identity are valid at an instant. An identity has its current password and,
 * for a while after a rotation with a grace period (`umbra device rotate --grace 1h`), the one before
 * it, so a fleet can be re-provisioned without an outage. Only one previous password is kept: rotating
 * again during a grace period ends the older one at once.
 *
 * A login remembers the stored hash it was verified against (its "credential"); a session stays valid
 * while that hash is still accepted, so sessions on the new password survive a rotation and sessions on
 * the old one end when it stops being valid. Pure logic, no I/O: the store and the node supply `now`.
 */

export interface PasswordSlots {
  /** scrypt hash of the current password (secrets.ts). */
  current: string;
  /** The password before the last rotation, accepted until `until` (ms since the epoch). */
  previous?: { hash: string; until: number };
}

/** A hash a login may be checked against, and until when a login with it stays valid. */
export interface AcceptedPassword {
  hash: string;
  /** ms since the epoch; Infinity for the current password. */
  until: number;
}

/** The hashes a password is checked against at `now`, current first. */
export function acceptedPasswords(slots: PasswordSlots, now: number): AcceptedPassword[] {
  const accepted: AcceptedPassword[] = [{ hash: slots.current, until: Number.POSITIVE_INFINITY }];
  if (slots.previous && now < slots.previous.until) accepted.push({ ...slots.previous });
  return accepted;
}

/**
 * Whether a session that logged in with `credential` may stay. Sessions without a password credential
 * (a client certificate, anonymous access) do not depend on the password and always may.
 */
export function credentialValid(slots: PasswordSlots, credential: string | undefined, now: number): boolean {
  if (credential === undefined) return true;
  return acceptedPasswords(slots, now).some((p) => p.hash === credential);
}

/** The slots after a rotation to `newHash` at `now`, keeping the current password for `graceMs`. */
export function rotatedSlots(
  slots: PasswordSlots,
  newHash: string,
  now: number,
  graceMs: number,
): PasswordSlots {
  if (graceMs <= 0) return { current: newHash };
  return { current: newHash, previous: { hash: slots.current, until: now + graceMs } };
}

/** Shortest and longest password an operator may choose (generated ones are 32 characters). */
export const MIN_CHOSEN_PASSWORD = 16;
export const MAX_CHOSEN_PASSWORD = 1024;

/**
 * A password given on stdin or in a file, with one trailing line break removed; throws a message when
 * it is too short or too long, or holds control characters (a pasted second line, a NUL).
 */
export function chosenPassword(text: string): string {
  const password = text.replace(/\r?\n$/, "");
  if (password.length < MIN_CHOSEN_PASSWORD)
    throw new Error(`the password must have at least ${MIN_CHOSEN_PASSWORD} characters`);
  if (password.length > MAX_CHOSEN_PASSWORD)
    throw new Error(`the password must have at most ${MAX_CHOSEN_PASSWORD} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(password))
    throw new Error("the password must be one line without control characters");
  return password;
}
