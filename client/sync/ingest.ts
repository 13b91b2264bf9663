// Verifies and stores what a pull (or a live page) brings, in server order, as one IndexedDB
// transaction. Each object is checked in full (structure, patient, fork, scope, author, signature,
// commitment, decryption, content, device chain) before anything of it is kept; the first failure
// raises its typed error, nothing of that object is stored, and the objects before it are.
import { bytesEqual, toHex } from "../../shared/bytes.js";
import { verifyBlockSignature } from "../../crypto/block.js";
import {
  blockSpan,
  decodeBlock,
  decodeBlockPrefix,
  type BlockHeader,
  type BlockPrefix,
} from "../../shared/blockCodec.js";
import { verify } from "../../crypto/accountKeys.js";
import {
  LEGACY_ENVELOPE_VERSION,
  decodeEnvelope,
  decodeEnvelopeHeader,
  encodeSeal,
  envelopeLink,
  type EnvelopeHeader,
} from "../../shared/envelopeCodec.js";
import { ForkDetected, InvalidSignature, OutsideGrant, TamperedEnvelope, UnknownAuthor } from "../../shared/errors.js";
import { decodeManifest } from "../../shared/manifest.js";
import type { Scope } from "../../shared/records.js";
import type { ShardContent } from "../../shared/shardContent.js";
import { objectKind, splitEnvelopePrefix, type EnvelopePrefix, type PageEntry } from "../../shared/syncFrames.js";
import type { KeySource } from "../keySource.js";
import type { Cursor, StewardDatabase, StoredBlock, StoredEnvelope } from "../store/database.js";
import { openBlockContent, openEnvelopeContent } from "../store/objects.js";
import { mayAuthor } from "./authorPolicy.js";
import { advanceChain } from "./chain.js";

/** An object this page brought, opened: what the caches take in. */
export interface Received {
  readonly kind: "envelope" | "block";
  readonly id: string;
  readonly scope: Scope;
  readonly generation: number;
  readonly first: number;
  readonly last: number;
  readonly seq: number;
  /** For a block: it holds every envelope of its span numbered at or below this. */
  readonly basis: number;
  readonly level: number;
  readonly content: ShardContent;
}

export interface Ingested {
  readonly received: Received[];
  /** v1 envelopes taken in for the migration (patient's devices only). */
  readonly legacy: number;
  /** Envelopes passed over because their author could not be verified from this device (a grantee's view). */
  readonly passedOver: number;
  /** Genuine envelopes and blocks refused because their author's access had ended when it signed them. */
  readonly refused: number;
  /** This device's own objects the page showed as taken in (their acknowledgement was lost). */
  readonly acked: number;
}

type Decoded =
  | { readonly kind: "envelope"; readonly prefix: EnvelopePrefix; readonly header: EnvelopeHeader; readonly id: string }
  | { readonly kind: "block"; readonly prefix: BlockPrefix; readonly header: BlockHeader; readonly id: string };

function decodeEntry(entry: PageEntry, legacy: boolean): Decoded {
  if (objectKind(entry.bytes) === "block") {
    const prefix = decodeBlockPrefix(entry.bytes);
    return { kind: "block", prefix, header: prefix.header, id: toHex(prefix.header.blockId) };
  }
  const prefix = splitEnvelopePrefix(entry.bytes);
  const header = decodeEnvelopeHeader(prefix.headerBytes, { legacy });
  return { kind: "envelope", prefix, header, id: toHex(header.envelopeId) };
}

/** The author's signature over the object's signed part: a header the server altered is reported as that. */
function verifySigned(d: Decoded): void {
  if (d.kind === "block") verifyBlockSignature(d.prefix);
  else
    verify(
      "envelope",
      d.prefix.signature,
      d.header.authorKey,
      "envelope",
      d.prefix.headerBytes,
      encodeSeal(d.prefix.bodyLength, d.prefix.bodyHash),
    );
}

export class Ingest {
  constructor(
    private readonly db: StewardDatabase,
    private readonly keys: KeySource,
    private readonly patient: string,
    private readonly cursorKey: string,
  ) {}

  /** Signers a grantee could not place even with the device list and grant fetched again (hex keys). */
  private readonly unplaceable = new Set<string>();

  /** The cursor went back to the start: every signer is to be placed afresh. */
  rewound(): void {
    this.unplaceable.clear();
  }

