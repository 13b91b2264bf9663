// Envelopes: every byte is authenticated (T5, T6, T7), the key commitment is checked before
// decryption (T24), sizes are bucketed (T26), nonces are random (T25).
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../shared/bytes.js";
import {
  COMMIT_BYTES,
  HEADER_BYTES,
  MAX_BODY_BYTES,
  NONCE_BYTES,
  PREFIX_BYTES,
  SEAL_BYTES,
  TAG_BYTES,
  decodeEnvelope,
  encodeEnvelope,
  encodeHeader,
  envelopeLink,
  envelopeSignedBytes,
  type Envelope,
  type EnvelopeHeader,
} from "../../shared/envelopeCodec.js";
import { openEnvelope, sealEnvelope, verifyEnvelopeSignature } from "../../crypto/envelope.js";
import { InvalidSignature, MalformedInput, TamperedEnvelope, UnsupportedVersion } from "../../shared/errors.js";
import { sha256 } from "../../shared/hash.js";
import { KeyTreeReader, ROOT } from "../../crypto/keyTree.js";
import { isBucketSize, paddedLength } from "../../crypto/padding.js";
import { loadSodium, sodium } from "../../crypto/sodium.js";
import { bytesOf, expectTyped, fixedAccount, flipBit, seed } from "../shared/helpers.js";

let author: ReturnType<typeof fixedAccount>;
let tree: KeyTreeReader;
const HOUR = 491_234;

beforeAll(async () => {
  await loadSodium();
  author = fixedAccount(0xa1, 0xa2);
  tree = new KeyTreeReader([{ node: ROOT, key: seed(0x77) }]);
});

function header(overrides: Partial<EnvelopeHeader> = {}): Omit<EnvelopeHeader, "version"> {
  return {
    kind: "update",
    patientId: bytesOf(16, 0x01),
    scopeTag: bytesOf(16, 0x02),
    generation: 3,
    hour: HOUR,
    envelopeId: bytesOf(16, 0x03),
    authorKey: author.signKey,
    deviceId: bytesOf(16, 0x04),
    seq: 7,
    prevHash: bytesOf(32, 0x05),
    ...overrides,
  };
}

function seal(plaintext = utf8('{"mgdl":112}'), h = header()): Envelope {
  return sealEnvelope({ header: h, plaintext, leaf: tree.leaf(h.hour), authorSecretKey: author.signSecretKey });
}

/** What a party holding the author's signing key (or the leaf plus its own key) can produce: a re-signed envelope. */
function resign(headerBytes: Uint8Array, body: Uint8Array, secretKey: Uint8Array): Uint8Array {
  const bodyHash = sha256(body);
  const signature = sodium().crypto_sign_detached(envelopeSignedBytes(headerBytes, body.length, bodyHash), secretKey);
  return encodeEnvelope({ header: undefined as never, headerBytes, body, bodyHash, signature });
}

const decodeAndOpen = (bytes: Uint8Array, leaf = tree.leaf(HOUR)) => openEnvelope(decodeEnvelope(bytes), leaf);

describe("envelope round trip", () => {
  it("opens what it seals, and the decoded header equals the sealed one", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (plaintext) => {
        const sealed = seal(plaintext);
        const decoded = decodeEnvelope(encodeEnvelope(sealed));
        expect(decoded.header).toEqual(sealed.header);
        expect(toHex(decoded.headerBytes)).toBe(toHex(encodeHeader(sealed.header)));
        expect(toHex(openEnvelope(decoded, tree.leaf(HOUR)))).toBe(toHex(plaintext));
      }),
      { numRuns: 60 },
    );
  });

  it("lays the header out at the documented offsets (150 bytes: the AEAD's associated data)", () => {
    const bytes = encodeEnvelope(seal());
    expect(bytes.length).toBeGreaterThan(PREFIX_BYTES);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("STWE");
    expect(bytes[4]).toBe(2);
    expect(bytes[5]).toBe(1);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(toHex(bytes.subarray(6, 22))).toBe("01".repeat(16));
    expect(toHex(bytes.subarray(22, 38))).toBe("02".repeat(16));
    expect(view.getUint32(38)).toBe(3);
    expect(view.getUint32(42)).toBe(HOUR);
    expect(toHex(bytes.subarray(46, 62))).toBe("03".repeat(16));
    expect(toHex(bytes.subarray(62, 94))).toBe(toHex(author.signKey));
    expect(toHex(bytes.subarray(94, 110))).toBe("04".repeat(16));
    expect(view.getBigUint64(110)).toBe(7n);
    expect(toHex(bytes.subarray(118, 150))).toBe("05".repeat(32));
    const bodyLength = view.getUint32(HEADER_BYTES);
    expect(bodyLength).toBe(bytes.length - PREFIX_BYTES);
    expect(toHex(bytes.subarray(154, 186))).toBe(toHex(sha256(bytes.subarray(PREFIX_BYTES))));
  });

  it("signs the context, header and seal with the author key (checked with a plain detached verify)", () => {
    const sealed = seal();
    const signed = new Uint8Array([
      ...utf8("steward/envelope/v1"),
      0,
      ...sealed.headerBytes,
      ...encodeEnvelope(sealed).subarray(HEADER_BYTES, HEADER_BYTES + SEAL_BYTES),
    ]);
    expect(sodium().crypto_sign_verify_detached(sealed.signature, signed, author.signKey)).toBe(true);
  });

  it("chains: the link of an envelope depends on header and body", () => {
    const a = seal();
    const b = seal(utf8("other"));
    expect(toHex(envelopeLink(a.headerBytes, a.body.length, a.bodyHash))).not.toBe(
      toHex(envelopeLink(b.headerBytes, b.body.length, b.bodyHash)),
    );
  });
});

