// A durable IndexedDB for Node: fake-indexeddb in memory, with every committed write transaction
// appended to an encrypted journal (journalFile.ts) and fsynced inside the transaction's commit,
// before any code can read what it wrote. So nothing the SDK stored (keys, outbox, the device's
// hash chain) can have reached the network, or an uploader's 200, without being on disk first.
// Opening replays the journal and compacts it into one snapshot record.
import { deserialize, serialize } from "node:v8";
import {
  IDBCursor,
  IDBDatabase,
  IDBFactory,
  IDBKeyRange,
  IDBObjectStore,
  type IDBOpenDBRequest,
  type IDBRequest,
  type IDBTransaction,
} from "fake-indexeddb";
import { createJournal, readJournal, type JournalFile } from "./journalFile.js";

type Key = IDBValidKey;
interface Range {
  readonly lower?: Key;
  readonly upper?: Key;
  readonly lowerOpen: boolean;
  readonly upperOpen: boolean;
}
type Op =
  | { op: "createStore"; store: string; keyPath: string | string[] | null; autoIncrement: boolean }
  | { op: "deleteStore"; store: string }
  | {
      op: "createIndex";
      store: string;
      index: string;
      keyPath: string | string[];
      unique: boolean;
      multiEntry: boolean;
    }
  | { op: "deleteIndex"; store: string; index: string }
  | { op: "put"; store: string; key: Key; value: unknown }
  | { op: "delete"; store: string; key: Key | Range }
  | { op: "clear"; store: string };
type Entry = { db: string; version?: number; ops: Op[] } | { deleted: string } | { snapshot: Snapshot };

interface StoreState {
  keyPath: string | string[] | null;
  autoIncrement: boolean;
  indexes: Map<string, { keyPath: string | string[]; unique: boolean; multiEntry: boolean }>;
  records: Map<string, { key: Key; value: unknown }>;
  /** Highest key the store's generator handed out, so replay never hands it out again. */
  generated: number;
}
type Snapshot = Map<string, { version: number; stores: Map<string, StoreState> }>;

/** One string per IndexedDB key, equal exactly when the keys are. */
function keyId(key: Key): string {
  const tag = (k: Key): unknown => {
    if (typeof k === "number") return ["n", k];
    if (typeof k === "string") return ["s", k];
    if (k instanceof Date) return ["d", k.getTime()];
    if (Array.isArray(k)) return ["a", k.map(tag)];
    const view = ArrayBuffer.isView(k)
      ? new Uint8Array(k.buffer, k.byteOffset, k.byteLength)
      : new Uint8Array(k as ArrayBuffer);
    return ["b", Buffer.from(view).toString("hex")];
  };
  return JSON.stringify(tag(key));
}

function rangeOf(range: IDBKeyRange): Range {
  return {
    lower: range.lower as Key | undefined,
    upper: range.upper as Key | undefined,
    lowerOpen: range.lowerOpen,
    upperOpen: range.upperOpen,
  };
}

function keyRange(range: Range): IDBKeyRange {
  if (range.lower !== undefined && range.upper !== undefined)
    return IDBKeyRange.bound(range.lower, range.upper, range.lowerOpen, range.upperOpen);
  if (range.lower !== undefined) return IDBKeyRange.lowerBound(range.lower, range.lowerOpen);
  return IDBKeyRange.upperBound(range.upper!, range.upperOpen);
}

const isRange = (key: Key | Range): key is Range =>
  typeof key === "object" && key !== null && !Array.isArray(key) && "lowerOpen" in key;

