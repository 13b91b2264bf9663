// Blocks in the PatientLog (docs/protocol.md §6A, §6C): stored only when their manifest is exactly
// the envelopes the log holds for their span, atomically with the replacement of a level-0 block's
// envelopes; served to a grantee only inside its covers, with the envelopes after their basis; and
// to the patient's devices with every envelope, a replaced one as its prefix beside its block.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BLOCK_PREFIX_BYTES, decodeBlockPrefix } from "../../shared/blockCodec.js";
import { toHex } from "../../shared/bytes.js";
import { PREFIX_BYTES, decodeEnvelope, envelopeLink } from "../../shared/envelopeCodec.js";
import { decodeManifest } from "../../shared/manifest.js";
import { objectKind, splitEnvelopePrefix } from "../../shared/syncFrames.js";
import { call, errorOf, grantCreate, pull, push, signedUp, type Session } from "../helpers/api.js";
import { DeviceChain, makeBlock, makeGrant, randomBytes, scopeTag } from "../helpers/webcryptoFixtures.js";

// Aligned to 64 hours, so the nodes below are easy to name.
const H = 492_032;

async function setup() {
  const patient = await signedUp("pat");
  const pid = patient.identity.accountId;
  const phone = new DeviceChain(patient.identity, pid);
  const laptop = new DeviceChain(patient.identity, pid);
  const tag = scopeTag();
  const hour = [
    await phone.next({ scopeTag: tag, hour: H }),
    await laptop.next({ scopeTag: tag, hour: H }),
    await phone.next({ scopeTag: tag, hour: H }),
  ];
  const next = await phone.next({ scopeTag: tag, hour: H + 1 });
  expect(
    (
      await push(
        patient,
        pid,
        [...hour, next].map((e) => e.bytes),
      )
    ).status,
  ).toBe(200);
  return { patient, pid, phone, laptop, tag, hour, next };
}

async function upload(
  session: Session,
  pid: string,
  objects: Uint8Array[],
): Promise<{ status: number; seqs?: number[]; code?: string }> {
  const res = await push(session, pid, objects);
  if (res.status === 200) return { status: 200, seqs: (await res.json<{ seqs: number[] }>()).seqs };
  return { status: res.status, code: (await errorOf(res)).code };
}

