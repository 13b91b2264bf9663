// The invite lifecycle: a patient hands out a link to someone without a verified contact yet (a
// caregiver, say), the invited person answers it from their device, and the patient's device
// issues the grant once the answer proves it was made with the link. The link and answer formats
// are client/inviteLink.ts; the invites still open travel in the key ring, so any of the patient's
// devices can complete or withdraw them.
import type { KeyBundle } from "../shared/keyBundle.js";
import { fromBase64Url, bytesEqual, toHex } from "../shared/bytes.js";
import { InvalidSignature, KeyChanged, MalformedInput, RequestRefused, UnverifiedRecipient } from "../shared/errors.js";
import type { Recipient } from "../crypto/grant.js";
import { labelledHash } from "../shared/hash.js";
import { accountIdOf } from "../shared/keyBundle.js";
import { MS_PER_HOUR, type Scope } from "../shared/records.js";
import type { ServerApi } from "./api/serverApi.js";
import type { Contact } from "./contacts.js";
import type { GrantInfo } from "./grantInfo.js";
import { checkGrantTerms, type GrantTerms } from "./grantOptions.js";
import { inviteAnswer, inviteUrl, newInvite, openInviteAnswer, parseInviteUrl } from "./inviteLink.js";
import type { KeyRing } from "./keyRing.js";

const DEFAULT_LINK_LIFETIME_MS = 7 * 24 * MS_PER_HOUR;

export interface InviteOptions extends GrantTerms {
  /** When the link stops working; default 7 days, never after the grant would end. */
  readonly linkExpiresAt?: number;
}

/** An invite not answered yet, as the sharing screen lists it. */
export interface OpenInvite {
  readonly inviteId: string;
  readonly scopes: readonly Scope[];
  readonly expiresAt: number;
}

/** What an invite is run with: the patient's device, its key ring, contacts and grants. */
export interface InviteHost {
  readonly api: ServerApi;
  readonly ring: KeyRing;
  readonly patientId: string;
  /** The patient's handle, named in the link to greet the invited person. */
  readonly handle: string;
  /** Where links point (the web app). */
  readonly appUrl: string;
  updateRing(change: (ring: KeyRing) => void): Promise<void>;
  refreshKeyRing(): Promise<void>;
  contactById(accountId: string): Promise<Contact>;
  verifyContact(accountId: string, via: "invite"): Promise<Contact>;
  /** Issues a grant to a verified recipient under a fixed id. */
  issue(recipient: Recipient, terms: GrantTerms, grantId: Uint8Array): Promise<GrantInfo>;
}

/** The errors of an answer that is bad in itself (so its invite is withdrawn), not of a network. */
function isBadAnswer(error: unknown): error is Error {
  return (
    error instanceof InvalidSignature ||
    error instanceof MalformedInput ||
    error instanceof UnverifiedRecipient ||
    error instanceof KeyChanged
  );
}

/** A patient's invites. */
export class Invites {
  private completing: Promise<unknown> = Promise.resolve();

  constructor(private readonly host: InviteHost) {}

  /**
   * An invite link. The secret sits in the URL's fragment, which browsers never send to a server;
   * the grant is issued when the invited person answers and `complete()` runs.
   */
  async create(options: InviteOptions): Promise<{ url: string; inviteId: string; expiresAt: number }> {
    checkGrantTerms(options);
    const { host } = this;
    const invite = newInvite(host.patientId);
    const expiresAt = Math.min(options.linkExpiresAt ?? Date.now() + DEFAULT_LINK_LIFETIME_MS, options.expiresAt);
    await host.api.openSlot("invite", invite.id, { expiresAt });
    await host.updateRing((ring) => {
      ring.invites.push({
        id: invite.id,
        secret: invite.secret,
        scopes: [...options.scopes],
        fromHour: Math.floor(options.from / MS_PER_HOUR),
        toHour: Math.floor(options.to / MS_PER_HOUR),
        grantExpiresAt: options.expiresAt,
        expiresAt,
        live: options.live ?? false,
        write: options.write ?? false,
      });
    });
    return { url: inviteUrl(host.appUrl, { ...invite, from: host.handle }), inviteId: invite.id, expiresAt };
  }

  open(): OpenInvite[] {
    return this.host.ring.invites.map((i) => ({ inviteId: i.id, scopes: i.scopes, expiresAt: i.expiresAt }));
  }

  /**
   * Issues the grants of invites that were answered: the answer's MAC proves it was made with the
   * link, so the answering account's keys are pinned as verified. Expired invites are withdrawn. An
   * answer that does not verify withdraws its invite (the link may have leaked) and, once every
   * other invite was handled, raises InvalidSignature saying so. Runs one at a time.
   */
  complete(): Promise<GrantInfo[]> {
    const run = this.completing.then(() => this.completeNow());
    this.completing = run.catch(() => undefined);
    return run;
  }