/** Applies one journal entry to the folded state. */
function fold(state: Snapshot, entry: Entry): void {
  if ("snapshot" in entry) {
    state.clear();
    for (const [name, db] of entry.snapshot) state.set(name, db);
    return;
  }
  if ("deleted" in entry) {
    state.delete(entry.deleted);
    return;
  }
  let db = state.get(entry.db);
  if (!db) state.set(entry.db, (db = { version: entry.version ?? 1, stores: new Map() }));
  if (entry.version !== undefined) db.version = entry.version;
  for (const op of entry.ops) {
    if (op.op === "createStore") {
      db.stores.set(op.store, {
        keyPath: op.keyPath,
        autoIncrement: op.autoIncrement,
        indexes: new Map(),
        records: new Map(),
        generated: 0,
      });
      continue;
    }
    if (op.op === "deleteStore") {
      db.stores.delete(op.store);
      continue;
    }
    const store = db.stores.get(op.store)!;
    if (op.op === "createIndex")
      store.indexes.set(op.index, { keyPath: op.keyPath, unique: op.unique, multiEntry: op.multiEntry });
    else if (op.op === "deleteIndex") store.indexes.delete(op.index);
    else if (op.op === "clear") store.records.clear();
    else if (op.op === "put") {
      store.records.set(keyId(op.key), { key: op.key, value: op.value });
      if (store.autoIncrement && typeof op.key === "number")
        store.generated = Math.max(store.generated, Math.floor(op.key));
    } else if (isRange(op.key)) {
      const range = keyRange(op.key);
      for (const [id, record] of store.records) if (range.includes(record.key)) store.records.delete(id);
    } else store.records.delete(keyId(op.key));
  }
}

function done(request: IDBRequest | IDBOpenDBRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    request.addEventListener("success", () => resolve());
    request.addEventListener("error", () => reject(request.error));
  });
}

/** Loads the folded state through `open`: one versionchange transaction per database. */
async function materialize(open: (name: string, version: number) => IDBOpenDBRequest, state: Snapshot): Promise<void> {
  for (const [name, db] of state) {
    const request = open(name, db.version);
    request.addEventListener("upgradeneeded", () => {
      const connection = request.result;
      for (const [storeName, store] of db.stores) {
        const target = connection.createObjectStore(storeName, {
          keyPath: store.keyPath,
          autoIncrement: store.autoIncrement,
        });
        for (const [index, spec] of store.indexes)
          target.createIndex(index, spec.keyPath, { unique: spec.unique, multiEntry: spec.multiEntry });
        for (const { key, value } of store.records.values()) {
          if (store.keyPath === null) target.put(value, key);
          else target.put(value);
        }
        // An explicit numeric key moves the generator past it; the placeholder goes at once.
        if (
          store.autoIncrement &&
          store.keyPath === null &&
          store.generated > 0 &&
          !store.records.has(keyId(store.generated))
        ) {
          target.put(null, store.generated);
          target.delete(store.generated);
        } else if (
          store.autoIncrement &&
          typeof store.keyPath === "string" &&
          store.generated > 0 &&
          !store.records.has(keyId(store.generated))
        ) {
          target.put({ [store.keyPath]: store.generated });
          target.delete(store.generated);
        }
      }
    });
    await done(request);
    request.result.close();
  }
}

/** The journal a connection writes to; connections opened elsewhere are left alone. */
const journals = new WeakMap<IDBDatabase, Journal>();
/** A journaled connection's running versionchange transaction (deleteObjectStore returns none). */
const upgrades = new WeakMap<IDBDatabase, IDBTransaction>();

/** Bytes appended since the last compaction after which the file is compacted while running. */
export const COMPACT_AFTER_BYTES = 32 * 1024 * 1024;

class Journal {
  private readonly pending = new Map<IDBTransaction, { version?: number; ops: Op[] }>();
  private appended = 0;
  /** Highest numeric key put per database and store: a key generator's state, which IndexedDB does not expose. */
  private readonly generated = new Map<string, number>();
  /** While compacting: the databases already read, and what was committed to them since. */
  private compacting?: { read: Set<string>; tail: Entry[]; spoiled: boolean };
  /** Called once the file has grown past COMPACT_AFTER_BYTES. */
  onGrown?: () => void;

