// Blocks along the key tree, on the patient's devices (docs/protocol.md §6A). Once every hour of a
// node is over, the device seals the node's data of each scope and generation into one block under a
// key derived from the node's key, bottom-up, levels 0 to 13; readers whose grant covers the node
// then open one block instead of its hours. A level-0 block replaces the envelopes it lists (their
// bodies go, their prefixes stay); higher levels replace nothing, they only stand for their span.
import { fromHex, toHex } from "../../shared/bytes.js";
import { sealBlock } from "../../crypto/block.js";
import {
  MAX_BLOCK_BODY_BYTES,
  MAX_BLOCK_LEVEL,
  blockSpan,
  decodeBlockPrefix,
  encodeBlock,
  type BlockHeader,
} from "../../shared/blockCodec.js";
import { PREFIX_BYTES } from "../../shared/envelopeCodec.js";
import { MalformedInput } from "../../shared/errors.js";
import { manifestHash } from "../../shared/manifest.js";
import { encodeContent, type ShardContent } from "../../shared/shardContent.js";
import { hourOf, type Scope } from "../../shared/records.js";
import type { KeySource } from "../keySource.js";
import type { StewardDatabase, StoredBlock, StoredEnvelope } from "./database.js";
import { mergeForBlock, type BlockSource } from "./merge.js";
import type { Author } from "./outbox.js";

/** A node is closed once its last hour ended this many hours ago: late backfill stays an envelope. */
export const CLOSE_AFTER_HOURS = 2;
/** A block is sealed again once this many envelopes arrived after its basis, or an eighth of those it holds. */
export const RESEAL_LATE_ENVELOPES = 8;

interface SealingState {
  /** Envelopes numbered up to here have marked their nodes. */
  after: number;
  /** Nodes that may need a (new) block: "tag:generation:level:node". */
  dirty: string[];
}

/** What compaction needs from the store: the content of rows it holds. */
export interface ContentSource {
  envelopeContent(row: StoredEnvelope, scope: Scope): ShardContent;
  blockContent(row: StoredBlock, scope: Scope): ShardContent;
  /** Whole v1 envelopes as one v2 content, a Yjs state per hour (client/store/migration.ts). */
  legacyContent(rows: readonly StoredEnvelope[], scope: Scope): ShardContent;
}

/** A row of a v1 log (read only to migrate it): it has no `whole`. */
export function isLegacy(row: StoredEnvelope): boolean {
  return row.whole === undefined;
}

function nodeId(tag: string, generation: number, level: number, node: number): string {
  return `${tag}:${generation}:${level}:${node}`;
}

/** Envelopes and blocks of one (tag, generation), read once per run. */
interface Span {
  /** Sorted by hour, then seq. */
  readonly envelopes: StoredEnvelope[];
  /** The newest block of each node this device holds. */
  readonly blocks: Map<string, StoredBlock>;
}

/** The envelopes of hours [first, last]: found by binary search, so a run costs its spans' sizes, not nodes × rows. */
function envelopesIn(span: Span, first: number, last: number): StoredEnvelope[] {
  const start = (hour: number) => {
    let low = 0;
    let high = span.envelopes.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (span.envelopes[mid]!.hour < hour) low = mid + 1;
      else high = mid;
    }
    return low;
  };
  return span.envelopes.slice(start(first), start(last + 1));
}

/** The blocks this device holds of the nodes below `n` (levels under it, inside its span). */
function blocksBelow(span: Span, n: { tag: string; generation: number; level: number; node: number }): StoredBlock[] {
  const out: StoredBlock[] = [];
  for (let level = n.level - 1; level >= 0; level--) {
    const width = 2 ** (n.level - level);
    for (let node = n.node * width; node < (n.node + 1) * width; node++) {
      const b = span.blocks.get(nodeId(n.tag, n.generation, level, node));
      if (b) out.push(b);
    }
  }
  return out;
}

/** The part of a content that lies in hours [first, last]. */
function restrict(content: ShardContent, first: number, last: number): ShardContent {
  const inside = (hour: number) => hour >= first && hour <= last;
  return {
    readings: content.readings.filter((r) => inside(hourOf(r))),
    view: content.view.filter((r) => inside(hourOf(r))),
    deleted: content.deleted.filter((d) => inside(d.hour)),
    yjs: content.yjs.filter((u) => inside(u.hour)),
  };
}

export class Compaction {
  private readonly stateKey: string;