describe("tampering (T5, T6): every single-bit flip is refused with a typed error", () => {
  it("rejects all bit flips of every field of the wire bytes, never opening", () => {
    const bytes = encodeEnvelope(seal());
    const seen = new Map<string, number>();
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const at = bit >> 3;
      const error = expectTyped(
        () => decodeAndOpen(flipBit(bytes, bit)),
        MalformedInput,
        UnsupportedVersion,
        InvalidSignature,
        TamperedEnvelope,
      );
      // Each region fails where it should: the checks are layered, not accidental.
      const region =
        at < 4
          ? "magic"
          : at === 4
            ? "version"
            : at === 5
              ? "kind"
              : at < HEADER_BYTES
                ? "header"
                : at < HEADER_BYTES + 4
                  ? "bodyLength"
                  : at < HEADER_BYTES + SEAL_BYTES
                    ? "bodyHash"
                    : at < PREFIX_BYTES
                      ? "signature"
                      : "body";
      const expected: Record<string, string[]> = {
        magic: ["MalformedInput"],
        version: ["UnsupportedVersion"],
        kind: ["MalformedInput"],
        header: ["InvalidSignature", "MalformedInput"],
        bodyLength: ["MalformedInput"],
        bodyHash: ["MalformedInput"],
        signature: ["InvalidSignature"],
        body: ["MalformedInput"],
      };
      expect(expected[region], `bit ${bit} (${region})`).toContain(error.name);
      seen.set(region, (seen.get(region) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([
      "body",
      "bodyHash",
      "bodyLength",
      "header",
      "kind",
      "magic",
      "signature",
      "version",
    ]);
  });

  it("rejects every truncation and every extension", () => {
    const bytes = encodeEnvelope(seal());
    for (let n = 0; n < bytes.length; n++) expectTyped(() => decodeAndOpen(bytes.slice(0, n)), MalformedInput);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (extra) => {
        expectTyped(() => decodeAndOpen(new Uint8Array([...bytes, ...extra])), MalformedInput);
      }),
      { numRuns: 100 },
    );
  });

  it("rejects a body altered and re-signed by its own author: nonce, commitment and ciphertext are all checked (T24)", () => {
    const sealed = seal();
    const regions = { nonce: 0, commitment: 0, ciphertext: 0 };
    for (let bit = 0; bit < sealed.body.length * 8; bit++) {
      const forged = resign(sealed.headerBytes, flipBit(sealed.body, bit), author.signSecretKey);
      expectTyped(() => decodeAndOpen(forged), TamperedEnvelope);
      const at = bit >> 3;
      regions[at < NONCE_BYTES ? "nonce" : at < NONCE_BYTES + COMMIT_BYTES ? "commitment" : "ciphertext"]++;
    }
    expect(regions.nonce).toBe(NONCE_BYTES * 8);
    expect(regions.commitment).toBe(COMMIT_BYTES * 8);
  });

  it("binds every header field: changed and re-signed, the old body does not open under the named leaf (T6, T7)", () => {
    const sealed = seal();
    const fields: [string, Partial<EnvelopeHeader>][] = [
      ["patientId (another patient)", { patientId: bytesOf(16, 0x99) }],
      ["scopeTag (insulin → glucose)", { scopeTag: bytesOf(16, 0x98) }],
      ["generation g → g+1", { generation: 4 }],
      ["envelopeId", { envelopeId: bytesOf(16, 0x97) }],
      ["deviceId", { deviceId: bytesOf(16, 0x96) }],
      ["seq", { seq: 8 }],
      ["prevHash", { prevHash: bytesOf(32, 0x95) }],
    ];
    for (const [name, change] of fields) {
      const headerBytes = encodeHeader({ ...sealed.header, ...change });
      const forged = resign(headerBytes, sealed.body, author.signSecretKey);
      try {
        expectTyped(() => decodeAndOpen(forged, tree.leaf(HOUR)), TamperedEnvelope);
      } catch (error) {
        throw new Error(`header field ${name}: ${String(error)}`);
      }
    }
    // Hour e → e+1: the reader picks the leaf the header names, and the commitment refuses it.
    const moved = resign(encodeHeader({ ...sealed.header, hour: HOUR + 1 }), sealed.body, author.signSecretKey);
    expectTyped(() => decodeAndOpen(moved, tree.leaf(HOUR + 1)), TamperedEnvelope);
    expectTyped(() => decodeAndOpen(moved, tree.leaf(HOUR)), TamperedEnvelope);
  });

  it("cannot be re-attributed: a grantee holding the leaf re-signs someone's envelope as its own → refused", () => {
    const sealed = seal();
    const mallory = fixedAccount(0xb1, 0xb2);
    const forged = resign(
      encodeHeader({ ...sealed.header, authorKey: mallory.signKey }),
      sealed.body,
      mallory.signSecretKey,
    );
    expectTyped(() => decodeAndOpen(forged), TamperedEnvelope);
    // Signed by someone other than the key the header names.
    expectTyped(() => decodeAndOpen(resign(sealed.headerBytes, sealed.body, mallory.signSecretKey)), InvalidSignature);
  });

  it("refuses the wrong leaf (another hour, another tree) at the commitment, before decryption", () => {
    const bytes = encodeEnvelope(seal());
    let decrypts = 0;
    const s = sodium();
    const original = s.crypto_aead_xchacha20poly1305_ietf_decrypt;
    s.crypto_aead_xchacha20poly1305_ietf_decrypt = ((...args: Parameters<typeof original>) => {
      decrypts++;
      return original(...args);
    }) as typeof original;
    try {
      expectTyped(() => decodeAndOpen(bytes, tree.leaf(HOUR - 1)), TamperedEnvelope);
      expectTyped(() => decodeAndOpen(bytes, seed(0x78)), TamperedEnvelope);
      expect(decrypts).toBe(0);
      decodeAndOpen(bytes);
      expect(decrypts).toBe(1);
    } finally {
      s.crypto_aead_xchacha20poly1305_ietf_decrypt = original;
    }
  });

  it("verifyEnvelopeSignature accepts the genuine envelope and refuses a swapped signature", () => {
    const a = seal();
    const b = seal(utf8("b"));
    verifyEnvelopeSignature(a);
    expectTyped(() => verifyEnvelopeSignature({ ...a, signature: b.signature }), InvalidSignature);
  });
});

