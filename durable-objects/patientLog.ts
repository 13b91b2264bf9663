// One object per patient (named by the patient's hex account id): the ciphertext log, grants, the
// access log and live sockets. It never sees plaintext; it checks signatures, chains, generations and
// grants so that a server-side bug or a grantee cannot store what the patient's devices would refuse.
//
// Every method takes the caller proven by the worker's session; the object, which knows the grants,
// decides whether that account may act on this patient.
import { DurableObject } from "cloudflare:workers";
import type { AccessAction, AccessLogEntry } from "../shared/accessLog.js";
import { CLOSE_GRANT_ENDED, ERROR_CODES, type GrantSummary } from "../shared/api.js";
import { fromBase64Url, fromHex, toHex } from "../shared/bytes.js";
import { BLOCK_PREFIX_BYTES, blockSignedBytes, decodeBlock, type Block } from "../shared/blockCodec.js";
import { PREFIX_BYTES, decodeEnvelope, envelopeSignedBytes, type Envelope } from "../shared/envelopeCodec.js";
import { decodeGrantWire, grantPolicySignedBytes } from "../shared/grantCodec.js";
import { accountIdHex, decodeKeyBundle } from "../shared/keyBundle.js";
import type { DeviceList } from "../shared/deviceList.js";
import { decodeRevocation, revocationSignedBytes } from "../shared/revocation.js";
import { EXTRA_KINDS, decodeUpload, encodePage, objectKind, type Extra } from "../shared/syncFrames.js";
import { AccessLogStore } from "./accessLogStore.js";
import { checkAuthor, type Writer } from "./authorPolicy.js";
import { BlockStore } from "./blockStore.js";
import { DeviceStore } from "./deviceStore.js";
import { HeadStore } from "./headStore.js";
import { ReceiptStore } from "./receiptStore.js";
import { EnvelopeStore } from "./envelopeStore.js";
import { anyCovers, outsideGrants, type ReadFilter, type Shard } from "./grantRules.js";
import { GrantStore, summarize, type StoredGrant } from "./grantStore.js";
import { decoded, Refusal, refusing, type Outcome } from "./outcome.js";
import { migrateSchema } from "./patientLogSchema.js";
import { granteePlan, patientPlan } from "./pullPlan.js";
import { RefusalTally } from "./refusalTally.js";
import { accountStub } from "./stubs.js";
import { Ed25519KeyCache, verifyEd25519 } from "./webcrypto.js";
import { checkExtras } from "./witness.js";

/** Who is asking: `actor` is the account proven by the session, `patientId` the log addressed. */
export interface Caller {
  readonly patientId: string;
  readonly actor: string;
}

export interface PullQuery {
  readonly after: number;
  readonly limit: number;
  readonly maxBytes: number;
  /** The one grant a grantee's view reads under; without it, all of the caller's live grants. */
  readonly grant?: string;
  readonly tags?: readonly string[];
  readonly fromHour?: number;
  readonly toHour?: number;
}

type Access = { readonly role: "patient" } | { readonly role: "grantee"; readonly grants: readonly StoredGrant[] };

/** Kept on each hibernatable socket: who it is for and which grants it was opened under. */
interface SocketAttachment {
  readonly actor: string;
  readonly role: "patient" | "grantee";
  readonly grantIds: readonly string[];
}

/** workerd refuses alarms after 2189; a far expiry is re-armed by the alarm itself when it fires. */
const MAX_ALARM_AHEAD_MS = 50 * 365 * 24 * 3_600_000;