describe("blocks", () => {
  it("of one hour replace its envelopes' bodies in the same transaction; the patient's devices get each prefix beside the block and its manifest", async () => {
    const s = await setup();
    const block = await makeBlock(s.patient.identity, s.pid, {
      scopeTag: s.tag,
      level: 0,
      node: H,
      basis: 4,
      holds: s.hour,
    });
    expect(await upload(s.patient, s.pid, [block.bytes])).toEqual({ status: 200, seqs: [5] });
    const { page } = await pull(s.patient, s.pid);
    expect(page!.entries.map((e) => [e.seq, e.compacted, objectKind(e.bytes)])).toEqual([
      [1, true, "envelope"],
      [2, true, "envelope"],
      [3, true, "envelope"],
      [4, false, "envelope"],
      [5, false, "block"],
    ]);
    // A replaced envelope still proves its place in its device chain.
    const first = page!.entries[0]!;
    expect(first.bytes.length).toBe(PREFIX_BYTES);
    const prefix = splitEnvelopePrefix(first.bytes);
    expect(toHex(envelopeLink(prefix.headerBytes, prefix.bodyLength, prefix.bodyHash))).toBe(toHex(s.hour[0]!.link));
    expect(toHex(prefix.signature)).toBe(toHex(decodeEnvelope(s.hour[0]!.bytes).signature));
    // The block comes with the list of what it holds, as its author signed it.
    const header = decodeBlockPrefix(page!.entries[4]!.bytes).header;
    expect(
      decodeManifest(page!.entries[4]!.manifest!, header.count, header.manifestHash).map((e) => toHex(e.envelopeId)),
    ).toEqual(s.hour.map((e) => toHex(e.envelopeId)));
    // Sending the same block again is harmless.
    expect(await upload(s.patient, s.pid, [block.bytes])).toEqual({ status: 200, seqs: [5] });
  });

  it("are refused (409) unless they hold exactly what the log holds for their span, and nothing changes", async () => {
    const s = await setup();
    const late = await s.laptop.next({ scopeTag: s.tag, hour: H });
    await push(s.patient, s.pid, [late.bytes]);
    const wrong: [string, Parameters<typeof makeBlock>[2]][] = [
      ["misses one", { scopeTag: s.tag, level: 0, node: H, basis: 5, holds: s.hour }],
      ["holds one of another hour", { scopeTag: s.tag, level: 0, node: H, basis: 5, holds: [...s.hour, s.next] }],
      [
        "in another order",
        { scopeTag: s.tag, level: 0, node: H, basis: 5, holds: [s.hour[1]!, s.hour[0]!, s.hour[2]!, late] },
      ],
      [
        "claims what the log does not number yet",
        { scopeTag: s.tag, level: 0, node: H, basis: 9, holds: [...s.hour, late] },
      ],
      ["of another scope", { scopeTag: scopeTag(), level: 0, node: H, basis: 5, holds: [...s.hour, late] }],
    ];
    for (const [, spec] of wrong)
      expect(await upload(s.patient, s.pid, [(await makeBlock(s.patient.identity, s.pid, spec)).bytes])).toMatchObject({
        status: 409,
        code: "conflict",
      });
    const bodies = await runInDurableObject(
      env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(s.pid)),
      (_, state) =>
        state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM envelopes WHERE body IS NOT NULL").one().n,
    );
    expect(bodies).toBe(5);
    // Up to basis 4, the three of the hour are exactly right; the late one stays whole.
    const right = await makeBlock(s.patient.identity, s.pid, {
      scopeTag: s.tag,
      level: 0,
      node: H,
      basis: 4,
      holds: s.hour,
    });
    expect((await upload(s.patient, s.pid, [right.bytes])).status).toBe(200);
    expect((await pull(s.patient, s.pid)).page!.entries.filter((e) => e.compacted).map((e) => e.seq)).toEqual([
      1, 2, 3,
    ]);
  });

  it("supersede an older block of their node, and an older one is refused", async () => {
    const s = await setup();
    const span = { scopeTag: s.tag, level: 1, node: H / 2 };
    const older = await makeBlock(s.patient.identity, s.pid, { ...span, basis: 3, holds: s.hour });
    const newer = await makeBlock(s.patient.identity, s.pid, { ...span, basis: 4, holds: [...s.hour, s.next] });
    expect((await upload(s.patient, s.pid, [older.bytes])).status).toBe(200);
    expect((await upload(s.patient, s.pid, [newer.bytes])).status).toBe(200);
    const blocks = (await pull(s.patient, s.pid)).page!.entries.filter((e) => objectKind(e.bytes) === "block");
    expect(blocks.map((e) => toHex(decodeBlockPrefix(e.bytes).header.blockId))).toEqual([toHex(newer.blockId)]);
    const stale = await makeBlock(s.patient.identity, s.pid, { ...span, basis: 3, holds: s.hour });
    expect(await upload(s.patient, s.pid, [stale.bytes])).toMatchObject({ status: 409, code: "conflict" });
  });

  it("are refused from a grantee, even one that may write, and when malformed or unsigned", async () => {
    const s = await setup();
    const grantee = await signedUp("care");
    await grantCreate(
      s.patient,
      s.pid,
      (
        await makeGrant(s.patient.identity, grantee.identity, {
          entries: [{ scopeTag: s.tag, fromHour: H, toHour: H + 1, generations: [1] }],
          write: true,
        })
      ).wire,
    );
    const theirs = await makeBlock(grantee.identity, s.pid, {
      scopeTag: s.tag,
      level: 0,
      node: H,
      basis: 4,
      holds: s.hour,
    });
    expect(await upload(grantee, s.pid, [theirs.bytes])).toMatchObject({ status: 403 });
    const unsigned = (
      await makeBlock(s.patient.identity, s.pid, { scopeTag: s.tag, level: 0, node: H, basis: 4, holds: s.hour })
    ).bytes;
    unsigned[BLOCK_PREFIX_BYTES - 1]! ^= 1;
    expect(await upload(s.patient, s.pid, [unsigned])).toMatchObject({ status: 403, code: "forbidden" });
    expect(
      (await call(`/v1/patients/${s.pid}/envelopes`, { method: "POST", body: randomBytes(10), token: s.patient.token }))
        .status,
    ).toBe(400);
  });

  it("reach a grantee only inside its covers, with the envelopes after their basis, never as prefixes, and never past the grant", async () => {
    const s = await setup();
    // Blocks of every node from H to H + 63, each holding what the log has there up to seq 4.
    const holdsIn = (first: number, last: number) =>
      [...s.hour, s.next].filter(
        (e) => decodeEnvelope(e.bytes).header.hour >= first && decodeEnvelope(e.bytes).header.hour <= last,
      );
    const made: Uint8Array[] = [
      (await makeBlock(s.patient.identity, s.pid, { scopeTag: s.tag, level: 0, node: H, basis: 4, holds: s.hour }))
        .bytes,
    ];
    for (let level = 1; level <= 6; level++)
      made.push(
        (
          await makeBlock(s.patient.identity, s.pid, {
            scopeTag: s.tag,
            level,
            node: H / 2 ** level,
            basis: 4,
            holds: holdsIn(H, H + 2 ** level - 1),
          })
        ).bytes,
      );
    expect((await upload(s.patient, s.pid, made)).status).toBe(200);
    const late = await s.phone.next({ scopeTag: s.tag, hour: H + 5 });
    await push(s.patient, s.pid, [late.bytes]);
    const served = async (fromHour: number, toHour: number) => {
      const grantee = await signedUp("dr");
      await grantCreate(
        s.patient,
        s.pid,
        (
          await makeGrant(s.patient.identity, grantee.identity, {
            entries: [{ scopeTag: s.tag, fromHour, toHour, generations: [1] }],
          })
        ).wire,
      );
      const { page } = await pull(grantee, s.pid);
      expect(page!.entries.every((e) => !e.compacted && !e.manifest)).toBe(true);
      return page!.entries.map((e) =>
        objectKind(e.bytes) === "block"
          ? `block ${decodeBlockPrefix(e.bytes).header.level}`
          : `hour ${decodeEnvelope(e.bytes).header.hour - H}`,
      );
    };
    // The whole 64 hours: one block, and the envelope that came after it.
    expect(await served(H, H + 63)).toEqual(["block 6", "hour 5"]);
    // 8 hours from H: the level-3 block, the late envelope.
    expect(await served(H, H + 7)).toEqual(["block 3", "hour 5"]);
    // One hour only: its level-0 block; the next hour has no level-0 block: its envelope.
    expect(await served(H, H)).toEqual(["block 0"]);
    expect(await served(H + 1, H + 1)).toEqual(["hour 1"]);
    // A cover that ends inside the level-1 node gets no block that reaches past it.
    expect(await served(H + 1, H + 7)).toEqual(["hour 1", "hour 5"]);
  });

  it("reach a grantee that pulled before they were sealed, and an upload refused after one leaves none behind", async () => {
    const s = await setup();
    const grantee = await signedUp("dr");
    const entries = [{ scopeTag: s.tag, fromHour: H, toHour: H + 1, generations: [1] }];
    await grantCreate(s.patient, s.pid, (await makeGrant(s.patient.identity, grantee.identity, { entries })).wire);
    const served = async () =>
      (await pull(grantee, s.pid)).page!.entries.map((e) =>
        objectKind(e.bytes) === "block" ? `block ${decodeBlockPrefix(e.bytes).header.level}` : "hour",
      );
    expect(await served()).toEqual(["hour", "hour", "hour", "hour"]);
    const span = { scopeTag: s.tag, level: 1, node: H / 2, basis: 4, holds: [...s.hour, s.next] };
    const block = await makeBlock(s.patient.identity, s.pid, span);
    // The second block misses an envelope: the whole upload is refused, the first block with it.
    const short = await makeBlock(s.patient.identity, s.pid, { ...span, level: 0, node: H, holds: s.hour.slice(1) });
    expect(await upload(s.patient, s.pid, [block.bytes, short.bytes])).toMatchObject({ status: 409 });
    expect(await served()).toEqual(["hour", "hour", "hour", "hour"]);
    expect((await upload(s.patient, s.pid, [block.bytes])).status).toBe(200);
    expect(await served()).toEqual(["block 1"]);
  });
});
