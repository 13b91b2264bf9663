// The grants a patient issued: sharing with a verified contact, listing what was shared (as the
// patient signed it, whatever the server says), revoking one or everything with key rotation, and
// re-issuing the rest under the new keys. Patient delegates to it; invites issue through it.
import { verify } from "../crypto/accountKeys.js";
import { issueGrant, type GrantScopeInput, type Recipient } from "../crypto/grant.js";
import { bytesEqual, fromBase64Url, fromHex, toHex } from "../shared/bytes.js";
import type { DeviceList } from "../shared/deviceList.js";
import { MalformedInput, RollbackDetected, UnverifiedRecipient } from "../shared/errors.js";
import { decodeGrantWire, type GrantPolicy, MAX_GENERATIONS_PER_ENTRY } from "../shared/grantCodec.js";
import { MS_PER_HOUR, SCOPES, type Scope } from "../shared/records.js";
import { decodeRevocation } from "../shared/revocation.js";
import type { ServerApi } from "./api/serverApi.js";
import type { Contact } from "./contacts.js";
import { chainPoint } from "./devices.js";
import { type GrantInfo, type GrantStatus, grantInfo } from "./grantInfo.js";
import { checkGrantTerms, type GrantTerms, grantsToKeep, type KeepEntry } from "./grantOptions.js";
import { type KeyRing, rotateScopes, scopeTags } from "./keyRing.js";
import type { DelegatedWriter } from "./keySource.js";
import { revokedGrantId, signRevocation } from "./revocations.js";
import type { DeviceSettings, StoredWriter } from "./settings.js";
import type { LocalLog } from "./store/localLog.js";
import { chainsOf } from "./sync/chain.js";
import type { SyncEngine } from "./sync/syncEngine.js";

export interface ShareOptions extends GrantTerms {
  /** Account id of a verified contact. */
  readonly with: string;
}

/** A grant as listed: what the patient shows, and the policy the patient signed. */
export interface ListedGrant {
  readonly info: GrantInfo;
  readonly policy: GrantPolicy;
}

/** What the grants need of the patient's device. */
export interface IssuedGrantsContext {
  readonly api: ServerApi;
  readonly patientId: string;
  readonly ring: KeyRing;
  readonly settings: DeviceSettings;
  readonly sync: SyncEngine;
  readonly log: LocalLog;
  refreshKeyRing(): Promise<void>;
  updateRing(change: (ring: KeyRing) => void): Promise<void>;
  /** The account's device list, its signatures checked. */
  deviceList(): DeviceList;
  /** A verified contact as a recipient (UnverifiedRecipient otherwise). */
  recipient(accountId: string): Recipient;
  contactById(accountId: string): Promise<Contact>;
  handleOf(accountId: string): string | undefined;
  /** Withdraws every open invite (their secrets may have leaked). */
  closeInvites(): Promise<void>;
}

export class IssuedGrants {
  private writers: DelegatedWriter[] = [];
  private cutoffs?: {
    from: readonly Uint8Array[];
    count: number;
    byGrant: Map<string, NonNullable<DelegatedWriter["cutoffs"]>>;
  };

  constructor(private readonly c: IssuedGrantsContext) {}

  /** Loads the write grantees this device knew when it last listed the grants. */
  async load(): Promise<void> {
    const writers = await this.c.settings.get("writeGrantees");
    this.writers = (writers ?? []).map((w) => ({ ...w, signKey: fromHex(w.signKey, 32) }));
  }

  /**
   * The write grantees, each revoked one cut at its signed revocation's cut-off of each of its
   * chains (read from the key ring as it is now, so a revocation made on another device counts as
   * soon as the ring arrives): what it signs later, even under its old keys, is refused.
   */
  writersNow(): DelegatedWriter[] {
    if (this.cutoffs?.from !== this.c.ring.revocations || this.cutoffs.count !== this.c.ring.revocations.length) {
      const byGrant = new Map(
        this.c.ring.revocations
          .map(decodeRevocation)
          .map((r) => [toHex(r.grantId), r.cutoffs.map((c) => ({ deviceId: toHex(c.deviceId), lastSeq: c.lastSeq }))]),
      );
      this.cutoffs = { from: this.c.ring.revocations, count: this.c.ring.revocations.length, byGrant };
    }
    const { byGrant } = this.cutoffs;
    return this.writers.map((w) =>
      w.grantId && byGrant.has(w.grantId) ? { ...w, cutoffs: byGrant.get(w.grantId)! } : w,
    );
  }

  private get data() {
    return this.c.ring.data!;
  }

  private tags(): Map<Scope, Uint8Array> {
    return scopeTags(this.data);
  }

  private scopeOf(tag: Uint8Array): Scope | undefined {
    return [...this.tags()].find(([, t]) => bytesEqual(t, tag))?.[0];
  }

