// Blocks (docs/protocol.md §6A): a block opens under exactly its node's block key, and a block whose
// key, span, scope tag, generation, author or contents were swapped or altered is refused with a
// typed error before anything of it is used.
import { beforeAll, describe, expect, it } from "vitest";
import { sign } from "../../crypto/accountKeys.js";
import { openBlock, sealBlock, verifyBlockSignature } from "../../crypto/block.js";
import {
  BLOCK_PREFIX_BYTES,
  decodeBlock,
  encodeBlock,
  encodeBlockHeader,
  type Block,
  type BlockHeader,
} from "../../shared/blockCodec.js";
import { encodeSeal } from "../../shared/envelopeCodec.js";
import { utf8 } from "../../shared/bytes.js";
import { InvalidSignature, MalformedInput, OutsideGrant, TamperedEnvelope } from "../../shared/errors.js";
import { sha256 } from "../../shared/hash.js";
import { KeyTreeReader, ROOT, blockKeys, coverKeys, epochKeys } from "../../crypto/keyTree.js";
import { decodeManifest, encodeManifest, manifestHash } from "../../shared/manifest.js";
import { decodeContent, encodeContent } from "../../shared/shardContent.js";
import { loadSodium } from "../../crypto/sodium.js";
import { bytesOf, expectTyped, fixedAccount, seed } from "../shared/helpers.js";

const root = seed(0x11);
let tree: KeyTreeReader;
const author = () => fixedAccount(0xa1, 0xa2);

function header(change: Partial<BlockHeader> = {}): Omit<BlockHeader, "version"> {
  return {
    level: 5,
    patientId: bytesOf(16, 1),
    scopeTag: bytesOf(16, 2),
    generation: 1,
    node: 15_000,
    blockId: bytesOf(16, 3),
    authorKey: author().signKey,
    deviceId: bytesOf(16, 4),
    basis: 40,
    count: 0,
    manifestHash: manifestHash([]),
    ...change,
  };
}

function sealed(change: Partial<BlockHeader> = {}, plaintext = utf8("block content")): Block {
  const h = header(change);
  return sealBlock({
    header: h,
    plaintext,
    nodeKey: tree.nodeKey({ height: h.level, index: h.node }),
    authorSecretKey: author().signSecretKey,
  });
}

/** The block with its header changed and signed again by the same author: only the commitment can catch it. */
function resigned(block: Block, change: Partial<BlockHeader>): Block {
  const h = { ...block.header, ...change };
  const headerBytes = encodeBlockHeader(h);
  return {
    ...block,
    header: h,
    headerBytes,
    signature: sign("block", author().signSecretKey, headerBytes, encodeSeal(block.body.length, block.bodyHash)),
  };
}

beforeAll(async () => {
  await loadSodium();
  tree = new KeyTreeReader([{ node: ROOT, key: root }]);
});

describe("blocks", () => {
  it("open under their node's key, reached from any ancestor in a cover, and round-trip byte for byte", () => {
    const block = sealed();
    const bytes = encodeBlock(block);
    expect(encodeBlock(decodeBlock(bytes))).toEqual(bytes);
    // A grant covering hours 480 000 – 480 063 holds the level-6 node above the block's level-5 node.
    const cover = new KeyTreeReader(coverKeys(root, 480_000, 480_063));
    expect(new TextDecoder().decode(openBlock(decodeBlock(bytes), cover.nodeKey({ height: 5, index: 15_000 })))).toBe(
      "block content",
    );
    // A cover that ends inside the node has no key for it.
    expect(() => new KeyTreeReader(coverKeys(root, 480_000, 480_030)).nodeKey({ height: 5, index: 15_000 })).toThrow(
      OutsideGrant,
    );
  });

  it("are refused under another node's key, and their keys are never an envelope's or a child's", () => {
    const block = sealed();
    for (const node of [
      { height: 5, index: 15_001 },
      { height: 4, index: 30_000 },
      { height: 6, index: 7_500 },
    ]) {
      expectTyped(() => openBlock(block, tree.nodeKey(node)), TamperedEnvelope);
    }
    const nodeKey = tree.nodeKey({ height: 5, index: 15_000 });
    const asBlock = blockKeys(nodeKey);
    const asEnvelope = epochKeys(nodeKey);
    expect(asBlock.aead).not.toEqual(asEnvelope.aead);
    expect(asBlock.aead).not.toEqual(tree.nodeKey({ height: 4, index: 30_000 }));
  });

  it("moved to another span, scope tag, generation or patient are refused (signature, then commitment)", () => {
    const block = sealed();
    const changes: Partial<BlockHeader>[] = [
      { level: 6, node: 7_500 },
      { node: 15_001 },
      { scopeTag: bytesOf(16, 9) },
      { generation: 2 },
      { patientId: bytesOf(16, 8) },
      { basis: 99 },
      { manifestHash: bytesOf(32, 7) },
    ];
    for (const change of changes) {
      const moved = {
        ...block,
        header: { ...block.header, ...change },
        headerBytes: encodeBlockHeader({ ...block.header, ...change }),
      };
      expectTyped(() => verifyBlockSignature(moved), InvalidSignature);
      // Signed again by a device that holds the key of the original node: the commitment names the header.
      const again = resigned(block, change);
      const key = tree.nodeKey({ height: block.header.level, index: block.header.node });
      expectTyped(() => openBlock(again, key), TamperedEnvelope);
    }
  });

  it("whose body changed are refused: by its hash, or (rehashed) by the signature", () => {
    const bytes = encodeBlock(sealed());
    const flipped = bytes.slice();
    flipped[BLOCK_PREFIX_BYTES + 40]! ^= 1;
    expectTyped(() => decodeBlock(flipped), MalformedInput);
    const block = decodeBlock(bytes);
    const body = block.body.slice();
    body[40]! ^= 1;
    expectTyped(() => verifyBlockSignature({ ...block, body, bodyHash: sha256(body) }), InvalidSignature);
  });

  it("carry content only of their own scope and span", () => {
    const span = { scope: "glucose" as const, first: 480_000, last: 480_031 };
    const reading = { id: "c", type: "cgm" as const, time: 480_010 * 3_600_000, body: { mgdl: 99 } };
    const content = encodeContent({ readings: [reading], view: [], deleted: [], yjs: [] }, span);
    expect(decodeContent(content, span).readings).toEqual([reading]);
    expectTyped(() => decodeContent(content, { ...span, first: 480_011 }), MalformedInput);
    expectTyped(() => decodeContent(content, { ...span, scope: "insulin" }), MalformedInput);
    // A meal is an editable record: it may not pass as a packed reading.
    const events = { ...span, scope: "events" as const };
    const meal = encodeContent(
      {
        readings: [{ id: "m", type: "food", time: 480_010 * 3_600_000, body: { carbsG: 5 } }],
        view: [],
        deleted: [],
        yjs: [],
      },
      events,
    );
    expectTyped(() => decodeContent(meal, events), MalformedInput);
  });

  it("carry a manifest hash that a served manifest must match", () => {
    const entries = [
      { envelopeId: bytesOf(16, 1), link: bytesOf(32, 2) },
      { envelopeId: bytesOf(16, 3), link: bytesOf(32, 4) },
    ];
    const hash = manifestHash(entries);
    expect(decodeManifest(encodeManifest(entries), 2, hash)).toEqual(entries);
    expectTyped(() => decodeManifest(encodeManifest([entries[1]!, entries[0]!]), 2, hash), TamperedEnvelope);
    expectTyped(() => decodeManifest(encodeManifest(entries.slice(0, 1)), 2, hash), MalformedInput);
  });
});
