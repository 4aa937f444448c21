import type { JsonObject } from "../shared/json.ts";

/**
 * The PDU-like shadow of the aging benches (issue 18): 13 reported leaves (model, fw, power w/va,
 * temp, outlets o1..o8); each poll changes two or three of them (power, and temp every third poll),
 * and an operator edits `desired` once every 1,000 changes.
 */
export function pduInitial(i = 0): JsonObject {
  const outlets: JsonObject = {};
  for (let o = 1; o <= 8; o++) outlets[`o${o}`] = (i + o) % 3 === 0 ? "off" : "on";
  return {
    model: "pdu-8",
    fw: `1.${i % 7}.${i % 13}`,
    power: { w: 100 + (i % 900), va: 120 + (i % 950) },
    temp: 20 + (i % 15),
    outlets,
  };
}

/** The edits of change `n` (n >= 1) of a PDU shadow: always a real change of 2-3 leaves. */
export function pduStep(n: number): { reported?: JsonObject; desired?: JsonObject } {
  if (n % 1000 === 0) {
    // Outlet k of 8 in turn, its value flipping each round, so every edit is a real change.
    const outlet = `o${1 + ((n / 1000) % 8)}`;
    return { desired: { outlets: { [outlet]: Math.floor(n / 8000) % 2 ? "on" : "off" } } };
  }
  const power = { w: 100 + ((n * 7) % 900), va: 120 + ((n * 11) % 950) };
  return { reported: n % 3 === 0 ? { power, temp: 20 + (n % 15) } : { power } };
}
