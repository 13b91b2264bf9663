// A property of the cover walk, against the real worker: for random data written in random rounds
// (late writes into sealed hours, edits, deletions) and random grants (scopes and hour ranges), a
// grantee reads exactly the patient's records of its scopes and hours, served as the blocks that fit
// inside the grant plus the envelopes no served block holds, and receives nothing outside it. The
// quick run tries a few grants; STEWARD_LONG=1 tries many more data sets and grants.
import "fake-indexeddb/auto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { random } from "../../bench/data.js";
import { Grantee, Patient, type StewardRecord } from "../../client/index.js";
import { scopeTags } from "../../client/keyRing.js";
import { toHex } from "../../shared/bytes.js";
import type { Scope } from "../../shared/records.js";
import { startWorker, type LocalWorker } from "./localWorker.js";
import { unique, verifyContact } from "../helpers/accounts.js";

const HOUR = 3_600_000;
const LONG = process.env.STEWARD_LONG === "1";
const RUNS = LONG ? 6 : 1;
const GRANTS = LONG ? 20 : 4;
const SCOPES: Scope[] = ["glucose", "insulin", "events"];
let worker: LocalWorker;

function record(rand: () => number, scope: Scope, id: string, time: number): StewardRecord {
  if (scope === "glucose") return { id, type: "cgm", time, body: { mgdl: 40 + Math.floor(rand() * 300) } };
  if (scope === "insulin")
    return { id, type: "bolus", time, body: { subType: "normal", normal: Math.round(rand() * 200) / 20 } };
  return { id, type: "note", time, body: { text: `note ${Math.floor(rand() * 1e6)}` } };
}

const scopeOf = (r: StewardRecord): Scope => (r.type === "cgm" ? "glucose" : r.type === "bolus" ? "insulin" : "events");

beforeAll(async () => {
  worker = await startWorker();
}, 120_000);
afterAll(async () => worker?.stop());

