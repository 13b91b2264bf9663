// An in-memory stand-in for a PatientLog's sync semantics (idempotent push by envelope id, atomic
// compaction, pull by cursor in pages, live fan-out), with hooks a test uses to break the network or to play a lying
// server: lose acks, fail pushes, hold, repeat or drop live pages, rewrite pages, roll the log back,
// or give one client its own fork. The real object is tested in workerd; this lets client suites run
// fast and misbehave on purpose.
import { bytesEqual, toHex } from "../../shared/bytes.js";
import { PREFIX_BYTES, decodeEnvelope } from "../../shared/envelopeCodec.js";
import { RequestRefused } from "../../shared/errors.js";
import type { CompactionRequest, Page, PageEntry } from "../../shared/syncFrames.js";
import type { LiveHandlers, SyncTransport } from "../../client/sync/transport.js";

export interface Row {
  seq: number;
  id: string;
  bytes: Uint8Array;
  /** Replaced by a compaction: pulls serve only the prefix. */
  compacted?: boolean;
}

type Logs = Map<string, Row[]>;

export interface PullRequest {
  readonly patient: string;
  readonly after: number;
  readonly client: string;
}

const HONEST = "honest";

export class MemoryServer {
  logs: Logs = new Map();
  /** Clients given their own copy of the logs by `fork`; everyone else sees `logs`. */
  private readonly forks = new Map<string, Logs>();
  private sockets = new Set<{ patient: string; client: string; handlers: LiveHandlers }>();
  pageSize = 100;
  /** When set, the next push or compaction is stored but its acknowledgement is lost (a crash between send and ack). */
  loseNextAck = false;
  /** When set, the next push fails before anything is stored (the connection dropped on the way). */
  failNextPush = false;
  /** Every live page passes through here; a test may hold it, deliver it twice or drop it. */
  deliverLive: (deliver: () => void, page: Page, client: string) => void = (deliver) => deliver();
  /** Rewrites what a pull returns (drop, reorder, replay, inject, mutate). */
  servePage?: (page: Page, request: PullRequest) => Page;

  private logsOf(client: string): Logs {
    return this.forks.get(client) ?? this.logs;
  }

  log(patient: string, client = HONEST): Row[] {
    const logs = this.logsOf(client);
    let rows = logs.get(patient);
    if (!rows) logs.set(patient, (rows = []));
    return rows;
  }

  snapshot(): Logs {
    return copy(this.logs);
  }

  restore(snapshot: Logs): void {
    this.logs = copy(snapshot);
  }

  /** From now on `client` reads and writes its own copy of the current logs (an equivocating server). */
  fork(client: string): void {
    this.forks.set(client, copy(this.logs));
  }

  /** Appends raw bytes as if someone had pushed them (no checks: the server is the attacker here). */
  inject(patient: string, bytes: Uint8Array, client = HONEST): number {
    const rows = this.log(patient, client);
    const row = { seq: (rows.at(-1)?.seq ?? 0) + 1, id: toHex(decodeEnvelope(bytes).header.envelopeId), bytes };
    rows.push(row);
    this.fanOut(patient, client, row);
    return row.seq;
  }

  private fanOut(patient: string, client: string, row: Row): void {
    const logs = this.logsOf(client);
    const page: Page = { entries: [{ seq: row.seq, compacted: false, bytes: row.bytes }], cursor: row.seq, more: false };
    for (const socket of this.sockets) {
      if (socket.patient === patient && this.logsOf(socket.client) === logs) this.deliverLive(() => socket.handlers.onPage(page), page, socket.client);
    }
  }

  /**
   * The server's compaction rule: every source must be stored, in the compaction envelope's shard and
   * not compacted yet (404/409 otherwise, nothing changes); a retry returns the stored seq.
   */
  private storeCompaction(rows: Row[], patient: string, client: string, { replaces, envelope }: CompactionRequest): number {
    const { header } = decodeEnvelope(envelope);
    const existing = rows.find((r) => r.id === toHex(header.envelopeId));
    if (existing) return existing.seq;
    const indexes = replaces.map((id) => {
      const index = rows.findIndex((r) => r.id === toHex(id));
      if (index < 0) throw new RequestRefused(404, "not_found", `envelope ${toHex(id)} to compact is not stored`);
      const row = rows[index]!;
      const source = decodeEnvelope(row.bytes).header;
      if (!bytesEqual(source.scopeTag, header.scopeTag) || source.generation !== header.generation || source.hour !== header.hour) {
        throw new RequestRefused(409, "conflict", `envelope ${row.id} is not in the compacted shard`);
      }
      if (row.compacted) throw new RequestRefused(409, "conflict", `envelope ${row.id} is already compacted`);
      return index;
    });
    // New row objects: snapshots and forks share the old ones.
    for (const index of indexes) rows[index] = { ...rows[index]!, compacted: true };
    return this.inject(patient, envelope, client);
  }

  /** The transport one client uses; `client` names it for forks and hooks. */
  transport(client = HONEST): SyncTransport {
    return {
      push: async (patient, envelopes) => {
        if (this.failNextPush) {
          this.failNextPush = false;
          throw new TypeError("network error: connection reset before the request arrived");
        }
        const rows = this.log(patient, client);
        const seqs = envelopes.map((bytes) => {
          const id = toHex(decodeEnvelope(bytes).header.envelopeId);
          const existing = rows.find((r) => r.id === id);
          if (existing) return existing.seq;
          return this.inject(patient, bytes, client);
        });
        if (this.loseNextAck) {
          this.loseNextAck = false;
          throw new TypeError("network error: connection reset");
        }
        return seqs;
      },
      compact: async (patient, request) => {
        const seq = this.storeCompaction(this.log(patient, client), patient, client, request);
        if (this.loseNextAck) {
          this.loseNextAck = false;
          throw new TypeError("network error: connection reset");
        }
        return seq;
      },
      pull: async (patient, after): Promise<Page> => {
        const all = this.log(patient, client);
        const rows = all.filter((r) => r.seq > after);
        const slice = rows.slice(0, this.pageSize);
        const head = all.at(-1)?.seq ?? 0;
        const page: Page = { entries: slice.map(entryOf), cursor: slice.at(-1)?.seq ?? head, more: rows.length > slice.length };
        return this.servePage ? this.servePage(page, { patient, after, client }) : page;
      },
      live: async (patient, _after, handlers) => {
        const socket = { patient, client, handlers };
        this.sockets.add(socket);
        return { close: () => this.sockets.delete(socket) };
      },
    };
  }
}

/** What a pull serves of a row: the envelope, or only its prefix once compacted. */
function entryOf(row: Row): PageEntry {
  return row.compacted ? { seq: row.seq, compacted: true, bytes: row.bytes.subarray(0, PREFIX_BYTES) } : { seq: row.seq, compacted: false, bytes: row.bytes };
}

function copy(logs: Logs): Logs {
  return new Map([...logs].map(([k, v]) => [k, [...v]]));
}
