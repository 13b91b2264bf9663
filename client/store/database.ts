// The device's IndexedDB through Dexie. Only ciphertext and the wrapped key ring are stored:
// envelopes (the encrypted log, exactly as the server holds it), the outbox of envelopes not yet
// acknowledged, sync cursors and high-water marks, and small device settings.
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
  /** The whole envelope, or only its 250-byte prefix once `compacted`. */
  bytes: Uint8Array;
  /**
   * Set when a compaction envelope replaced this one: its body is gone (as on the server) and the
   * prefix stays, so the row still names its seq and device chain link.
   */
  compacted?: true;
}

export interface OutboxEntry {
  id: string;
  patient: string;
  /** Order of writing on this device; pushes keep it. */
  order?: number;
  /** For a compaction envelope: the hex ids of the envelopes it replaces (sent with it, not pushed). */
  replaces?: string[];
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

export class StewardDatabase extends Dexie {
  envelopes!: Table<StoredEnvelope, string>;
  outbox!: Table<OutboxEntry, number>;
  cursors!: Table<Cursor, string>;
  settings!: Table<unknown, string>;
  readonly wrappingKey?: CryptoKey;

  constructor(name: string, storage: StorageOptions = {}) {
    super(name, storage.indexedDB ? { indexedDB: storage.indexedDB.factory, IDBKeyRange: storage.indexedDB.keyRange } : undefined);
    if (storage.wrappingKey) this.wrappingKey = storage.wrappingKey;
    this.version(1).stores({
      envelopes: "id, [patient+tag+hour], [patient+seq]",
      outbox: "++order, &id, patient",
      cursors: "patient",
      settings: "",
    });
  }
}
