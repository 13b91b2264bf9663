// The account set-ups the end-to-end and adversarial suites share, through the public SDK: names
// no other run has used, a device linked to an account once both screens showed the same digits,
// and a contact looked up and verified (as if the safety numbers matched), then shared with.
import { expect } from "vitest";
import {
  Patient,
  type Contact,
  type Grantee,
  type GrantInfo,
  type OpenOptions,
  type ShareOptions,
} from "../../client/index.js";

let n = 0;

/** A name no other call in this run, nor an earlier run against the same server, returns. */
export function unique(): string {
  return `${Date.now().toString(36)}${n++}`;
}

/** Links a new device to `existing`'s account; the two screens must show the same six digits. */
export async function linkDevice(existing: Patient, options: OpenOptions): Promise<Patient> {
  const request = await Patient.requestLink(options);
  const approval = await existing.approveLink(request.code);
  expect(await request.sas()).toBe(approval.sas);
  await approval.confirm();
  return request.complete();
}

/** Looks `other` up on `device` and marks them verified. */
export async function verifyContact(device: Patient | Grantee, other: { readonly handle: string }): Promise<Contact> {
  return device.verifyContact((await device.findContact(other.handle)).accountId);
}

/** Verifies `grantee` on the patient's device, then shares `terms` with them. */
export async function shareWith(
  patient: Patient,
  grantee: { readonly handle: string },
  terms: Omit<ShareOptions, "with">,
): Promise<GrantInfo> {
  const contact = await verifyContact(patient, grantee);
  return patient.share({ with: contact.accountId, ...terms });
}
