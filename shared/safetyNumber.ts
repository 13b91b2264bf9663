// Safety numbers in the manner of Signal's fingerprints: each party's identity key and account id
// are hashed 5200 times with SHA-512; 30 bytes become 30 digits; the 60-digit number is both halves
// in sorted order, so the two people comparing see the same digits.
import { ByteWriter } from "./bytes.js";
import { sha512 } from "./hash.js";
import { accountIdOf } from "./keyBundle.js";

const ITERATIONS = 5200;
const VERSION = 0;

function fingerprintDigits(signKey: Uint8Array): string {
  const accountId = accountIdOf(signKey);
  let hash = sha512(new ByteWriter(2 + 32 + 16 + 32).u16(VERSION).raw(signKey).raw(accountId).raw(signKey).finish());
  for (let i = 1; i < ITERATIONS; i++) hash = sha512(hash, signKey);
  let digits = "";
  for (let chunk = 0; chunk < 6; chunk++) {
    let value = 0;
    // Five bytes read big-endian fit exactly in a double (40 bits).
    for (let b = 0; b < 5; b++) value = value * 256 + hash[chunk * 5 + b]!;
    digits += String(value % 100000).padStart(5, "0");
  }
  return digits;
}

/** The 60 digits two people compare, in 12 groups of 5. Symmetric in its arguments. */
export function safetyNumber(ourSignKey: Uint8Array, theirSignKey: Uint8Array): string {
  const halves = [fingerprintDigits(ourSignKey), fingerprintDigits(theirSignKey)].sort();
  return (halves.join("").match(/.{5}/g) ?? []).join(" ");
}
