// What a pull serves (docs/protocol.md §6C). A patient's device is a complete reader: every row after
// its cursor, a replaced envelope as its prefix beside the level-0 block (and manifest) that holds it,
// and the blocks no newer parent block already holds. A grantee gets, for each node of its grant's
// covers, the newest block of the node and the envelopes numbered after its basis, or the same for
// the node's children down to the hours: O(log range) objects per scope, and never a byte outside
// the grant, since a block is served only inside a cover node.
import { MAX_BLOCK_LEVEL } from "../shared/blockCodec.js";
import { ENVELOPE_VERSION } from "../shared/envelopeCodec.js";
import type { GrantPolicy } from "../shared/grantCodec.js";
import { coverRange, nodeFirstHour, nodeLastHour, type TreeNode } from "../shared/hours.js";
import { type BlockStore, nodeKey } from "./blockStore.js";
import { SCAN_COLUMNS, mapKey, scanned, type EnvelopeStore, type ScanRow, type ScannedRow } from "./envelopeStore.js";
import type { ReadFilter } from "./grantRules.js";
import { blob } from "./sql.js";

/** Rows examined per patient pull before answering with a cursor. */
const SCAN_ROWS = 50_000;

export interface PullLimits {
  readonly after: number;
  readonly limit: number;
  readonly maxBytes: number;
}

export interface Plan {
  /** Rows to serve, in seq order; blocks past `cursor` only vouch for prefix-only entries. */
  readonly seqs: number[];
  /** Blocks whose manifest goes beside them. */
  readonly manifests: Set<number>;
  readonly cursor: number;
  readonly more: boolean;
}

/** A reader's own narrowing (tags, hours) against a row: an envelope's hour, a block's span. */
function rowMatches(filter: ReadFilter, row: ScannedRow): boolean {
  if (filter.tags && !filter.tags.some((t) => mapKey(t) === mapKey(row.scopeTag))) return false;
  if (filter.fromHour !== undefined && (row.lastHour ?? row.hour) < filter.fromHour) return false;
  return filter.toHour === undefined || row.hour <= filter.toHour;
}

/** The patient's own devices: everything numbered after the cursor, as the log holds it. */
export function patientPlan(store: EnvelopeStore, filter: ReadFilter, limits: PullLimits): Plan {
  const rows = [...store.scan(limits.after, SCAN_ROWS)];
  const byNode = new Map<string, ScannedRow>();
  for (const r of rows) if (r.kind === "block") byNode.set(nodeKey(r.scopeTag, r.generation, r.level!, r.hour), r);
  const seqs: number[] = [];
  const manifests = new Set<number>();
  const vouchers = new Set<number>();
  let bytes = 0;
  let cursor = limits.after;
  for (const row of rows) {
    if (rowMatches(filter, row)) {
      if (seqs.length >= limits.limit || (seqs.length > 0 && bytes + row.size > limits.maxBytes)) break;
      const parent =
        row.kind === "block" && row.level! < MAX_BLOCK_LEVEL
          ? byNode.get(
              nodeKey(row.scopeTag, row.generation, row.level! + 1, row.hour - (row.hour % 2 ** (row.level! + 1))),
            )
          : undefined;
      if (!(parent && parent.basis! >= row.basis!) || vouchers.has(row.seq)) {
        seqs.push(row.seq);
        bytes += row.size;
      }
      if (row.replacedBy !== null) {
        vouchers.add(row.replacedBy);
        manifests.add(row.replacedBy);
      }
    }
    cursor = row.seq;
  }
  // A replaced envelope's block comes in the same page, numbered past its cursor if need be.
  const all = [...new Set([...seqs, ...vouchers])].sort((a, b) => a - b);
  return { seqs: all, manifests, cursor, more: cursor < store.lastSeq() };
}

