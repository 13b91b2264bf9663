// A patient: create an account (keep the recovery code), write readings offline-first, sync, share
// 14 days of glucose with a verified clinician, invite a caregiver, then read the access log.
// Run: npm exec -- tsx examples/patient.ts <clinician handle>   (with `npm start` running)
import "fake-indexeddb/auto"; // Node has no IndexedDB; a browser needs no such line
import { Patient, type StewardRecord } from "../client/index.js";

const server = process.env.STEWARD_SERVER ?? "http://127.0.0.1:8787";
const HOUR = 3_600_000;
const now = Date.now();
const { patient, recoveryCode } = await Patient.create({ server, handle: `alice-${now.toString(36)}` });
console.log(`patient handle: ${patient.handle}; recovery code (write it down): ${recoveryCode}`);

// Two weeks of CGM readings every 5 minutes: written locally first, encrypted, then synced.
const readings: StewardRecord[] = Array.from({ length: 14 * 288 }, (_, i) => ({ id: `cgm-${i}`, type: "cgm", time: now - i * 300_000, deviceId: "example-cgm", body: { mgdl: 110 + Math.round(40 * Math.sin(i / 20)) } }));
await patient.records.put([...readings, { id: "dose-1", type: "bolus", time: now - HOUR, body: { subType: "normal", normal: 4 } }]);
await patient.sync.sync();

// Share with the clinician once the two of you compared the safety number.
const clinician = await patient.findContact(process.argv[2] ?? "dr-bob");
console.log(`compare with ${clinician.handle}: ${patient.safetyNumber(clinician)}`);
await patient.verifyContact(clinician.accountId);
await patient.share({ with: clinician.accountId, scopes: ["glucose"], from: now - 14 * 24 * HOUR, to: now, expiresAt: now + 30 * 24 * HOUR });

// A caregiver gets live glucose for 48 hours through an invite link (the secret stays in the #fragment).
const invite = await patient.createInvite({ scopes: ["glucose"], from: now - HOUR, to: now, expiresAt: now + 48 * HOUR, live: true });
console.log(`caregiver invite: ${invite.url}`);
let issued = await patient.completeInvites();
while (issued.length === 0) {
  await new Promise((r) => setTimeout(r, 1_000));
  issued = await patient.completeInvites();
}
for (let i = 1; i <= 3; i++) {
  await new Promise((r) => setTimeout(r, 1_000));
  await patient.records.put([{ id: `live-${i}`, type: "cgm", time: Date.now(), deviceId: "example-cgm", body: { mgdl: 70 - i * 5 } }]);
  await patient.sync.sync();
}
await new Promise((r) => setTimeout(r, 1_000));
await patient.revoke(issued[0]!.grantId); // the caregiver's live view ends at once
for (const event of await patient.accessLog()) console.log(`access log: ${new Date(event.at).toISOString()} ${event.actor.handle ?? event.actor.accountId} ${event.action}`);
await patient.close();
