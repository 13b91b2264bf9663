// Opening hour envelopes and blocks with a device's keys, into their content. What arrives from the
// network is checked in full (signature, author, commitment, decryption, content); what this device
// stored after checking it is opened without the signature again (the commitment and the AEAD still
// authenticate it under its key), which is most of what a stored object costs to open.
import { bytesEqual } from "../../shared/bytes.js";
import { openBlock, verifyBlockSignature } from "../../crypto/block.js";
import { blockSpan, type Block } from "../../shared/blockCodec.js";
import { openEnvelope, verifyEnvelopeSignature } from "../../crypto/envelope.js";
import type { Envelope } from "../../shared/envelopeCodec.js";
import { InvalidSignature, RevokedAuthor, UnknownAuthor } from "../../shared/errors.js";
import { blockKeys, epochKeys } from "../../crypto/keyTree.js";
import type { Scope } from "../../shared/records.js";
import { openBody, wipeKeys } from "../../crypto/sealedBody.js";
import { decodeContent, type ShardContent } from "../../shared/shardContent.js";
import type { KeySource } from "../keySource.js";
import { mayAuthor } from "../sync/authorPolicy.js";

/** How much to check: everything (from the network), or only what the AEAD checks (stored here after a full check). */
export type Trust = "network" | "stored";

function withKey(key: () => Uint8Array, verify: () => void): Uint8Array {
  try {
    return key();
  } catch (error) {
    // A header the server altered is reported as tampering, not as a missing key.
    verify();
    throw error;
  }
}

export function openEnvelopeContent(keys: KeySource, envelope: Envelope, scope: Scope, trust: Trust): ShardContent {
  const { header } = envelope;
  if (!bytesEqual(header.patientId, keys.patientId))
    throw new InvalidSignature("the server sent an envelope of another patient");
  const standing = trust === "network" ? mayAuthor(keys, { kind: "envelope", scope, header }) : "allowed";
  if (standing !== "allowed") {
    verifyEnvelopeSignature(envelope);
    if (standing === "revoked")
      throw new RevokedAuthor(
        `an envelope in ${scope} was signed after its author's access ended (a removed device, or a revoked writer)`,
      );
    throw new UnknownAuthor(`an envelope in ${scope} is signed by a key that may not write there`);
  }
  const leaf = withKey(
    () => keys.leaf(scope, header.generation, header.hour),
    () => verifyEnvelopeSignature(envelope),
  );
  let plaintext: Uint8Array;
  if (trust === "network") plaintext = openEnvelope(envelope, leaf);
  else {
    const usage = epochKeys(leaf);
    try {
      plaintext = openBody(usage, envelope.headerBytes, envelope.body, "v2", "envelope");
    } finally {
      wipeKeys(usage);
    }
  }
  return decodeContent(plaintext, { scope, first: header.hour, last: header.hour });
}

/** `seq`: the number the log gave the block (a removed device's blocks count only up to its removal). */
export function openBlockContent(keys: KeySource, block: Block, scope: Scope, trust: Trust, seq = 0): ShardContent {
  const { header } = block;
  if (!bytesEqual(header.patientId, keys.patientId))
    throw new InvalidSignature("the server sent a block of another patient");
  const standing = trust === "network" ? mayAuthor(keys, { kind: "block", header, seq }) : "allowed";
  if (standing !== "allowed") {
    verifyBlockSignature(block);
    if (standing === "revoked")
      throw new RevokedAuthor(`a block of ${scope} was sealed by a device after it was removed from the account`);
    throw new UnknownAuthor(`a block of ${scope} is sealed by a key that is not one of the patient's devices`);
  }
  const nodeKey = withKey(
    () => keys.nodeKey(scope, header.generation, { height: header.level, index: header.node }),
    () => verifyBlockSignature(block),
  );
  let plaintext: Uint8Array;
  if (trust === "network") plaintext = openBlock(block, nodeKey);
  else {
    const usage = blockKeys(nodeKey);
    try {
      plaintext = openBody(usage, block.headerBytes, block.body, "v2", "block");
    } finally {
      wipeKeys(usage);
    }
  }
  return decodeContent(plaintext, { scope, ...blockSpan(header) });
}
