// Every small thing a device keeps in its settings table, under one typed schema: what the key
// names and what its value is, so no caller picks a key string or casts what it reads. (The store's
// own bookkeeping, the wrapped secrets and migration and compaction state, stays in client/store/.)
import type { Inbox } from "../shared/api.js";
import type { Role } from "./accountSetup.js";
import type { KnownHead } from "./heads.js";
import type { DelegatedWriter } from "./keySource.js";
import type { ReceiptChains } from "./accessLog.js";
import type { ReceiptWriterState } from "./readReceipts.js";
import type { StewardDatabase } from "./store/database.js";

/** A write grantee as kept: its signing key in hex. */
export type StoredWriter = Omit<DelegatedWriter, "signKey"> & { signKey: string };

export interface Settings {
  /** Which kind of account this device holds, its handle, and whether set-up finished. */
  role: Role;
  handle: string;
  accountReady: boolean;
  /** The newest key-ring version this device saw, and whether it holds changes not yet stored. */
  keyRingVersion: number;
  keyRingDirty: boolean;
  /** A patient's: the access log's head as last checked, the receipt chains, the write grantees. */
  accessLogHead: { seq: number; hash: string };
  receiptChains: ReceiptChains;
  writeGrantees: StoredWriter[];
  /** A grantee's: the last inbox listing, for opening offline. */
  inboxListing: { at: number; inbox: Inbox };
  /** A grantee's: each patient's signed device list, and the grant revision it was fetched for. */
  [patientDevices: `patientDevices/${string}`]: Uint8Array;
  [fetchedFor: `patientDevicesRevision/${string}`]: number;
  /** A grantee view's read receipts (`receipts/<patient>/<grant>`). */
  [receipts: `receipts/${string}`]: ReceiptWriterState;
  /** The heads seen: "heads" on a patient's device, `heads/<patient>/<grant>` for a view. */
  [heads: `heads${string}`]: Record<string, KnownHead>;
}

export type SettingKey = keyof Settings & string;

/** The settings table, read and written through the schema above. */
export class DeviceSettings {
  constructor(private readonly db: StewardDatabase) {}

  async get<K extends SettingKey>(key: K): Promise<Settings[K] | undefined> {
    return (await this.db.settings.get(key)) as Settings[K] | undefined;
  }

  async put<K extends SettingKey>(key: K, value: Settings[K]): Promise<void> {
    await this.db.settings.put(value, key);
  }

  /** Several keys at once, in one transaction. */
  async getAll<K extends SettingKey>(keys: readonly K[]): Promise<{ [P in K]?: Settings[P] }> {
    const values = await this.db.settings.bulkGet([...keys]);
    return Object.fromEntries(keys.map((key, i) => [key, values[i]])) as { [P in K]?: Settings[P] };
  }

  /** Several keys at once, in one transaction: all are written or none. */
  async putAll(values: Partial<Pick<Settings, SettingKey>>): Promise<void> {
    const entries = Object.entries(values);
    await this.db.settings.bulkPut(
      entries.map(([, value]) => value),
      entries.map(([key]) => key),
    );
  }
}