  /**
   * Takes `entries` (in server order) up to `pageCursor`: blocks past it only vouch for prefix-only
   * entries of this page and are kept like any other. The cursor moves past what was kept. A
   * grantee meeting a signer it cannot place raises UnknownAuthor (a device the patient linked
   * since this device fetched the list, say), unless `refreshed`: then it is passed over.
   */
  async ingest(entries: readonly PageEntry[], pageCursor: number, refreshed = false): Promise<Ingested> {
    const complete = this.keys.seesWholeLog;
    const received: Received[] = [];
    let legacy = 0;
    let passedOver = 0;
    let refused = 0;
    let acked = 0;
    let failure: { error: unknown } | undefined;
    await this.db.transaction("rw", [this.db.envelopes, this.db.blocks, this.db.outbox, this.db.cursors], async () => {
      const cursor: Cursor = (await this.db.cursors.get(this.cursorKey)) ?? {
        patient: this.cursorKey,
        after: 0,
        heads: {},
      };
      const decoded: Decoded[] = [];
      try {
        for (const entry of entries) decoded.push(decodeEntry(entry, complete));
      } catch (error) {
        failure = { error };
      }
      const ids = decoded.map((d) => d.id);
      const known = new Map<string, { seq: number; kind: "envelope" | "block" }>();
      for (const row of await this.db.envelopes.bulkGet(ids))
        if (row) known.set(row.id, { seq: row.seq, kind: "envelope" });
      for (const row of await this.db.blocks.bulkGet(ids)) if (row) known.set(row.id, { seq: row.seq, kind: "block" });
      // The numbers of objects held here, read only once an entry is new to this device: a pull of
      // what it just pushed brings none, and a key cursor over the page's whole range is slow.
      const noted: number[] = [];
      let heldSeqs: Set<number> | undefined;
      const note = (seq: number) => (heldSeqs ? heldSeqs.add(seq) : noted.push(seq));
      const vouched = complete ? this.vouchedByBlocks(entries, decoded) : new Set<string>();
      const envelopes: StoredEnvelope[] = [];
      const blocks: StoredBlock[] = [];
      const acks: { id: string; seq: number; kind: "envelope" | "block" }[] = [];
      try {
        for (const [i, d] of decoded.entries()) {
          const entry = entries[i]!;
          const counted = Math.min(entry.seq, pageCursor);
          const held = known.get(d.id);
          if (held) {
            // Our own object coming back (the ack was lost) takes its number; anything else seen again changes nothing.
            if (held.seq === 0) acks.push({ id: d.id, seq: entry.seq, kind: held.kind });
            note(entry.seq);
            cursor.after = Math.max(cursor.after, counted);
            continue;
          }
          heldSeqs ??= new Set([...(await this.seqsHeld(entries)), ...noted]);
          if (heldSeqs.has(entry.seq))
            throw new ForkDetected(
              `the server already gave number ${entry.seq} to another object this device holds: it is showing different histories to different devices`,
            );
          if (!bytesEqual(d.header.patientId, this.keys.patientId))
            throw new InvalidSignature("the server sent an object of another patient");
          const scope = this.keys.scopeOfTag(d.header.scopeTag);
          if (!scope) {
            verifySigned(d);
            throw new OutsideGrant("the server sent an object of a scope this device has no key for");
          }
          if (d.kind === "block") {
            if (entry.compacted) {
              // A block's signed part, served beside prefix-only envelopes it holds (checked in vouchedByBlocks).
              cursor.after = Math.max(cursor.after, counted);
              continue;
            }
            const block = decodeBlock(entry.bytes);
            if (mayAuthor(this.keys, { kind: "block", header: block.header, seq: entry.seq }) === "revoked") {
              // Sealed by a device after it was removed: refused, counted, and the pull goes on.
              verifySigned(d);
              cursor.after = Math.max(cursor.after, counted);
              refused++;
              continue;
            }
            const content = openBlockContent(this.keys, block, scope, "network", entry.seq);
            const span = blockSpan(block.header);
            const h = block.header;
            blocks.push({
              id: d.id,
              patient: this.patient,
              tag: toHex(h.scopeTag),
              generation: h.generation,
              level: h.level,
              node: h.node,
              ...span,
              basis: h.basis,
              seq: entry.seq,
              bytes: entry.bytes,
            });
            received.push({
              kind: "block",
              id: d.id,
              scope,
              generation: h.generation,
              ...span,
              seq: entry.seq,
              basis: h.basis,
              level: h.level,
              content,
            });
          } else {
            const { prefix, header } = d;
            const link = envelopeLink(prefix.headerBytes, prefix.bodyLength, prefix.bodyHash);
            const row: StoredEnvelope = {
              id: d.id,
              patient: this.patient,
              tag: toHex(header.scopeTag),
              hour: header.hour,
              generation: header.generation,
              seq: entry.seq,
              bytes: entry.bytes,
              link: toHex(link),
            };
            const checkSignature = () => verifySigned(d);
            const standing = mayAuthor(this.keys, { kind: "envelope", scope, header });
            if (standing === "revoked") {
              // Signed after its author's access ended (a removed device, a revoked writer): refused
              // on every device, counted, never shown, and the pull goes on. Its chain stays where
              // the author's access ended (nothing later of it counts), so served again it is
              // refused again, not taken for a replay.
              checkSignature();
              cursor.after = Math.max(cursor.after, counted);
              refused++;
              continue;
            }
            if (standing === "unknown") {
              const signer = toHex(d.header.authorKey);
              if (complete || (!refreshed && !this.unplaceable.has(signer))) {
                checkSignature();
                throw new UnknownAuthor(`an envelope in ${scope} is signed by a key that may not write there`);
              }
              // A grantee cannot know the patient's other write grantees (a parent logging meals): a
              // genuine envelope of theirs is passed over, counted, never shown as the patient's data.
              // Its chain is not followed: read again once placed (a pull from the start), it counts.
              checkSignature();
              this.unplaceable.add(signer);
              cursor.after = Math.max(cursor.after, counted);
              passedOver++;
              continue;
            }
            let kept: StoredEnvelope;
            let content: ShardContent | undefined;
            if (header.version === LEGACY_ENVELOPE_VERSION) {
              // A v1 log, read by the patient's device only to migrate it (docs/protocol.md §6D): a v1
              // compacted prefix is believed as v1 believed it.
              checkSignature();
              if (!entry.compacted) decodeEnvelope(entry.bytes, { legacy: true });
              kept = row;
              legacy++;
            } else if (entry.compacted) {
              if (!complete)
                throw new TamperedEnvelope(
                  "the server sent the header of an envelope without its body; a grant is always served whole envelopes",
                );
              checkSignature();
              if (!vouched.has(`${d.id}:${row.link}`))
                throw new TamperedEnvelope(
                  `the server served only the header of envelope ${d.id}, and no block that holds it: its content would be lost`,
                );
              kept = { ...row, whole: 0 };
            } else {
              content = openEnvelopeContent(this.keys, decodeEnvelope(entry.bytes), scope, "network");
              kept = { ...row, whole: 1 };
            }
            // The chain is checked last: nothing of an envelope that fails it is kept.
            advanceChain(cursor.heads, header, link, complete);
            envelopes.push(kept);
            if (content)
              received.push({
                kind: "envelope",
                id: d.id,
                scope,
                generation: header.generation,
                first: header.hour,
                last: header.hour,
                seq: entry.seq,
                basis: 0,
                level: 0,
                content,
              });
          }
          known.set(d.id, { seq: entry.seq, kind: d.kind });
          note(entry.seq);
          cursor.after = Math.max(cursor.after, counted);
        }
      } catch (error) {
        // What was accepted before the failure is kept; the error (earlier than any malformed entry) is raised below.
        failure = { error };
      }
      if (envelopes.length > 0) await this.db.envelopes.bulkAdd(envelopes);
      if (blocks.length > 0) await this.db.blocks.bulkAdd(blocks);
      const envelopeAcks = acks.filter((a) => a.kind === "envelope");
      const blockAcks = acks.filter((a) => a.kind === "block");
      if (envelopeAcks.length > 0)
        await this.db.envelopes.bulkUpdate(envelopeAcks.map((a) => ({ key: a.id, changes: { seq: a.seq } })));
      if (blockAcks.length > 0)
        await this.db.blocks.bulkUpdate(blockAcks.map((a) => ({ key: a.id, changes: { seq: a.seq } })));
      // Taken in by the server though its answer was lost: nothing of it is to be sent again.
      acked = acks.length;
      if (acks.length > 0)
        await this.db.outbox
          .where("id")
          .anyOf(acks.map((a) => a.id))
          .delete();
      await this.db.cursors.put(cursor);
    });
    if (failure) throw failure.error;
    return { received, legacy, passedOver, refused, acked };
  }