  constructor(
    private file: JournalFile,
    private readonly path: string,
    private readonly key: Uint8Array,
    state: Snapshot,
  ) {
    for (const [name, db] of state)
      for (const [store, s] of db.stores) if (s.generated > 0) this.generated.set(`${name}\u0000${store}`, s.generated);
  }

  /** Collects `op` once its request succeeded; the transaction's commit writes them all. */
  record(transaction: IDBTransaction, op: Op): void {
    this.ops(transaction).ops.push(op);
  }

  versionChange(transaction: IDBTransaction, version: number): void {
    this.ops(transaction).version = version;
  }

  private ops(transaction: IDBTransaction): { version?: number; ops: Op[] } {
    let entry = this.pending.get(transaction);
    if (!entry) {
      entry = { ops: [] };
      this.pending.set(transaction, entry);
      const pending = entry;
      // Runs inside the commit, before any other transaction on these stores starts.
      transaction.addEventListener("complete", () => {
        this.pending.delete(transaction);
        if (pending.ops.length > 0 || pending.version !== undefined)
          this.write({ db: transaction.db.name, ...pending });
      });
      transaction.addEventListener("abort", () => this.pending.delete(transaction));
    }
    return entry;
  }

  write(entry: Entry): void {
    const bytes = new Uint8Array(serialize(entry));
    this.file.append(bytes);
    this.appended += bytes.length;
    if ("ops" in entry) {
      for (const op of entry.ops) {
        const id = `${entry.db}\u0000${op.store}`;
        if (op.op === "put" && typeof op.key === "number")
          this.generated.set(id, Math.max(this.generated.get(id) ?? 0, Math.floor(op.key)));
      }
    }
    if (this.compacting) {
      // A schema change or a deletion while databases are being read: try again later.
      if (!("ops" in entry) || entry.version !== undefined) this.compacting.spoiled = true;
      else if (this.compacting.read.has(entry.db)) this.compacting.tail.push(entry);
    } else if (this.appended > COMPACT_AFTER_BYTES) this.onGrown?.();
  }

  /**
   * Rewrites the file as one snapshot of `factory`'s databases plus what was committed after each
   * was read. Each database is read in one transaction over all its stores, which no write can
   * interleave; the new file replaces the old one in the same turn as the last read.
   */
  async compact(open: (name: string) => IDBOpenDBRequest, names: readonly string[]): Promise<void> {
    if (this.compacting) return;
    const compacting = (this.compacting = { read: new Set<string>(), tail: [] as Entry[], spoiled: false });
    const snapshot: Snapshot = new Map();
    try {
      for (const [i, name] of names.entries()) {
        const request = open(name);
        await done(request);
        const connection = request.result;
        const last = i === names.length - 1;
        await new Promise<void>((resolve, reject) => {
          const stores = [...connection.objectStoreNames];
          const db = { version: connection.version, stores: new Map<string, StoreState>() };
          snapshot.set(name, db);
          if (stores.length === 0) {
            compacting.read.add(name);
            if (last) this.swap(snapshot, compacting);
            return resolve();
          }
          const transaction = connection.transaction(stores, "readonly");
          for (const storeName of stores) {
            const store = transaction.objectStore(storeName);
            const indexes = new Map(
              [...store.indexNames].map((n) => {
                const index = store.index(n);
                return [n, { keyPath: index.keyPath, unique: index.unique, multiEntry: index.multiEntry }] as const;
              }),
            );
            const keys = store.getAllKeys();
            const values = store.getAll();
            values.addEventListener("success", () => {
              const records = new Map(
                (keys.result as Key[]).map((key, k) => [keyId(key), { key, value: (values.result as unknown[])[k] }]),
              );
              db.stores.set(storeName, {
                keyPath: store.keyPath as string | string[] | null,
                autoIncrement: store.autoIncrement,
                indexes,
                records,
                generated: this.generated.get(`${name}\u0000${storeName}`) ?? 0,
              });
            });
          }
          transaction.addEventListener("complete", () => {
            compacting.read.add(name);
            if (last) this.swap(snapshot, compacting);
            resolve();
          });
          transaction.addEventListener("abort", () => reject(transaction.error));
        });
        connection.close();
      }
    } finally {
      this.compacting = undefined;
    }
  }