  private coverInputs(scopes: readonly Scope[]): GrantScopeInput[] {
    const tags = this.tags();
    return scopes.map((scope) => {
      const generations = [...this.data.scopes[scope].roots]
        .sort(([a], [b]) => a - b)
        .slice(-MAX_GENERATIONS_PER_ENTRY);
      return {
        scope,
        scopeTag: tags.get(scope)!,
        generations: generations.map(([generation, root]) => ({ generation, root })),
      };
    });
  }

  /** Patient.share. */
  async share(options: ShareOptions): Promise<GrantInfo> {
    checkGrantTerms(options);
    const recipient = this.c.recipient(options.with);
    // Another device may have rotated: a grant must carry the current generation.
    await this.c.refreshKeyRing();
    const info = await this.issue(recipient, options);
    if (info.write) await this.list();
    return info;
  }

  /** Signs a grant to `recipient` over the current keys and posts it; a given id and revision re-issue one. */
  async issue(
    recipient: Recipient,
    options: Omit<ShareOptions, "with">,
    grantId?: Uint8Array,
    revision?: number,
  ): Promise<GrantInfo> {
    checkGrantTerms(options);
    const fromHour = Math.floor(options.from / MS_PER_HOUR);
    const toHour = Math.max(
      Math.floor(options.to / MS_PER_HOUR),
      options.live ? Math.floor(options.expiresAt / MS_PER_HOUR) : 0,
    );
    const issued = issueGrant({
      patient: this.c.ring.account,
      recipient,
      // The grantee trusts only a device list that reaches this one: a removal cannot be hidden from it.
      devices: chainPoint(this.c.deviceList()),
      scopes: this.coverInputs(options.scopes),
      fromHour,
      toHour,
      expiresAt: options.expiresAt,
      live: options.live ?? false,
      write: options.write ?? false,
      ...(grantId ? { grantId } : {}),
      ...(revision ? { revision } : {}),
    });
    await this.c.api.postGrant(this.c.patientId, issued.wire);
    return grantInfo(
      issued.policy,
      (tag) => this.scopeOf(tag),
      "active",
      (id) => this.c.handleOf(id),
    );
  }

  /** Every grant issued, newest first, each checked to be signed by the patient; keeps the write grantees. */
  async list(): Promise<ListedGrant[]> {
    const summaries = await this.c.api.grants(this.c.patientId);
    const revoked = new Set(this.c.ring.revocations.map(revokedGrantId));
    const listed = summaries.map((summary): ListedGrant => {
      const { policy, policyBytes, policySignature } = decodeGrantWire(fromBase64Url(summary.grant, "grant"));
      // The list comes from the server: only grants this account signed are believed.
      verify("grantPolicy", policySignature, this.c.ring.account.signKey, "grant policy", policyBytes);
      const grantId = toHex(policy.grantId);
      if (grantId !== summary.grantId)
        throw new RollbackDetected(`the server listed grant ${grantId} under another id`);
      if (summary.status === "active" && revoked.has(grantId)) {
        throw new RollbackDetected(
          `the server lists grant ${grantId} as active although you revoked it: it rolled back its state; revoke everything and report it`,
        );
      }
      const status: GrantStatus =
        summary.status === "active" && policy.expiresAt <= Date.now() ? "expired" : summary.status;
      return {
        policy,
        info: grantInfo(
          policy,
          (tag) => this.scopeOf(tag),
          status,
          (id) => this.c.handleOf(id),
        ),
      };
    });
    // Every write grant, whatever the server says of its status: a writer is bounded by the key
    // generations its signed policy gave, so its old writes stay authentic after it ends and
    // nothing under the keys rotated since can pass as its.
    this.writers = listed
      .filter((g) => g.info.write)
      .map((g) => ({
        grantId: g.info.grantId,
        signKey: g.policy.granteeSignKey,
        scopes: g.info.scopes,
        fromHour: Math.floor(g.info.from / MS_PER_HOUR),
        toHour: Math.floor(g.info.to / MS_PER_HOUR),
        generations: Object.fromEntries(
          g.policy.entries.flatMap((e) =>
            this.scopeOf(e.scopeTag) ? [[this.scopeOf(e.scopeTag)!, e.generations]] : [],
          ),
        ),
      }));
    await this.c.settings.put(
      "writeGrantees",
      this.writers.map((w): StoredWriter => ({ ...w, signKey: toHex(w.signKey) })),
    );
    return listed.sort((a, b) => b.info.issuedAt - a.info.issuedAt);
  }

