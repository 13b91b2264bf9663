// An in-memory stand-in for a PatientLog's sync semantics (uploads stored idempotently by id, hour
// envelopes and blocks in one sequence, a level-0 block replacing the bodies of the envelopes it
// holds, pull by cursor in pages with the block and manifest that vouch for a replaced envelope, live
// fan-out of hour envelopes), with hooks a test uses to break the network or to play a lying server:
// lose acks, fail pushes, hold, repeat or drop live pages, rewrite pages, roll the log back, or give
// one client its own fork. Every reader is served the whole log: what a grantee may see is the real
// object's job (tested in workerd); here the client's own checks are what is under test.
import { fromHex, toHex } from "../../shared/bytes.js";
import {
  BLOCK_PREFIX_BYTES,
  blockSpan,
  decodeBlock,
  decodeBlockPrefix,
  type BlockHeader,
} from "../../shared/blockCodec.js";
import { RequestRefused } from "../../shared/errors.js";
import { PREFIX_BYTES, decodeEnvelope, envelopeLink } from "../../shared/envelopeCodec.js";
import { encodeManifest } from "../../shared/manifest.js";
import { objectKind, type Page, type PageEntry } from "../../shared/syncFrames.js";
import type { LiveHandlers, SyncTransport } from "../../client/sync/transport.js";