  constructor(
    private readonly db: StewardDatabase,
    private readonly keys: KeySource,
    private readonly author: Author,
    private readonly patient: string,
    private readonly contents: ContentSource,
  ) {
    this.stateKey = `sealing:${patient}`;
  }

  /**
   * Seals a block for every closed node whose data has no block yet or has outgrown it, bottom-up,
   * with `basis` the server sequence this device has pulled to. Returns how many were sealed; they
   * wait in the outbox.
   */
  async sealClosed(nowHour: number, basis: number): Promise<number> {
    if (!this.keys.seesWholeLog) return 0;
    const state = ((await this.db.settings.get(this.stateKey)) as SealingState | undefined) ?? { after: 0, dirty: [] };
    const dirty = new Set(state.dirty);
    if (basis > state.after) {
      const fresh = await this.db.envelopes
        .where("[patient+seq]")
        .between([this.patient, state.after + 1], [this.patient, basis], true, true)
        .toArray();
      for (const row of fresh)
        for (let level = 0; level <= MAX_BLOCK_LEVEL; level++)
          dirty.add(nodeId(row.tag, row.generation, level, Math.floor(row.hour / 2 ** level)));
    }
    const nodes = [...dirty].map((id) => {
      const [tag, generation, level, node] = id.split(":");
      return { id, tag: tag!, generation: Number(generation), level: Number(level), node: Number(node) };
    });
    nodes.sort(
      (a, b) =>
        a.level - b.level ||
        (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0) ||
        a.generation - b.generation ||
        a.node - b.node,
    );
    const spans = new Map<string, Span>();
    let sealed = 0;
    // Blocks are stored a level at a time, each level in one transaction: the level above reads
    // them from memory. A run cut short keeps whole levels; the next one finds them and goes on.
    let level: StoredBlock[] = [];
    const store = async () => {
      if (level.length === 0) return;
      const rows = level;
      level = [];
      await this.db.transaction("rw", [this.db.blocks, this.db.outbox], async () => {
        await this.db.blocks.bulkAdd(rows);
        await this.db.outbox.bulkAdd(rows.map((b) => ({ id: b.id, patient: this.patient, kind: "block" as const })));
      });
    };
    for (const n of nodes) {
      if (level.length > 0 && level[0]!.level !== n.level) await store();
      const { first, last } = blockSpan(n);
      const scope = this.keys.scopeOfTag(fromHex(n.tag, 16));
      if (!scope) {
        dirty.delete(n.id);
        continue;
      }
      let span = spans.get(`${n.tag}:${n.generation}`);
      if (!span) spans.set(`${n.tag}:${n.generation}`, (span = await this.readSpan(n.tag, n.generation, nodes)));
      // A v1 hour is re-sealed at once, closed or not: until then no grantee can read it.
      const migrating = n.level === 0 && envelopesIn(span, first, first).some(isLegacy);
      if (last + 1 + CLOSE_AFTER_HOURS > nowHour && !migrating) continue;
      const outcome = this.sealIfNeeded(scope, n, first, last, basis, span);
      if (outcome === "keep") continue;
      dirty.delete(n.id);
      if (outcome) {
        level.push(outcome);
        span.blocks.set(nodeId(n.tag, n.generation, n.level, n.node), outcome);
        sealed++;
      }
    }
    await store();
    await this.db.settings.put(
      { after: Math.max(state.after, basis), dirty: [...dirty] } satisfies SealingState,
      this.stateKey,
    );
    return sealed;
  }

  private async readSpan(
    tag: string,
    generation: number,
    nodes: readonly { tag: string; generation: number; level: number; node: number }[],
  ): Promise<Span> {
    let low = Infinity;
    let high = -Infinity;
    for (const n of nodes) {
      if (n.tag !== tag || n.generation !== generation) continue;
      const { first, last } = blockSpan(n);
      low = Math.min(low, first);
      high = Math.max(high, last);
    }
    const envelopes = (
      await this.db.envelopes
        .where("[patient+tag+hour]")
        .between([this.patient, tag, low], [this.patient, tag, high], true, true)
        .toArray()
    ).filter((r) => r.generation === generation);
    envelopes.sort((a, b) => a.hour - b.hour || a.seq - b.seq);
    const blocks = new Map<string, StoredBlock>();
    for (const b of await this.db.blocks
      .where("[patient+tag+last]")
      .between([this.patient, tag, low], [this.patient, tag, Infinity], true, true)
      .toArray()) {
      if (b.generation !== generation) continue;
      const id = nodeId(tag, generation, b.level, b.node);
      const held = blocks.get(id);
      if (!held || b.basis > held.basis) blocks.set(id, b);
    }
    return { envelopes, blocks };
  }

