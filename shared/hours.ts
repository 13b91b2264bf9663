// Hour epochs: data time cut into hours since the Unix epoch, the leaves of every key tree. Pure, so
// the server can validate ranges without loading libsodium.
import { MalformedInput } from "./errors.js";

/** 2^21 hours reach past the year 2200. */
export const TREE_DEPTH = 21;
export const HOUR_LIMIT = 2 ** TREE_DEPTH;

export function checkHourRange(from: number, to: number): void {
  for (const hour of [from, to]) {
    if (!Number.isInteger(hour) || hour < 0 || hour >= HOUR_LIMIT) throw new MalformedInput(`hour ${hour} is outside the key tree (0 to ${HOUR_LIMIT - 1})`);
  }
  if (from > to) throw new MalformedInput(`hour range is empty: ${from} > ${to}`);
}