export class PatientLog extends DurableObject<Env> {
  private readonly envelopes: EnvelopeStore;
  private readonly blocks: BlockStore;
  private readonly grants: GrantStore;
  private readonly log: AccessLogStore;
  private readonly refusals: RefusalTally;
  private readonly keys = new Ed25519KeyCache();
  private readonly devices: DeviceStore;
  private readonly receipts: ReceiptStore;
  private readonly heads: HeadStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrateSchema(ctx.storage.sql);
    this.envelopes = new EnvelopeStore(ctx.storage.sql);
    this.blocks = new BlockStore(ctx.storage.sql, this.envelopes);
    this.grants = new GrantStore(ctx.storage.sql);
    this.log = new AccessLogStore(ctx.storage.sql);
    this.refusals = new RefusalTally(ctx.storage.sql, this.log);
    this.devices = new DeviceStore(ctx.storage.sql, this.keys);
    this.receipts = new ReceiptStore(ctx.storage.sql);
    this.heads = new HeadStore(ctx.storage.sql);
  }

  /**
   * Stores an upload of hour envelopes and blocks atomically: every object is checked, then all are
   * stored in one transaction, in order, or none. Its extras are kept in the same transaction: each
   * writer's signed head (naming where its chain now ends) and grantees' read receipts.
   */
  push(caller: Caller, upload: Uint8Array): Promise<Outcome<{ seqs: number[] }>> {
    return this.guarded(caller, "push", async () => {
      const access = this.access(caller);
      const decodedUpload = decodeUpload(upload);
      const items = decodedUpload.objects.map((bytes, i) => decodeObject(bytes, i));
      const writer: Writer =
        access.role === "patient"
          ? { ...caller, devices: await this.storedDeviceList(caller.patientId) }
          : { ...caller, grants: access.grants.map((g) => g.policy) };
      // Verified all at once, then checked in upload order: the first object that fails names the refusal.
      const signed = await Promise.all(items.map((item) => this.signatureValid(item)));
      for (const [i, item] of items.entries()) {
        checkAuthor(
          writer,
          item.kind === "envelope"
            ? { kind: "envelope", header: item.envelope.header }
            : { kind: "block", header: item.block.header },
        );
        if (!signed[i]) throw unsigned(item);
      }
      const witnessed = await checkExtras(decodedUpload.extras, writer, this.keys);
      const fresh: number[] = [];
      // The grantee's log entry commits with the upload: a restart cannot keep one without the other.
      const seqs = this.ctx.storage.transactionSync(() => {
        const seqs = this.envelopes.appendBatch(
          items.map((item) => (item.kind === "envelope" ? item.envelope.header.envelopeId : item.block.header.blockId)),
          () =>
            items.map((item) => {
              if (item.kind === "block")
                return (
                  this.envelopes.existingSeq(item.block.header.blockId, item.bytes, BLOCK_PREFIX_BYTES) ??
                  this.blocks.accept(item.block, item.bytes)
                );
              const { envelope, bytes } = item;
              const existing = this.envelopes.existingSeq(envelope.header.envelopeId, bytes, PREFIX_BYTES);
              if (existing !== null) return existing;
              this.checkGeneration(envelope);
              this.envelopes.checkChain(envelope);
              const seq = this.envelopes.append(envelope, bytes);
              fresh.push(seq);
              return seq;
            }),
        );
        for (const { head, bytes } of witnessed.heads)
          this.heads.put(head, bytes, this.envelopes.chainOf(head.authorKey, head.deviceId));
        for (const { receipt, bytes } of witnessed.receipts) this.receipts.append(receipt, bytes);
        if (access.role === "grantee" && items.length > 0)
          this.record(caller.actor, "push", { count: items.length, stored: fresh.length });
        return seqs;
      });
      this.fanOut(fresh, witnessed.heads.length > 0);
      return { seqs };
    });
  }

  /** One page after `after`: the patient's devices get every row, a grantee what its live grants cover (pullPlan.ts). */
  pull(caller: Caller, query: PullQuery): Promise<Outcome<Uint8Array>> {
    return this.guarded(caller, "pull", () => {
      const access = this.access(caller, query.grant);
      const filter: ReadFilter = {
        ...(query.tags ? { tags: query.tags.map((t) => fromHex(t, 16, "scope tag")) } : {}),
        ...(query.fromHour !== undefined ? { fromHour: query.fromHour } : {}),
        ...(query.toHour !== undefined ? { toHour: query.toHour } : {}),
      };
      const limits = { after: query.after, limit: query.limit, maxBytes: query.maxBytes };
      let plan: ReturnType<typeof patientPlan>;
      if (access.role === "grantee") {
        const policies = access.grants.map((g) => g.policy);
        const outside = outsideGrants(filter, policies);
        if (outside) throw new Refusal("outside_grant", outside);
        plan = granteePlan(this.ctx.storage.sql, this.blocks, policies, filter, limits);
        const { after, limit: _limit, maxBytes: _maxBytes, ...narrowed } = query;
        this.log.coalesce(
          caller.actor,
          "pull",
          { grants: access.grants.map((g) => g.grantId), ...narrowed },
          { after, cursor: plan.cursor, count: plan.seqs.length },
        );
      } else plan = patientPlan(this.envelopes, filter, limits);
      const entries = this.envelopes
        .entries(plan.seqs)
        .map((e) => (plan.manifests.has(e.seq) ? { ...e, manifest: this.blocks.encodedManifest(e.seq) } : e));
      return encodePage({ entries, cursor: plan.cursor, more: plan.more, extras: this.headExtras() });
    });
  }

  /** WebSocket upgrade, forwarded by the worker with the proven caller in internal headers. */
  override async fetch(request: Request): Promise<Response> {
    const caller: Caller = {
      patientId: request.headers.get("x-steward-patient") ?? "",
      actor: request.headers.get("x-steward-actor") ?? "",
    };
    const outcome = await this.guarded(caller, "ws", () => {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket")
        throw new Refusal("malformed", "this route only accepts a WebSocket upgrade");
      const access = this.access(caller, request.headers.get("x-steward-grant") ?? undefined);
      const attachment: SocketAttachment =
        access.role === "patient"
          ? { actor: caller.actor, role: "patient", grantIds: [] }
          : { actor: caller.actor, role: "grantee", grantIds: access.grants.map((g) => g.grantId) };
      if (access.role === "grantee")
        this.log.coalesce(caller.actor, "socket.open", { grants: attachment.grantIds }, {});
      return attachment;
    });
    if (!outcome.ok)
      return Response.json(
        { error: { code: outcome.code, message: outcome.message } },
        { status: ERROR_CODES[outcome.code] },
      );
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [`actor:${caller.actor}`]);
    server.serializeAttachment(outcome.value);
    return new Response(null, { status: 101, webSocket: client });
  }

  createGrant(caller: Caller, wire: Uint8Array): Promise<Outcome<GrantSummary>> {
    return this.guarded(caller, "grant.create", async () => {
      this.requirePatient(caller, "create grants");
      const now = Date.now();
      const grant = decodeGrantWire(wire);
      const p = grant.policy;
      if (toHex(p.patientId) !== caller.patientId) throw new Refusal("forbidden", "this grant is for another patient");
      if (accountIdHex(p.patientKey) !== caller.patientId)
        throw new Refusal("forbidden", "the grant's patient key is not this patient's identity key");
      if (
        !(await verifyEd25519(
          p.patientKey,
          grant.policySignature,
          grantPolicySignedBytes(grant.policyBytes),
          this.keys,
        ))
      ) {
        throw new Refusal("malformed", "the grant policy is not signed by the patient's identity key");
      }
      const granteeId = toHex(p.granteeId);
      if (accountIdHex(p.granteeSignKey) !== granteeId)
        throw new Refusal("malformed", "the grantee id does not match the grantee's identity key");
      if (granteeId === caller.patientId) throw new Refusal("malformed", "a patient cannot grant access to themselves");
      if (p.expiresAt <= now)
        throw new Refusal("conflict", "this grant has already expired; issue it with a later expiry");
      const grantId = toHex(p.grantId);
      const existing = this.grants.get(grantId);
      if (existing) {
        if (existing.status !== "active" || existing.expiresAt <= now)
          throw new Refusal("conflict", `grant ${grantId} has ended; issue a new grant instead`);
        if (existing.granteeId !== granteeId)
          throw new Refusal("conflict", `grant ${grantId} belongs to another grantee`);
        if (p.revision < existing.revision)
          throw new Refusal("conflict", `grant ${grantId} is already at revision ${existing.revision}`);
        if (p.revision === existing.revision && toHex(existing.wire) !== toHex(wire))
          throw new Refusal("conflict", `revision ${p.revision} of grant ${grantId} was stored with other content`);
      }
      const grantee = accountStub(this.env, granteeId);
      if (!(await grantee.profile())) throw new Refusal("not_found", "the grantee has no registered account");
      if (!existing || p.revision > existing.revision) {
        this.grants.put({
          grantId,
          revision: p.revision,
          granteeId,
          expiresAt: p.expiresAt,
          policyBytes: grant.policyBytes,
          wire,
        });
        this.record(caller.actor, existing ? "grant.update" : "grant.create", {
          grantId,
          revision: p.revision,
          granteeId,
          write: p.write,
          live: p.live,
          expiresAt: p.expiresAt,
          entries: p.entries.map((e) => ({
            scopeTag: toHex(e.scopeTag),
            fromHour: e.fromHour,
            toHour: e.toHour,
            generations: e.generations,
          })),
        });
        await this.scheduleExpiry();
      }
      // Also on a retry: the first attempt may have stored the grant and failed to reach the inbox.
      await grantee.inboxPut({
        grantId,
        patientId: caller.patientId,
        revision: p.revision,
        expiresAt: p.expiresAt,
        wire,
      });
      return summarize(this.grants.get(grantId)!, now);
    });
  }

  listGrants(caller: Caller): Promise<Outcome<GrantSummary[]>> {
    return this.guarded(caller, "grant.list", () => {
      this.requirePatient(caller, "list grants");
      const now = Date.now();
      return this.grants.all().map((g) => summarize(g, now));
    });
  }

  revokeGrant(caller: Caller, grantId: string): Promise<Outcome<GrantSummary>> {
    return this.guarded(caller, "grant.revoke", async () => {
      this.requirePatient(caller, "revoke grants");
      const grant = this.grants.get(grantId);
      if (!grant) throw new Refusal("not_found", `no grant ${grantId} on this patient`);
      if (grant.status === "active") await this.endGrants([grant], "revoked", caller.actor, "grant.revoke");
      return summarize(this.grants.get(grantId)!, Date.now());
    });
  }

  /**
   * Stores the patient's signed revocation of a grant (shared/revocation.ts), ending the grant if it
   * is still active (a retry whose revoke was lost), and passes it to the grantee's inbox.
   */
  storeRevocation(caller: Caller, bytes: Uint8Array): Promise<Outcome<null>> {
    return this.guarded(caller, "grant.revocation", async () => {
      this.requirePatient(caller, "revoke grants");
      const revocation = decoded("revocation", () => decodeRevocation(bytes));
      if (toHex(revocation.patientId) !== caller.patientId)
        throw new Refusal("forbidden", "this revocation is for another patient");
      if (
        !(await verifyEd25519(
          await this.patientKey(caller.patientId),
          revocation.signature,
          revocationSignedBytes(revocation),
          this.keys,
        ))
      ) {
        throw new Refusal("malformed", "the revocation is not signed by the patient's identity key");
      }
      const grantId = toHex(revocation.grantId);
      const grant = this.grants.get(grantId);
      if (!grant || grant.granteeId !== toHex(revocation.granteeId))
        throw new Refusal("not_found", `no grant ${grantId} to that grantee on this patient`);
      if (revocation.revision < grant.revision)
        throw new Refusal("conflict", `grant ${grantId} is at revision ${grant.revision}, after the one revoked`);
      if (grant.status === "active") await this.endGrants([grant], "revoked", caller.actor, "grant.revoke");
      await accountStub(this.env, grant.granteeId).inboxRevoke({ grantId, patientId: caller.patientId, wire: bytes });
      return null;
    });
  }

  /** "Revoke everything": ends every active grant at once, one access-log entry. */
  revokeAll(caller: Caller): Promise<Outcome<{ revoked: string[] }>> {
    return this.guarded(caller, "grant.revokeAll", async () => {
      this.requirePatient(caller, "revoke grants");
      const active = this.grants.active();
      await this.endGrants(active, "revoked", caller.actor, "grant.revokeAll");
      return { revoked: active.map((g) => g.grantId) };
    });
  }

  readAccessLog(caller: Caller, after: number, limit: number): Promise<Outcome<AccessLogEntry[]>> {
    return this.guarded(caller, "accessLog.read", () => {
      this.requirePatient(caller, "read the access log");
      this.refusals.flush();
      return this.log.read(after, limit);
    });
  }

  /** The grantees' signed receipts, in arrival order after position `after`: to the patient only. */
  readReceipts(caller: Caller, after: number, limit: number): Promise<Outcome<{ n: number; receipt: Uint8Array }[]>> {
    return this.guarded(caller, "receipt.read", () => {
      this.requirePatient(caller, "read the receipts");
      return this.receipts.read(after, limit);
    });
  }

  /** The patient raises a scope's current generation (after a revocation); envelopes of older ones are refused. */
  declareGeneration(
    caller: Caller,
    scopeTag: string,
    generation: number,
  ): Promise<Outcome<{ scopeTag: string; generation: number }[]>> {
    return this.guarded(caller, "generation.declare", () => {
      this.requirePatient(caller, "declare generations");
      this.envelopes.declareGeneration(fromHex(scopeTag, 16, "scope tag"), generation);
      return this.envelopes.generations();
    });
  }

  listGenerations(caller: Caller): Promise<Outcome<{ scopeTag: string; generation: number }[]>> {
    return this.guarded(caller, "generation.list", () => {
      this.requirePatient(caller, "list generations");
      return this.envelopes.generations();
    });
  }

  /** The patient's devices publish the account's signed device list (shared/deviceList.ts) after every change. */
  publishDevices(caller: Caller, list: Uint8Array): Promise<Outcome<{ changes: number }>> {
    return this.guarded(caller, "devices.publish", async () => {
      this.requirePatient(caller, "publish the device list");
      const published = await this.devices.publish(list, await this.patientKey(caller.patientId));
      return { changes: published.head.index };
    });
  }

  /** The patient's device list, to the patient and to grantees with a live grant (who check authors against it). */
  deviceList(caller: Caller): Promise<Outcome<Uint8Array>> {
    return this.guarded(caller, "devices.read", () => {
      this.access(caller);
      const list = this.devices.encoded();
      if (!list) throw new Refusal("not_found", "the patient's devices have not published their device list yet");
      return list;
    });
  }

  /** The patient's device list as stored (null before its devices published it). */
  private async storedDeviceList(patientId: string): Promise<DeviceList | null> {
    return this.devices.encoded() ? this.devices.list(await this.patientKey(patientId)) : null;
  }

  /** The patient's identity key, from the patient's account (kept once read: an account id names one key for good). */
  private async patientKey(patientId: string): Promise<Uint8Array> {
    const kept = this.ctx.storage.sql
      .exec<{ value: string }>("SELECT value FROM meta WHERE key = 'patientKey'")
      .toArray()[0];
    if (kept) return fromHex(kept.value, 32);
    const profile = await accountStub(this.env, patientId).profile();
    if (!profile) throw new Refusal("not_found", "the patient has no registered account");
    const key = decodeKeyBundle(fromBase64Url(profile.bundle, "bundle")).signKey;
    if (accountIdHex(key) !== patientId)
      throw new Refusal("internal", "the patient's account holds another identity key");
    this.ctx.storage.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('patientKey', ?) ON CONFLICT (key) DO NOTHING",
      toHex(key),
    );
    return key;
  }

  /** Ends every grant whose expiry has passed, closes its sockets, and re-arms for the next one. */
  override async alarm(): Promise<void> {
    await this.endGrants(this.grants.dueToExpire(Date.now()), "expired", null, "grant.expire");
  }

  // --- access --------------------------------------------------------------------------------

  /**
   * The patient, or a grantee with its live grants: all of them, or only `grantId` (a view reads
   * under its own grant, so one that ended is told so even while another grant of theirs runs).
   */
  private access(caller: Caller, grantId?: string): Access {
    if (caller.actor === caller.patientId) return { role: "patient" };
    const live = this.grants.liveFor(caller.actor, Date.now());
    const grants = grantId === undefined ? live : live.filter((g) => g.grantId === grantId);
    if (grants.length > 0) return { role: "grantee", grants };
    const ended = grantId === undefined ? this.grants.latestFor(caller.actor) : this.grants.get(grantId);
    if (ended?.granteeId === caller.actor) {
      if (ended.status === "revoked")
        throw new Refusal(
          "revoked_grant",
          "the patient revoked your access to their data; ask them to share again if you still need it",
        );
      throw new Refusal("expired_grant", "your access to this patient's data has expired; ask them to share again");
    }
    throw new Refusal("forbidden", "you are not this patient and hold no grant from them");
  }

  private requirePatient(caller: Caller, what: string): void {
    if (caller.actor !== caller.patientId) throw new Refusal("forbidden", `only the patient can ${what}`);
  }

  private signatureValid(item: Item): Promise<boolean> {
    if (item.kind === "block") {
      const { block } = item;
      return verifyEd25519(
        block.header.authorKey,
        block.signature,
        blockSignedBytes(block.headerBytes, block.body.length, block.bodyHash),
        this.keys,
      );
    }
    const { envelope } = item;
    return verifyEd25519(
      envelope.header.authorKey,
      envelope.signature,
      envelopeSignedBytes(envelope.headerBytes, envelope.body.length, envelope.bodyHash),
      this.keys,
    );
  }

  private checkGeneration(envelope: Envelope): void {
    const current = this.envelopes.currentGeneration(envelope.header.scopeTag);
    if (current !== null && envelope.header.generation < current) {
      throw new Refusal(
        "stale_generation",
        `stale generation: envelope uses generation ${envelope.header.generation}, the scope is at ${current}; re-encrypt under the current generation`,
      );
    }
  }

  // --- grants ending, sockets, log -----------------------------------------------------------

  private async endGrants(
    ended: readonly StoredGrant[],
    status: "revoked" | "expired",
    actor: string | null,
    action: AccessAction,
  ): Promise<void> {
    if (ended.length > 0) {
      this.ctx.storage.transactionSync(() => {
        for (const g of ended) this.grants.setStatus(g.grantId, status);
        if (action === "grant.revokeAll") this.record(actor, action, { grantIds: ended.map((g) => g.grantId) });
        else for (const g of ended) this.record(actor, action, { grantId: g.grantId, granteeId: g.granteeId });
      });
      const ids = new Set(ended.map((g) => g.grantId));
      for (const ws of this.ctx.getWebSockets()) {
        const att = ws.deserializeAttachment() as SocketAttachment;
        if (att.grantIds.some((id) => ids.has(id))) {
          // A text notice first: some stacks deliver the close event only when the TCP connection ends.
          ws.send(JSON.stringify({ type: "ended", code: CLOSE_GRANT_ENDED, reason: `grant ${status}` }));
          ws.close(CLOSE_GRANT_ENDED, `grant ${status}`);
        }
      }
    }
    await this.scheduleExpiry();
    for (const g of ended)
      await accountStub(this.env, g.granteeId).inboxEnd(toHex(g.policy.patientId), g.grantId, status);
  }

  private async scheduleExpiry(): Promise<void> {
    const next = this.grants.nextExpiry();
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.min(next, Date.now() + MAX_ALARM_AHEAD_MS));
  }

  /** Every writer's latest signed head, as page extras: served with every pull and live page. */
  private headExtras(): Extra[] {
    return this.heads.all().map((bytes) => ({ kind: EXTRA_KINDS.head, bytes }));
  }

  /**
   * Sends newly stored hour envelopes to every socket allowed to see them, as one page each: a
   * reading reaches a caregiver at once, never waiting for a block. Rows, live
   * grants and encoded pages are read once per push, not once per socket: one patient may have
   * hundreds of caregiver sockets.
   */
  private fanOut(seqs: readonly number[], headsChanged = false): void {
    if (seqs.length === 0 && !headsChanged) return;
    const sockets = this.ctx.getWebSockets();
    if (sockets.length === 0) return;
    const extras = this.headExtras();
    if (seqs.length === 0) {
      // A heartbeat: the heads alone, to every socket (no entries, so cursor 0: it carries no seq).
      const page = encodePage({ entries: [], cursor: 0, more: false, extras });
      for (const ws of sockets) send(ws, page);
      return;
    }
    // Fresh envelopes of one upload are numbered in one run (blocks of the upload between them are not sent live).
    const fresh = new Set(seqs);
    const rows = [...this.envelopes.scan(seqs[0]! - 1, seqs.at(-1)! - seqs[0]! + 1)].filter((r) => fresh.has(r.seq));
    const live = new Map(this.grants.live(Date.now()).map((g) => [g.grantId, g.policy]));
    const pages = new Map<string, Uint8Array>();
    for (const ws of sockets) {
      const att = ws.deserializeAttachment() as SocketAttachment;
      const policies = att.role === "grantee" ? att.grantIds.flatMap((id) => live.get(id) ?? []) : null;
      const visible = rows.filter((r: Shard) => !policies || anyCovers(policies, r));
      if (visible.length === 0) continue;
      const key = visible.map((r) => r.seq).join(",");
      let page = pages.get(key);
      if (!page) {
        page = encodePage({
          entries: this.envelopes.entries(visible.map((r) => r.seq)),
          cursor: visible[visible.length - 1]!.seq,
          more: false,
          extras,
        });
        pages.set(key, page);
      }
      send(ws, page);
    }
  }

  private inUse(): boolean {
    return (
      this.ctx.storage.sql
        .exec<{ used: number }>("SELECT EXISTS (SELECT 1 FROM envelopes) OR EXISTS (SELECT 1 FROM grants) AS used")
        .one().used === 1
    );
  }

  private record(actor: string | null, action: AccessAction, details: Record<string, unknown>): void {
    this.log.append(actor, action, details);
  }

  /**
   * Runs a request; a refusal is returned as data and tallied for the access log (per hour, caller
   * and kind, bounded: refusalTally.ts). Refusals are only counted once the log is in use (it has
   * grants or envelopes), so probing unknown patient ids does not create storage.
   */
  private async guarded<T>(caller: Caller, route: string, run: () => T | Promise<T>): Promise<Outcome<T>> {
    const outcome = await refusing(async () => run());
    // Tallied, not appended: neither an app polling after its grant ended nor a stranger probing grows the log.
    if (!outcome.ok && this.inUse()) this.refusals.count(caller.actor || null, route, outcome.code, outcome.message);
    return outcome;
  }
}

type Item =
  | { readonly kind: "envelope"; readonly bytes: Uint8Array; readonly envelope: Envelope }
  | { readonly kind: "block"; readonly bytes: Uint8Array; readonly block: Block };

function decodeObject(bytes: Uint8Array, index: number): Item {
  return decoded(`object ${index}`, () =>
    objectKind(bytes) === "block"
      ? { kind: "block", bytes, block: decodeBlock(bytes) }
      : { kind: "envelope", bytes, envelope: decodeEnvelope(bytes) },
  );
}

function send(ws: WebSocket, page: Uint8Array): void {
  try {
    ws.send(page);
  } catch {
    // The peer closed between getWebSockets() and send(); the envelopes are stored and its client
    // catches up by pulling from its cursor, so the push must not fail for it.
  }
}

function unsigned(item: Item): Refusal {
  const id = item.kind === "block" ? item.block.header.blockId : item.envelope.header.envelopeId;
  return new Refusal("forbidden", `${item.kind} ${toHex(id)} is not signed by its author key`);
}
