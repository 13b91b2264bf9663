// A short-lived mailbox where two parties who cannot reach each other yet exchange a few messages:
// device linking (a new device and an existing one) and invite links (a patient and the person
// invited). One object per slot, named "<purpose>:<hex id>". The server only relays: every message
// is authenticated end to end (key commitment + short authentication string for linking, a MAC keyed
// by the secret in the link's fragment for invites), so a relay that alters one is caught.
import { DurableObject } from "cloudflare:workers";
import { Refusal, refusing, type Outcome } from "./outcome.js";
import { bytesEqual } from "../shared/bytes.js";
import { blob, bytesOf } from "./sql.js";

/** Enough for a commitment, two keys and a sealed key ring; more is abuse. */
export const MAX_RENDEZVOUS_MESSAGES = 4;
/** A key ring with many contacts and generations stays far below this. */
export const MAX_RENDEZVOUS_MESSAGE_BYTES = 128 * 1024;

export interface RendezvousSlot {
  readonly owner: string | null;
  readonly expiresAt: number;
  readonly messages: { readonly from: string | null; readonly body: Uint8Array }[];
}

function checkSize(body: Uint8Array): void {
  if (body.length > MAX_RENDEZVOUS_MESSAGE_BYTES)
    throw new Refusal("too_large", `a relayed message is at most ${MAX_RENDEZVOUS_MESSAGE_BYTES} bytes`);
}

export class Rendezvous extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS slot (owner TEXT, expires_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS messages (n INTEGER PRIMARY KEY, sender TEXT, body BLOB NOT NULL);
    `);
  }

  /**
   * Opens the slot with its first message (may be empty). `owner` (an account id) is the only one
   * allowed to read an owned slot; opening again with the same owner and message is a retry.
   */
  open(owner: string | null, expiresAt: number, first: Uint8Array, now = Date.now()): Outcome<{ expiresAt: number }> {
    return refusing(() => {
      checkSize(first);
      this.dropIfExpired(now);
      const existing = this.sql
        .exec<{ owner: string | null; expires_at: number }>("SELECT owner, expires_at FROM slot")
        .toArray()[0];
      if (existing) {
        const firstStored = this.sql.exec<{ body: ArrayBuffer }>("SELECT body FROM messages WHERE n = 0").toArray()[0];
        const same = existing.owner === owner && !!firstStored && bytesEqual(bytesOf(firstStored.body), first);
        if (!same) throw new Refusal("conflict", "this link or invite id is already in use; create a new one");
        return { expiresAt: existing.expires_at };
      }
      this.ctx.storage.transactionSync(() => {
        this.sql.exec("INSERT INTO slot (owner, expires_at) VALUES (?, ?)", owner, expiresAt);
        this.sql.exec("INSERT INTO messages (n, sender, body) VALUES (0, ?, ?)", owner, blob(first));
      });
      void this.ctx.storage.setAlarm(expiresAt);
      return { expiresAt };
    });
  }

  /** Appends a message as message number `n` (write-once, so two answers cannot both land). */
  post(sender: string | null, n: number, body: Uint8Array, now = Date.now()): Outcome<{ n: number }> {
    return refusing(() => {
      checkSize(body);
      this.requireSlot(now);
      if (n < 1 || n >= MAX_RENDEZVOUS_MESSAGES)
        throw new Refusal("malformed", `a message number is 1 to ${MAX_RENDEZVOUS_MESSAGES - 1}`);
      const count = this.sql.exec<{ c: number }>("SELECT count(*) AS c FROM messages").one().c;
      if (n !== count) {
        const stored = this.sql
          .exec<{ sender: string | null; body: ArrayBuffer }>("SELECT sender, body FROM messages WHERE n = ?", n)
          .toArray()[0];
        // The same message again is a retry after a lost answer.
        if (stored && stored.sender === sender && bytesEqual(bytesOf(stored.body), body)) return { n };
        throw new Refusal(
          "conflict",
          n < count ? "someone already answered this link or invite" : `message ${count} must come first`,
        );
      }
      this.sql.exec("INSERT INTO messages (n, sender, body) VALUES (?, ?, ?)", n, sender, blob(body));
      return { n };
    });
  }

  /** The slot's messages; an owned slot answers its owner only. */
  read(reader: string | null, now = Date.now()): Outcome<RendezvousSlot> {
    return refusing(() => {
      const slot = this.requireSlot(now);
      if (slot.owner !== null && slot.owner !== reader)
        throw new Refusal("forbidden", "only the account that created this invite can read its answers");
      const messages = this.sql
        .exec<{ sender: string | null; body: ArrayBuffer }>("SELECT sender, body FROM messages ORDER BY n")
        .toArray()
        .map((m) => ({ from: m.sender, body: bytesOf(m.body) }));
      return { owner: slot.owner, expiresAt: slot.expires_at, messages };
    });
  }

  /** Closes the slot early (owner only for owned slots): a used or withdrawn invite. */
  close(requester: string | null, now = Date.now()): Outcome<null> {
    return refusing(() => {
      const slot = this.requireSlot(now);
      if (slot.owner !== null && slot.owner !== requester)
        throw new Refusal("forbidden", "only the account that created this invite can withdraw it");
      this.clear();
      return null;
    });
  }

  override async alarm(): Promise<void> {
    this.dropIfExpired(Date.now());
  }

  private requireSlot(now: number): { owner: string | null; expires_at: number } {
    this.dropIfExpired(now);
    const slot = this.sql
      .exec<{ owner: string | null; expires_at: number }>("SELECT owner, expires_at FROM slot")
      .toArray()[0];
    if (!slot) throw new Refusal("not_found", "this link or invite does not exist or has expired; ask for a new one");
    return slot;
  }

  private dropIfExpired(now: number): void {
    const slot = this.sql.exec<{ expires_at: number }>("SELECT expires_at FROM slot").toArray()[0];
    if (slot && slot.expires_at <= now) this.clear();
  }

  private clear(): void {
    this.sql.exec("DELETE FROM messages");
    this.sql.exec("DELETE FROM slot");
  }
}