  private swap(snapshot: Snapshot, compacting: { tail: Entry[]; spoiled: boolean }): void {
    if (compacting.spoiled) return;
    const records = [{ snapshot }, ...compacting.tail].map((entry) => new Uint8Array(serialize(entry)));
    const next = createJournal(this.path, this.key, records);
    this.file.close();
    this.file = next;
    this.appended = 0;
  }

  close(): void {
    this.file.close();
  }
}

function journalOf(transaction: IDBTransaction): Journal | undefined {
  return journals.get(transaction.db);
}

function onSuccess(request: IDBRequest, then: () => void): IDBRequest {
  request.addEventListener("success", then);
  return request;
}

let patched = false;

/** Hooks fake-indexeddb's write methods once; they journal only for connections of a durable factory. */
function patchWrites(): void {
  if (patched) return;
  patched = true;
  const store = IDBObjectStore.prototype;
  const { put, add, delete: remove, clear, createIndex, deleteIndex } = store;
  const storeValue = (self: IDBObjectStore, value: unknown, key: Key) => {
    const copy = structuredClone(value);
    // A generated key is written into the value at the store's key path.
    if (self.autoIncrement && typeof self.keyPath === "string" && copy && typeof copy === "object")
      (copy as Record<string, unknown>)[self.keyPath] = key;
    return copy;
  };
  for (const [name, original] of [
    ["put", put],
    ["add", add],
  ] as const) {
    store[name] = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      const request = original.apply(this, arguments as unknown as [unknown, IDBValidKey?]);
      const journal = journalOf(this.transaction);
      if (!journal) return request;
      const copy = structuredClone(value);
      return onSuccess(request, () => {
        const stored = request.result as Key;
        const kept = this.autoIncrement && typeof this.keyPath === "string" ? storeValue(this, copy, stored) : copy;
        journal.record(this.transaction, { op: "put", store: this.name, key: key ?? stored, value: kept });
      });
    };
  }
  store.delete = function (this: IDBObjectStore, key: IDBValidKey | IDBKeyRange) {
    const request = remove.call(this, key);
    const journal = journalOf(this.transaction);
    const target = key instanceof IDBKeyRange ? rangeOf(key) : structuredClone(key);
    return journal
      ? onSuccess(request, () => journal.record(this.transaction, { op: "delete", store: this.name, key: target }))
      : request;
  };
  store.clear = function (this: IDBObjectStore) {
    const request = clear.call(this);
    const journal = journalOf(this.transaction);
    return journal
      ? onSuccess(request, () => journal.record(this.transaction, { op: "clear", store: this.name }))
      : request;
  };
  store.createIndex = function (
    this: IDBObjectStore,
    index: string,
    keyPath: string | string[],
    options?: IDBIndexParameters,
  ) {
    const created = createIndex.call(this, index, keyPath, options);
    journalOf(this.transaction)?.record(this.transaction, {
      op: "createIndex",
      store: this.name,
      index,
      keyPath,
      unique: options?.unique ?? false,
      multiEntry: options?.multiEntry ?? false,
    });
    return created;
  };
  store.deleteIndex = function (this: IDBObjectStore, index: string) {
    deleteIndex.call(this, index);
    journalOf(this.transaction)?.record(this.transaction, { op: "deleteIndex", store: this.name, index });
  };

  const database = IDBDatabase.prototype;
  const { createObjectStore, deleteObjectStore } = database;
  database.createObjectStore = function (this: IDBDatabase, name: string, options?: IDBObjectStoreParameters) {
    const created = createObjectStore.call(this, name, options);
    journalOf(created.transaction)?.record(created.transaction, {
      op: "createStore",
      store: name,
      keyPath: options?.keyPath ?? null,
      autoIncrement: options?.autoIncrement ?? false,
    });
    return created;
  };
  database.deleteObjectStore = function (this: IDBDatabase, name: string) {
    deleteObjectStore.call(this, name);
    const transaction = upgrades.get(this);
    if (transaction) journalOf(transaction)?.record(transaction, { op: "deleteStore", store: name });
  };

  const cursor = IDBCursor.prototype;
  const { update, delete: removeAt } = cursor;
  const cursorStore = (c: IDBCursor) =>
    c.source instanceof IDBObjectStore ? c.source : (c.source as IDBIndex).objectStore;
  cursor.update = function (this: IDBCursor, value: unknown) {
    const request = update.call(this, value);
    const target = cursorStore(this);
    const journal = journalOf(target.transaction);
    const key = this.primaryKey as Key;
    const copy = structuredClone(value);
    return journal
      ? onSuccess(request, () =>
          journal.record(target.transaction, { op: "put", store: target.name, key, value: copy }),
        )
      : request;
  };
  cursor.delete = function (this: IDBCursor) {
    const request = removeAt.call(this);
    const target = cursorStore(this);
    const journal = journalOf(target.transaction);
    const key = this.primaryKey as Key;
    return journal
      ? onSuccess(request, () => journal.record(target.transaction, { op: "delete", store: target.name, key }))
      : request;
  };
}

