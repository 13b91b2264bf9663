// The GGM key tree over hour epochs. One random 32-byte root per (patient, scope, generation);
// a child key is crypto_kdf_derive_from_key(32, bit, "STWggm01", parent); the leaf at height 0 is the
// key of one hour. A grant for hours [a, b] hands out the minimal dyadic cover of [a, b]: node keys
// whose subtrees lie entirely inside the range, so no combination of grants reaches past their union.
import { OutsideGrant } from "../shared/errors.js";
import {
  HOUR_LIMIT,
  TREE_DEPTH,
  coverRange,
  nodeContains,
  nodeFirstHour,
  nodeLastHour,
  type TreeNode,
} from "../shared/hours.js";
import { sodium } from "./sodium.js";

export {
  HOUR_LIMIT,
  TREE_DEPTH,
  checkHourRange,
  coverRange,
  nodeContains,
  nodeFirstHour,
  nodeLastHour,
  type TreeNode,
} from "../shared/hours.js";
/** Worst case of the greedy dyadic cover: 2·D − 2 nodes. */
export const MAX_COVER_NODES = 2 * TREE_DEPTH - 2;
export const KEY_BYTES = 32;

export interface CoverKey {
  readonly node: TreeNode;
  readonly key: Uint8Array;
}

const NODE_CONTEXT = "STWggm01";
const EPOCH_CONTEXT = "STWepoch";
const BLOCK_CONTEXT = "STWblock";

function child(parent: Uint8Array, bit: number): Uint8Array {
  return sodium().crypto_kdf_derive_from_key(KEY_BYTES, bit, NODE_CONTEXT, parent);
}

/** Descends from `fromKey` at node `from` to the descendant `to` (which must lie under it). */
export function descend(fromKey: Uint8Array, from: TreeNode, to: TreeNode): Uint8Array {
  if (to.height > from.height || Math.floor(to.index / 2 ** (from.height - to.height)) !== from.index) {
    throw new OutsideGrant(`node (${to.height}, ${to.index}) is not below (${from.height}, ${from.index})`);
  }
  let key = fromKey;
  for (let h = from.height - 1; h >= to.height; h--) key = child(key, Math.floor(to.index / 2 ** (h - to.height)) % 2);
  return key;
}

export const ROOT: TreeNode = { height: TREE_DEPTH, index: 0 };

export function newRoot(): Uint8Array {
  return sodium().randombytes_buf(KEY_BYTES);
}

/** The node keys a grant for [from, to] carries, derived from the tree's root. */
export function coverKeys(root: Uint8Array, from: number, to: number): CoverKey[] {
  const reader = new KeyTreeReader([{ node: ROOT, key: root }]);
  return coverRange(from, to).map((node) => ({ node, key: reader.nodeKey(node) }));
}

/**
 * Derives leaf (hour) keys from a set of node keys (a whole tree's root, or a grant's cover),
 * caching inner nodes so walking consecutive hours costs about one derivation each.
 * Fails closed: an hour under none of the nodes raises OutsideGrant.
 */
export class KeyTreeReader {
  private readonly cache = new Map<string, Uint8Array>();

  constructor(private readonly nodes: readonly CoverKey[]) {}

  covers(hour: number): boolean {
    return this.nodes.some((n) => nodeContains(n.node, hour));
  }

  nodeKey(target: TreeNode): Uint8Array {
    const owner = this.nodes.find(
      (n) =>
        n.node.height >= target.height &&
        Math.floor(target.index / 2 ** (n.node.height - target.height)) === n.node.index,
    );
    if (!owner) throw new OutsideGrant(`no key covers hours ${nodeFirstHour(target)}–${nodeLastHour(target)}`);
    // Walk down from the owner, reusing cached ancestors.
    let key = owner.key;
    for (let h = owner.node.height - 1; h >= target.height; h--) {
      const index = Math.floor(target.index / 2 ** (h - target.height));
      const id = `${h}:${index}`;
      let next = this.cache.get(id);
      if (!next) {
        next = child(key, index % 2);
        this.cache.set(id, next);
      }
      key = next;
    }
    return key;
  }

  leaf(hour: number): Uint8Array {
    if (!Number.isInteger(hour) || hour < 0 || hour >= HOUR_LIMIT)
      throw new OutsideGrant(`hour ${hour} is outside the key tree`);
    return this.nodeKey({ height: 0, index: hour });
  }

  /** Zeroes every derived key this reader cached (the caller owns the node keys it passed in). */
  wipe(): void {
    for (const key of this.cache.values()) sodium().memzero(key);
    this.cache.clear();
  }
}

/** The XChaCha20-Poly1305 key and the commitment key of one object (sealedBody.ts). */
export interface EpochKeys {
  readonly aead: Uint8Array;
  readonly commit: Uint8Array;
}

function usageKeys(context: string, key: Uint8Array): EpochKeys {
  const s = sodium();
  return {
    aead: s.crypto_kdf_derive_from_key(KEY_BYTES, 1, context, key),
    commit: s.crypto_kdf_derive_from_key(KEY_BYTES, 2, context, key),
  };
}

/** Usage keys of one hour's envelopes; the leaf itself is never used directly. */
export function epochKeys(leaf: Uint8Array): EpochKeys {
  return usageKeys(EPOCH_CONTEXT, leaf);
}

/**
 * Usage keys of the block sealed for a node (any height, the leaf included), under their own
 * context: a block key is never an envelope key or a child node key, whatever the height.
 */
export function blockKeys(nodeKey: Uint8Array): EpochKeys {
  return usageKeys(BLOCK_CONTEXT, nodeKey);
}
