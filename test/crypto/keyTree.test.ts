// The GGM tree and the dyadic cover: the construction every grant's confidentiality rests on (T21).
import { blake2b } from "@noble/hashes/blake2.js";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { concat, toHex, utf8 } from "../../shared/bytes.js";
import { MalformedInput, OutsideGrant } from "../../shared/errors.js";
import {
  HOUR_LIMIT,
  KeyTreeReader,
  MAX_COVER_NODES,
  ROOT,
  TREE_DEPTH,
  coverKeys,
  coverRange,
  descend,
  epochKeys,
  nodeFirstHour,
  nodeLastHour,
  type CoverKey,
  type TreeNode,
} from "../../crypto/keyTree.js";
import { loadSodium, sodium } from "../../crypto/sodium.js";
import { expectTyped, seed } from "../shared/helpers.js";

beforeAll(async () => {
  await loadSodium();
});

const hour = fc.integer({ min: 0, max: HOUR_LIMIT - 1 });
const range = fc.tuple(hour, hour).map(([x, y]) => (x <= y ? [x, y] : [y, x]) as [number, number]);
/** Short ranges near a random point, where boundary mistakes show up most. */
const shortRange = fc
  .tuple(hour, fc.integer({ min: 0, max: 5000 }))
  .map(([a, n]) => [a, Math.min(a + n, HOUR_LIMIT - 1)] as [number, number]);
const anyRange = fc.oneof(range, shortRange);

/**
 * Independent re-implementation (noble's BLAKE2b, not libsodium) of crypto_kdf_derive_from_key as the libsodium docs define it:
 * BLAKE2b(key = parent, message = {}, salt = LE64(id) ‖ 0^8, personal = ctx ‖ 0^8). If either side
 * drifts (context, id encoding, key length), these tests fail.
 */
function kdfReference(id: number, ctx: string, key: Uint8Array): Uint8Array {
  const salt = new Uint8Array(16);
  new DataView(salt.buffer).setBigUint64(0, BigInt(id), true);
  const personal = concat(utf8(ctx), new Uint8Array(8));
  return blake2b(new Uint8Array(0), { dkLen: 32, key, salt, personalization: personal });
}

function referenceNodeKey(root: Uint8Array, node: TreeNode): Uint8Array {
  let key = root;
  for (let j = TREE_DEPTH - node.height - 1; j >= 0; j--)
    key = kdfReference(Math.floor(node.index / 2 ** j) % 2, "STWggm01", key);
  return key;
}

