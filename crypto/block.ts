// Sealing and opening blocks (clients only: libsodium). See blockCodec.ts for the layout. The key is
// derived from the node's key of the key tree (keyTree.ts blockKeys), so exactly the readers whose
// cover holds the node, or an ancestor, can open it.
import {
  BLOCK_VERSION,
  MAX_BLOCK_BODY_BYTES,
  blockSignedBytes,
  encodeBlockHeader,
  type Block,
  type BlockHeader,
  type BlockPrefix,
} from "../shared/blockCodec.js";
import { InvalidSignature } from "../shared/errors.js";
import { sha256 } from "../shared/hash.js";
import { blockKeys } from "./keyTree.js";
import { openBody, sealBody, wipeKeys } from "./sealedBody.js";
import { sodium } from "./sodium.js";

export interface BlockSealInput {
  readonly header: Omit<BlockHeader, "version">;
  readonly plaintext: Uint8Array;
  /** Key of the node the header names (level, node) in the tree of (scope, generation). */
  readonly nodeKey: Uint8Array;
  readonly authorSecretKey: Uint8Array;
}

export function sealBlock(input: BlockSealInput): Block {
  const header: BlockHeader = { ...input.header, version: BLOCK_VERSION };
  const headerBytes = encodeBlockHeader(header);
  const keys = blockKeys(input.nodeKey);
  try {
    const body = sealBody(keys, headerBytes, input.plaintext, MAX_BLOCK_BODY_BYTES, "block");
    const bodyHash = sha256(body);
    const signature = sodium().crypto_sign_detached(
      blockSignedBytes(headerBytes, body.length, bodyHash),
      input.authorSecretKey,
    );
    return { header, headerBytes, body, bodyHash, signature };
  } finally {
    wipeKeys(keys);
  }
}

/** Checks the sealing device's signature over header and seal; who may seal is the caller's policy. */
export function verifyBlockSignature(block: BlockPrefix | Block): void {
  const bodyLength = "body" in block ? block.body.length : block.bodyLength;
  if (
    !sodium().crypto_sign_verify_detached(
      block.signature,
      blockSignedBytes(block.headerBytes, bodyLength, block.bodyHash),
      block.header.authorKey,
    )
  ) {
    throw new InvalidSignature("block signature does not verify under its author key");
  }
}

/** Verifies the signature, then the commitment under the node's block key, then decrypts. */
export function openBlock(block: Block, nodeKey: Uint8Array): Uint8Array {
  verifyBlockSignature(block);
  const keys = blockKeys(nodeKey);
  try {
    return openBody(keys, block.headerBytes, block.body, "v2", "block");
  } finally {
    wipeKeys(keys);
  }
}
