// Bounds-checked binary reading and writing for the canonical wire formats. Every decoder in
// Steward reads through ByteReader, so truncated or overlong input always surfaces as MalformedInput.
import { MalformedInput } from "./errors.js";

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

export function utf8(text: string): Uint8Array {
  return textEncoder.encode(text);
}

export function fromUtf8(bytes: Uint8Array, what = "text"): string {
  try {
    return textDecoder.decode(bytes);
  } catch {
    throw new MalformedInput(`${what} is not valid UTF-8`);
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

export function fromHex(hex: string, expectedLength?: number, what = "hex value"): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) throw new MalformedInput(`${what} is not hex`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  if (expectedLength !== undefined && out.length !== expectedLength)
    throw new MalformedInput(`${what} must be ${expectedLength} bytes, got ${out.length}`);
  return out;
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64URL_INDEX = new Map([...B64URL].map((c, i) => [c, i]));

/** Unpadded base64url: the form used in JSON bodies, URLs and fragments. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64URL[(n >> 18) & 63]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64URL[(n >> 18) & 63]! + B64URL[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64URL[(n >> 18) & 63]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]!;
  }
  return out;
}

export function fromBase64Url(text: string, what = "base64url value", expectedLength?: number): Uint8Array {
  if (text.length % 4 === 1) throw new MalformedInput(`${what} is not base64url`);
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const c of text) {
    const v = B64URL_INDEX.get(c);
    if (v === undefined) throw new MalformedInput(`${what} is not base64url`);
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  // Canonical form only: leftover bits must be zero, so each value has exactly one encoding.
  if ((value & ((1 << bits) - 1)) !== 0) throw new MalformedInput(`${what} is not canonical base64url`);
  if (expectedLength !== undefined && out.length !== expectedLength)
    throw new MalformedInput(`${what} must be ${expectedLength} bytes, got ${out.length}`);
  return out;
}

export class ByteWriter {
  private buffer: Uint8Array;
  /** Made when first needed: most writers only write bytes and varints. */
  private dataView?: DataView;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(initialCapacity);
  }

  private get view(): DataView {
    this.dataView ??= new DataView(this.buffer.buffer);
    return this.dataView;
  }

  // Callers must take the offset before touching this.buffer/this.view: reserve() may replace them
  // (`this.buffer.set(x, this.reserve(n))` would write into the old, too-small buffer).
  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buffer.length) {
      const next = new Uint8Array(Math.max(this.buffer.length * 2, at + n));
      next.set(this.buffer.subarray(0, at));
      this.buffer = next;
      this.dataView = undefined;
    }
    this.length += n;
    return at;
  }

  u8(value: number): this {
    checkUint(value, 0xff, "u8");
    const at = this.reserve(1);
    this.buffer[at] = value;
    return this;
  }

  u16(value: number): this {
    checkUint(value, 0xffff, "u16");
    const at = this.reserve(2);
    this.view.setUint16(at, value);
    return this;
  }

  u32(value: number): this {
    checkUint(value, 0xffffffff, "u32");
    const at = this.reserve(4);
    this.view.setUint32(at, value);
    return this;
  }

  /** Unsigned 64-bit, limited to integers JavaScript represents exactly. */
  u64(value: number): this {
    checkUint(value, Number.MAX_SAFE_INTEGER, "u64");
    const at = this.reserve(8);
    this.view.setBigUint64(at, BigInt(value));
    return this;
  }

  /** Fixed-width bytes: the length is part of the format, not written. */
  fixed(bytes: Uint8Array, length: number, what: string): this {
    if (bytes.length !== length) throw new MalformedInput(`${what} must be ${length} bytes, got ${bytes.length}`);
    const at = this.reserve(length);
    this.buffer.set(bytes, at);
    return this;
  }

  /** Variable bytes with a u32 length prefix. */
  bytes(bytes: Uint8Array): this {
    this.u32(bytes.length);
    const at = this.reserve(bytes.length);
    this.buffer.set(bytes, at);
    return this;
  }

  raw(bytes: Uint8Array): this {
    const at = this.reserve(bytes.length);
    this.buffer.set(bytes, at);
    return this;
  }

  /** Unsigned LEB128, up to 2^53 − 1 (the packed formats' integers). */
  varint(value: number): this {
    checkUint(value, Number.MAX_SAFE_INTEGER, "varint");
    let v = value;
    while (v >= 0x80) {
      const at = this.reserve(1);
      this.buffer[at] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    const at = this.reserve(1);
    this.buffer[at] = v;
    return this;
  }

  /** Variable bytes with a varint length prefix. */
  varBytes(bytes: Uint8Array): this {
    this.varint(bytes.length);
    return this.raw(bytes);
  }

  get size(): number {
    return this.length;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new MalformedInput(`${what} out of range: ${value}`);
}

export class ByteReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(
    private readonly input: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.input.length - this.offset;
  }

  private take(n: number, field: string): number {
    if (n > this.remaining) throw new MalformedInput(`${this.what} is truncated (reading ${field})`);
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u8(field: string): number {
    return this.view.getUint8(this.take(1, field));
  }

  u16(field: string): number {
    return this.view.getUint16(this.take(2, field));
  }

  u32(field: string): number {
    return this.view.getUint32(this.take(4, field));
  }

  u64(field: string): number {
    const value = this.view.getBigUint64(this.take(8, field));
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedInput(`${this.what}: ${field} is too large`);
    return Number(value);
  }

  fixed(length: number, field: string): Uint8Array {
    const at = this.take(length, field);
    return this.input.slice(at, at + length);
  }

  /** A u32-length-prefixed field, refused when longer than `max` before anything is copied. */
  bytes(field: string, max: number): Uint8Array {
    const length = this.u32(field);
    if (length > max)
      throw new MalformedInput(`${this.what}: ${field} is ${length} bytes, more than the ${max} allowed`);
    return this.fixed(length, field);
  }

  /** Unsigned LEB128 as ByteWriter.varint writes it: at most 8 bytes, below 2^53, no overlong form. */
  varint(field: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.view.getUint8(this.take(1, field));
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (byte === 0 && i > 0) throw new MalformedInput(`${this.what}: ${field} is not in its shortest form`);
        if (value > Number.MAX_SAFE_INTEGER) throw new MalformedInput(`${this.what}: ${field} is too large`);
        return value;
      }
      scale *= 0x80;
    }
    throw new MalformedInput(`${this.what}: ${field} is too large`);
  }

  /** A varint-length-prefixed field, refused when longer than `max` before anything is copied. */
  varBytes(field: string, max: number): Uint8Array {
    const length = this.varint(field);
    if (length > max)
      throw new MalformedInput(`${this.what}: ${field} is ${length} bytes, more than the ${max} allowed`);
    return this.fixed(length, field);
  }

  /** Like varBytes, without copying: a view into the input (for decoders that only read it). */
  varView(field: string, max: number): Uint8Array {
    const length = this.varint(field);
    if (length > max)
      throw new MalformedInput(`${this.what}: ${field} is ${length} bytes, more than the ${max} allowed`);
    const at = this.take(length, field);
    return this.input.subarray(at, at + length);
  }

  rest(): Uint8Array {
    return this.fixed(this.remaining, "rest");
  }

  /** Every decoder ends here: trailing bytes mean the input is not what it claims to be. */
  end(): void {
    if (this.remaining !== 0) throw new MalformedInput(`${this.what} has ${this.remaining} unexpected trailing bytes`);
  }
}

export function expectMagic(reader: ByteReader, magic: string, what: string): void {
  const got = reader.fixed(magic.length, "magic");
  if (!bytesEqual(got, utf8(magic))) throw new MalformedInput(`${what}: not a Steward ${what} (bad magic)`);
}