export interface Row {
  seq: number;
  id: string;
  bytes: Uint8Array;
  /** Where the object belongs, read once when stored. */
  readonly at?: {
    tag: string;
    generation: number;
    first: number;
    last: number;
    level: number | null;
    basis: number;
    link?: Uint8Array;
  };
  /** Replaced by a level-0 block: pulls serve only the prefix, beside that block. */
  compacted?: boolean;
  replacedBy?: number;
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
  /** When set, the next push is stored but its acknowledgement is lost (a crash between send and ack). */
  loseNextAck = false;
  /** When set, the next push fails before anything is stored (the connection dropped on the way). */
  failNextPush = false;
  /** Every live page passes through here; a test may hold it, deliver it twice or drop it. */
  deliverLive: (deliver: () => void, page: Page, client: string) => void = (deliver) => deliver();
  /** Rewrites what a pull returns (drop, reorder, replay, inject, mutate). */
  servePage?: (page: Page, request: PullRequest) => Page;
  /** Refuses a block as the real object does when its manifest no longer matches (409 conflict). */
  refuseBlock?: (header: BlockHeader) => boolean;

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
    const row = { seq: (rows.at(-1)?.seq ?? 0) + 1, ...placeOf(bytes), bytes };
    rows.push(row);
    if (objectKind(bytes) === "envelope") this.fanOut(patient, client, row);
    return row.seq;
  }

  private fanOut(patient: string, client: string, row: Row): void {
    const logs = this.logsOf(client);
    const page: Page = {
      entries: [{ seq: row.seq, compacted: false, bytes: row.bytes }],
      cursor: row.seq,
      more: false,
    };
    for (const socket of this.sockets) {
      if (socket.patient === patient && this.logsOf(socket.client) === logs)
        this.deliverLive(() => socket.handlers.onPage(page), page, socket.client);
    }
  }

  /**
   * The server's rules for a block: it supersedes an older block of its node, and a level-0 block
   * takes the bodies of the envelopes of its hour up to its basis.
   */
  private store(rows: Row[], patient: string, client: string, bytes: Uint8Array): number {
    const seq = this.inject(patient, bytes, client);
    if (objectKind(bytes) !== "block") return seq;
    const { header } = decodeBlock(bytes);
    const tag = toHex(header.scopeTag);
    const { first } = blockSpan(header);
    const older = rows.filter(
      (r) =>
        r.seq !== seq &&
        r.at?.level === header.level &&
        r.at.tag === tag &&
        r.at.generation === header.generation &&
        r.at.first === first &&
        r.at.basis <= header.basis,
    );
    for (const old of older) {
      rows.splice(rows.indexOf(old), 1);
      for (const [i, row] of rows.entries()) if (row.replacedBy === old.seq) rows[i] = { ...row, replacedBy: seq };
    }
    if (header.level !== 0) return seq;
    for (const [i, row] of rows.entries()) {
      // New row objects: snapshots and forks share the old ones.
      if (
        row.seq <= header.basis &&
        row.at?.level === null &&
        row.at.tag === tag &&
        row.at.generation === header.generation &&
        row.at.first === first
      )
        rows[i] = { ...row, compacted: true, replacedBy: seq };
    }
    return seq;
  }

  /** The manifest of a stored level-0 block, from the rows it holds. */
  manifestOf(rows: readonly Row[], block: Row): Uint8Array {
    const { header } = decodeBlock(block.bytes);
    const { first, last } = blockSpan(header);
    const tag = toHex(header.scopeTag);
    const held = rows.filter(
      (r) =>
        r.seq <= header.basis &&
        r.at?.level === null &&
        r.at.tag === tag &&
        r.at.generation === header.generation &&
        r.at.first >= first &&
        r.at.first <= last,
    );
    return encodeManifest(held.map((r) => ({ envelopeId: fromHex(r.id, 16), link: r.at!.link! })));
  }

  /** The transport one client uses; `client` names it for forks and hooks. */
  transport(client = HONEST): SyncTransport {
    return {
      push: async (patient, objects) => {
        if (this.failNextPush) {
          this.failNextPush = false;
          throw new TypeError("network error: connection reset before the request arrived");
        }
        const rows = this.log(patient, client);
        for (const bytes of objects) {
          if (objectKind(bytes) === "block" && this.refuseBlock?.(decodeBlock(bytes).header))
            throw new RequestRefused(
              409,
              "conflict",
              "the block does not hold exactly the envelopes stored for its span",
            );
        }
        const seqs = objects.map((bytes) => {
          const id = placeOf(bytes).id;
          const existing = rows.find((r) => r.id === id);
          return existing ? existing.seq : this.store(rows, patient, client, bytes);
        });
        if (this.loseNextAck) {
          this.loseNextAck = false;
          throw new TypeError("network error: connection reset");
        }
        return seqs;
      },
      pull: async (patient, after): Promise<Page> => {
        const all = this.log(patient, client);
        const rows = all.filter((r) => r.seq > after);
        const slice = rows.slice(0, this.pageSize);
        const head = all.at(-1)?.seq ?? 0;
        const cursor = slice.at(-1)?.seq ?? head;
        // A replaced envelope comes with the block that holds it (and that block's manifest), even past the cursor.
        const vouchers = new Set(slice.flatMap((r) => (r.replacedBy ? [r.replacedBy] : [])));
        const served = [...slice, ...all.filter((r) => vouchers.has(r.seq) && r.seq > cursor)];
        const entries = served.map((r) =>
          vouchers.has(r.seq) ? { ...entryOf(r), manifest: this.manifestOf(all, r) } : entryOf(r),
        );
        const page: Page = { entries, cursor, more: rows.length > slice.length };
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

/** A row's id and place, from its bytes (an injected object may be anything the attacker likes). */
function placeOf(bytes: Uint8Array): Pick<Row, "id" | "at"> {
  if (objectKind(bytes) === "block") {
    const { header } = decodeBlockPrefix(bytes);
    return {
      id: toHex(header.blockId),
      at: {
        tag: toHex(header.scopeTag),
        generation: header.generation,
        ...blockSpan(header),
        level: header.level,
        basis: header.basis,
      },
    };
  }
  const e = decodeEnvelope(bytes, { legacy: true });
  const h = e.header;
  return {
    id: toHex(h.envelopeId),
    at: {
      tag: toHex(h.scopeTag),
      generation: h.generation,
      first: h.hour,
      last: h.hour,
      level: null,
      basis: 0,
      link: envelopeLink(e.headerBytes, e.body.length, e.bodyHash),
    },
  };
}

/** What a pull serves of a row: the object, or only its prefix once replaced. */
function entryOf(row: Row): PageEntry {
  if (!row.compacted) return { seq: row.seq, compacted: false, bytes: row.bytes };
  return {
    seq: row.seq,
    compacted: true,
    bytes: row.bytes.subarray(0, objectKind(row.bytes) === "block" ? BLOCK_PREFIX_BYTES : PREFIX_BYTES),
  };
}

function copy(logs: Logs): Logs {
  return new Map([...logs].map(([k, v]) => [k, [...v]]));
}