  /**
   * The block with the highest basis among node `n`'s own and its ancestors': it holds all of `n` up
   * to that basis. A level-0 block has a job of its own (it replaces its hour's envelopes), so only
   * its own counts for an hour.
   */
  private covering(
    span: Span,
    n: { tag: string; generation: number; level: number; node: number },
    levels: readonly [number, number] = [n.level, n.level === 0 ? 0 : MAX_BLOCK_LEVEL],
  ): StoredBlock | undefined {
    let best: StoredBlock | undefined;
    for (let level = levels[0]; level <= levels[1]; level++) {
      const b = span.blocks.get(nodeId(n.tag, n.generation, level, Math.floor(n.node / 2 ** (level - n.level))));
      if (b && (!best || b.basis > best.basis)) best = b;
    }
    return best;
  }

  /** The new block for node `n`, undefined when none is needed, or "keep" to look again later. */
  private sealIfNeeded(
    scope: Scope,
    n: { tag: string; generation: number; level: number; node: number },
    first: number,
    last: number,
    basis: number,
    span: Span,
  ): StoredBlock | undefined | "keep" {
    const inSpan = envelopesIn(span, first, last).filter((r) => r.seq > 0 && r.seq <= basis);
    if (inSpan.length === 0) return undefined;
    const cover = this.covering(span, n);
    const after = cover?.basis ?? 0;
    const late = inSpan.filter((r) => r.seq > after);
    if (late.length === 0) return undefined;
    const legacy = inSpan.some(isLegacy);
    // One envelope already is an hour's smallest form; a v1 hour is re-sealed whatever it holds.
    if (n.level === 0 && !cover && !legacy && inSpan.filter((r) => r.whole === 1).length < 2) return undefined;
    // A small span is sealed again at once (it is cheap); a large one once enough has come late.
    if (cover && !legacy && late.length < RESEAL_LATE_ENVELOPES && late.length * 8 < inSpan.length - late.length)
      return "keep";
    // An hour's own block decides when it is sealed again; its content also comes from the ancestor
    // that replaced an older level-0 block here (settle drops it), which holds the envelopes it emptied.
    const ancestor = n.level === 0 ? this.covering(span, n, [1, MAX_BLOCK_LEVEL]) : undefined;
    const sources = this.sourcesOf(scope, span, n, first, last, [cover, ancestor]);
    // The manifest lists every envelope of the span: each one's content must be in what is merged.
    if (inSpan.some((r) => r.whole !== 1 && !isLegacy(r) && !sources.holds(r))) return undefined;
    const content = mergeForBlock(scope, sources.list);
    const plaintext = encodeContent(content, { scope, first, last });
    if (plaintext.length > MAX_BLOCK_BODY_BYTES - 512) return undefined;
    const manifest = inSpan
      .sort((a, b) => a.seq - b.seq)
      .map((r) => ({ envelopeId: fromHex(r.id, 16), link: fromHex(r.link!, 32) }));
    const header: Omit<BlockHeader, "version"> = {
      level: n.level,
      patientId: this.keys.patientId,
      scopeTag: fromHex(n.tag, 16),
      generation: n.generation,
      node: n.node,
      blockId: crypto.getRandomValues(new Uint8Array(16)),
      authorKey: this.author.signKey,
      deviceId: this.author.deviceId,
      basis,
      count: manifest.length,
      manifestHash: manifestHash(manifest),
    };
    let block: ReturnType<typeof sealBlock>;
    try {
      block = sealBlock({
        header,
        plaintext,
        nodeKey: this.keys.nodeKey(scope, n.generation, { height: n.level, index: n.node }),
        authorSecretKey: this.author.signSecretKey,
      });
    } catch (error) {
      if (error instanceof MalformedInput) return undefined;
      throw error;
    }
    return {
      id: toHex(header.blockId),
      patient: this.patient,
      tag: n.tag,
      generation: n.generation,
      level: n.level,
      node: n.node,
      first,
      last,
      basis,
      seq: 0,
      bytes: encodeBlock(block),
    };
  }

