// Stubs of the Durable Objects by name: one Account per account id (and per handle, as the handle
// index), one PatientLog per patient id, one Rendezvous per device-link or invite slot.
import { handleObjectName } from "../durable-objects/account.js";

export function accountObject(env: Env, accountId: string) {
  return env.ACCOUNT.get(env.ACCOUNT.idFromName(accountId));
}

export function handleIndex(env: Env, handle: string) {
  return env.ACCOUNT.get(env.ACCOUNT.idFromName(handleObjectName(handle)));
}

export function rendezvous(env: Env, purpose: "link" | "invite", id: string) {
  return env.RENDEZVOUS.get(env.RENDEZVOUS.idFromName(`${purpose}:${id}`));
}

export function patientLog(env: Env, patientId: string) {
  return env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(patientId));
}
