// A caregiver: accept an invite link, follow live glucose while the grant lasts, stop when it ends.
// Run: npm exec -- tsx examples/caregiver.ts '<invite link>'   (with `npm start` running)
import "fake-indexeddb/auto"; // Node has no IndexedDB; a browser needs no such line
import { Grantee } from "../client/index.js";

const server = process.env.STEWARD_SERVER ?? "http://127.0.0.1:8787";
const { grantee: caregiver } = await Grantee.create({ server, handle: `carer-${Date.now().toString(36)}` });
const { patient } = await caregiver.acceptInvite(process.argv[2]!);
console.log(`accepted ${patient.handle}'s invite; waiting for their device to confirm it`);

let shares = await caregiver.shares();
while (shares.length === 0) {
  await new Promise((r) => setTimeout(r, 1_000));
  shares = await caregiver.shares();
}
const view = await caregiver.open(shares[0]!.grantId);
console.log(`access ends in ${Math.round(view.endsIn() / 3_600_000)} hours`);
async function showLatest() {
  const [latest] = (await view.records.query({ scope: "glucose", from: Date.now() - 600_000, to: Date.now() + 60_000 })).slice(-1);
  if (latest?.type === "cgm") console.log(`live: ${latest.body.mgdl} mg/dL${latest.body.mgdl < 70 ? " (low!)" : ""}`);
}
view.records.subscribe(() => void showLatest().catch((error: unknown) => console.error(error)));
await view.sync.follow();
await new Promise<void>((resolve) => view.sync.onStatus((s) => s.ended && resolve()));
console.log("access ended: the patient revoked it or it expired");
await caregiver.close();