/** A grantee: blocks along its covers and the envelopes around them (module comment). */
export function granteePlan(
  sql: SqlStorage,
  blocks: BlockStore,
  policies: readonly GrantPolicy[],
  filter: ReadFilter,
  limits: PullLimits,
): Plan {
  const served = new Map<number, number>();
  const rowAt = (seq: number) =>
    scanned(sql.exec<ScanRow>(`SELECT ${SCAN_COLUMNS} FROM envelopes WHERE seq = ?`, seq).one());
  const emitEnvelopes = (rows: readonly ScannedRow[]) => {
    for (const r of rows) {
      if (r.version !== ENVELOPE_VERSION || !rowMatches(filter, r)) continue;
      // A late envelope a level-0 block has replaced since: that block (inside the node) holds it.
      if (r.replacedBy === null) served.set(r.seq, r.size);
      else if (r.replacedBy > limits.after) served.set(r.replacedBy, rowAt(r.replacedBy).size);
    }
  };
  const envelopesOf = (tag: Uint8Array, generation: number, first: number, last: number, after: number) =>
    sql
      .exec<ScanRow>(
        `SELECT ${SCAN_COLUMNS} FROM envelopes WHERE scope_tag = ? AND generation = ? AND hour BETWEEN ? AND ? AND seq > ? AND kind != 'block' ORDER BY seq`,
        blob(tag),
        generation,
        first,
        last,
        after,
      )
      .toArray()
      .map(scanned);
  const hasRows = (tag: Uint8Array, generation: number, first: number, last: number) =>
    sql
      .exec<{ found: number }>(
        "SELECT EXISTS (SELECT 1 FROM envelopes WHERE scope_tag = ? AND generation = ? AND hour BETWEEN ? AND ? AND seq > ?) AS found",
        blob(tag),
        generation,
        first,
        last,
        limits.after,
      )
      .one().found === 1;
  const serve = (tag: Uint8Array, generation: number, node: TreeNode) => {
    const first = nodeFirstHour(node);
    const last = nodeLastHour(node);
    if (
      (filter.fromHour !== undefined && last < filter.fromHour) ||
      (filter.toHour !== undefined && first > filter.toHour)
    )
      return;
    const block = node.height <= MAX_BLOCK_LEVEL ? blocks.newestServed(tag, generation, node.height, first) : null;
    if (block) {
      if (block.seq > limits.after) served.set(block.seq, block.size);
      emitEnvelopes(envelopesOf(tag, generation, first, last, Math.max(limits.after, block.basis)));
      return;
    }
    if (node.height === 0) return emitEnvelopes(envelopesOf(tag, generation, first, last, limits.after));
    for (const child of [0, 1].map((bit) => ({ height: node.height - 1, index: node.index * 2 + bit }))) {
      if (hasRows(tag, generation, nodeFirstHour(child), nodeLastHour(child))) serve(tag, generation, child);
    }
  };
  for (const policy of policies) {
    for (const entry of policy.entries) {
      if (filter.tags && !filter.tags.some((t) => mapKey(t) === mapKey(entry.scopeTag))) continue;
      for (const generation of entry.generations) {
        // Nothing new in the range (a scope without data, a returning grantee): no node to look up.
        if (!hasRows(entry.scopeTag, generation, entry.fromHour, entry.toHour)) continue;
        for (const node of coverRange(entry.fromHour, entry.toHour)) serve(entry.scopeTag, generation, node);
      }
    }
  }
  const ordered = [...served].sort(([a], [b]) => a - b);
  const seqs: number[] = [];
  let bytes = 0;
  for (const [seq, size] of ordered) {
    if (seqs.length >= limits.limit || (seqs.length > 0 && bytes + size > limits.maxBytes)) break;
    seqs.push(seq);
    bytes += size;
  }
  // The cursor moves only with what the grantee may see: it cannot learn when the patient writes in
  // scopes or hours it was not granted.
  const whole = seqs.length === ordered.length;
  return { seqs, manifests: new Set(), cursor: seqs.at(-1) ?? limits.after, more: !whole };
}
