// Pinned contacts: the people a patient shares with (or a grantee receives from), with the keys
// verified out of band. Sharing needs a verified contact; a contact whose keys change is blocked
// until verified again (a server that substitutes keys gets a KeyChanged, never a grant).
import { verifyKeyBundle } from "../crypto/accountKeys.js";
import { bytesEqual, toHex } from "../shared/bytes.js";
import { InvalidSignature, KeyChanged, UnverifiedRecipient } from "../shared/errors.js";
import type { Recipient } from "../crypto/grant.js";
import { accountIdOf, type KeyBundle } from "../shared/keyBundle.js";
import { safetyNumber } from "../shared/safetyNumber.js";

export type Verification = "safety-number" | "invite";

export interface Contact {
  readonly accountId: string;
  readonly handle: string;
  readonly bundle: KeyBundle;
  /** When and how the keys were verified; absent until the person confirms them. */
  readonly verifiedAt?: number;
  readonly via?: Verification;
}

export class ContactBook {
  private readonly byAccount = new Map<string, Contact>();

  constructor(contacts: readonly Contact[] = []) {
    for (const c of contacts) this.byAccount.set(c.accountId, c);
  }

  list(): Contact[] {
    return [...this.byAccount.values()];
  }

  get(accountId: string): Contact | undefined {
    return this.byAccount.get(accountId);
  }

  /**
   * Records a bundle the directory served for `handle`. A new person is added unverified; a known
   * handle now served with other keys raises KeyChanged and the old, verified entry stays.
   */
  see(handle: string, bundle: KeyBundle): Contact {
    try {
      verifyKeyBundle(bundle);
    } catch {
      throw new InvalidSignature(`the keys served for "${handle}" are not self-signed`);
    }
    const accountId = toHex(accountIdOf(bundle.signKey));
    const sameHandle = this.list().find((c) => c.handle.toLowerCase() === handle.toLowerCase());
    if (sameHandle && sameHandle.accountId !== accountId && sameHandle.verifiedAt !== undefined) {
      throw new KeyChanged(
        `"${handle}" now has different keys than the ones you verified; compare safety numbers again before sharing`,
      );
    }
    const known = this.byAccount.get(accountId);
    if (known) {
      if (!bytesEqual(known.bundle.boxKey, bundle.boxKey))
        throw new KeyChanged(`"${handle}" changed encryption keys; compare safety numbers again before sharing`);
      return known;
    }
    const contact: Contact = { accountId, handle, bundle };
    this.byAccount.set(accountId, contact);
    return contact;
  }

  /** The 60 digits both people compare. */
  safetyNumber(mySignKey: Uint8Array, contact: Contact): string {
    return safetyNumber(mySignKey, contact.bundle.signKey);
  }

  /** Marks the contact verified once the person confirmed the safety number or accepted an invite. */
  verify(accountId: string, via: Verification, now = Date.now()): Contact {
    const contact = this.byAccount.get(accountId);
    if (!contact) throw new UnverifiedRecipient("unknown contact: look the person up first");
    const verified = { ...contact, verifiedAt: now, via };
    this.byAccount.set(accountId, verified);
    return verified;
  }

  /** The recipient form grants need; UnverifiedRecipient unless verified. */
  recipient(accountId: string): Recipient {
    const contact = this.byAccount.get(accountId);
    if (!contact || contact.verifiedAt === undefined)
      throw new UnverifiedRecipient("verify this contact's safety number (or use an invite link) before sharing");
    return { bundle: contact.bundle, verified: true };
  }
}
