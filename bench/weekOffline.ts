// Scenario 2: a patient's phone was offline for a week. Readings (one every 5 minutes) and events
// were written one at a time as they happened, into the encrypted store; then it comes back online
// and syncs until the server acknowledged everything. The peers: the same writes as plaintext JSON
// rows in Dexie (same IndexedDB), and the same records in an offline Y.Doc that y-websocket syncs.
import { performance } from "node:perf_hooks";
import Dexie, { type Table } from "dexie";
import * as Y from "yjs";
import type { StewardRecord } from "../shared/records.js";
import { DAY, patientData, spreadEvents } from "./data.js";
import { since } from "./stats.js";
import { registerPatient } from "./steward.js";
import { recordingFetch, startCountingRelay, type RequestRecord } from "./wire.js";
import { connectYjs, serverHolds, writeRecords, type YjsServer } from "./yjsServer.js";

export const WEEK_READINGS = 2016;
export const WEEK_EVENTS = 200;

/** A week of readings and events in the order they happened. */
export function offlineWeek(end: number): StewardRecord[] {
  const week = [...patientData(7, end, 2).glucose, ...spreadEvents(WEEK_EVENTS, end - 7 * DAY, end)];
  return week.sort((a, b) => a.time - b.time);
}

export interface StewardWeek {
  readonly records: number;
  readonly writeMs: number;
  readonly envelopes: number;
  /** Until the server acknowledged every envelope (the outbox is empty), then the whole sync() including its pull. */
  readonly sync: {
    ackMs: number;
    ms: number;
    pushNetworkMs: number;
    up: number;
    down: number;
    pushes: number;
    pulls: number;
  };
}

export async function stewardWeekOffline(server: string, week: readonly StewardRecord[]): Promise<StewardWeek> {
  const relay = await startCountingRelay(server);
  const requests: RequestRecord[] = [];
  try {
    const patient = await registerPatient(relay.url, recordingFetch(requests));
    await patient.api.ensureSession();
    const phone = patient.device();
    let start = performance.now();
    for (const record of week) await phone.records.put([record]);
    const writeMs = since(start);
    relay.reset();
    requests.length = 0;
    // sync() is push then pull; run the two halves so the moment of acknowledgement is seen.
    start = performance.now();
    await phone.sync.push();
    const ackMs = since(start);
    if ((await phone.log.pendingCount()) > 0) throw new Error("the week's envelopes were not all acknowledged");
    const envelopes = await phone.db.envelopes.count();
    await phone.sync.pull();
    const ms = since(start);
    const pushes = requests.filter((r) => r.method === "POST" && r.path.endsWith("/envelopes"));
    const pulls = requests.filter((r) => r.method === "GET" && r.path.endsWith("/envelopes"));
    return {
      records: week.length,
      writeMs,
      envelopes,
      sync: {
        ackMs,
        ms,
        pushNetworkMs: pushes.reduce((n, r) => n + r.ms, 0),
        up: relay.count.up,
        down: relay.count.down,
        pushes: pushes.length,
        pulls: pulls.length,
      },
    };
  } finally {
    await relay.stop();
  }
}

class PlainDatabase extends Dexie {
  records!: Table<StewardRecord, string>;
  constructor(name: string) {
    super(name);
    this.version(1).stores({ records: "id, time" });
  }
}

/** The same one-at-a-time writes as plaintext JSON rows in Dexie: no CRDT, no crypto. */
export async function dexiePlainWrites(week: readonly StewardRecord[]): Promise<number> {
  const db = new PlainDatabase(`bench-plain-${Date.now()}`);
  const start = performance.now();
  for (const record of week) await db.records.put(record);
  const ms = since(start);
  db.close();
  return ms;
}

export interface PeerWeek {
  /** Writing into the in-memory Y.Doc, one transaction per record. */
  readonly writeMs: number;
  readonly sync: { ms: number; up: number; down: number };
}

export async function peerWeekOffline(server: YjsServer, week: readonly StewardRecord[]): Promise<PeerWeek> {
  const room = `week-${Math.random().toString(36).slice(2)}`;
  const doc = new Y.Doc();
  let start = performance.now();
  writeRecords(doc, week, true);
  const writeMs = since(start);
  const relay = await startCountingRelay(server.url);
  try {
    start = performance.now();
    const provider = connectYjs(relay.url, room, doc);
    await serverHolds(server, room, ["glucose", "events"], week.length);
    const ms = since(start);
    provider.destroy();
    doc.destroy();
    return { writeMs, sync: { ms, ...relay.count } };
  } finally {
    await relay.stop();
  }
}
