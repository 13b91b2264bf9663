// One object per account (named by the hex account id): the public key bundle, the handle, the
// inbox of grants addressed to the account, login challenges and the login rate limit, and two
// opaque blobs only the account's devices can open: the synced key ring (versioned, so devices
// never overwrite each other) and the recovery kit.
// The same class also serves as the handle index: the instance named "handle:<lowercased handle>"
// holds only the owner of that handle, so claiming a handle is atomic without a global table.
import { DurableObject } from "cloudflare:workers";
import type { AccountResponse, Inbox } from "../shared/api.js";
import { bytesEqual, fromHex, toBase64Url, toHex } from "../shared/bytes.js";
import { signerKey } from "../shared/deviceList.js";
import { decodeKeyBundle, accountIdHex, keyBundleSignedBytes } from "../shared/keyBundle.js";
import { signedMessage } from "../shared/signing.js";
import { hasSmallOrder } from "../shared/smallOrder.js";
import { DeviceStore } from "./deviceStore.js";
import { asFailure, ok, Refusal, type Outcome } from "./outcome.js";
import { blob, bytesOf } from "./sql.js";
import { Ed25519KeyCache, verifyEd25519 } from "./webcrypto.js";

export const NONCE_BYTES = 32;
export const NONCE_TTL_MS = 2 * 60_000;
/** Challenges and failed logins together, per account and minute: slows guessing and nonce flooding. */
export const LOGIN_ATTEMPTS_PER_MINUTE = 20;
export const KIT_FETCHES_PER_MINUTE = 10;

export function handleObjectName(handle: string): string {
  return `handle:${handle.toLowerCase()}`;
}

