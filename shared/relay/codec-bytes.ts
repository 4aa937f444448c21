/**
 * Byte-level primitives of the relay change codec: LEB128 varints, zigzag signed integers, float64
 * and length-prefixed strings/bytes. A writer grows its buffer geometrically; a reader checks every
 * read against the end of its input, so a truncated or corrupt frame throws instead of reading garbage.
 */
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Thrown on malformed codec input; `code` is stable for callers that map it to a NAK. */
export class CodecError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "CodecError";
    this.code = code;
  }
}

export class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  get length(): number {
    return this.len;
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  byte(value: number): void {
    this.ensure(1);
    this.buf[this.len++] = value & 0xff;
  }

  /** Unsigned LEB128 for any non-negative safe integer. */
  uint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new CodecError("range", `not a uint: ${value}`);
    this.ensure(8);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  /** Zigzag-coded signed integer (small magnitudes of either sign take one byte). */
  int(value: number): void {
    if (!Number.isSafeInteger(value)) throw new CodecError("range", `not a safe integer: ${value}`);
    this.uint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  f64(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.len, value, true);
    this.len += 8;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  bytes(bytes: Uint8Array): void {
    this.uint(bytes.length);
    this.raw(bytes);
  }

  string(text: string): void {
    this.bytes(utf8.encode(text));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export class ByteReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new CodecError("truncated", `relay codec input ends early (need ${n} bytes at ${this.pos})`);
    }
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  uint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    throw new CodecError("corrupt", "varint longer than 8 bytes");
  }

  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  raw(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  bytes(): Uint8Array {
    return this.raw(this.uint());
  }

  string(): string {
    try {
      return utf8Decoder.decode(this.bytes());
    } catch (err) {
      if (err instanceof CodecError) throw err;
      throw new CodecError("corrupt", "invalid UTF-8 in relay codec input");
    }
  }
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) throw new CodecError("corrupt", `not hex: ${hex}`);
  return new Uint8Array(Buffer.from(hex, "hex"));
}
