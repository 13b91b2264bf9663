// One object per account (named by the hex account id): the public key bundle, the handle, the
// inbox of grants addressed to the account, spent login nonces and failed proofs, and two
// opaque blobs only the account's devices can open: the synced key ring (versioned, so devices
// never overwrite each other) and the recovery kit.
// The same class also serves as the handle index: the instance named "handle:<lowercased handle>"
// holds only the owner of that handle, so claiming a handle is atomic without a global table.
import { DurableObject } from "cloudflare:workers";
import type { AccountResponse, EndedShare, Inbox } from "../shared/api.js";
import { bytesEqual, toBase64Url, toHex } from "../shared/bytes.js";
import { signerKey } from "../shared/deviceList.js";
import { decodeKeyBundle, accountIdHex, keyBundleSignedBytes } from "../shared/keyBundle.js";
import { loginProofPayload, PROOF_WINDOW_MS, type LoginProof } from "../shared/loginProof.js";
import { signedMessage } from "../shared/signing.js";
import { hasSmallOrder } from "../shared/smallOrder.js";
import { DeviceStore } from "./deviceStore.js";
import { ok, Refusal, refusing, unwrap, type Outcome } from "./outcome.js";
import { blob, bytesOf } from "./sql.js";
import { Ed25519KeyCache, verifyEd25519 } from "./webcrypto.js";

/**
 * Failed proofs per account and minute that are checked and logged; past it they are answered 429
 * unchecked against storage. A valid proof is never refused by it, so nobody can lock an account out.
 */
export const FAILED_LOGINS_PER_MINUTE = 20;

