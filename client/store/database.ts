// The device's IndexedDB through Dexie. Only ciphertext and the wrapped key ring are stored: hour
// envelopes and blocks exactly as the server holds them, local writes sealed at rest until they are
// pushed, the outbox of objects not yet acknowledged, sync cursors and high-water marks, and small
// device settings.
import Dexie, { type Table } from "dexie";

export interface StoredEnvelope {
  /** hex envelope id: the primary key, so receiving an envelope twice stores it once. */
  id: string;
  /** hex patient id: one device may hold several patients' logs (a clinician). */
  patient: string;
  /** hex scope tag, hour and generation: where it belongs, readable without decrypting. */
  tag: string;
  hour: number;
  generation: number;
  /** Server sequence once acknowledged; 0 while only local. */
  seq: number;
  /** The whole envelope, or only its 250-byte prefix once a block replaced it (`whole` 0). */
  bytes: Uint8Array;
  /**
   * 1 while the body is here. Rows of a v1 log (read only by the migration) have none, so no read of
   * the v2 store meets them.
   */
  whole?: 0 | 1;
  /** hex chain link (envelopeLink): what a block's manifest lists. */
  link?: string;
}

export interface StoredBlock {
  /** hex block id. */
  id: string;
  patient: string;
  tag: string;
  generation: number;
  level: number;
  node: number;
  /** First and last hour of the block's span. */
  first: number;
  last: number;
  /** The block holds every envelope of its span the server numbered at or below this. */
  basis: number;
  /** Server sequence once acknowledged; 0 while only local. */
  seq: number;
  bytes: Uint8Array;
}

/** A local change not yet sealed into an envelope: content sealed at rest, unsigned (client/store/outbox.ts). */
export interface PendingWrite {
  order?: number;
  patient: string;
  tag: string;
  hour: number;
  generation: number;
  bytes: Uint8Array;
}

export interface OutboxEntry {
  /** Order of sealing on this device; pushes keep it. */
  order?: number;
  id: string;
  patient: string;
  /** Absent on entries a v1 client left (client/store/migration.ts takes those). */
  kind?: "envelope" | "block";
}

export interface Cursor {
  /** The hex patient id, or "patient/grant" for a grantee's view (each grant pulls its own filter). */
  patient: string;
  /** Highest server sequence pulled. */
  after: number;
  /** Per author device (hex authorKey:deviceId): last seq and chain link seen, to catch rollback or gaps. */
  heads: Record<string, { seq: number; link: string }>;
}

/** Where a device keeps its store, when not in the runtime's own IndexedDB (Node has none). */
export interface StorageOptions {
  /** An IndexedDB implementation, e.g. one that journals to a file. */
  readonly indexedDB?: { readonly factory: IDBFactory; readonly keyRange: typeof IDBKeyRange };
  /**
   * Wraps the key ring at rest in place of a non-extractable key generated into the store, for a
   * store that cannot hold a CryptoKey (a file): the caller keeps this key, e.g. from a passphrase.
   */
  readonly wrappingKey?: CryptoKey;
}

/** Dexie's own DBCore middleware this store has no use for, by name (Dexie 4). */
const UNUSED_MIDDLEWARE = ["Cache", "Observability", "HooksMiddleware"];

export class StewardDatabase extends Dexie {
  envelopes!: Table<StoredEnvelope, string>;
  blocks!: Table<StoredBlock, string>;
  writes!: Table<PendingWrite, number>;
  outbox!: Table<OutboxEntry, number>;
  cursors!: Table<Cursor, string>;
  settings!: Table<unknown, string>;
  readonly wrappingKey?: CryptoKey;

  constructor(name: string, storage: StorageOptions = {}) {
    super(
      name,
      storage.indexedDB ? { indexedDB: storage.indexedDB.factory, IDBKeyRange: storage.indexedDB.keyRange } : undefined,
    );
    if (storage.wrappingKey) this.wrappingKey = storage.wrappingKey;
    // Dexie's liveQuery cache, its change tracking for liveQuery and other tabs, and its table hooks
    // cost every request CPU (per write, an AbortController and a BroadcastChannel message) and this
    // store uses none of them: the log tells its own readers what changed (liveQuery.ts).
    for (const name of UNUSED_MIDDLEWARE) this.unuse({ stack: "dbcore", name });
    this.version(1).stores({
      envelopes: "id, [patient+tag+hour], [patient+seq]",
      outbox: "++order, &id, patient",
      cursors: "patient",
      settings: "",
    });
    // v2: blocks and local writes; v1 rows stay where they are until client/store/migration.ts has
    // re-sealed them, and v1 outbox entries (which have no kind) are the migration's to take.
    this.version(2).stores({
      envelopes: "id, [patient+tag+hour], [patient+seq], [patient+whole+tag+hour]",
      blocks: "id, [patient+tag+last], [patient+seq]",
      writes: "++order, patient, [patient+tag+hour]",
      outbox: "++order, &id, patient",
      cursors: "patient",
      settings: "",
    });
  }
}
