// Sealing and opening hour envelopes (clients only: libsodium). See envelopeCodec.ts for the layout.
import {
  ENVELOPE_VERSION,
  LEGACY_ENVELOPE_VERSION,
  MAX_BODY_BYTES,
  encodeHeader,
  envelopeSignedBytes,
  type Envelope,
  type EnvelopeHeader,
} from "../shared/envelopeCodec.js";
import { InvalidSignature } from "../shared/errors.js";
import { sha256 } from "../shared/hash.js";
import { epochKeys } from "./keyTree.js";
import { openBody, sealBody, wipeKeys } from "./sealedBody.js";
import { sodium } from "./sodium.js";

export interface SealInput {
  readonly header: Omit<EnvelopeHeader, "version">;
  readonly plaintext: Uint8Array;
  /** Leaf key of (scope, generation, hour) named in the header. */
  readonly leaf: Uint8Array;
  /** Ed25519 secret key matching header.authorKey. */
  readonly authorSecretKey: Uint8Array;
}

export function sealEnvelope(input: SealInput): Envelope {
  const header: EnvelopeHeader = { ...input.header, version: ENVELOPE_VERSION };
  const headerBytes = encodeHeader(header);
  const keys = epochKeys(input.leaf);
  try {
    const body = sealBody(keys, headerBytes, input.plaintext, MAX_BODY_BYTES, "envelope");
    const bodyHash = sha256(body);
    const signature = sodium().crypto_sign_detached(
      envelopeSignedBytes(headerBytes, body.length, bodyHash),
      input.authorSecretKey,
    );
    return { header, headerBytes, body, bodyHash, signature };
  } finally {
    wipeKeys(keys);
  }
}

/** Checks the author's signature over header and body; who may author is the caller's policy. */
export function verifyEnvelopeSignature(envelope: Envelope): void {
  const signed = envelopeSignedBytes(envelope.headerBytes, envelope.body.length, envelope.bodyHash);
  if (!sodium().crypto_sign_verify_detached(envelope.signature, signed, envelope.header.authorKey)) {
    throw new InvalidSignature("envelope signature does not verify under its author key");
  }
}

/**
 * Verifies the signature, then the key commitment, then decrypts. One key, picked from the
 * authenticated header, is ever tried: no trial decryption across keys (partitioning oracles).
 */
export function openEnvelope(envelope: Envelope, leaf: Uint8Array): Uint8Array {
  verifyEnvelopeSignature(envelope);
  const keys = epochKeys(leaf);
  try {
    return openBody(
      keys,
      envelope.headerBytes,
      envelope.body,
      envelope.header.version === LEGACY_ENVELOPE_VERSION ? "v1" : "v2",
      "envelope",
    );
  } finally {
    wipeKeys(keys);
  }
}
