import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { toHex } from "../../shared/bytes.js";
import { decodeEnvelope, envelopeLink, PREFIX_BYTES } from "../../shared/envelopeCodec.js";
import { encodeCompaction, splitEnvelopePrefix } from "../../shared/syncFrames.js";
import { call, errorOf, grantCreate, pull, push, signedUp } from "../helpers/api.js";
import { DeviceChain, makeGrant, randomBytes, scopeTag } from "../helpers/webcryptoFixtures.js";

const H = 492_000;

function compact(token: string, pid: string, replaces: Uint8Array[], envelope: Uint8Array): Promise<Response> {
  return call(`/v1/patients/${pid}/compactions`, { method: "POST", body: encodeCompaction({ replaces, envelope }), token });
}

async function setup() {
  const patient = await signedUp("pat");
  const pid = patient.identity.accountId;
  const phone = new DeviceChain(patient.identity, pid);
  const laptop = new DeviceChain(patient.identity, pid);
  const tag = scopeTag();
  const shard = [await phone.next({ scopeTag: tag, hour: H }), await laptop.next({ scopeTag: tag, hour: H }), await phone.next({ scopeTag: tag, hour: H })];
  const elsewhere = await phone.next({ scopeTag: tag, hour: H + 1 });
  expect((await push(patient, pid, [...shard, elsewhere].map((e) => e.bytes))).status).toBe(200);
  return { patient, pid, phone, laptop, tag, shard, elsewhere };
}

describe("compaction", () => {
  it("replaces a shard's envelopes by one compaction envelope and keeps their signed prefixes", async () => {
    const s = await setup();
    const compacted = await s.phone.next({ scopeTag: s.tag, hour: H, kind: "compaction", bodyLength: 1000 });
    const res = await compact(s.patient.token, s.pid, s.shard.map((e) => e.envelopeId), compacted.bytes);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ seq: 5 });
    const { page } = await pull(s.patient, s.pid);
    expect(page!.entries.map((e) => [e.seq, e.compacted])).toEqual([
      [1, true],
      [2, true],
      [3, true],
      [4, false],
      [5, false],
    ]);
    // A compacted entry still proves its place in its device chain.
    const first = page!.entries[0]!;
    expect(first.bytes.length).toBe(PREFIX_BYTES);
    const prefix = splitEnvelopePrefix(first.bytes);
    const original = decodeEnvelope(s.shard[0]!.bytes);
    expect(toHex(envelopeLink(prefix.headerBytes, prefix.bodyLength, prefix.bodyHash))).toBe(toHex(s.shard[0]!.link));
    expect(toHex(prefix.signature)).toBe(toHex(original.signature));
    expect(toHex(page!.entries[4]!.bytes)).toBe(toHex(compacted.bytes));
    // Retrying the same compaction is harmless.
    expect(await (await compact(s.patient.token, s.pid, s.shard.map((e) => e.envelopeId), compacted.bytes)).json()).toEqual({ seq: 5 });
  });

  it("is atomic: a source outside the shard or unknown leaves every body in place", async () => {
    const s = await setup();
    const compacted = await s.phone.peek({ scopeTag: s.tag, hour: H, kind: "compaction" });
    const wrongShard = await compact(s.patient.token, s.pid, [s.shard[0]!.envelopeId, s.elsewhere.envelopeId], compacted.bytes);
    expect(wrongShard.status).toBe(409);
    expect((await compact(s.patient.token, s.pid, [s.shard[0]!.envelopeId, randomBytes(16)], compacted.bytes)).status).toBe(404);
    const bodies = await runInDurableObject(env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(s.pid)), (_, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM envelopes WHERE body IS NOT NULL").one().n,
    );
    expect(bodies).toBe(4);
    expect((await pull(s.patient, s.pid)).page!.entries.every((e) => !e.compacted)).toBe(true);
  });

  it("refuses an update envelope as a compaction, a compaction pushed as an update, and non-patients", async () => {
    const s = await setup();
    const update = await s.phone.peek({ scopeTag: s.tag, hour: H });
    const asCompaction = await compact(s.patient.token, s.pid, [s.shard[0]!.envelopeId], update.bytes);
    expect(asCompaction.status).toBe(400);
    const compacted = await s.phone.peek({ scopeTag: s.tag, hour: H, kind: "compaction" });
    expect((await push(s.patient, s.pid, [compacted.bytes])).status).toBe(400);
    const grantee = await signedUp("care");
    await grantCreate(s.patient, s.pid, (await makeGrant(s.patient.identity, grantee.identity, { entries: [{ scopeTag: s.tag, fromHour: H, toHour: H, generations: [1] }], write: true })).wire);
    const theirs = await new DeviceChain(grantee.identity, s.pid).next({ scopeTag: s.tag, hour: H, kind: "compaction" });
    expect((await compact(grantee.token, s.pid, [s.shard[0]!.envelopeId], theirs.bytes)).status).toBe(403);
    expect((await call(`/v1/patients/${s.pid}/compactions`, { method: "POST", body: randomBytes(10), token: s.patient.token })).status).toBe(400);
    expect((await errorOf(await call(`/v1/patients/${s.pid}/compactions`, { method: "POST", body: randomBytes(10), token: s.patient.token }))).code).toBe("malformed");
  });
});
