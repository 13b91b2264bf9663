// Which account lives on this device. A device holds one: a patient's, or a clinician's or
// caregiver's (the same Grantee class serves both; the grant decides what they see).
import { Grantee, Patient, type OpenOptions } from "../client/index.js";

export type Device = { role: "none" } | { role: "patient"; patient: Patient } | { role: "grantee"; grantee: Grantee };

/** The server is this page's origin; invite links point back at this page. */
export function openOptions(server: string): OpenOptions {
  return { server, appUrl: `${location.origin}${location.pathname}` };
}

export async function openDevice(server: string): Promise<Device> {
  const patient = await Patient.open(openOptions(server));
  if (patient) return { role: "patient", patient };
  const grantee = await Grantee.open(openOptions(server));
  if (grantee) return { role: "grantee", grantee };
  return { role: "none" };
}
