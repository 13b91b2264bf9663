// Convergence under faults: several devices of one patient edit offline (puts, deletes, edits of
// the same note), while the network loses acks, drops requests, and holds, repeats, reorders or
// drops live pages. Once the faults stop and everyone syncs, every replica must hold the same
// records, every envelope ever written must be on the server exactly once and on every device, and
// no device may have raised a security error for what was only a bad network. The hours are long
// closed, so every sync also seals blocks, and level-0 blocks replace envelopes' bodies meanwhile.
import "fake-indexeddb/auto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestRefused, ServerUnreachable } from "../../shared/errors.js";
import { loadSodium } from "../../crypto/sodium.js";
import { MS_PER_HOUR, type Scope, type StewardRecord } from "../../shared/records.js";
import { createKeyRing, type KeyRing } from "../../client/keyRing.js";
import { objectKind } from "../../shared/syncFrames.js";
import { MemoryServer } from "../helpers/memoryServer.js";
import { patientDevice, type Device } from "../helpers/patientDevice.js";

const LONG = process.env.STEWARD_LONG === "1";
const RUNS = LONG ? 150 : 20;
const MAX_OPS = LONG ? 80 : 30;
const DEVICES = 3;

const T0 = 490_000 * MS_PER_HOUR;
const READING_IDS = 6;
const NOTE_ID = "note-1";
// Readings spread over three hours, so edits land in several shards; each id keeps its hour.
const readingTime = (i: number) => T0 + (i % 3) * MS_PER_HOUR + i * 60_000;
const reading = (i: number, mgdl: number): StewardRecord => ({
  id: `cgm-${i}`,
  type: "cgm",
  time: readingTime(i),
  body: { mgdl },
});
const note = (text: string): StewardRecord => ({ id: NOTE_ID, type: "note", time: T0 + 1_800_000, body: { text } });

type Op =
  | { kind: "put"; device: number; id: number; mgdl: number }
  | { kind: "note"; device: number; text: string }
  | { kind: "delete"; device: number; id: number }
  | { kind: "sync"; device: number; fault: "none" | "loseAck" | "failPush" }
  | { kind: "live"; pick: number; action: "deliver" | "duplicate" | "drop" };

// Runs that once failed, replayed every time: a live page racing the catch-up pull ingested one
// envelope twice (RollbackDetected on an honest server), and a cursor update racing a local write
// rewound the device's own chain so its next write reused a seq.
const FOUND: Op[][] = [
  [
    { kind: "put", device: 2, id: 0, mgdl: 40 },
    { kind: "sync", device: 2, fault: "none" },
    { kind: "note", device: 1, text: "" },
  ],
  [
    { kind: "put", device: 0, id: 0, mgdl: 40 },
    { kind: "sync", device: 0, fault: "loseAck" },
    { kind: "note", device: 0, text: "" },
    { kind: "note", device: 0, text: "" },
    { kind: "note", device: 0, text: "" },
    { kind: "live", pick: 0, action: "deliver" },
    { kind: "put", device: 0, id: 1, mgdl: 40 },
    { kind: "delete", device: 0, id: 0 },
    { kind: "note", device: 0, text: "a" },
    { kind: "put", device: 0, id: 0, mgdl: 40 },
  ],
];

const device = fc.nat(DEVICES - 1);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("put" as const),
    device,
    id: fc.nat(READING_IDS - 1),
    mgdl: fc.integer({ min: 40, max: 400 }),
  }),
  fc.record({
    kind: fc.constant("note" as const),
    device,
    text: fc.string({ unit: fc.constantFrom("a", "b", "c", " "), maxLength: 12 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), device, id: fc.nat(READING_IDS - 1) }),
  fc.record({
    kind: fc.constant("sync" as const),
    device,
    fault: fc.constantFrom("none" as const, "none" as const, "loseAck" as const, "failPush" as const),
  }),
  fc.record({
    kind: fc.constant("live" as const),
    pick: fc.nat(),
    action: fc.constantFrom("deliver" as const, "deliver" as const, "duplicate" as const, "drop" as const),
  }),
);

/** Failures a flaky network explains; anything else a device reports is a finding. */
function networkFault(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof ServerUnreachable ||
    (error instanceof RequestRefused && error.transient)
  );
}

