// Hour epochs: data time cut into hours since the Unix epoch, the leaves of every key tree, and the
// tree's nodes and covers. Pure, so the server can validate ranges and walk covers without libsodium.
import { MalformedInput } from "./errors.js";

/** 2^21 hours reach past the year 2200. */
export const TREE_DEPTH = 21;
export const HOUR_LIMIT = 2 ** TREE_DEPTH;

export function checkHourRange(from: number, to: number): void {
  for (const hour of [from, to]) {
    if (!Number.isInteger(hour) || hour < 0 || hour >= HOUR_LIMIT)
      throw new MalformedInput(`hour ${hour} is outside the key tree (0 to ${HOUR_LIMIT - 1})`);
  }
  if (from > to) throw new MalformedInput(`hour range is empty: ${from} > ${to}`);
}

/** A node at `height` with `index` covers hours [index·2^height, (index+1)·2^height − 1]. */
export interface TreeNode {
  readonly height: number;
  readonly index: number;
}

/** Minimal dyadic cover of [from, to], both inclusive, left to right. */
export function coverRange(from: number, to: number): TreeNode[] {
  checkHourRange(from, to);
  const nodes: TreeNode[] = [];
  let start = from;
  while (start <= to) {
    let height = 0;
    // Grow the block while it stays aligned at `start` and inside the range.
    while (height < TREE_DEPTH && start % 2 ** (height + 1) === 0 && start + 2 ** (height + 1) - 1 <= to) height++;
    nodes.push({ height, index: start / 2 ** height });
    start += 2 ** height;
  }
  return nodes;
}

export function nodeFirstHour(node: TreeNode): number {
  return node.index * 2 ** node.height;
}

export function nodeLastHour(node: TreeNode): number {
  return (node.index + 1) * 2 ** node.height - 1;
}

export function nodeContains(node: TreeNode, hour: number): boolean {
  return Math.floor(hour / 2 ** node.height) === node.index;
}
