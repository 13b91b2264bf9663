import { beforeAll, describe, expect, it } from "vitest";
import { createAccountKeys } from "../../crypto/accountKeys.js";
import { InvalidSignature, KeyChanged, UnverifiedRecipient } from "../../shared/errors.js";
import { issueGrant } from "../../crypto/grant.js";
import { loadSodium } from "../../crypto/sodium.js";
import { ContactBook } from "../../client/contacts.js";

describe("contact book", () => {
  beforeAll(loadSodium);

  it("refuses to share with a contact until their safety number is verified", () => {
    const me = createAccountKeys();
    const doctor = createAccountKeys();
    const book = new ContactBook();
    const contact = book.see("dr-lee", doctor.bundle);
    expect(() => book.recipient(contact.accountId)).toThrow(UnverifiedRecipient);
    expect(book.safetyNumber(me.signKey, contact)).toMatch(/^(\d{5} ){11}\d{5}$/);
    book.verify(contact.accountId, "safety-number");
    expect(book.recipient(contact.accountId).verified).toBe(true);
  });

  it("blocks a verified handle whose keys the directory swapped (T1/T2), and a bundle that is not self-signed", () => {
    const doctor = createAccountKeys();
    const attacker = createAccountKeys();
    const book = new ContactBook();
    const contact = book.see("dr-lee", doctor.bundle);
    book.verify(contact.accountId, "safety-number");
    expect(() => book.see("dr-lee", attacker.bundle)).toThrow(KeyChanged);
    expect(() => book.see("DR-LEE", { ...doctor.bundle, boxKey: attacker.boxKey })).toThrow(InvalidSignature);
    // The substituted keys never became a recipient, so nothing can be wrapped to them.
    expect(() => book.recipient(new ContactBook().see("x", attacker.bundle).accountId)).toThrow(UnverifiedRecipient);
    expect(() =>
      issueGrant({
        patient: createAccountKeys(),
        recipient: { bundle: attacker.bundle, verified: false },
        scopes: [],
        fromHour: 0,
        toHour: 1,
        expiresAt: Date.now() + 1000,
        devices: { index: 1, hash: new Uint8Array(32) },
      }),
    ).toThrow(UnverifiedRecipient);
  });
});
