// Where the bytes of one hour of CGM readings go: the Yjs update as RecordStore lays it out, its
// padded size, the sealed envelope, the smallest envelope the format allows, the same readings as
// packed columns in a Y.Doc, and as Nightscout `entries` JSON.
import * as Y from "yjs";
import { openEnvelope } from "../crypto/envelope.js";
import { COMMIT_BYTES, NONCE_BYTES, PREFIX_BYTES, TAG_BYTES, decodeEnvelope } from "../shared/envelopeCodec.js";
import { paddedLength } from "../crypto/padding.js";
import { TRENDS, type StewardRecord } from "../shared/records.js";
import { toNightscoutEntries } from "../client/export/nightscoutEntries.js";
import { createKeyRing } from "../client/keyRing.js";
import { ownKeySource, type KeySource } from "../client/keySource.js";
import { StewardDatabase } from "../client/store/database.js";
import { RecordStore } from "../client/store/recordStore.js";
import { LocalLog } from "../client/store/localLog.js";
import { HOUR } from "./data.js";

export interface HourEnvelope {
  readonly bytes: Uint8Array;
  readonly keys: KeySource;
  readonly hour: number;
  readonly readings: readonly StewardRecord[];
}

/** The first hour of `glucose` written through the record store of a fresh patient device. */
export async function hourEnvelope(glucose: readonly StewardRecord[]): Promise<HourEnvelope> {
  const { ring, device } = createKeyRing(true, "test");
  const keys = ownKeySource(ring);
  const log = new LocalLog(new StewardDatabase(`bench-hour-${Date.now()}`), keys, device);
  const hour = Math.floor(glucose[0]!.time / HOUR);
  const readings = glucose.filter((r) => Math.floor(r.time / HOUR) === hour);
  await new RecordStore(log).put(readings);
  await log.sealWrites();
  const [stored] = await log.outgoing(1);
  return { bytes: stored!.bytes, keys, hour, readings };
}

export interface ByteAnatomy {
  readonly readings: number;
  readonly updateBytes: number;
  readonly paddedBytes: number;
  readonly envelopeBytes: number;
  /** Header, seal, signature, nonce, commitment and tag: what every envelope carries besides its padded plaintext. */
  readonly overheadBytes: number;
  /** The smallest envelope there is: overhead plus the smallest padding bucket. */
  readonly minEnvelopeBytes: number;
  /** The same readings as packed numbers (seconds into the hour, mg/dL, trend) in a Y.Array. */
  readonly packedUpdateBytes: number;
  readonly packedEnvelopeBytes: number;
  readonly nightscoutBytes: number;
}

function packedUpdate(readings: readonly StewardRecord[], hour: number): Uint8Array {
  const doc = new Y.Doc();
  const flat = readings.flatMap((r) =>
    r.type === "cgm"
      ? [Math.round((r.time - hour * HOUR) / 1000), r.body.mgdl, r.body.trend ? TRENDS.indexOf(r.body.trend) : -1]
      : [],
  );
  doc.getArray<number>("cgm").push(flat);
  const update = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return update;
}

export function byteAnatomy(sample: HourEnvelope): ByteAnatomy {
  const update = openEnvelope(decodeEnvelope(sample.bytes), sample.keys.leaf("glucose", 1, sample.hour));
  const overheadBytes = PREFIX_BYTES + NONCE_BYTES + COMMIT_BYTES + TAG_BYTES;
  const packed = packedUpdate(sample.readings, sample.hour);
  return {
    readings: sample.readings.length,
    updateBytes: update.length,
    paddedBytes: paddedLength(update.length),
    envelopeBytes: sample.bytes.length,
    overheadBytes,
    minEnvelopeBytes: overheadBytes + paddedLength(0),
    packedUpdateBytes: packed.length,
    packedEnvelopeBytes: overheadBytes + paddedLength(packed.length),
    nightscoutBytes: new TextEncoder().encode(JSON.stringify(toNightscoutEntries(sample.readings))).length,
  };
}
