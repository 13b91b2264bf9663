import { abortAllDurableObjects, env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { toHex } from "../../shared/bytes.js";
import { encodeUpload, MAX_BATCH_BYTES, MAX_BATCH_ENVELOPES } from "../../shared/syncFrames.js";
import { call, errorOf, pull, push, signedUp, type Session } from "../helpers/api.js";
import { DeviceChain, randomBytes, scopeTag, type MadeEnvelope } from "../helpers/webcryptoFixtures.js";

const HOUR = 490_000;

async function patient(): Promise<{ p: Session; id: string; chain: DeviceChain }> {
  const p = await signedUp("pat");
  return { p, id: p.identity.accountId, chain: new DeviceChain(p.identity, p.identity.accountId) };
}

function storedCount(id: string): Promise<number> {
  const stub = env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(id));
  return runInDurableObject(
    stub,
    (_, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM envelopes").one().n,
  );
}

describe("push", () => {
  it("stores a batch with server seqs and pulls it back byte for byte", async () => {
    const { p, id, chain } = await patient();
    const tag = scopeTag();
    const envs = [await chain.next({ scopeTag: tag, hour: HOUR }), await chain.next({ scopeTag: tag, hour: HOUR + 1 })];
    const res = await push(
      p,
      id,
      envs.map((e) => e.bytes),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ seqs: [1, 2] });
    const { page } = await pull(p, id);
    expect(page!.entries.map((e) => [e.seq, e.compacted, toHex(e.bytes)])).toEqual(
      envs.map((e, i) => [i + 1, false, toHex(e.bytes)]),
    );
    expect(page!.cursor).toBe(2);
    expect(page!.more).toBe(false);
  });

  it("is idempotent by envelope id: a retried batch stores nothing twice and returns the same seqs", async () => {
    const { p, id, chain } = await patient();
    const tag = scopeTag();
    const a = await chain.next({ scopeTag: tag, hour: HOUR });
    const b = await chain.next({ scopeTag: tag, hour: HOUR });
    expect(await (await push(p, id, [a.bytes])).json()).toEqual({ seqs: [1] });
    // The ack for [a, b] was "lost"; the client retries the whole outbox, twice.
    expect(await (await push(p, id, [a.bytes, b.bytes])).json()).toEqual({ seqs: [1, 2] });
    expect(await (await push(p, id, [a.bytes, b.bytes])).json()).toEqual({ seqs: [1, 2] });
    expect(await storedCount(id)).toBe(2);
  });

  it("refuses an envelope id reused with other content", async () => {
    const { p, id, chain } = await patient();
    const tag = scopeTag();
    const a = await chain.next({ scopeTag: tag, hour: HOUR });
    await push(p, id, [a.bytes]);
    // Correctly signed and chained, but under an id already used by other content.
    const reused = await chain.peek({ scopeTag: tag, hour: HOUR }, { envelopeId: a.envelopeId });
    const res = await push(p, id, [reused.bytes]);
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toMatch(/already stored with different content/);
    expect(await storedCount(id)).toBe(1);
  });

  it("enforces chain continuity per device with 409", async () => {
    const { p, id, chain } = await patient();
    const tag = scopeTag();
    await push(p, id, [(await chain.next({ scopeTag: tag, hour: HOUR })).bytes]);
    const skip = await chain.peek({ scopeTag: tag, hour: HOUR }, { seq: 3 });
    const gap = await push(p, id, [skip.bytes]);
    expect(gap.status).toBe(409);
    expect((await errorOf(gap)).code).toBe("chain_broken");
    const fork = await chain.peek({ scopeTag: tag, hour: HOUR }, { prevHash: randomBytes(32) });
    expect((await push(p, id, [fork.bytes])).status).toBe(409);
    // A second device starts its own chain at 1.
    const laptop = new DeviceChain(p.identity, id);
    expect((await push(p, id, [(await laptop.next({ scopeTag: tag, hour: HOUR })).bytes])).status).toBe(200);
  });

  it("refuses envelopes of a stale generation once the patient declares a newer one", async () => {
    const { p, id, chain } = await patient();
    const tag = scopeTag();
    await push(p, id, [(await chain.next({ scopeTag: tag, hour: HOUR, generation: 1 })).bytes]);
    const declare = await call(`/v1/patients/${id}/generations`, {
      method: "PUT",
      token: p.token,
      body: JSON.stringify({ scopeTag: toHex(tag), generation: 2 }),
      headers: { "content-type": "application/json" },
    });
    expect(declare.status).toBe(200);
    expect(await declare.json()).toEqual({ generations: [{ scopeTag: toHex(tag), generation: 2 }] });
    const stale = await push(p, id, [(await chain.peek({ scopeTag: tag, hour: HOUR, generation: 1 })).bytes]);
    expect(stale.status).toBe(409);
    expect((await errorOf(stale)).message).toMatch(/stale generation/);
    expect((await push(p, id, [(await chain.next({ scopeTag: tag, hour: HOUR, generation: 2 })).bytes])).status).toBe(
      200,
    );
    const lower = await call(`/v1/patients/${id}/generations`, {
      method: "PUT",
      token: p.token,
      body: JSON.stringify({ scopeTag: toHex(tag), generation: 1 }),
      headers: { "content-type": "application/json" },
    });
    expect(lower.status).toBe(409);
    expect(await (await call(`/v1/patients/${id}/generations`, { token: p.token })).json()).toEqual({
      generations: [{ scopeTag: toHex(tag), generation: 2 }],
    });
  });

  it("stores nothing of a batch with a bad envelope in the middle", async () => {
    const { p, id, chain } = await patient();
    const tag = scopeTag();
    const a = await chain.next({ scopeTag: tag, hour: HOUR });
    const b = await chain.next({ scopeTag: tag, hour: HOUR });
    const c = await chain.next({ scopeTag: tag, hour: HOUR });
    const badSignature = b.bytes.slice();
    badSignature[200]! ^= 1;
    expect((await push(p, id, [a.bytes, badSignature, c.bytes])).status).toBe(403);
    expect(await storedCount(id)).toBe(0);
    // A chain error found inside the transaction (third envelope skips a seq) rolls back the first two.
    const skip = await chain.peek({ scopeTag: tag, hour: HOUR }, { seq: 9 });
    expect((await push(p, id, [a.bytes, b.bytes, skip.bytes])).status).toBe(409);
    expect(await storedCount(id)).toBe(0);
    expect(await (await push(p, id, [a.bytes, b.bytes, c.bytes])).json()).toEqual({ seqs: [1, 2, 3] });
  });

  it("names the first failing envelope in batch order when several fail", async () => {
    const { p, id, chain } = await patient();
    const other = await patient();
    const tag = scopeTag();
    const envs: MadeEnvelope[] = [];
    for (let i = 0; i < 5; i++) envs.push(await chain.next({ scopeTag: tag, hour: HOUR }));
    const forged = (i: number) => {
      const bytes = envs[i]!.bytes.slice();
      bytes[200]! ^= 1;
      return bytes;
    };
    const batch = [envs[0]!.bytes, envs[1]!.bytes, forged(2), envs[3]!.bytes, forged(4)];
    const res = await push(p, id, batch);
    expect(res.status).toBe(403);
    expect((await errorOf(res)).message).toBe(`envelope ${toHex(envs[2]!.envelopeId)} is not signed by its author key`);
    // An author refusal earlier in the batch comes before a later bad signature.
    const foreign = (await new DeviceChain(other.p.identity, id).next({ scopeTag: tag, hour: HOUR })).bytes;
    const authorFirst = await push(p, id, [envs[0]!.bytes, foreign, forged(2)]);
    expect(authorFirst.status).toBe(403);
    expect((await errorOf(authorFirst)).message).toMatch(/author key is not your identity key/);
    expect(await storedCount(id)).toBe(0);
    expect(
      await (
        await push(
          p,
          id,
          envs.map((e) => e.bytes),
        )
      ).json(),
    ).toEqual({ seqs: [1, 2, 3, 4, 5] });
  });

  it("keeps seqs, chains and ids across a full batch of two interleaved devices and its partial retry", async () => {
    const { p, id, chain } = await patient();
    const laptop = new DeviceChain(p.identity, id);
    const tag = scopeTag();
    const envs: MadeEnvelope[] = [];
    for (let i = 0; i < MAX_BATCH_ENVELOPES; i++)
      envs.push(await (i % 3 === 0 ? laptop : chain).next({ scopeTag: tag, hour: HOUR + (i % 5) }));
    const first = envs.slice(0, 150);
    expect(
      await (
        await push(
          p,
          id,
          first.map((e) => e.bytes),
        )
      ).json(),
    ).toEqual({ seqs: first.map((_, i) => i + 1) });
    // The ack was lost: the client resends the 150 with the rest of a full batch.
    expect(
      await (
        await push(
          p,
          id,
          envs.map((e) => e.bytes),
        )
      ).json(),
    ).toEqual({ seqs: envs.map((_, i) => i + 1) });
    expect(await storedCount(id)).toBe(MAX_BATCH_ENVELOPES);
    // Both chains continue from the batch's last envelope of each device.
    const next = [await chain.next({ scopeTag: tag, hour: HOUR }), await laptop.next({ scopeTag: tag, hour: HOUR })];
    expect(
      await (
        await push(
          p,
          id,
          next.map((e) => e.bytes),
        )
      ).json(),
    ).toEqual({ seqs: [MAX_BATCH_ENVELOPES + 1, MAX_BATCH_ENVELOPES + 2] });
    const { page } = await pull(p, id, `limit=${MAX_BATCH_ENVELOPES + next.length}`);
    expect(page!.entries.map((e) => toHex(e.bytes))).toEqual([...envs, ...next].map((e) => toHex(e.bytes)));
  });

  it("treats an envelope repeated within one batch as a retry, and the same id with other content as a conflict", async () => {
    const { p, id, chain } = await patient();
    const tag = scopeTag();
    const a = await chain.next({ scopeTag: tag, hour: HOUR });
    const b = await chain.next({ scopeTag: tag, hour: HOUR });
    expect(await (await push(p, id, [a.bytes, b.bytes, a.bytes])).json()).toEqual({ seqs: [1, 2, 1] });
    const c = await chain.next({ scopeTag: tag, hour: HOUR });
    const reused = await chain.peek({ scopeTag: tag, hour: HOUR }, { envelopeId: c.envelopeId });
    const conflict = await push(p, id, [c.bytes, reused.bytes]);
    expect(conflict.status).toBe(409);
    expect((await errorOf(conflict)).message).toMatch(/already stored with different content/);
    expect(await storedCount(id)).toBe(2);
  });

  it("loses no acknowledged envelope when the object restarts between batches", async () => {
    const { p, id, chain } = await patient();
    const tag = scopeTag();
    const first = [await chain.next({ scopeTag: tag, hour: HOUR }), await chain.next({ scopeTag: tag, hour: HOUR })];
    expect(
      (
        await push(
          p,
          id,
          first.map((e) => e.bytes),
        )
      ).status,
    ).toBe(200);
    await evictDurableObject(env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(id)));
    const second = await chain.next({ scopeTag: tag, hour: HOUR });
    expect(await (await push(p, id, [second.bytes])).json()).toEqual({ seqs: [3] });
    // The retry of the first batch after the restart still maps to the stored seqs.
    expect(
      await (
        await push(
          p,
          id,
          first.map((e) => e.bytes),
        )
      ).json(),
    ).toEqual({ seqs: [1, 2] });
    await abortAllDurableObjects();
    expect((await pull(p, id)).page!.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it("refuses malformed and oversized messages without changing state", async () => {
    const { p, id, chain } = await patient();
    const tag = scopeTag();
    await push(p, id, [(await chain.next({ scopeTag: tag, hour: HOUR })).bytes]);
    const garbage = await call(`/v1/patients/${id}/envelopes`, {
      method: "POST",
      body: randomBytes(300),
      token: p.token,
    });
    expect(garbage.status).toBe(400);
    expect((await errorOf(garbage)).code).toBe("malformed");
    const truncated = encodeUpload([(await chain.peek({ scopeTag: tag, hour: HOUR })).bytes]).slice(0, -10);
    expect(
      (await call(`/v1/patients/${id}/envelopes`, { method: "POST", body: truncated, token: p.token })).status,
    ).toBe(400);
    const tooBig = await call(`/v1/patients/${id}/envelopes`, {
      method: "POST",
      body: new Uint8Array(MAX_BATCH_BYTES + 1),
      token: p.token,
    });
    expect(tooBig.status).toBe(413);
    expect(await storedCount(id)).toBe(1);
  });

  it("refuses envelopes for another patient, by another author, or without a session", async () => {
    const { p, id, chain } = await patient();
    const other = await patient();
    const tag = scopeTag();
    // Patient p pushes to another patient's log: not the patient, no grant.
    const intoOther = await push(p, other.id, [
      (await new DeviceChain(p.identity, other.id).next({ scopeTag: tag, hour: HOUR })).bytes,
    ]);
    expect(intoOther.status).toBe(403);
    // An envelope naming another patient, pushed into p's own log.
    const misaddressed = await push(p, id, [
      (await new DeviceChain(p.identity, other.id).next({ scopeTag: tag, hour: HOUR })).bytes,
    ]);
    expect(misaddressed.status).toBe(403);
    // Another account's envelope replayed into p's log by p.
    const foreign = await push(p, id, [
      (await new DeviceChain(other.p.identity, id).next({ scopeTag: tag, hour: HOUR })).bytes,
    ]);
    expect(foreign.status).toBe(403);
    expect(
      (
        await call(`/v1/patients/${id}/envelopes`, {
          method: "POST",
          body: encodeUpload([(await chain.peek({ scopeTag: tag, hour: HOUR })).bytes]),
        })
      ).status,
    ).toBe(401);
    expect(await storedCount(id)).toBe(0);
    expect(await storedCount(other.id)).toBe(0);
  });
});
