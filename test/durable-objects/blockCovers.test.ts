// For random data, random blocks and random grants, a grantee's pull holds exactly its hours: every
// envelope of a granted hour arrives itself or inside a block that lists it, nothing served reaches
// outside the grant, and no served block lies inside another (docs/protocol.md §6C).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBlockPrefix, blockSpan } from "../../shared/blockCodec.js";
import { toHex } from "../../shared/bytes.js";
import { decodeEnvelope } from "../../shared/envelopeCodec.js";
import { objectKind } from "../../shared/syncFrames.js";
import { grantCreate, pull, push, signedUp } from "../helpers/api.js";
import { DeviceChain, makeBlock, makeGrant, scopeTag, type MadeEnvelope } from "../helpers/webcryptoFixtures.js";

// A 64-hour window aligned to its level-6 node, so every node of levels 0..6 lies inside it.
const H = 492_032;
const WINDOW = 64;
const RUNS = process.env.STEWARD_LONG ? 60 : 12;

interface Case {
  /** Hours (0..63) written before sealing, with repeats for several envelopes in one hour. */
  readonly early: number[];
  /** Nodes to seal, as [level, index within the window], sealed bottom-up. */
  readonly seal: [number, number][];
  /** Hours written after the blocks (late writes to closed spans). */
  readonly late: number[];
  readonly grant: [number, number];
}

const cases: fc.Arbitrary<Case> = fc.record({
  early: fc.array(fc.integer({ min: 0, max: WINDOW - 1 }), { minLength: 1, maxLength: 40 }),
  seal: fc.uniqueArray(
    fc
      .integer({ min: 0, max: 6 })
      .chain((level) => fc.tuple(fc.constant(level), fc.integer({ min: 0, max: WINDOW / 2 ** level - 1 }))),
    { maxLength: 24, selector: ([l, i]) => `${l}:${i}` },
  ),
  late: fc.array(fc.integer({ min: 0, max: WINDOW - 1 }), { maxLength: 6 }),
  grant: fc
    .tuple(fc.integer({ min: 0, max: WINDOW - 1 }), fc.integer({ min: 0, max: WINDOW - 1 }))
    .map(([a, b]): [number, number] => [Math.min(a, b), Math.max(a, b)]),
});

async function check({ early, seal, late, grant }: Case): Promise<void> {
  const patient = await signedUp("pat");
  const pid = patient.identity.accountId;
  const phone = new DeviceChain(patient.identity, pid);
  const tag = scopeTag();
  let lastSeq = 0;
  const send = async (objects: Uint8Array[]) => {
    const res = await push(patient, pid, objects);
    expect(res.status).toBe(200);
    lastSeq = Math.max(lastSeq, ...(await res.json<{ seqs: number[] }>()).seqs);
  };
  const written: MadeEnvelope[] = [];
  const write = async (hours: number[]) => {
    const made: MadeEnvelope[] = [];
    for (const h of hours) made.push(await phone.next({ scopeTag: tag, hour: H + h }));
    if (made.length > 0) await send(made.map((e) => e.bytes));
    written.push(...made);
  };
  const hourOf = (e: MadeEnvelope) => decodeEnvelope(e.bytes).header.hour;
  await write(early);
  // What each block lists, by block id: the envelopes its span held when it was sealed.
  const holds = new Map<string, Set<string>>();
  for (const [level, index] of [...seal].sort((a, b) => a[0] - b[0])) {
    const node = H / 2 ** level + index;
    const { first, last } = blockSpan({ level, node });
    const inside = written.filter((e) => hourOf(e) >= first && hourOf(e) <= last);
    if (inside.length === 0) continue;
    const block = await makeBlock(patient.identity, pid, { scopeTag: tag, level, node, basis: lastSeq, holds: inside });
    await send([block.bytes]);
    holds.set(toHex(block.blockId), new Set(inside.map((e) => toHex(e.envelopeId))));
  }
  await write(late);

  const [from, to] = [H + grant[0], H + grant[1]];
  const grantee = await signedUp("dr");
  const made = await makeGrant(patient.identity, grantee.identity, {
    entries: [{ scopeTag: tag, fromHour: from, toHour: to, generations: [1] }],
  });
  expect((await grantCreate(patient, pid, made.wire)).status).toBe(201);
  const { page } = await pull(grantee, pid);
  const reached = new Set<string>();
  const spans: { first: number; last: number }[] = [];
  for (const entry of page!.entries) {
    expect(entry.compacted ?? false, "a grantee gets whole objects, never prefixes").toBe(false);
    if (objectKind(entry.bytes) === "block") {
      const { header } = decodeBlockPrefix(entry.bytes);
      const span = blockSpan(header);
      expect(span.first >= from && span.last <= to, `block ${header.level}:${header.node} lies inside the grant`).toBe(
        true,
      );
      spans.push(span);
      for (const id of holds.get(toHex(header.blockId)) ?? []) reached.add(id);
    } else {
      const { header } = decodeEnvelope(entry.bytes);
      expect(header.hour >= from && header.hour <= to, `hour ${header.hour - H} lies inside the grant`).toBe(true);
      reached.add(toHex(header.envelopeId));
    }
  }
  const granted = written.filter((e) => hourOf(e) >= from && hourOf(e) <= to).map((e) => toHex(e.envelopeId));
  expect([...reached].filter((id) => granted.includes(id)).sort()).toEqual([...granted].sort());
  for (const a of spans)
    for (const b of spans)
      if (a !== b) expect(a.first >= b.first && a.last <= b.last, "no served block lies inside another").toBe(false);
}

describe("a grantee's pull over blocks and hour envelopes", () => {
  it("holds every envelope of its hours, itself or inside a served block, and nothing outside them", async () => {
    await fc.assert(fc.asyncProperty(cases, check), { numRuns: RUNS });
  }, 120_000);
});