describe("a grantee reads exactly its cover", () => {
  for (let run = 0; run < RUNS; run++) {
    const seed = (Date.now() ^ (run * 0x9e3779b9)) >>> 0;
    it(
      `from blocks and edge envelopes, nothing outside (seed ${seed})`,
      async () => {
        const rand = random(seed);
        const pick = (k: number) => Math.floor(rand() * k);
        const nowHour = Math.floor(Date.now() / HOUR);
        // Three weeks to the current (open) hour.
        const first = nowHour - 21 * 24;
        const { patient: phone } = await Patient.create({
          server: worker.url,
          handle: `cov${unique()}`,
          database: `cov-phone-${unique()}`,
        });
        const written: StewardRecord[] = [];
        /** Hours that took late writes: short grants around them read their newest level-0 blocks. */
        const hot: { hour: number; record: StewardRecord }[] = [];
        const rounds = 3 + pick(3);
        for (let round = 0; round < rounds; round++) {
          const batch: StewardRecord[] = [];
          // Clusters of hours, some dense and some sparse, so blocks of several levels get sealed.
          for (let c = 0; c < 4 + pick(6); c++) {
            const scope = SCOPES[pick(SCOPES.length)]!;
            const start = first + pick(nowHour - first + 1);
            const hours = 1 + pick(48);
            for (let h = start; h < Math.min(start + hours, nowHour + 1); h++) {
              for (let i = 0, k = 1 + pick(6); i < k; i++)
                batch.push(record(rand, scope, `${scope}-${round}-${c}-${h}-${i}`, h * HOUR + pick(HOUR)));
            }
          }
          // Edits of earlier records (late writes into sealed hours).
          for (let e = 0; e < 5 && written.length > 0; e++) {
            const old = written[pick(written.length)]!;
            batch.push(record(rand, scopeOf(old), old.id, old.time));
          }
          await phone.records.put(batch);
          written.push(...batch);
          // Late writes, each its own envelope, into hours sealed in earlier rounds.
          for (let k = 0; k < 3 && round > 0; k++) {
            // Half of them into an hour that took late writes before (its level-0 block is sealed again).
            const again = hot.length > 0 && rand() < 0.5 ? hot[pick(hot.length)]! : undefined;
            const old = again ? again.record : written[pick(written.length)]!;
            const scope = scopeOf(old);
            for (let i = 0; i < 2; i++) {
              const late = record(
                rand,
                scope,
                `${old.id}-late-${round}-${k}-${i}`,
                Math.floor(old.time / HOUR) * HOUR + pick(HOUR),
              );
              await phone.records.put([late]);
              written.push(late);
              await phone.sync.push();
            }
            hot.push({ hour: Math.floor(old.time / HOUR), record: old });
          }
          for (let d = 0; d < 3 && written.length > 0; d++) await phone.records.delete(written[pick(written.length)]!);
          await phone.sync.sync();
        }
        expect(phone.sync.status.pending).toBe(0);

        // A clinician of many grants keeps them in one store (what one grant received may lie past
        // another's reach); a fresh one per grant shows what the server served for that grant alone.
        const clinician = async () => {
          const { grantee } = await Grantee.create({
            server: worker.url,
            handle: `drcov${unique()}`,
            database: `cov-clinic-${unique()}`,
          });
          await verifyContact(phone, grantee);
          return grantee;
        };
        const regular = await clinician();
        const tags = scopeTags((phone as unknown as { ring: { data: Parameters<typeof scopeTags>[0] } }).ring.data);
        for (let g = 0; g < GRANTS; g++) {
          const scopes = SCOPES.filter(() => rand() < 0.5);
          if (scopes.length === 0) scopes.push(SCOPES[pick(SCOPES.length)]!);
          const short = hot.length > 0 && rand() < 0.5;
          const fromHour = short ? hot[pick(hot.length)]!.hour - pick(2) : first - 2 + pick(nowHour - first + 3);
          const toHour = Math.min(nowHour + 1, fromHour + (short ? pick(3) : pick(nowHour - fromHour + 2)));
          const what = `seed ${seed}, grant ${g}: ${scopes.join("+")} hours ${fromHour - first}..${toHour - first}`;
          const range = { from: fromHour * HOUR, to: (toHour + 1) * HOUR - 1 };
          const fresh = await clinician();
          for (const grantee of [fresh, regular]) {
            const info = await phone.share({
              with: grantee.accountId,
              scopes,
              from: range.from,
              to: range.to,
              expiresAt: Date.now() + 24 * HOUR,
            });
            const view = await grantee.open(info.grantId);
            try {
              await view.sync.sync();
              for (const scope of scopes) {
                const expected = await phone.records.query({ scope, ...range });
                expect(await view.records.query({ scope, ...range }), `${what}: ${scope}`).toEqual(expected);
              }
              if (grantee === regular) continue;
              // Nothing outside the grant reached the device, and no envelope a served block already holds.
              const granted = new Set(scopes.map((s) => toHex(tags.get(s)!)));
              const db = view.records.log.db;
              const blocks = await db.blocks.toArray();
              const envelopes = await db.envelopes.toArray();
              for (const b of blocks) {
                expect(
                  granted.has(b.tag) && b.first >= fromHour && b.last <= toHour,
                  `${what}: block ${b.level}/${b.node}`,
                ).toBe(true);
              }
              for (const e of envelopes) {
                expect(
                  granted.has(e.tag) && e.hour >= fromHour && e.hour <= toHour,
                  `${what}: envelope of hour ${e.hour - first}`,
                ).toBe(true);
                const holding = blocks.find(
                  (b) =>
                    b.tag === e.tag &&
                    b.generation === e.generation &&
                    b.first <= e.hour &&
                    e.hour <= b.last &&
                    e.seq <= b.basis,
                );
                expect(
                  holding,
                  `${what}: envelope of hour ${e.hour - first} served beside block ${holding?.level}/${holding?.node} that holds it`,
                ).toBeUndefined();
              }
            } finally {
              await view.close();
            }
          }
          await fresh.close();
        }
        await regular.close();
        await phone.close();
      },
      LONG ? 1_200_000 : 300_000,
    );
  }
});