describe("sizes and nonces (T25, T26)", () => {
  it("makes every body length a padding bucket plus fixed overhead, so lengths within a bucket look alike", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), (n) => {
        const body = seal(new Uint8Array(n)).body;
        expect(isBucketSize(body.length - NONCE_BYTES - COMMIT_BYTES - 16)).toBe(true);
      }),
      { numRuns: 80 },
    );
    expect(seal(new Uint8Array(0)).body.length).toBe(seal(new Uint8Array(255)).body.length);
    expect(seal(new Uint8Array(256)).body.length).toBeGreaterThan(seal(new Uint8Array(255)).body.length);
  });

  it("draws a fresh random nonce for every seal (no repeats over 5,000 seals of the same input)", () => {
    const nonces = new Set<string>();
    const plaintext = utf8("same");
    for (let i = 0; i < 5000; i++) nonces.add(toHex(seal(plaintext).body.subarray(0, NONCE_BYTES)));
    expect(nonces.size).toBe(5000);
  });

  it("refuses at seal time a plaintext whose envelope the decoder would refuse (body over 1 MiB)", () => {
    // The largest plaintext whose padded body still fits (Padmé buckets are 16 KiB apart below 1 MiB).
    let largest = MAX_BODY_BYTES;
    while (NONCE_BYTES + COMMIT_BYTES + paddedLength(largest) + TAG_BYTES > MAX_BODY_BYTES) largest -= 1024;
    while (NONCE_BYTES + COMMIT_BYTES + paddedLength(largest + 1) + TAG_BYTES <= MAX_BODY_BYTES) largest++;
    const ok = seal(new Uint8Array(largest));
    expect(decodeEnvelope(encodeEnvelope(ok)).body.length).toBe(ok.body.length);
    expectTyped(() => seal(new Uint8Array(largest + 1)), MalformedInput);
  });
});