  /** Withdraws an invite: its link stops working. */
  async close(inviteId: string): Promise<void> {
    await this.host.api.closeInvite(inviteId).catch((error) => {
      if (!(error instanceof RequestRefused && error.status === 404)) throw error;
    });
    await this.host.updateRing((ring) => {
      ring.invites = ring.invites.filter((i) => i.id !== inviteId);
      if (!ring.closedInvites.includes(inviteId)) ring.closedInvites.push(inviteId);
    });
  }

  /** Withdraws every open invite (their secrets may have leaked with a device). */
  async closeAll(): Promise<void> {
    for (const invite of [...this.host.ring.invites]) await this.close(invite.id);
  }

  private async completeNow(): Promise<GrantInfo[]> {
    const { host } = this;
    // Invites made on another of the patient's devices arrive with the key ring.
    await host.refreshKeyRing();
    const issued: GrantInfo[] = [];
    const refused: string[] = [];
    for (const invite of [...host.ring.invites]) {
      if (invite.expiresAt <= Date.now()) {
        await this.close(invite.id);
        continue;
      }
      let slot: Awaited<ReturnType<ServerApi["readSlot"]>>;
      try {
        slot = await host.api.readSlot("invite", invite.id);
      } catch (error) {
        if (error instanceof RequestRefused && error.status === 404) {
          await this.close(invite.id);
          continue;
        }
        throw error;
      }
      const answer = slot.messages[1];
      if (!answer) continue;
      let contact: Contact;
      try {
        contact = await this.answeredBy(invite.secret, fromBase64Url(answer.body, "invite answer"), answer.from);
      } catch (error) {
        // Only a bad answer withdraws the invite; a network failure leaves it for the next run.
        if (!isBadAnswer(error)) throw error;
        refused.push(error.message);
        await this.close(invite.id);
        continue;
      }
      await host.verifyContact(contact.accountId, "invite");
      const terms = {
        scopes: invite.scopes,
        from: invite.fromHour * MS_PER_HOUR,
        to: (invite.toHour + 1) * MS_PER_HOUR - 1,
        expiresAt: invite.grantExpiresAt,
        live: invite.live,
        write: invite.write,
      };
      // The grant id comes from the invite, so a retry after a lost answer cannot issue a second grant.
      const grantId = labelledHash("steward/invite-grant/v1", invite.secret).slice(0, 16);
      try {
        issued.push(await host.issue({ bundle: contact.bundle, verified: true }, terms, grantId));
      } catch (error) {
        if (!(error instanceof RequestRefused && error.status === 409)) throw error;
      }
      await this.close(invite.id);
    }
    if (refused.length > 0) {
      throw new InvalidSignature(
        `an invite was answered by someone who could not prove they hold the link (${refused.join("; ")}); it has been withdrawn, so create a new one`,
      );
    }
    return issued;
  }

  /** The contact whose keys answered, once the answer verified and matches their published keys. */
  private async answeredBy(secret: Uint8Array, answer: Uint8Array, from: string | null): Promise<Contact> {
    const bundle = openInviteAnswer(secret, answer, from);
    const contact = await this.host.contactById(toHex(accountIdOf(bundle.signKey)));
    if (!bytesEqual(contact.bundle.signKey, bundle.signKey) || !bytesEqual(contact.bundle.boxKey, bundle.boxKey)) {
      throw new UnverifiedRecipient(`the keys that answered differ from ${contact.handle}'s published keys`);
    }
    return contact;
  }
}

/** What the invited person's device answers with. */
export interface InviteeHost {
  readonly api: ServerApi;
  /** The invited account's key bundle, sent in the answer. */
  readonly bundle: KeyBundle;
  contactById(accountId: string): Promise<Contact>;
  verifyContact(accountId: string, via: "invite"): Promise<Contact>;
}

/**
 * Answers an invite link: pins the patient named in it as verified (the link came from them) and
 * sends the invited account's keys, authenticated by the link's secret.
 */
export async function acceptInvite(
  host: InviteeHost,
  url: string,
): Promise<{ patient: { accountId: string; handle: string } }> {
  const invite = parseInviteUrl(url);
  const patient = await host.contactById(invite.patientId);
  await host.verifyContact(patient.accountId, "invite");
  await host.api.postToSlot("invite", invite.id, 1, inviteAnswer(invite.secret, host.bundle));
  return { patient: { accountId: patient.accountId, handle: patient.handle } };
}