async function snapshot(d: Device): Promise<string> {
  const scopes: Scope[] = ["glucose", "events"];
  const out = [];
  for (const scope of scopes) out.push(...(await d.records.query({ scope, from: T0, to: T0 + 3 * MS_PER_HOUR })));
  return JSON.stringify(out);
}

async function envelopeIds(d: Device): Promise<string[]> {
  return ((await d.db.envelopes.toCollection().primaryKeys()) as string[]).sort();
}

describe("convergence under faults", () => {
  let ring: KeyRing;
  let totalOps = 0;
  let totalRuns = 0;
  beforeAll(async () => {
    await loadSodium();
    ring = createKeyRing(true, "test").ring;
  });
  afterAll(() => {
    console.log(
      `convergence: ${totalRuns} runs, ${totalOps} operations, ${DEVICES} devices per run${LONG ? " (long)" : ""}`,
    );
  });

  it(
    "every replica ends with the same records and every written envelope, once, whatever the network did",
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 8, maxLength: MAX_OPS, size: "max" }), async (ops) => {
          totalRuns++;
          totalOps += ops.length;
          const server = new MemoryServer();
          server.pageSize = 4;
          const held: (() => void)[] = [];
          server.deliverLive = (deliver) => held.push(deliver);
          const devices = Array.from({ length: DEVICES }, (_, i) =>
            patientDevice(ring, server.transport(`device-${i}`), `convergence-${i}`),
          );
          const findings: unknown[] = [];
          for (const d of devices) d.sync.onStatus((s) => s.error && !networkFault(s.error) && findings.push(s.error));
          const deleted = new Set<number>();
          const written = new Set<number>();
          try {
            for (const d of devices) await d.sync.follow();
            for (const o of ops) {
              switch (o.kind) {
                case "put":
                  await devices[o.device]!.records.put([reading(o.id, o.mgdl)]);
                  written.add(o.id);
                  break;
                case "note":
                  await devices[o.device]!.records.put([note(o.text)]);
                  break;
                case "delete":
                  await devices[o.device]!.records.delete(reading(o.id, 0));
                  deleted.add(o.id);
                  break;
                case "sync":
                  server.loseNextAck = o.fault === "loseAck";
                  server.failNextPush = o.fault === "failPush";
                  await devices[o.device]!.sync.sync().catch((error) => networkFault(error) || findings.push(error));
                  server.loseNextAck = server.failNextPush = false;
                  break;
                case "live": {
                  if (held.length === 0) break;
                  const i = o.pick % held.length;
                  const deliver = held[i]!;
                  if (o.action !== "duplicate") held.splice(i, 1);
                  if (o.action !== "drop") deliver();
                  break;
                }
              }
            }
            // The network heals: live pages still in flight arrive, then everyone syncs twice.
            for (const deliver of held.splice(0)) deliver();
            server.deliverLive = (deliver) => deliver();
            for (let round = 0; round < 2; round++) for (const d of devices) await d.sync.sync();
            for (const d of devices) await d.sync.sync();

            expect(findings).toEqual([]);
            const onServer = server
              .log(devices[0]!.log.patient, "device-0")
              .flatMap((r) => (objectKind(r.bytes) === "envelope" ? [r.id] : []));
            expect(new Set(onServer).size).toBe(onServer.length);
            const states = await Promise.all(devices.map(snapshot));
            for (const d of devices) {
              expect(d.sync.status.pending).toBe(0);
              expect(await envelopeIds(d)).toEqual([...onServer].sort());
            }
            expect(new Set(states).size).toBe(1);
            // A reading no one ever deleted survives, whatever else happened to its shard.
            const ids = new Set((JSON.parse(states[0]!) as StewardRecord[]).map((r) => r.id));
            for (const id of written) if (!deleted.has(id)) expect(ids.has(`cgm-${id}`)).toBe(true);
          } finally {
            for (const d of devices) await d.close();
          }
        }),
        { numRuns: RUNS, examples: FOUND.map((ops) => [ops] as [Op[]]) },
      );
    },
    LONG ? 1_800_000 : 120_000,
  );
});