  /**
   * A node's whole content from what this device holds: the block that covers it (its own or an
   * ancestor's, cut to the node), every newer block inside it that no other such block holds, and
   * the envelopes none of those hold. Holding something twice costs nothing: merging is idempotent.
   */
  private sourcesOf(
    scope: Scope,
    span: Span,
    n: { tag: string; generation: number; level: number; node: number },
    first: number,
    last: number,
    covers: readonly (StoredBlock | undefined)[],
  ): { list: BlockSource[]; holds: (r: StoredEnvelope) => boolean } {
    const outer = covers.filter((b): b is StoredBlock => b !== undefined);
    const after = covers[0]?.basis ?? 0;
    const inside = blocksBelow(span, n)
      .filter((b) => b.basis > after)
      .sort((a, b) => b.level - a.level || b.basis - a.basis);
    const inner: StoredBlock[] = [];
    for (const b of inside)
      if (!inner.some((k) => k.first <= b.first && k.last >= b.last && k.basis >= b.basis)) inner.push(b);
    const heldBy = (blocks: readonly StoredBlock[]) => (r: StoredEnvelope) =>
      blocks.some((b) => r.hour >= b.first && r.hour <= b.last && r.seq <= b.basis);
    const held = heldBy(inner);
    const loose = envelopesIn(span, first, last).filter((r) => r.seq > after && !held(r));
    const legacy = loose.filter((r) => isLegacy(r) && r.bytes.length > PREFIX_BYTES);
    const list = [
      ...outer.map((b) => ({ content: restrict(this.contents.blockContent(b, scope), first, last), block: true })),
      ...inner.map((b) => ({ content: this.contents.blockContent(b, scope), block: true })),
      ...(legacy.length > 0 ? [{ content: this.contents.legacyContent(legacy, scope), block: false }] : []),
      ...loose
        .filter((r) => r.whole === 1)
        .map((r) => ({ content: this.contents.envelopeContent(r, scope), block: false })),
    ];
    return { list, holds: heldBy([...outer, ...inner]) };
  }

  /** A block the server refused (its span changed since): its node is looked at again on the next run. */
  async refused(block: StoredBlock): Promise<void> {
    const state = ((await this.db.settings.get(this.stateKey)) as SealingState | undefined) ?? { after: 0, dirty: [] };
    const id = nodeId(block.tag, block.generation, block.level, block.node);
    if (!state.dirty.includes(id))
      await this.db.settings.put({ ...state, dirty: [...state.dirty, id] } satisfies SealingState, this.stateKey);
  }

  /**
   * After blocks were stored on the server (sealed here, or by another of the patient's devices and
   * pulled): a level-0 block replaces the bodies of the envelopes its manifest lists, here as on the
   * server, once this device's own rows give the same manifest; blocks inside a newer one are dropped.
   */
  async settle(blocks: readonly StoredBlock[]): Promise<void> {
    if (!this.keys.seesWholeLog || blocks.length === 0) return;
    await this.db.transaction("rw", [this.db.envelopes, this.db.blocks], async () => {
      for (const b of blocks) {
        const inner = (
          await this.db.blocks
            .where("[patient+tag+last]")
            .between([this.patient, b.tag, b.first], [this.patient, b.tag, b.last], true, true)
            .toArray()
        ).filter(
          (o) =>
            o.id !== b.id && o.generation === b.generation && o.first >= b.first && o.seq > 0 && o.basis <= b.basis,
        );
        if (inner.length > 0) await this.db.blocks.bulkDelete(inner.map((o) => o.id));
        if (b.level !== 0) continue;
        const rows = (
          await this.db.envelopes.where("[patient+tag+hour]").equals([this.patient, b.tag, b.first]).toArray()
        )
          .filter((r) => r.generation === b.generation && r.seq > 0 && r.seq <= b.basis)
          .sort((x, y) => x.seq - y.seq);
        const header = decodeBlockPrefix(b.bytes).header;
        const listed = rows.map((r) => ({ envelopeId: fromHex(r.id, 16), link: fromHex(r.link!, 32) }));
        if (listed.length !== header.count || toHex(manifestHash(listed)) !== toHex(header.manifestHash)) continue;
        const replaced = rows.filter((r) => r.whole !== 0);
        await this.db.envelopes.bulkPut(
          replaced.map((r) => ({ ...r, bytes: r.bytes.slice(0, PREFIX_BYTES), whole: 0 as const })),
        );
      }
    });
  }
}
