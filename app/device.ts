// Which account lives on this device. A device holds one: a patient's, or a clinician's or
// caregiver's (the same Grantee class serves both; the grant decides what they see).
import { Grantee, type OpenOptions, Patient, roleOnDevice } from "../client/index.js";
import { browserDeviceName } from "./deviceName.js";

export type Device = { role: "none" } | { role: "patient"; patient: Patient } | { role: "grantee"; grantee: Grantee };

/** The server is this page's origin; invite links point back at this page; a new device is named for this browser. */
export function openOptions(server: string): OpenOptions {
  return {
    server,
    appUrl: `${location.origin}${location.pathname}`,
    deviceName: browserDeviceName(navigator.userAgent),
  };
}

/** Opens the account this device holds as what it is; works offline. */
export async function openDevice(server: string): Promise<Device> {
  const role = await roleOnDevice({});
  if (role === "patient") {
    const patient = await Patient.open(openOptions(server));
    if (patient) return { role, patient };
  }
  if (role === "grantee") {
    const grantee = await Grantee.open(openOptions(server));
    if (grantee) return { role, grantee };
  }
  return { role: "none" };
}
