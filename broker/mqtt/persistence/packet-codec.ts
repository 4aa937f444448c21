/**
 * MQTT packets as JSON text for SQLite: Buffers (payloads, correlation data) as base64, everything
 * else as it is. One codec for every table of the MQTT persistence.
 */
type Encoded = { $b64: string };

export function encodePacket(packet: object): string {
  return JSON.stringify(packet, function (this: Record<string, unknown>, key, value) {
    // JSON.stringify has already called Buffer#toJSON on `value`; the raw value is on `this`.
    const raw = this[key];
    return Buffer.isBuffer(raw) ? ({ $b64: raw.toString("base64") } satisfies Encoded) : value;
  });
}

export function decodePacket<T = Record<string, unknown>>(text: string): T {
  return JSON.parse(text, (_key, value) =>
    value !== null &&
    typeof value === "object" &&
    typeof (value as Encoded).$b64 === "string" &&
    Object.keys(value).length === 1
      ? Buffer.from((value as Encoded).$b64, "base64")
      : value,
  ) as T;
}