  /** Patient.revoke: ends the grant, rotates its scopes, re-issues the other grants of them. */
  async revoke(grantId: string): Promise<void> {
    await this.c.refreshKeyRing();
    const listed = await this.list();
    const target = listed.find((g) => g.info.grantId === grantId);
    if (!target) throw new MalformedInput(`there is no grant ${grantId}`);
    await this.endGrants([target], target.info.scopes, () => this.c.api.revokeGrant(this.c.patientId, grantId));
    const remaining = listed.filter(
      (g) =>
        g.info.status === "active" &&
        g.info.grantId !== grantId &&
        g.info.scopes.some((s) => target.info.scopes.includes(s)),
    );
    for (const grant of remaining) await this.reissue(grant, grant.policy.grantId, grant.policy.revision + 1);
  }

  /** Patient.revokeEverything: ends every grant, rotates every scope, re-issues those in `keep`. */
  async revokeEverything(
    options: { keep?: readonly KeepEntry[] } = {},
  ): Promise<{ revoked: number; reissued: number }> {
    await this.c.refreshKeyRing();
    const listed = await this.list();
    const active = listed.filter((g) => g.info.status === "active");
    const keep = new Set(
      grantsToKeep(
        active.map((g) => g.info),
        options.keep ?? [],
      ),
    );
    // A leaked link (or a stolen device holding the invite secrets) must not win a grant afterwards.
    await this.c.closeInvites();
    await this.endGrants(active, SCOPES, () => this.c.api.revokeAllGrants(this.c.patientId));
    const kept = active.filter((g) => keep.has(g.info));
    for (const grant of kept) await this.reissue(grant);
    return { revoked: active.length, reissued: kept.length };
  }

  /**
   * Ends `grants` on the server, then, in one key-ring change, gives `scopes` fresh keys and signs a
   * revocation of each grant: the patient's own word, which the other devices and the grantees keep
   * whatever the server says later. A write grantee's revocation cuts each of its device chains at
   * the last envelope the patient's log holds once the server stopped accepting its writes.
   */
  private async endGrants(
    grants: readonly ListedGrant[],
    scopes: readonly Scope[],
    endOnServer: () => Promise<void>,
  ): Promise<void> {
    await this.c.sync.push();
    await endOnServer();
    // A pull that fails only makes a cut-off earlier: nothing the grantee wrote after it counts.
    await this.c.sync.pull().catch(() => undefined);
    const heads = await this.c.log.chainHeads();
    let revocations: Uint8Array[] = [];
    await this.c.updateRing((ring) => {
      rotateScopes(ring.data!, scopes);
      const tags = scopeTags(ring.data!);
      const generations = scopes.map((scope) => ({
        scopeTag: tags.get(scope)!,
        generation: ring.data!.scopes[scope].current,
      }));
      revocations = grants.map((g) =>
        signRevocation(ring.account, {
          patientId: g.policy.patientId,
          grantId: g.policy.grantId,
          revision: g.policy.revision,
          granteeId: g.policy.granteeId,
          revokedAt: Date.now(),
          cutoffs: g.policy.write ? chainsOf(heads, g.policy.granteeSignKey) : [],
          generations,
        }),
      );
      ring.revocations.push(...revocations);
    });
    await this.declareCurrent(scopes);
    for (const revocation of revocations) await this.c.api.postRevocation(this.c.patientId, revocation);
  }

  /** Tells the patient log the current generation of each scope: it refuses envelopes of older ones. */
  private async declareCurrent(scopes: readonly Scope[]): Promise<void> {
    const tags = this.tags();
    for (const scope of scopes)
      await this.c.api.declareGeneration(this.c.patientId, toHex(tags.get(scope)!), this.data.scopes[scope].current);
  }

  /** Issues `grant` again with every current key, as a new revision or (no id) as a new grant. */
  private async reissue(grant: ListedGrant, grantId?: Uint8Array, revision?: number): Promise<void> {
    const { policy, info } = grant;
    const contact = await this.c.contactById(info.grantee.accountId);
    // The patient already signed a grant to exactly these keys; anything else is a substitution.
    if (
      !bytesEqual(contact.bundle.signKey, policy.granteeSignKey) ||
      !bytesEqual(contact.bundle.boxKey, policy.granteeBoxKey)
    ) {
      throw new UnverifiedRecipient(
        `${contact.handle}'s keys changed since the grant was issued; verify them again and share anew`,
      );
    }
    const options = {
      scopes: info.scopes,
      from: info.from,
      to: info.to,
      expiresAt: info.expiresAt,
      live: info.live,
      write: info.write,
    };
    await this.issue({ bundle: contact.bundle, verified: true }, options, grantId, revision);
  }

  /** After every scope rotated (a device removed): the server learns the new generations, and `grants` get the new keys. */
  async rekey(grants: readonly ListedGrant[]): Promise<void> {
    await this.declareCurrent(SCOPES);
    for (const grant of grants) await this.reissue(grant, grant.policy.grantId, grant.policy.revision + 1);
  }
}
