// Merging contents into one: local writes into an hour envelope, or a node's blocks and envelopes
// into a block. Readings are one per hour and id; each hour's Yjs updates become one (Yjs merges are
// idempotent and order-free); a block also gets each hour's view, read off its merged state.
import * as Y from "yjs";
import { hourOf, type Scope, type StewardRecord } from "../../shared/records.js";
import type { DeletedRecord, HourUpdate, ShardContent } from "../../shared/shardContent.js";
import { docFrom, viewOf } from "./hourDoc.js";
import { shardKey } from "./materialise.js";
import { pickReading } from "./readings.js";

function mergedReadings(contents: readonly ShardContent[]): StewardRecord[] {
  const withReadings = contents.filter((c) => c.readings.length > 0);
  if (withReadings.length <= 1) return [...(withReadings[0]?.readings ?? [])];
  // Sources whose hours do not meet (a node's two children) are simply joined.
  const spans = withReadings.map((c) => {
    let low = Infinity;
    let high = -Infinity;
    for (const r of c.readings) {
      const h = hourOf(r);
      if (h < low) low = h;
      if (h > high) high = h;
    }
    return { low, high, c };
  });
  spans.sort((a, b) => a.low - b.low);
  if (spans.every((s, i) => i === 0 || s.low > spans[i - 1]!.high)) return spans.flatMap((s) => s.c.readings);
  const byKey = new Map<string, StewardRecord>();
  for (const c of contents) {
    for (const r of c.readings) {
      const key = `${hourOf(r)}\u0000${r.id}`;
      byKey.set(key, pickReading(byKey.get(key), r));
    }
  }
  return [...byKey.values()];
}

function updatesByHour(contents: readonly ShardContent[]): Map<number, Uint8Array[]> {
  const byHour = new Map<number, Uint8Array[]>();
  for (const c of contents) {
    for (const { hour, update } of c.yjs) {
      const list = byHour.get(hour);
      if (list) list.push(update);
      else byHour.set(hour, [update]);
    }
  }
  return byHour;
}

/** Local writes of one hour as the content of one envelope. */
export function mergeWrites(contents: readonly ShardContent[]): ShardContent {
  const yjs: HourUpdate[] = [...updatesByHour(contents)]
    .sort(([a], [b]) => a - b)
    .map(([hour, updates]) => ({ hour, update: updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates) }));
  return { readings: mergedReadings(contents), view: [], deleted: [], yjs };
}

export interface BlockSource {
  readonly content: ShardContent;
  /** A block states each hour it edits in full, with its view; an envelope holds updates only. */
  readonly block: boolean;
}

/**
 * A node's whole content as a block, from its blocks and envelopes. An hour whose state comes from
 * one block alone keeps that block's state and view as they are: no Yjs document is built for it.
 */
export function mergeForBlock(scope: Scope, sources: readonly BlockSource[]): ShardContent {
  const contents = sources.map((s) => s.content);
  const yjs: HourUpdate[] = [];
  const view: StewardRecord[] = [];
  const deleted: DeletedRecord[] = [];
  const owners = new Map<number, BlockSource[]>();
  for (const s of sources) for (const { hour } of s.content.yjs) owners.set(hour, [...(owners.get(hour) ?? []), s]);
  for (const [hour, updates] of [...updatesByHour(contents)].sort(([a], [b]) => a - b)) {
    const only = owners.get(hour)!;
    if (only.length === 1 && only[0]!.block) {
      const { content } = only[0]!;
      yjs.push({ hour, update: updates[0]! });
      view.push(...content.view.filter((v) => hourOf(v) === hour));
      deleted.push(...content.deleted.filter((d) => d.hour === hour));
      continue;
    }
    const doc = docFrom(updates, shardKey(scope, hour));
    try {
      yjs.push({ hour, update: Y.encodeStateAsUpdate(doc) });
      const hourView = viewOf(doc, scope, hour);
      view.push(...hourView.records);
      deleted.push(...hourView.deleted);
    } finally {
      doc.destroy();
    }
  }
  return { readings: mergedReadings(contents), view, deleted, yjs };
}
