// A bridge's folder: `bridge.json` (which side, which server, the passphrase's salt: nothing
// secret) and `state.journal` (the SDK's store and the bridge's own settings, encrypted under a
// key derived from the passphrase the person set when linking). The same passphrase also gives
// the key that wraps the account's key ring, so the file alone opens nothing.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Dexie, { type Table } from "dexie";
import { fromHex, toHex, utf8 } from "../shared/bytes.js";
import { DeviceNotReady, MalformedInput } from "../shared/errors.js";
import { deriveKey, newKdfParams, KDF_ARGON2ID13 } from "../crypto/secretKdf.js";
import { loadSodium, sodium } from "../crypto/sodium.js";
import type { StorageOptions } from "../client/index.js";
import { openDurableIndexedDB, type DurableIndexedDB } from "./store/durableIndexedDB.js";

export type Side = "patient" | "grantee";

export interface BridgeConfig {
  readonly format: 1;
  readonly side: Side;
  readonly server: string;
  readonly kdf: { readonly opsLimit: number; readonly memLimit: number; readonly salt: string };
}

/** Passphrases shorter than this are refused: the file's only protection is this passphrase. */
export const MIN_PASSPHRASE = 12;
const CONFIG_FILE = "bridge.json";
const STATE_FILE = "state.journal";

/** The bridge's own settings, beside the SDK's database in the same encrypted file. */
class SettingsDb extends Dexie {
  settings!: Table<unknown, string>;
  constructor(store: DurableIndexedDB) {
    super("steward-bridge", { indexedDB: store.factory, IDBKeyRange: store.keyRange });
    this.version(1).stores({ settings: "" });
  }
}

export class BridgeState {
  private readonly settingsDb: SettingsDb;

  private constructor(
    readonly dir: string,
    readonly config: BridgeConfig,
    private readonly store: DurableIndexedDB,
    private readonly wrappingKey: CryptoKey,
  ) {
    this.settingsDb = new SettingsDb(store);
  }

  /** What the SDK is opened with: this file, and the key for the key ring. */
  get storage(): StorageOptions {
    return { indexedDB: { factory: this.store.factory, keyRange: this.store.keyRange }, wrappingKey: this.wrappingKey };
  }

  async get<T>(name: string): Promise<T | undefined> {
    return (await this.settingsDb.settings.get(name)) as T | undefined;
  }

  /** Stored, and on disk, when it resolves. */
  async set(name: string, value: unknown): Promise<void> {
    await this.settingsDb.settings.put(value, name);
  }

  close(): void {
    this.settingsDb.close();
    this.store.close();
  }

  static exists(dir: string): boolean {
    return existsSync(join(dir, CONFIG_FILE));
  }

  /** Marks the folder as holding a bridge, once its device is linked (a failed link leaves none). */
  saveConfig(): void {
    writeFileSync(join(this.dir, CONFIG_FILE), `${JSON.stringify(this.config, null, 2)}\n`, { mode: 0o600 });
  }

  /** Sets up a new folder (saveConfig() once linked). The passphrase is needed at every start; it is never stored. */
  static async create(dir: string, side: Side, server: string, passphrase: string): Promise<BridgeState> {
    if (passphrase.length < MIN_PASSPHRASE)
      throw new MalformedInput(
        `choose a passphrase of at least ${MIN_PASSPHRASE} characters: it is all that protects the bridge's keys on this disk`,
      );
    if (BridgeState.exists(dir))
      throw new DeviceNotReady(`${dir} already holds a bridge; start it, or choose another folder`);
    await loadSodium();
    const params = newKdfParams();
    const config: BridgeConfig = {
      format: 1,
      side,
      server,
      kdf: { opsLimit: params.opsLimit, memLimit: params.memLimit, salt: toHex(params.salt) },
    };
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return BridgeState.unlock(dir, config, passphrase);
  }

  /** Opens an existing folder with its passphrase (WrongSecret when it is not the one set). */
  static async open(dir: string, passphrase: string): Promise<BridgeState> {
    if (!BridgeState.exists(dir))
      throw new DeviceNotReady(
        `${dir} holds no bridge yet: run "steward-bridge link" or "steward-bridge follow" first`,
      );
    let config: BridgeConfig;
    try {
      config = JSON.parse(readFileSync(join(dir, CONFIG_FILE), "utf8")) as BridgeConfig;
    } catch (error) {
      throw new MalformedInput(`${join(dir, CONFIG_FILE)} is not readable JSON (${(error as Error).message})`);
    }
    if (config.format !== 1 || (config.side !== "patient" && config.side !== "grantee"))
      throw new MalformedInput(`${join(dir, CONFIG_FILE)} is not a bridge configuration this version understands`);
    await loadSodium();
    return BridgeState.unlock(dir, config, passphrase);
  }

  private static async unlock(dir: string, config: BridgeConfig, passphrase: string): Promise<BridgeState> {
    const master = deriveKey(utf8(passphrase), {
      algorithm: KDF_ARGON2ID13,
      opsLimit: config.kdf.opsLimit,
      memLimit: config.kdf.memLimit,
      salt: fromHex(config.kdf.salt, 16, "salt"),
    });
    const journalKey = sodium().crypto_kdf_derive_from_key(32, 1, "brjournl", master);
    const ringKey = sodium().crypto_kdf_derive_from_key(32, 2, "brkeyrng", master);
    sodium().memzero(master);
    const wrappingKey = await crypto.subtle.importKey("raw", new Uint8Array(ringKey), "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
    sodium().memzero(ringKey);
    const store = await openDurableIndexedDB(join(dir, STATE_FILE), journalKey);
    return new BridgeState(dir, config, store, wrappingKey);
  }
}