describe("dyadic cover", () => {
  it("reproduces the worked example: cover(3, 12) = leaf 3, block 4–7, block 8–11, leaf 12", () => {
    expect(coverRange(3, 12)).toEqual([
      { height: 0, index: 3 },
      { height: 2, index: 1 },
      { height: 2, index: 2 },
      { height: 0, index: 12 },
    ]);
  });

  it("has the same shape at the top of the depth-21 tree (mirror of the worked example)", () => {
    // Leaves 3·2^17 … 13·2^17 − 1 at depth 21 behave like leaves 3 … 12 at depth 4, one level up 17.
    const u = 2 ** 17;
    expect(coverRange(3 * u, 13 * u - 1)).toEqual([
      { height: 17, index: 3 },
      { height: 19, index: 1 },
      { height: 19, index: 2 },
      { height: 17, index: 12 },
    ]);
  });

  it("covers the whole tree with the root and one hour with its leaf", () => {
    expect(coverRange(0, HOUR_LIMIT - 1)).toEqual([ROOT]);
    expect(coverRange(477_000, 477_000)).toEqual([{ height: 0, index: 477_000 }]);
  });

  it("reaches exactly the 2·21 − 2 = 40 worst case on [1, 2^21 − 2]", () => {
    expect(MAX_COVER_NODES).toBe(40);
    expect(coverRange(1, HOUR_LIMIT - 2)).toHaveLength(40);
  });

  it("refuses empty, negative, fractional and out-of-tree ranges", () => {
    for (const [a, b] of [
      [5, 4],
      [-1, 3],
      [0, HOUR_LIMIT],
      [1.5, 3],
      [Number.NaN, 2],
    ] as [number, number][]) {
      expectTyped(() => coverRange(a, b), MalformedInput);
    }
  });

  it("is exact, disjoint, aligned, maximal (hence minimal) and at most 40 nodes, for any range", () => {
    fc.assert(
      fc.property(anyRange, ([a, b]) => {
        const nodes = coverRange(a, b);
        expect(nodes.length).toBeLessThanOrEqual(MAX_COVER_NODES);
        // Exact and disjoint: the blocks tile [a, b] left to right with no gap or overlap.
        let next = a;
        for (const node of nodes) {
          expect(node.height).toBeGreaterThanOrEqual(0);
          expect(node.height).toBeLessThanOrEqual(TREE_DEPTH);
          expect(Number.isInteger(node.index)).toBe(true);
          expect(nodeFirstHour(node)).toBe(next);
          next = nodeLastHour(node) + 1;
        }
        expect(next).toBe(b + 1);
        // Maximal: no node's parent fits inside [a, b]. With exactness this makes the cover the
        // unique minimal one (any mergeable pair would have a parent inside the range).
        for (const node of nodes) {
          if (node.height === TREE_DEPTH) continue;
          const parent = { height: node.height + 1, index: Math.floor(node.index / 2) };
          expect(nodeFirstHour(parent) >= a && nodeLastHour(parent) <= b).toBe(false);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("GGM derivation", () => {
  it('derives children as crypto_kdf_derive_from_key(32, bit, "STWggm01", parent), checked against BLAKE2b directly', () => {
    const root = seed(0x11);
    const reader = new KeyTreeReader([{ node: ROOT, key: root }]);
    for (const node of [
      { height: 20, index: 0 },
      { height: 20, index: 1 },
      { height: 0, index: 0 },
      { height: 0, index: HOUR_LIMIT - 1 },
      { height: 0, index: 490_000 },
      { height: 7, index: 3_829 },
    ]) {
      expect(toHex(reader.nodeKey(node))).toBe(toHex(referenceNodeKey(root, node)));
    }
  });

  it('derives epoch usage keys with context "STWepoch", ids 1 (aead) and 2 (commit), distinct from the leaf', () => {
    const leaf = seed(0x22);
    const keys = epochKeys(leaf);
    expect(toHex(keys.aead)).toBe(toHex(kdfReference(1, "STWepoch", leaf)));
    expect(toHex(keys.commit)).toBe(toHex(kdfReference(2, "STWepoch", leaf)));
    expect(toHex(keys.aead)).not.toBe(toHex(keys.commit));
    expect(toHex(keys.aead)).not.toBe(toHex(leaf));
  });

  it("gives every hour of a cover the same leaf key as derivation from the root, and no hour outside", async () => {
    const root = sodium().randombytes_buf(32);
    const full = new KeyTreeReader([{ node: ROOT, key: root }]);
    fc.assert(
      fc.property(anyRange, fc.array(hour, { maxLength: 8 }), ([a, b], probes) => {
        const grant = new KeyTreeReader(coverKeys(root, a, b));
        const inside = [a, b, Math.floor((a + b) / 2), ...probes.filter((h) => h >= a && h <= b)];
        if (a < b) inside.push(a + 1, b - 1);
        for (const h of inside) {
          expect(grant.covers(h)).toBe(true);
          expect(toHex(grant.leaf(h))).toBe(toHex(full.leaf(h)));
        }
        const outside = [a - 1, b + 1, ...probes.filter((h) => h < a || h > b)].filter((h) => h >= 0 && h < HOUR_LIMIT);
        for (const h of outside) {
          expect(grant.covers(h)).toBe(false);
          expectTyped(() => grant.leaf(h), OutsideGrant);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("walks every hour of a short range exactly (exhaustive, not sampled)", () => {
    const root = seed(0x33);
    const full = new KeyTreeReader([{ node: ROOT, key: root }]);
    const [a, b] = [1_000_003, 1_000_300];
    const grant = new KeyTreeReader(coverKeys(root, a, b));
    for (let h = a - 40; h <= b + 40; h++) {
      if (h < a || h > b) expectTyped(() => grant.leaf(h), OutsideGrant);
      else expect(toHex(grant.leaf(h))).toBe(toHex(full.leaf(h)));
    }
  });

  it("never hands out a node that spills outside the range: each cover node's parent is underivable", () => {
    fc.assert(
      fc.property(anyRange, ([a, b]) => {
        const cover = coverKeys(seed(0x44), a, b);
        const grant = new KeyTreeReader(cover);
        for (const { node } of cover) {
          if (node.height === TREE_DEPTH) continue;
          expectTyped(
            () => grant.nodeKey({ height: node.height + 1, index: Math.floor(node.index / 2) }),
            OutsideGrant,
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  it("gives two disjoint grants together exactly their union (no span between them: collusion-safe)", () => {
    const root = sodium().randombytes_buf(32);
    const full = new KeyTreeReader([{ node: ROOT, key: root }]);
    fc.assert(
      fc.property(
        fc.uniqueArray(hour, { minLength: 4, maxLength: 4 }),
        fc.array(hour, { maxLength: 10 }),
        (points, probes) => {
          const [a1, b1, a2, b2] = points.sort((x, y) => x - y) as [number, number, number, number];
          const union: CoverKey[] = [...coverKeys(root, a1, b1), ...coverKeys(root, a2, b2)];
          const colluders = new KeyTreeReader(union);
          const inUnion = (h: number) => (h >= a1 && h <= b1) || (h >= a2 && h <= b2);
          const gap = [b1 + 1, a2 - 1, Math.floor((b1 + a2) / 2)].filter((h) => h > b1 && h < a2);
          for (const h of [...gap, a1 - 1, b2 + 1, ...probes].filter((x) => x >= 0 && x < HOUR_LIMIT)) {
            if (inUnion(h)) expect(toHex(colluders.leaf(h))).toBe(toHex(full.leaf(h)));
            else expectTyped(() => colluders.leaf(h), OutsideGrant);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("fails closed for hours outside the tree and for descents that are not below the start node", () => {
    const reader = new KeyTreeReader([{ node: ROOT, key: seed(1) }]);
    for (const h of [-1, HOUR_LIMIT, 0.5, Number.NaN]) expectTyped(() => reader.leaf(h), OutsideGrant);
    expectTyped(() => descend(seed(1), { height: 3, index: 0 }, { height: 0, index: 8 }), OutsideGrant);
    expectTyped(() => descend(seed(1), { height: 3, index: 0 }, { height: 4, index: 0 }), OutsideGrant);
    expect(toHex(descend(seed(1), ROOT, { height: 0, index: 5 }))).toBe(toHex(reader.leaf(5)));
  });

  it("makes independent roots give unrelated leaves (the tree's identity lives in the root)", () => {
    const a = new KeyTreeReader([{ node: ROOT, key: seed(1) }]);
    const b = new KeyTreeReader([{ node: ROOT, key: seed(2) }]);
    expect(toHex(a.leaf(100))).not.toBe(toHex(b.leaf(100)));
    expect(toHex(a.leaf(100))).not.toBe(toHex(a.leaf(101)));
  });

  it("wipe() zeroes cached inner keys but leaves the caller's node keys alone", () => {
    const root = seed(0x55);
    const reader = new KeyTreeReader([{ node: ROOT, key: root }]);
    const leaf = reader.leaf(12);
    reader.wipe();
    expect(leaf.every((x) => x === 0)).toBe(true);
    expect(root.every((x) => x === 0x55)).toBe(true);
    // Still usable afterwards: derivation restarts from the node keys.
    expect(toHex(reader.leaf(12))).toBe(toHex(referenceNodeKey(seed(0x55), { height: 0, index: 12 })));
  });
});
