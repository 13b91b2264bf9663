// T29: the server verifies Ed25519 with WebCrypto, clients with libsodium. Ordinary signatures must
// agree byte for byte; on edge cases the two may differ, and the client's verdict is the one that
// counts. The edge-case verdicts below are recorded, not wished for: if a runtime changes them,
// this test fails and docs/threat-model.md (T29) must be updated with it.
import { beforeAll, describe, expect, it } from "vitest";
import { concat, fromHex, toHex, utf8 } from "../../shared/bytes.js";
import { envelopeSignedBytes } from "../../shared/envelopeCodec.js";
import { sha256 } from "../../shared/hash.js";
import { loadSodium, sodium } from "../../crypto/sodium.js";
import { bytesOf, seed } from "./helpers.js";

beforeAll(async () => {
  await loadSodium();
});

// WebCrypto wants ArrayBuffer-backed views.
const buf = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

async function webVerify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  const key = await crypto.subtle.importKey("raw", buf(publicKey), { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, buf(signature), buf(message));
}

/** PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410). */
async function webSign(seed32: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const pkcs8 = concat(fromHex("302e020100300506032b657004220420"), seed32);
  const key = await crypto.subtle.importKey("pkcs8", buf(pkcs8), { name: "Ed25519" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key, buf(message)));
}

const sodiumVerify = (publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array) =>
  sodium().crypto_sign_verify_detached(signature, message, publicKey);

/** Group order L of Ed25519, little-endian as S is encoded. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const leToBig = (b: Uint8Array) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
const bigToLe = (n: bigint, len = 32) =>
  Uint8Array.from({ length: len }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));

function envelopeMessage(i: number): Uint8Array {
  const header = concat(utf8("STWE"), Uint8Array.of(1, 1), bytesOf(144, i & 0xff));
  return envelopeSignedBytes(header, 328 + i, sha256(Uint8Array.of(i)));
}

describe("ordinary signatures: WebCrypto and libsodium agree", () => {
  it("produce identical signatures from the same seed and verify each other's, over envelopeSignedBytes", async () => {
    for (let i = 0; i < 20; i++) {
      const s = seed(i + 1);
      const { publicKey, privateKey } = sodium().crypto_sign_seed_keypair(s);
      const message = envelopeMessage(i);
      const fromSodium = sodium().crypto_sign_detached(message, privateKey);
      const fromWeb = await webSign(s, message);
      expect(toHex(fromWeb)).toBe(toHex(fromSodium)); // Ed25519 is deterministic (RFC 8032)
      expect(await webVerify(publicKey, fromSodium, message)).toBe(true);
      expect(sodiumVerify(publicKey, fromWeb, message)).toBe(true);
      // And both refuse a one-bit change to the message.
      const altered = message.slice();
      altered[message.length - 1]! ^= 1;
      expect(await webVerify(publicKey, fromSodium, altered)).toBe(false);
      expect(sodiumVerify(publicKey, fromSodium, altered)).toBe(false);
    }
  });
});

describe("edge cases (recorded verdicts)", () => {
  it("non-canonical S (S + L): both refuse", async () => {
    const { publicKey, privateKey } = sodium().crypto_sign_seed_keypair(seed(0x42));
    const message = envelopeMessage(1);
    const sig = sodium().crypto_sign_detached(message, privateKey);
    const malleated = concat(sig.subarray(0, 32), bigToLe(leToBig(sig.subarray(32)) + L));
    expect(sodiumVerify(publicKey, malleated, message)).toBe(false);
    expect(await webVerify(publicKey, malleated, message)).toBe(false);
  });

  // Small-order public keys with R = identity and S = 0: the equation [S]B = R + [k]A holds (or
  // holds after multiplying by the cofactor) for *every* message. libsodium refuses small-order A
  // and R outright; Node's WebCrypto (OpenSSL) does not check for them.
  const IDENTITY = fromHex(`01${"00".repeat(31)}`);
  const ORDER2 = fromHex(`ec${"ff".repeat(30)}7f`); // (0, −1)
  const NONCANONICAL_IDENTITY = fromHex(`ee${"ff".repeat(30)}7f`); // y = p + 1 ≡ 1
  const zeroSig = (r: Uint8Array) => concat(r, new Uint8Array(32));

  it("identity public key, R = identity, S = 0: libsodium refuses, WebCrypto (Node/OpenSSL) accepts any message", async () => {
    for (const message of [utf8("a"), envelopeMessage(2)]) {
      expect(sodiumVerify(IDENTITY, zeroSig(IDENTITY), message)).toBe(false);
      expect(await webVerify(IDENTITY, zeroSig(IDENTITY), message)).toBe(WEBCRYPTO.identityKeyZeroSig);
    }
  });

  it("order-2 public key, R = identity, S = 0: libsodium refuses; WebCrypto's verdict depends on the message", async () => {
    const verdicts: boolean[] = [];
    for (let i = 0; i < 16; i++) {
      const message = utf8(`m${i}`);
      expect(sodiumVerify(ORDER2, zeroSig(IDENTITY), message)).toBe(false);
      verdicts.push(await webVerify(ORDER2, zeroSig(IDENTITY), message));
    }
    // Cofactorless check: holds exactly when the challenge k is even (about half the messages).
    expect(verdicts.some((v) => v)).toBe(WEBCRYPTO.order2KeySomeAccepted);
  });

  it("non-canonical encoding of the identity as public key: libsodium refuses, WebCrypto (Node/OpenSSL) accepts", async () => {
    const message = utf8("a");
    expect(sodiumVerify(NONCANONICAL_IDENTITY, zeroSig(IDENTITY), message)).toBe(false);
    expect(await webVerify(NONCANONICAL_IDENTITY, zeroSig(IDENTITY), message)).toBe(WEBCRYPTO.noncanonicalIdentityKey);
  });
});

/** Observed on Node 22 (OpenSSL 3). workerd uses BoringSSL: the workers suite should repeat these. */
const WEBCRYPTO = {
  identityKeyZeroSig: true,
  order2KeySomeAccepted: true,
  noncanonicalIdentityKey: true,
};
