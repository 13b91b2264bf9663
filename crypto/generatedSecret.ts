// Secrets the app generates for a person to write down or pass on (recovery code, report passphrase):
// 20 random bytes (160 bits) plus 2 check bytes, as 36 characters of Crockford base32 in groups of
// four. The check bytes are a labelled BLAKE2b, so a code of one kind never parses as the other and a
// typo is caught before any slow key derivation.
import { bytesEqual, concat, utf8 } from "../shared/bytes.js";
import { MalformedInput } from "../shared/errors.js";
import { sodium } from "./sodium.js";

const SECRET_BYTES = 20;
const CHECK_BYTES = 2;
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export interface SecretKind {
  /** Label of the check bytes, e.g. "steward/recovery-check/v1". */
  readonly checkLabel: string;
  /** What people call it, for error messages ("recovery code"). */
  readonly name: string;
}

export interface GeneratedSecret {
  /** What the person writes down: groups of four characters. */
  readonly text: string;
  readonly bytes: Uint8Array;
}

function checkBytes(kind: SecretKind, secret: Uint8Array): Uint8Array {
  return sodium().crypto_generichash(CHECK_BYTES, concat(utf8(kind.checkLabel), secret), null);
}

function toBase32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(value >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function fromBase32(text: string, kind: SecretKind): Uint8Array {
  // Crockford: case-insensitive, I/L read as 1, O as 0; separators ignored.
  const clean = text.toUpperCase().replace(/[\s-]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of clean) {
    const v = ALPHABET.indexOf(c);
    if (v < 0) throw new MalformedInput(`"${c}" is not a character of a ${kind.name}`);
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

export function newGeneratedSecret(kind: SecretKind): GeneratedSecret {
  const bytes = sodium().randombytes_buf(SECRET_BYTES);
  const text = (toBase32(concat(bytes, checkBytes(kind, bytes))).match(/.{1,4}/g) ?? []).join("-");
  return { text, bytes };
}

/** Reads a typed secret; a wrong length or a typo raises MalformedInput. */
export function parseGeneratedSecret(text: string, kind: SecretKind): GeneratedSecret {
  const decoded = fromBase32(text, kind);
  if (decoded.length !== SECRET_BYTES + CHECK_BYTES)
    throw new MalformedInput(`a ${kind.name} has 36 characters; check that it was copied in full`);
  const bytes = decoded.slice(0, SECRET_BYTES);
  if (!bytesEqual(checkBytes(kind, bytes), decoded.slice(SECRET_BYTES)))
    throw new MalformedInput(`this ${kind.name} has a typo: check each group of four characters`);
  return { text, bytes };
}
