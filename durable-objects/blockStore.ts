// Blocks on the server (docs/protocol.md §6A): a block is stored only when its signed manifest is
// exactly the envelopes this log holds for its span up to its basis, so a block never stands for
// less than it claims. A level-0 block then replaces those envelopes' bodies in the same transaction
// (their prefixes stay, so device chains stay verifiable); a newer block of the same node supersedes
// the older one. Synchronous SQL, inside the upload's transactionSync.
import { toHex } from "../shared/bytes.js";
import { blockSpan, type Block } from "../shared/blockCodec.js";
import { PREFIX_BYTES } from "../shared/envelopeCodec.js";
import { encodeManifest, manifestHash, type ManifestEntry } from "../shared/manifest.js";
import { type EnvelopeStore, mapKey } from "./envelopeStore.js";
import { Refusal } from "./outcome.js";
import { blob, bytesOf } from "./sql.js";

export interface BlockRow {
  readonly seq: number;
  readonly basis: number;
  /** Bytes the row takes in a page. */
  readonly size: number;
}

/** Nodes whose newest block a pull remembers, at most; past it the memory starts over. */
const KNOWN_NODES = 50_000;

export class BlockStore {
  /**
   * The newest block of each node (or none) as pulls last read it: a grantee's pull looks up every
   * node of its covers, and most of them change rarely. accept() forgets a node it changes, after
   * changing it, so a rolled-back upload leaves nothing stale behind.
   */
  private readonly known = new Map<string, BlockRow | null>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly envelopes: EnvelopeStore,
  ) {}

  /** The envelopes a block of this span and basis must hold, in server order. */
  manifest(scopeTag: Uint8Array, generation: number, first: number, last: number, basis: number): ManifestEntry[] {
    return this.sql
      .exec<{ envelope_id: ArrayBuffer; link: ArrayBuffer }>(
        "SELECT envelope_id, link FROM envelopes WHERE scope_tag = ? AND generation = ? AND hour BETWEEN ? AND ? AND kind != 'block' AND seq <= ? ORDER BY seq",
        blob(scopeTag),
        generation,
        first,
        last,
        basis,
      )
      .toArray()
      .map((r) => ({ envelopeId: bytesOf(r.envelope_id), link: bytesOf(r.link) }));
  }

  /** The manifest of a stored level-0 block, encoded for a page. */
  encodedManifest(seq: number): Uint8Array {
    const row = this.sql
      .exec<{ scope_tag: ArrayBuffer; generation: number; hour: number; last_hour: number; basis: number }>(
        "SELECT scope_tag, generation, hour, last_hour, basis FROM envelopes WHERE seq = ?",
        seq,
      )
      .one();
    return encodeManifest(this.manifest(bytesOf(row.scope_tag), row.generation, row.hour, row.last_hour, row.basis));
  }

  /** The newest block of one node, or null. */
  newest(scopeTag: Uint8Array, generation: number, level: number, firstHour: number): BlockRow | null {
    return (
      this.sql
        .exec<{ seq: number; basis: number; size: number }>(
          "SELECT seq, basis, size FROM envelopes WHERE kind = 'block' AND scope_tag = ? AND generation = ? AND level = ? AND hour = ? ORDER BY basis DESC LIMIT 1",
          blob(scopeTag),
          generation,
          level,
          firstHour,
        )
        .toArray()[0] ?? null
    );
  }

  /** newest(), remembered between pulls (see `known`). */
  newestServed(scopeTag: Uint8Array, generation: number, level: number, firstHour: number): BlockRow | null {
    const key = nodeKey(scopeTag, generation, level, firstHour);
    let row = this.known.get(key);
    if (row === undefined) {
      row = this.newest(scopeTag, generation, level, firstHour);
      if (this.known.size >= KNOWN_NODES) this.known.clear();
      this.known.set(key, row);
    }
    return row;
  }

  /** Checks a block the caller verified (signature, author) against the log, and queues it; returns its seq. */
  accept(block: Block, bytes: Uint8Array): number {
    const h = block.header;
    const { first, last } = blockSpan(h);
    const seq = this.envelopes.nextSeq();
    if (h.basis >= seq)
      throw new Refusal(
        "conflict",
        `block ${toHex(h.blockId)} claims envelopes up to ${h.basis}, past what this log holds`,
      );
    const held = this.manifest(h.scopeTag, h.generation, first, last, h.basis);
    if (held.length !== h.count || toHex(manifestHash(held)) !== toHex(h.manifestHash)) {
      throw new Refusal(
        "conflict",
        `block ${toHex(h.blockId)} does not hold exactly the envelopes stored for hours ${first}–${last} up to ${h.basis}: pull and seal it again`,
      );
    }
    const newest = this.newest(h.scopeTag, h.generation, h.level, first);
    if (newest && newest.basis >= h.basis)
      throw new Refusal("conflict", `a block holding hours ${first}–${last} up to ${newest.basis} is stored already`);
    if (newest) {
      this.sql.exec(
        "DELETE FROM envelopes WHERE kind = 'block' AND scope_tag = ? AND generation = ? AND level = ? AND hour = ?",
        blob(h.scopeTag),
        h.generation,
        h.level,
        first,
      );
      this.sql.exec("UPDATE envelopes SET replaced_by = ? WHERE replaced_by = ?", seq, newest.seq);
    }
    // Every envelope the level-0 block lists is replaced by it, v1 prefixes a v1 compaction left included.
    if (h.level === 0) {
      this.sql.exec(
        "UPDATE envelopes SET body = NULL, size = ?, replaced_by = ? WHERE scope_tag = ? AND generation = ? AND hour = ? AND kind != 'block' AND seq <= ?",
        PREFIX_BYTES,
        seq,
        blob(h.scopeTag),
        h.generation,
        first,
        h.basis,
      );
    }
    const appended = this.envelopes.appendBlock(block, bytes);
    this.known.delete(nodeKey(h.scopeTag, h.generation, h.level, first));
    return appended;
  }
}

/** One key-tree node of one scope and generation, as a map key. */
export function nodeKey(scopeTag: Uint8Array, generation: number, level: number, firstHour: number): string {
  return `${mapKey(scopeTag)}:${generation}:${level}:${firstHour}`;
}
