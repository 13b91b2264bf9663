// An in-memory stand-in for a PatientLog's sync semantics (idempotent push by envelope id, pull by
// cursor in pages, live fan-out), with hooks a test uses to lose acks or roll the log back. The
// real object is tested in workerd; this lets client suites run fast and break the network on purpose.
import { toHex } from "../../shared/bytes.js";
import { decodeEnvelope } from "../../shared/envelopeCodec.js";
import type { Page } from "../../shared/syncFrames.js";
import type { LiveHandlers, SyncTransport } from "../../client/sync/transport.js";

interface Row {
  seq: number;
  id: string;
  bytes: Uint8Array;
}

export class MemoryServer {
  logs = new Map<string, Row[]>();
  private sockets = new Set<{ patient: string; handlers: LiveHandlers }>();
  pageSize = 100;
  /** When set, the next push is stored but its acknowledgement is lost (a crash between send and ack). */
  loseNextAck = false;

  log(patient: string): Row[] {
    let rows = this.logs.get(patient);
    if (!rows) this.logs.set(patient, (rows = []));
    return rows;
  }

  snapshot(): Map<string, Row[]> {
    return new Map([...this.logs].map(([k, v]) => [k, [...v]]));
  }

  restore(snapshot: Map<string, Row[]>): void {
    this.logs = new Map([...snapshot].map(([k, v]) => [k, [...v]]));
  }

  transport(): SyncTransport {
    return {
      push: async (patient, envelopes) => {
        const rows = this.log(patient);
        const seqs = envelopes.map((bytes) => {
          const id = toHex(decodeEnvelope(bytes).header.envelopeId);
          const existing = rows.find((r) => r.id === id);
          if (existing) return existing.seq;
          const row = { seq: (rows.at(-1)?.seq ?? 0) + 1, id, bytes };
          rows.push(row);
          for (const socket of this.sockets) if (socket.patient === patient) socket.handlers.onPage({ entries: [{ seq: row.seq, compacted: false, bytes }], cursor: row.seq, more: false });
          return row.seq;
        });
        if (this.loseNextAck) {
          this.loseNextAck = false;
          throw new TypeError("network error: connection reset");
        }
        return seqs;
      },
      pull: async (patient, after): Promise<Page> => {
        const rows = this.log(patient).filter((r) => r.seq > after);
        const page = rows.slice(0, this.pageSize);
        const head = this.log(patient).at(-1)?.seq ?? 0;
        return { entries: page.map((r) => ({ seq: r.seq, compacted: false, bytes: r.bytes })), cursor: page.at(-1)?.seq ?? head, more: rows.length > page.length };
      },
      live: async (patient, _after, handlers) => {
        const socket = { patient, handlers };
        this.sockets.add(socket);
        return { close: () => this.sockets.delete(socket) };
      },
    };
  }
}