/** How long a grantee's inbox remembers how a share ended. */
export const ENDED_KEPT_MS = 90 * 24 * 3_600_000;

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
      CREATE TABLE IF NOT EXISTS spent_nonces (nonce BLOB PRIMARY KEY, expires_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS failed_logins (at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS grant_inbox (patient_id TEXT NOT NULL, grant_id TEXT NOT NULL, revision INTEGER NOT NULL, expires_at INTEGER NOT NULL, wire BLOB NOT NULL, ended TEXT, ended_at INTEGER, PRIMARY KEY (patient_id, grant_id));
      CREATE TABLE IF NOT EXISTS grant_revocations (patient_id TEXT NOT NULL, grant_id TEXT NOT NULL, wire BLOB NOT NULL, PRIMARY KEY (patient_id, grant_id));
      CREATE TABLE IF NOT EXISTS key_ring (version INTEGER NOT NULL, blob BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS recovery_kit (blob BLOB NOT NULL);
      -- Earlier versions' stored challenges and per-account counters, replaced by login proofs.
      DROP TABLE IF EXISTS nonces;
      DROP TABLE IF EXISTS attempts;
      DROP TABLE IF EXISTS kit_fetches;
    `);
    migrateInbox(this.sql);
  }

  /**
   * Registers the bundle (self-signature checked) and claims the handle, with the account's first
   * device list when given; repeating it is harmless.
   */
  async register(bundleBytes: Uint8Array, handle: string, devices?: Uint8Array): Promise<Outcome<AccountResponse>> {
    return refusing(async () => {
      const bundle = decodeKeyBundle(bundleBytes);
      if (hasSmallOrder(bundle.signKey))
        throw new Refusal(
          "malformed",
          "this identity key is a weak (small-order) point that would accept forged signatures; generate new keys",
        );
      if (!(await verifyEd25519(bundle.signKey, bundle.signature, keyBundleSignedBytes(bundle)))) {
        throw new Refusal("malformed", "the key bundle is not signed by its own identity key");
      }
      const accountId = accountIdHex(bundle.signKey);
      const existing = this.sql
        .exec<{ handle: string; bundle: ArrayBuffer }>("SELECT handle, bundle FROM account")
        .toArray()[0];
      if (existing) {
        const same = bytesEqual(bundleBytes, bytesOf(existing.bundle)) && existing.handle === handle.toLowerCase();
        if (!same)
          throw new Refusal("conflict", "this identity key is already registered with another bundle or handle");
        if (devices) await this.devices.publish(devices, bundle.signKey);
        return this.profile()!;
      }
      // Checked before the handle is claimed: a list that does not verify registers nothing.
      if (devices) await this.devices.check(devices, bundle.signKey);
      const index = this.env.ACCOUNT.get(this.env.ACCOUNT.idFromName(handleObjectName(handle)));
      const claim = await index.claimHandle(handle.toLowerCase(), accountId);
      unwrap(claim);
      // Another registration of this key may have finished while the claim was awaited.
      if (this.sql.exec("SELECT 1 FROM account").toArray().length > 0)
        throw new Refusal("conflict", "this identity key was registered concurrently; look the account up instead");
      this.sql.exec(
        "INSERT INTO account (id, handle, bundle, sign_key) VALUES (?, ?, ?, ?)",
        accountId,
        handle.toLowerCase(),
        blob(bundleBytes),
        blob(bundle.signKey),
      );
      if (devices) await this.devices.publish(devices, bundle.signKey);
      return this.profile()!;
    });
  }

  /** Handle-index role: first claim wins; the same account claiming again is a retry. */
  claimHandle(handle: string, accountId: string): Outcome<null> {
    const row = this.sql
      .exec<{ account_id: string }>("SELECT account_id FROM handle_owner WHERE handle = ?", handle)
      .toArray()[0];
    if (row && row.account_id !== accountId)
      return { ok: false, code: "conflict", message: `the handle "${handle}" is taken; choose another` };
    if (!row) this.sql.exec("INSERT INTO handle_owner (handle, account_id) VALUES (?, ?)", handle, accountId);
    return ok(null);
  }

  /** Handle-index role: the account id that owns this handle, if any. */
  handleOwner(handle: string): string | null {
    return (
      this.sql.exec<{ account_id: string }>("SELECT account_id FROM handle_owner WHERE handle = ?", handle).toArray()[0]
        ?.account_id ?? null
    );
  }

  profile(): AccountResponse | null {
    const row = this.sql
      .exec<{ id: string; handle: string; bundle: ArrayBuffer }>("SELECT id, handle, bundle FROM account")
      .toArray()[0];
    return row ? { accountId: row.id, handle: row.handle, bundle: toBase64Url(new Uint8Array(row.bundle)) } : null;
  }

  /**
   * Checks a login proof (shared/loginProof.ts), whose time the worker has checked
   * against its clock, and spends its nonce, once. An account with a device list logs in only with
   * the key of a device that list holds as active (or the recovery key): a removed device cannot,
   * although it still holds the identity key. An account registered without one signs with its
   * identity key (no signer).
   */
  async login(proof: LoginProof, now = Date.now()): Promise<Outcome<string>> {
    return refusing(async () => {
      const { accountId, signKey } = this.requireAccount();
      if (toHex(proof.accountId) !== accountId)
        throw new Refusal("unauthenticated", "this login proof is for another account");
      this.sql.exec("DELETE FROM spent_nonces WHERE expires_at <= ?", now);
      if (this.sql.exec("SELECT 1 FROM spent_nonces WHERE nonce = ?", blob(proof.nonce)).toArray().length > 0) {
        throw new Refusal("unauthenticated", "this login proof was already used; sign a new one");
      }
      const { signer } = proof;
      const list = this.devices.list(signKey);
      let key = signKey;
      if (list) {
        if (!signer)
          throw new Refusal(
            "unauthenticated",
            "this account's devices log in with their own keys; this device is not in its device list",
          );
        const found = signerKey(list, signer);
        if (!found)
          throw new Refusal(
            "unauthenticated",
            `device ${toHex(signer)} is not an active device of this account: it was removed, or was never linked`,
          );
        key = found;
      } else if (signer) {
        throw new Refusal("unauthenticated", "this account has no device list: log in with its identity key");
      }
      // Kept until the proof's time is out of the window: after that the worker refuses it anyway.
      const spentUntil = proof.time + PROOF_WINDOW_MS;
      if (await verifyEd25519(key, proof.signature, signedMessage("login", loginProofPayload(proof)))) {
        this.sql.exec("INSERT INTO spent_nonces (nonce, expires_at) VALUES (?, ?)", blob(proof.nonce), spentUntil);
        return accountId;
      }
      this.sql.exec("DELETE FROM failed_logins WHERE at <= ?", now - 60_000);
      if (this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM failed_logins").one().n >= FAILED_LOGINS_PER_MINUTE) {
        throw new Refusal(
          "rate_limited",
          "too many failed sign-ins for this account; wait a minute (a device holding the account's key still signs in)",
        );
      }
      this.sql.exec("INSERT INTO failed_logins (at) VALUES (?)", now);
      throw new Refusal("unauthenticated", "the login signature does not verify under this device's key");
    });
  }

  /** Stores the account's device list after a change (linking, removal): it must continue the stored one. */
  async publishDevices(list: Uint8Array): Promise<Outcome<{ changes: number }>> {
    return refusing(async () => {
      const { signKey } = this.requireAccount();
      return { changes: (await this.devices.publish(list, signKey)).head.index };
    });
  }

  /**
   * Files a grant under (patient, grant): a patient's log can only write its own patient id here, so
   * another patient who learns a grant id cannot overwrite or end that share. An ended entry stays ended.
   */
  inboxPut(entry: { grantId: string; patientId: string; revision: number; expiresAt: number; wire: Uint8Array }): void {
    this.sql.exec(
      "INSERT INTO grant_inbox (patient_id, grant_id, revision, expires_at, wire) VALUES (?, ?, ?, ?, ?) ON CONFLICT (patient_id, grant_id) DO UPDATE SET revision = excluded.revision, expires_at = excluded.expires_at, wire = excluded.wire WHERE excluded.revision >= grant_inbox.revision AND grant_inbox.ended IS NULL",
      entry.patientId,
      entry.grantId,
      entry.revision,
      entry.expiresAt,
      blob(entry.wire),
    );
  }

  /** Marks a share ended (its keys dropped), so the grantee's device learns how it ended. */
  inboxEnd(patientId: string, grantId: string, status: EndedShare["status"], now = Date.now()): void {
    this.sql.exec(
      "UPDATE grant_inbox SET ended = ?, ended_at = ?, wire = x'' WHERE patient_id = ? AND grant_id = ? AND ended IS NULL",
      status,
      now,
      patientId,
      grantId,
    );
  }

  /** A patient's signed revocation of a grant to this account: kept, so the grantee's devices learn of it. */
  inboxRevoke(entry: { grantId: string; patientId: string; wire: Uint8Array }): void {
    this.inboxEnd(entry.patientId, entry.grantId, "revoked");
    this.sql.exec(
      "INSERT INTO grant_revocations (patient_id, grant_id, wire) VALUES (?, ?, ?) ON CONFLICT (patient_id, grant_id) DO UPDATE SET wire = excluded.wire",
      entry.patientId,
      entry.grantId,
      blob(entry.wire),
    );
  }

  /**
   * Running grants addressed to this account, the revocations received, and the shares that ended in
   * the last ENDED_KEPT_MS with how they ended.
   */
  inbox(now = Date.now()): Inbox {
    this.sql.exec("DELETE FROM grant_inbox WHERE coalesce(ended_at, expires_at) <= ?", now - ENDED_KEPT_MS);
    type Row = {
      grant_id: string;
      patient_id: string;
      revision: number;
      expires_at: number;
      wire: ArrayBuffer;
      ended: string | null;
      ended_at: number | null;
    };
    const rows = this.sql.exec<Row>("SELECT * FROM grant_inbox ORDER BY patient_id, grant_id").toArray();
    const running = rows.filter((r) => r.ended === null && r.expires_at > now);
    const revocations = this.sql
      .exec<{ grant_id: string; patient_id: string; wire: ArrayBuffer }>(
        "SELECT * FROM grant_revocations ORDER BY patient_id, grant_id",
      )
      .toArray()
      .map((r) => ({ grantId: r.grant_id, patientId: r.patient_id, revocation: toBase64Url(new Uint8Array(r.wire)) }));
    return {
      grants: running.map((r) => ({
        grantId: r.grant_id,
        patientId: r.patient_id,
        revision: r.revision,
        expiresAt: r.expires_at,
        grant: toBase64Url(new Uint8Array(r.wire)),
      })),
      revocations,
      ended: rows
        .filter((r) => !running.includes(r))
        .map((r) => ({
          grantId: r.grant_id,
          patientId: r.patient_id,
          status: r.ended === "revoked" ? "revoked" : "expired",
          endedAt: r.ended_at ?? r.expires_at,
        })),
    };
  }

  /**
   * Stores the sealed key ring as `version`, which must be the stored version + 1: a device that
   * rotated keys from a stale copy gets a conflict and merges, instead of erasing another's roots.
   */
  putKeyRing(version: number, sealed: Uint8Array): Outcome<{ version: number }> {
    return refusing(() => {
      this.requireAccount();
      return this.ctx.storage.transactionSync(() => {
        const current = this.sql.exec<{ version: number }>("SELECT version FROM key_ring").toArray()[0]?.version ?? 0;
        if (version !== current + 1)
          throw new Refusal(
            "conflict",
            `the key ring is at version ${current}; fetch it, merge and store version ${current + 1}`,
          );
        this.sql.exec("DELETE FROM key_ring");
        this.sql.exec("INSERT INTO key_ring (version, blob) VALUES (?, ?)", version, blob(sealed));
        return { version };
      });
    });
  }

  getKeyRing(): Outcome<{ version: number; blob: Uint8Array }> {
    const row = this.sql
      .exec<{ version: number; blob: ArrayBuffer }>("SELECT version, blob FROM key_ring")
      .toArray()[0];
    return row
      ? ok({ version: row.version, blob: bytesOf(row.blob) })
      : { ok: false, code: "not_found", message: "no key ring is stored for this account yet" };
  }

  putRecoveryKit(kit: Uint8Array): Outcome<null> {
    return refusing(() => {
      this.requireAccount();
      this.sql.exec("DELETE FROM recovery_kit");
      this.sql.exec("INSERT INTO recovery_kit (blob) VALUES (?)", blob(kit));
      return null;
    });
  }

  /**
   * The recovery kit, to anyone who names the account: it is Argon2id-wrapped under a generated
   * 160-bit secret, so fetching it gains nothing. It has no limit of its own (one would let a
   * stranger keep the person from recovering); the worker limits requests per client address.
   */
  getRecoveryKit(): Outcome<{ accountId: string; blob: Uint8Array }> {
    return refusing(() => {
      const { accountId } = this.requireAccount();
      const row = this.sql.exec<{ blob: ArrayBuffer }>("SELECT blob FROM recovery_kit").toArray()[0];
      if (!row)
        throw new Refusal(
          "not_found",
          "this account has no recovery kit stored; recover from another linked device instead",
        );
      return { accountId, blob: bytesOf(row.blob) };
    });
  }

  private requireAccount(): { accountId: string; signKey: Uint8Array } {
    const row = this.sql.exec<{ id: string; sign_key: ArrayBuffer }>("SELECT id, sign_key FROM account").toArray()[0];
    if (!row) throw new Refusal("not_found", "no account is registered under this id");
    return { accountId: row.id, signKey: bytesOf(row.sign_key) };
  }
}

/** Earlier versions keyed the inbox and its revocations by grant id alone; their rows move to (patient, grant). */
function migrateInbox(sql: SqlStorage): void {
  const has = (table: string) =>
    sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", table).toArray().length > 0;
  if (has("inbox")) {
    sql.exec(
      "INSERT OR IGNORE INTO grant_inbox (patient_id, grant_id, revision, expires_at, wire) SELECT patient_id, grant_id, revision, expires_at, wire FROM inbox",
    );
    sql.exec("DROP TABLE inbox");
  }
  if (has("revocations")) {
    sql.exec(
      "INSERT OR IGNORE INTO grant_revocations (patient_id, grant_id, wire) SELECT patient_id, grant_id, wire FROM revocations",
    );
    sql.exec("DROP TABLE revocations");
  }
}
