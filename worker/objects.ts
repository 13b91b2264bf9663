// Stubs of the Durable Objects by name: one Account per account id (and per handle, as the handle
// index), one PatientLog per patient id, both in the account's jurisdiction (durable-objects/stubs.ts),
// one Rendezvous per device-link or invite slot.
import { handleObjectName } from "../durable-objects/account.js";

export { accountStub as accountObject, patientLogStub as patientLog } from "../durable-objects/stubs.js";

/** The handle index holds only which account id owns a handle: one object per handle, in the default jurisdiction. */
export function handleIndex(env: Env, handle: string) {
  return env.ACCOUNT.get(env.ACCOUNT.idFromName(handleObjectName(handle)));
}

export function rendezvous(env: Env, purpose: "link" | "invite", id: string) {
  return env.RENDEZVOUS.get(env.RENDEZVOUS.idFromName(`${purpose}:${id}`));
}