  /**
   * The `id:link` of every envelope a block of this page vouches for: its manifest, served beside it
   * and checked against what its sealing device signed (count and hash). Only blocks that verify and
   * were sealed by one of the patient's devices count.
   */
  private vouchedByBlocks(entries: readonly PageEntry[], decoded: readonly Decoded[]): Set<string> {
    const out = new Set<string>();
    for (const [i, d] of decoded.entries()) {
      const entry = entries[i]!;
      if (d.kind !== "block" || !entry.manifest) continue;
      const prefix = decodeBlockPrefix(entry.bytes);
      if (mayAuthor(this.keys, { kind: "block", header: prefix.header, seq: entry.seq }) !== "allowed") continue;
      verifyBlockSignature(prefix);
      for (const e of decodeManifest(entry.manifest, prefix.header.count, prefix.header.manifestHash))
        out.add(`${toHex(e.envelopeId)}:${toHex(e.link)}`);
    }
    return out;
  }

  /** Server sequence numbers, within the page's range, that objects this device holds already have. */
  private async seqsHeld(entries: readonly PageEntry[]): Promise<Set<number>> {
    if (entries.length === 0) return new Set();
    let low = Infinity;
    let high = -Infinity;
    for (const { seq } of entries) {
      low = Math.min(low, seq);
      high = Math.max(high, seq);
    }
    // Unacknowledged rows have seq 0 and hold no number.
    const range = [
      [this.patient, Math.max(low, 1)],
      [this.patient, high],
    ] as const;
    const keys = await Promise.all(
      [this.db.envelopes, this.db.blocks].map((table) =>
        table.where("[patient+seq]").between(range[0], range[1], true, true).keys(),
      ),
    );
    return new Set(keys.flat().map((key) => (key as unknown as [string, number])[1]));
  }
}
