// Scenario 3: what a grant costs to issue, open and carry, for ranges from a day to ten years and
// for one and six scopes, against the naive alternative of one key per hour; and how long "revoke
// everything" takes through the SDK when ten grantees keep their access.
import { performance } from "node:perf_hooks";
import { createAccountKeys } from "../crypto/accountKeys.js";
import { issueGrant, openGrant } from "../crypto/grant.js";
import { coverRange } from "../crypto/keyTree.js";
import { SCOPES, type Scope } from "../shared/records.js";
import { Grantee, Patient } from "../client/index.js";
import { chainPoint, verifiedDeviceList } from "../client/devices.js";
import { createKeyRing, scopeTags } from "../client/keyRing.js";
import { DAY, HOUR } from "./data.js";
import { medianTime, since } from "./stats.js";
import { handle } from "./steward.js";

export const GRANT_RANGES = [
  { label: "1 day", hours: 24 },
  { label: "90 days", hours: 90 * 24 },
  { label: "1 year", hours: 365 * 24 },
  { label: "10 years", hours: 3652 * 24 },
] as const;

export interface GrantCost {
  readonly range: string;
  readonly hours: number;
  readonly scopes: number;
  readonly coverKeys: number;
  readonly wireBytes: number;
  readonly issueMs: number;
  readonly openMs: number;
  /** One 32-byte key per hour and scope: what a grant without the key tree would carry. */
  readonly perHourKeyBytes: number;
}

export async function grantCosts(runs: number, end: number): Promise<GrantCost[]> {
  const patient = createKeyRing(true, "test").ring;
  const grantee = createAccountKeys();
  const tags = scopeTags(patient.data!);
  const toHour = Math.floor(end / HOUR);
  const out: GrantCost[] = [];
  for (const scopes of [["glucose"], SCOPES] as readonly (readonly Scope[])[]) {
    for (const range of GRANT_RANGES) {
      const fromHour = toHour - range.hours + 1;
      const issue = () =>
        issueGrant({
          patient: patient.account,
          recipient: { bundle: grantee.bundle, verified: true },
          devices: chainPoint(verifiedDeviceList(patient.devices, patient.account.signKey)),
          scopes: scopes.map((scope) => ({
            scope,
            scopeTag: tags.get(scope)!,
            generations: [{ generation: 1, root: patient.data!.scopes[scope].roots.get(1)! }],
          })),
          fromHour,
          toHour,
          expiresAt: end + 30 * DAY,
        });
      const wire = issue().wire;
      const coverKeys = scopes.reduce((n, s) => n + (s === "identity" ? 1 : coverRange(fromHour, toHour).length), 0);
      out.push({
        range: range.label,
        hours: range.hours,
        scopes: scopes.length,
        coverKeys,
        wireBytes: wire.length,
        issueMs: await medianTime(runs, issue),
        openMs: await medianTime(runs, () => openGrant(wire, grantee, patient.account.signKey)),
        perHourKeyBytes: scopes.reduce((n, s) => n + (s === "identity" ? 1 : range.hours) * 32, 0),
      });
    }
  }
  return out;
}

export interface RevokeEverything {
  readonly grantees: number;
  readonly revoked: number;
  readonly reissued: number;
  readonly ms: number;
  /** Issuing the same grants anew without revoking or rotating anything, for comparison. */
  readonly shareAllMs: number;
}

/** A patient (SDK) shares 90 days of three scopes with `count` verified grantees, then revokes everything, keeping them all. */
export async function revokeEverything(server: string, count: number, end: number): Promise<RevokeEverything> {
  const { patient } = await Patient.create({ server, handle: handle("patient"), database: handle("db") });
  const grantees = await Promise.all(
    Array.from(
      { length: count },
      async () => (await Grantee.create({ server, handle: handle("carer"), database: handle("db") })).grantee,
    ),
  );
  for (const g of grantees) {
    await patient.findContact(g.handle);
    await patient.verifyContact(g.accountId);
  }
  const share = (g: Grantee) =>
    patient.share({
      with: g.accountId,
      scopes: ["glucose", "insulin", "events"],
      from: end - 90 * DAY,
      to: end,
      expiresAt: end + 30 * DAY,
    });
  try {
    let start = performance.now();
    const grants = [];
    for (const g of grantees) grants.push(await share(g));
    const shareAllMs = since(start);
    start = performance.now();
    const outcome = await patient.revokeEverything({ keep: grants.map((g) => g.grantId) });
    return { grantees: count, ...outcome, ms: since(start), shareAllMs };
  } finally {
    await Promise.all([patient, ...grantees].map((device) => device.close()));
  }
}
