/** Names used by the bench. Device ids are thing names, so each device owns the shadow of its thing. */
export function deviceId(i: number): string {
  return `dev-${String(i).padStart(6, "0")}`;
}

/** Things of the stored-shadows phase (written by bench/fill-store.ts). */
export function storedThing(i: number): string {
  return `rack-${String(i).padStart(6, "0")}`;
}
