// A clinician: create an account, wait for a patient to share, then open exactly what was granted.
// Run: npm exec -- tsx examples/clinician.ts   (with `npm start` running)
import "fake-indexeddb/auto"; // Node has no IndexedDB; a browser needs no such line
import { Grantee, OutsideGrant } from "../client/index.js";
import { consensusMetrics } from "../client/metrics/consensus.js";

const server = process.env.STEWARD_SERVER ?? "http://127.0.0.1:8787";
const { grantee: clinician } = await Grantee.create({ server, handle: `dr-${Date.now().toString(36)}` });
console.log(`clinician handle: ${clinician.handle} (waiting for a patient to share)`);

let shares = await clinician.shares();
while (shares.length === 0) {
  await new Promise((r) => setTimeout(r, 1_000));
  shares = await clinician.shares();
}
const share = shares[0]!;
console.log(`${share.patient.handle} shared ${share.scopes.join(", ")} from ${new Date(share.from).toISOString()} to ${new Date(share.to).toISOString()}`);

const view = await clinician.open(share.grantId);
await view.sync.sync(); // one pull brings the whole granted range, decrypted and verified here
const readings = await view.records.query({ scope: "glucose", from: share.from, to: share.to });
const metrics = consensusMetrics(readings.flatMap((r) => (r.type === "cgm" ? [{ time: r.time, mgdl: r.body.mgdl }] : [])));
console.log(`readings: ${readings.length}, mean ${metrics?.mean.toFixed(0)} mg/dL, time in range ${metrics?.inRange70to180.toFixed(1)}%, GMI ${metrics?.gmi.toFixed(1)}%`);
try {
  await view.records.query({ scope: "insulin", from: share.from, to: share.to });
} catch (error) {
  if (error instanceof OutsideGrant) console.log(`insulin: ${error.message}`);
}
await clinician.close();