/** An IDBFactory whose databases persist in `journal`. */
class DurableFactory extends IDBFactory {
  constructor(private readonly journal: Journal) {
    super();
  }

  override open(name: string, version?: number): IDBOpenDBRequest {
    const request = super.open(name, version);
    // Registered before the caller's handlers, so schema changes in upgradeneeded are journaled.
    request.addEventListener("upgradeneeded", (event) => {
      const transaction = request.transaction!;
      journals.set(request.result, this.journal);
      upgrades.set(request.result, transaction);
      transaction.addEventListener("complete", () => upgrades.delete(request.result));
      transaction.addEventListener("abort", () => upgrades.delete(request.result));
      this.journal.versionChange(transaction, (event as IDBVersionChangeEvent).newVersion!);
    });
    request.addEventListener("success", () => journals.set(request.result, this.journal));
    return request;
  }

  override deleteDatabase(name: string): IDBOpenDBRequest {
    const request = super.deleteDatabase(name);
    request.addEventListener("success", () => this.journal.write({ deleted: name }));
    return request;
  }
}

export interface DurableIndexedDB {
  readonly factory: IDBFactory;
  readonly keyRange: typeof IDBKeyRange;
  /** Rewrites the file as one snapshot (done at every open, and by itself as the file grows). */
  compact(): Promise<void>;
  /** Closes the file; connections must be closed first. */
  close(): void;
}

/**
 * Opens the databases kept in the encrypted file at `path` (created when absent). Every write
 * transaction is on disk when it completes.
 */
export async function openDurableIndexedDB(path: string, key: Uint8Array): Promise<DurableIndexedDB> {
  patchWrites();
  const state: Snapshot = new Map();
  for (const record of readJournal(path, key)) fold(state, deserialize(record) as Entry);
  // Compacted at every start: the file holds one snapshot record, then what this run writes.
  const journal = new Journal(
    createJournal(path, key, [new Uint8Array(serialize({ snapshot: state } satisfies Entry))]),
    path,
    key,
    state,
  );
  const factory = new DurableFactory(journal);
  // The base class's open: connections that load or read the snapshot are not journaled.
  const open = (name: string, version?: number) => IDBFactory.prototype.open.call(factory, name, version);
  await materialize(open, state);
  const compact = async () =>
    journal.compact(
      open,
      (await factory.databases()).flatMap((d) => (d.name ? [d.name] : [])),
    );
  journal.onGrown = () =>
    void compact().catch((error) =>
      console.error("compacting the bridge's state file failed; it is retried as it grows", error),
    );
  return { factory, keyRange: IDBKeyRange, compact, close: () => journal.close() };
}