export class Account extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** The account's signed device list: which device keys (and the recovery key) may log in. */
  private readonly devices: DeviceStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.devices = new DeviceStore(ctx.storage.sql, new Ed25519KeyCache(4));
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS account (id TEXT PRIMARY KEY, handle TEXT NOT NULL, bundle BLOB NOT NULL, sign_key BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS handle_owner (handle TEXT PRIMARY KEY, account_id TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS nonces (nonce BLOB PRIMARY KEY, expires_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS attempts (at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS inbox (grant_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, revision INTEGER NOT NULL, expires_at INTEGER NOT NULL, wire BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS revocations (grant_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, wire BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS key_ring (version INTEGER NOT NULL, blob BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS recovery_kit (blob BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS kit_fetches (at INTEGER NOT NULL);
    `);
  }

  /**
   * Registers the bundle (self-signature checked) and claims the handle, with the account's first
   * device list when given; repeating it is harmless.
   */
  async register(bundleBytes: Uint8Array, handle: string, devices?: Uint8Array): Promise<Outcome<AccountResponse>> {
    try {
      const bundle = decodeKeyBundle(bundleBytes);
      if (hasSmallOrder(bundle.signKey)) throw new Refusal("malformed", "this identity key is a weak (small-order) point that would accept forged signatures; generate new keys");
      if (!(await verifyEd25519(bundle.signKey, bundle.signature, keyBundleSignedBytes(bundle)))) {
        throw new Refusal("malformed", "the key bundle is not signed by its own identity key");
      }
      const accountId = accountIdHex(bundle.signKey);
      const existing = this.sql.exec<{ handle: string; bundle: ArrayBuffer }>("SELECT handle, bundle FROM account").toArray()[0];
      if (existing) {
        const same = bytesEqual(bundleBytes, bytesOf(existing.bundle)) && existing.handle === handle.toLowerCase();
        if (!same) throw new Refusal("conflict", "this identity key is already registered with another bundle or handle");
        if (devices) await this.devices.publish(devices, bundle.signKey);
        return ok(this.profile()!);
      }
      // Checked before the handle is claimed: a list that does not verify registers nothing.
      if (devices) await this.devices.check(devices, bundle.signKey);
      const index = this.env.ACCOUNT.get(this.env.ACCOUNT.idFromName(handleObjectName(handle)));
      const claim = await index.claimHandle(handle.toLowerCase(), accountId);
      if (!claim.ok) return claim;
      // Another registration of this key may have finished while the claim was awaited.
      if (this.sql.exec("SELECT 1 FROM account").toArray().length > 0) throw new Refusal("conflict", "this identity key was registered concurrently; look the account up instead");
      this.sql.exec("INSERT INTO account (id, handle, bundle, sign_key) VALUES (?, ?, ?, ?)", accountId, handle.toLowerCase(), blob(bundleBytes), blob(bundle.signKey));
      if (devices) await this.devices.publish(devices, bundle.signKey);
      return ok(this.profile()!);
    } catch (error) {
      return asFailure(error);
    }
  }

  /** Handle-index role: first claim wins; the same account claiming again is a retry. */
  claimHandle(handle: string, accountId: string): Outcome<null> {
    const row = this.sql.exec<{ account_id: string }>("SELECT account_id FROM handle_owner WHERE handle = ?", handle).toArray()[0];
    if (row && row.account_id !== accountId) return { ok: false, code: "conflict", message: `the handle "${handle}" is taken; choose another` };
    if (!row) this.sql.exec("INSERT INTO handle_owner (handle, account_id) VALUES (?, ?)", handle, accountId);
    return ok(null);
  }

  /** Handle-index role: the account id that owns this handle, if any. */
  handleOwner(handle: string): string | null {
    return this.sql.exec<{ account_id: string }>("SELECT account_id FROM handle_owner WHERE handle = ?", handle).toArray()[0]?.account_id ?? null;
  }

  profile(): AccountResponse | null {
    const row = this.sql.exec<{ id: string; handle: string; bundle: ArrayBuffer }>("SELECT id, handle, bundle FROM account").toArray()[0];
    return row ? { accountId: row.id, handle: row.handle, bundle: toBase64Url(new Uint8Array(row.bundle)) } : null;
  }

  /** A fresh single-use nonce for challenge-response login. */
  challenge(now = Date.now()): Outcome<{ nonce: Uint8Array; expiresAt: number }> {
    try {
      this.requireAccount();
      this.countAttempt(now);
      this.sql.exec("DELETE FROM nonces WHERE expires_at <= ?", now);
      const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
      const expiresAt = now + NONCE_TTL_MS;
      this.sql.exec("INSERT INTO nonces (nonce, expires_at) VALUES (?, ?)", blob(nonce), expiresAt);
      return ok({ nonce, expiresAt });
    } catch (error) {
      return asFailure(error);
    }
  }

  /**
   * Checks the signature over signedMessage("login", nonce ‖ accountId ‖ signer); the nonce is spent
   * either way. An account with a device list logs in only with the key of a device that list holds
   * as active (or the recovery key): a removed device cannot, although it still holds the identity
   * key. An account registered without one signs with its identity key (`signer` absent).
   */
  async login(nonce: Uint8Array, signature: Uint8Array, signer?: Uint8Array, now = Date.now()): Promise<Outcome<string>> {
    try {
      const { accountId, signKey } = this.requireAccount();
      this.countAttempt(now);
      const row = this.sql.exec<{ expires_at: number }>("SELECT expires_at FROM nonces WHERE nonce = ?", blob(nonce)).toArray()[0];
      this.sql.exec("DELETE FROM nonces WHERE nonce = ?", blob(nonce));
      if (!row || row.expires_at <= now) throw new Refusal("unauthenticated", "this login challenge is unknown, used or expired; ask for a new one");
      const list = this.devices.list(signKey);
      let key = signKey;
      if (list) {
        if (!signer) throw new Refusal("unauthenticated", "this account's devices log in with their own keys; this device is not in its device list");
        const found = signerKey(list, signer);
        if (!found) throw new Refusal("unauthenticated", `device ${toHex(signer)} is not an active device of this account: it was removed, or was never linked`);
        key = found;
      } else if (signer) {
        throw new Refusal("unauthenticated", "this account has no device list: log in with its identity key");
      }
      const message = signedMessage("login", nonce, fromHex(accountId, 16, "account id"), ...(signer ? [signer] : []));
      if (!(await verifyEd25519(key, signature, message))) throw new Refusal("unauthenticated", "the login signature does not verify under this device's key");
      return ok(accountId);
    } catch (error) {
      return asFailure(error);
    }
  }

  /** Stores the account's device list after a change (linking, removal): it must continue the stored one. */
  async publishDevices(list: Uint8Array): Promise<Outcome<{ changes: number }>> {
    try {
      const { signKey } = this.requireAccount();
      return ok({ changes: (await this.devices.publish(list, signKey)).head.index });
    } catch (error) {
      return asFailure(error);
    }
  }

  inboxPut(entry: { grantId: string; patientId: string; revision: number; expiresAt: number; wire: Uint8Array }): void {
    this.sql.exec(
      "INSERT INTO inbox (grant_id, patient_id, revision, expires_at, wire) VALUES (?, ?, ?, ?, ?) ON CONFLICT (grant_id) DO UPDATE SET revision = excluded.revision, expires_at = excluded.expires_at, wire = excluded.wire WHERE excluded.revision >= inbox.revision",
      entry.grantId,
      entry.patientId,
      entry.revision,
      entry.expiresAt,
      blob(entry.wire),
    );
  }

  inboxRemove(grantId: string): void {
    this.sql.exec("DELETE FROM inbox WHERE grant_id = ?", grantId);
  }

  /** A patient's signed revocation of a grant to this account: kept, so the grantee's devices learn of it. */
  inboxRevoke(entry: { grantId: string; patientId: string; wire: Uint8Array }): void {
    this.sql.exec("DELETE FROM inbox WHERE grant_id = ?", entry.grantId);
    this.sql.exec("INSERT INTO revocations (grant_id, patient_id, wire) VALUES (?, ?, ?) ON CONFLICT (grant_id) DO UPDATE SET wire = excluded.wire", entry.grantId, entry.patientId, blob(entry.wire));
  }

  /** Grants addressed to this account that have not expired (revoked ones were removed), and the revocations received. */
  inbox(now = Date.now()): Inbox {
    const grants = this.sql
      .exec<{ grant_id: string; patient_id: string; revision: number; expires_at: number; wire: ArrayBuffer }>("SELECT * FROM inbox WHERE expires_at > ? ORDER BY grant_id", now)
      .toArray()
      .map((r) => ({ grantId: r.grant_id, patientId: r.patient_id, revision: r.revision, expiresAt: r.expires_at, grant: toBase64Url(new Uint8Array(r.wire)) }));
    const revocations = this.sql
      .exec<{ grant_id: string; patient_id: string; wire: ArrayBuffer }>("SELECT * FROM revocations ORDER BY grant_id")
      .toArray()
      .map((r) => ({ grantId: r.grant_id, patientId: r.patient_id, revocation: toBase64Url(new Uint8Array(r.wire)) }));
    return { grants, revocations };
  }

  /**
   * Stores the sealed key ring as `version`, which must be the stored version + 1: a device that
   * rotated keys from a stale copy gets a conflict and merges, instead of erasing another's roots.
   */
  putKeyRing(version: number, sealed: Uint8Array): Outcome<{ version: number }> {
    try {
      this.requireAccount();
      return this.ctx.storage.transactionSync(() => {
        const current = this.sql.exec<{ version: number }>("SELECT version FROM key_ring").toArray()[0]?.version ?? 0;
        if (version !== current + 1) throw new Refusal("conflict", `the key ring is at version ${current}; fetch it, merge and store version ${current + 1}`);
        this.sql.exec("DELETE FROM key_ring");
        this.sql.exec("INSERT INTO key_ring (version, blob) VALUES (?, ?)", version, blob(sealed));
        return ok({ version });
      });
    } catch (error) {
      return asFailure(error);
    }
  }

  getKeyRing(): Outcome<{ version: number; blob: Uint8Array }> {
    const row = this.sql.exec<{ version: number; blob: ArrayBuffer }>("SELECT version, blob FROM key_ring").toArray()[0];
    return row ? ok({ version: row.version, blob: bytesOf(row.blob) }) : { ok: false, code: "not_found", message: "no key ring is stored for this account yet" };
  }

  putRecoveryKit(kit: Uint8Array): Outcome<null> {
    try {
      this.requireAccount();
      this.sql.exec("DELETE FROM recovery_kit");
      this.sql.exec("INSERT INTO recovery_kit (blob) VALUES (?)", blob(kit));
      return ok(null);
    } catch (error) {
      return asFailure(error);
    }
  }

  /**
   * The recovery kit, to anyone who names the account: it is Argon2id-wrapped under a generated
   * 160-bit secret, so fetching it gains nothing. Fetches have their own limit, apart from logins,
   * so fetching it repeatedly cannot lock the account's devices out.
   */
  getRecoveryKit(now = Date.now()): Outcome<{ accountId: string; blob: Uint8Array }> {
    try {
      const { accountId } = this.requireAccount();
      this.sql.exec("DELETE FROM kit_fetches WHERE at <= ?", now - 60_000);
      if (this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM kit_fetches").one().n >= KIT_FETCHES_PER_MINUTE) {
        throw new Refusal("rate_limited", "this recovery kit was fetched too often; wait a minute and try again");
      }
      this.sql.exec("INSERT INTO kit_fetches (at) VALUES (?)", now);
      const row = this.sql.exec<{ blob: ArrayBuffer }>("SELECT blob FROM recovery_kit").toArray()[0];
      if (!row) throw new Refusal("not_found", "this account has no recovery kit stored; recover from another linked device instead");
      return ok({ accountId, blob: bytesOf(row.blob) });
    } catch (error) {
      return asFailure(error);
    }
  }

  private requireAccount(): { accountId: string; signKey: Uint8Array } {
    const row = this.sql.exec<{ id: string; sign_key: ArrayBuffer }>("SELECT id, sign_key FROM account").toArray()[0];
    if (!row) throw new Refusal("not_found", "no account is registered under this id");
    return { accountId: row.id, signKey: bytesOf(row.sign_key) };
  }

  private countAttempt(now: number): void {
    this.sql.exec("DELETE FROM attempts WHERE at <= ?", now - 60_000);
    const count = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM attempts").one().n;
    if (count >= LOGIN_ATTEMPTS_PER_MINUTE) throw new Refusal("rate_limited", "too many login attempts for this account; wait a minute and try again");
    this.sql.exec("INSERT INTO attempts (at) VALUES (?)", now);
  }
}
