// Server faults: the PatientLog restarted in the middle of a push or a block's replacement, a storage error
// inside the transaction, a restart after the commit but before the answer, and live sockets dropped
// mid-stream. The oracle: no partial batch, no acknowledged envelope lost, nothing stored twice, and a
// client that retries (same batch) or reconnects (pull from its cursor) ends with every envelope.
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import type { AccessLogEntry } from "../../shared/accessLog.js";
import { CLOSE_GRANT_ENDED } from "../../shared/api.js";
import { toHex } from "../../shared/bytes.js";
import type { EnvelopeStore } from "../../durable-objects/envelopeStore.js";
import type { PatientLog } from "../../durable-objects/patientLog.js";
import { call, grantCreate, openSocket, pull, push, signedUp, type LiveSocket, type Session } from "../helpers/api.js";
import { DeviceChain, makeBlock, makeGrant, scopeTag, type MadeEnvelope } from "../helpers/webcryptoFixtures.js";

const H = 499_000;

async function setup() {
  const patient = await signedUp("pat");
  const pid = patient.identity.accountId;
  return { patient, pid, chain: new DeviceChain(patient.identity, pid), tag: scopeTag(), stub: () => stubOf(pid) };
}

/** A fresh stub each time: a stub that saw its object reset stays broken. */
function stubOf(pid: string): DurableObjectStub<PatientLog> {
  return env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(pid));
}

async function batch(chain: DeviceChain, tag: Uint8Array, n: number, hour = H): Promise<MadeEnvelope[]> {
  const out: MadeEnvelope[] = [];
  for (let i = 0; i < n; i++) out.push(await chain.next({ scopeTag: tag, hour }));
  return out;
}

function storedIds(stub: DurableObjectStub<PatientLog>): Promise<string[]> {
  return runInDurableObject(stub, (_, state) =>
    state.storage.sql
      .exec<{ id: ArrayBuffer }>("SELECT envelope_id AS id FROM envelopes ORDER BY seq")
      .toArray()
      .map((r) => toHex(new Uint8Array(r.id))),
  );
}

/**
 * Makes the object's envelope store misbehave on the `nth` call of `method` (counted from now):
 * `fault` runs instead of the call, with the object's state to abort it or an error to throw.
 */
function injectFault(
  stub: DurableObjectStub<PatientLog>,
  method: "append" | "appendBlock",
  nth: number,
  fault: (state: DurableObjectState) => never,
): Promise<void> {
  return runInDurableObject(stub, (instance, state) => {
    const store = (instance as unknown as { envelopes: EnvelopeStore }).envelopes;
    const original = store[method].bind(store) as (...args: unknown[]) => unknown;
    let calls = 0;
    (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) =>
      ++calls === nth ? fault(state) : original(...args);
  });
}

const RESTART = "test: restart mid-request";

function restart(state: DurableObjectState): never {
  state.abort(RESTART);
  throw new Error("abort() returned");
}

let serverLog: MockInstance<typeof console.error>;

/**
 * The worker logs a failure it did not expect before answering 500 (worker/index.ts). Here those are
 * the faults injected: each test checks that the log names exactly them, kept off the test output.
 */
function catchServerLog(): void {
  beforeEach(() => {
    serverLog = vi.spyOn(console, "error").mockImplementation(() => undefined);
  });
  afterEach(() => serverLog.mockRestore());
}

const loggedErrors = () =>
  serverLog.mock.calls.map(([error]) => (error instanceof Error ? error.message : String(error)));

describe("restarts mid-request", () => {
  catchServerLog();
  it("a push interrupted inside its transaction stores nothing; the retried batch is stored whole", async () => {
    const s = await setup();
    const acknowledged = await batch(s.chain, s.tag, 2);
    expect(
      await (
        await push(
          s.patient,
          s.pid,
          acknowledged.map((e) => e.bytes),
        )
      ).json(),
    ).toEqual({ seqs: [1, 2] });
    const next = await batch(s.chain, s.tag, 3);
    await injectFault(s.stub(), "append", 2, restart);
    const interrupted = await push(
      s.patient,
      s.pid,
      next.map((e) => e.bytes),
    );
    expect(interrupted.status).toBeGreaterThanOrEqual(500);
    expect(loggedErrors()).toEqual([RESTART]);
    expect(await storedIds(s.stub())).toEqual(acknowledged.map((e) => toHex(e.envelopeId)));
    // The client saw no ack and retries the same batch against the restarted object.
    expect(
      await (
        await push(
          s.patient,
          s.pid,
          next.map((e) => e.bytes),
        )
      ).json(),
    ).toEqual({ seqs: [3, 4, 5] });
    expect(await storedIds(s.stub())).toEqual([...acknowledged, ...next].map((e) => toHex(e.envelopeId)));
  });

  it("a restart after the commit but before the answer loses nothing and stores nothing twice on retry", async () => {
    const s = await setup();
    const envelopes = await batch(s.chain, s.tag, 3);
    await runInDurableObject(s.stub(), (instance, state) => {
      // fanOut runs right after the transaction commits: the ack never reaches the client.
      (instance as unknown as { fanOut: () => never }).fanOut = () => restart(state);
    });
    expect(
      (
        await push(
          s.patient,
          s.pid,
          envelopes.map((e) => e.bytes),
        )
      ).status,
    ).toBeGreaterThanOrEqual(500);
    expect(loggedErrors()).toEqual([RESTART]);
    expect(
      await (
        await push(
          s.patient,
          s.pid,
          envelopes.map((e) => e.bytes),
        )
      ).json(),
    ).toEqual({ seqs: [1, 2, 3] });
    expect((await pull(s.patient, s.pid)).page!.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it("a level-0 block interrupted after replacing its envelopes' bodies leaves every body and no block", async () => {
    const s = await setup();
    const hour = await batch(s.chain, s.tag, 3);
    await push(
      s.patient,
      s.pid,
      hour.map((e) => e.bytes),
    );
    const block = await makeBlock(s.patient.identity, s.pid, {
      scopeTag: s.tag,
      level: 0,
      node: H,
      basis: 3,
      holds: hour,
    });
    // The bodies are replaced first, then the block is queued: stop the object in between.
    await injectFault(s.stub(), "appendBlock", 1, restart);
    expect((await push(s.patient, s.pid, [block.bytes])).status).toBeGreaterThanOrEqual(500);
    expect(loggedErrors()).toEqual([RESTART]);
    const page = (await pull(s.patient, s.pid)).page!;
    expect(page.entries.map((e) => [e.seq, e.compacted])).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
    expect(await (await push(s.patient, s.pid, [block.bytes])).json()).toEqual({ seqs: [4] });
    expect((await pull(s.patient, s.pid)).page!.entries.map((e) => e.compacted)).toEqual([true, true, true, false]);
  });
});

describe("alarms across restarts", () => {
  it("an expiry alarm armed before a restart still ends the grant, closing the socket that hibernated through it", async () => {
    const s = await setup();
    const caregiver = await signedUp("care");
    const grant = await makeGrant(s.patient.identity, caregiver.identity, {
      entries: [{ scopeTag: s.tag, fromHour: H, toHour: H, generations: [1] }],
      live: true,
    });
    expect((await grantCreate(s.patient, s.pid, grant.wire)).status).toBe(201);
    const live = await openSocket(caregiver, s.pid);
    if (live instanceof Response) throw new Error(`socket refused: ${live.status}`);
    // The grant's time runs out while the object is away.
    await runInDurableObject(s.stub(), (_, state) =>
      state.storage.sql.exec("UPDATE grants SET expires_at = ? WHERE grant_id = ?", Date.now() - 1, grant.grantId),
    );
    await evictDurableObject(s.stub());
    expect(await runDurableObjectAlarm(s.stub())).toBe(true);
    expect(await live.closed).toEqual({ code: CLOSE_GRANT_ENDED, reason: "grant expired" });
    const grants = await (await call(`/v1/patients/${s.pid}/grants`, { token: s.patient.token })).json<{
      grants: { status: string }[];
    }>();
    expect(grants.grants.map((g) => g.status)).toEqual(["expired"]);
  });
});

describe("storage errors", () => {
  catchServerLog();
  it("an error thrown by storage inside the transaction stores nothing of the batch and logs nothing; the object keeps serving", async () => {
    const s = await setup();
    const writer = await signedUp("care");
    const grant = await makeGrant(s.patient.identity, writer.identity, {
      entries: [{ scopeTag: s.tag, fromHour: H, toHour: H, generations: [1] }],
      write: true,
    });
    expect((await grantCreate(s.patient, s.pid, grant.wire)).status).toBe(201);
    const theirs = new DeviceChain(writer.identity, s.pid);
    const envelopes = await batch(theirs, s.tag, 3);
    await injectFault(s.stub(), "append", 3, () => {
      throw new Error("SQLITE_FULL: database or disk is full");
    });
    const failed = await push(
      writer,
      s.pid,
      envelopes.map((e) => e.bytes),
    );
    expect(failed.status).toBe(500);
    expect((await failed.json<{ error: { code: string } }>()).error.code).toBe("internal");
    expect(loggedErrors()).toEqual(["SQLITE_FULL: database or disk is full"]);
    expect(await storedIds(s.stub())).toEqual([]);
    const log = await (await call(`/v1/patients/${s.pid}/access-log`, { token: s.patient.token })).json<{
      entries: AccessLogEntry[];
    }>();
    expect(log.entries.map((e) => e.action)).toEqual(["grant.create"]);
    // The storage recovers (the injected fault was one call); the writer's retry goes through.
    expect(
      await (
        await push(
          writer,
          s.pid,
          envelopes.map((e) => e.bytes),
        )
      ).json(),
    ).toEqual({ seqs: [1, 2, 3] });
  });
});

describe("sockets dropped mid-stream", () => {
  async function socket(session: Session, pid: string): Promise<LiveSocket> {
    const live = await openSocket(session, pid);
    if (live instanceof Response) throw new Error(`socket refused: ${live.status}`);
    return live;
  }

  it("a caregiver whose socket the object drops reconnects, pulls from its cursor and ends with every envelope exactly once", async () => {
    const s = await setup();
    const caregiver = await signedUp("care");
    const grant = await makeGrant(s.patient.identity, caregiver.identity, {
      entries: [{ scopeTag: s.tag, fromHour: H, toHour: H + 10, generations: [1] }],
      live: true,
    });
    expect((await grantCreate(s.patient, s.pid, grant.wire)).status).toBe(201);
    const seen = new Map<number, string>();
    let cursor = 0;
    const keep = (entries: readonly { seq: number; bytes: Uint8Array }[]) => {
      for (const e of entries) {
        expect(
          seen.has(e.seq) ? seen.get(e.seq) : toHex(e.bytes),
          `seq ${e.seq} arrived twice with different bytes`,
        ).toBe(toHex(e.bytes));
        seen.set(e.seq, toHex(e.bytes));
        cursor = Math.max(cursor, e.seq);
      }
    };

    const first = await socket(caregiver, s.pid);
    const sent = await batch(s.chain, s.tag, 2);
    await push(
      s.patient,
      s.pid,
      sent.map((e) => e.bytes),
    );
    keep((await first.waitFor(1)).flatMap((p) => p.entries));
    // The object goes away with its sockets (a deploy or a crash), mid-stream.
    await evictDurableObject(s.stub(), { webSockets: "close" });
    await first.closed;
    const whileAway = await batch(s.chain, s.tag, 3, H + 1);
    await push(
      s.patient,
      s.pid,
      whileAway.map((e) => e.bytes),
    );
    // Reconnect first, then pull from the cursor, so nothing falls between the two.
    const second = await socket(caregiver, s.pid);
    for (let more = true; more; ) {
      const { page } = await pull(caregiver, s.pid, `after=${cursor}`);
      keep(page!.entries);
      more = page!.more;
      cursor = Math.max(cursor, page!.cursor);
    }
    const after = await batch(s.chain, s.tag, 2, H + 2);
    await push(
      s.patient,
      s.pid,
      after.map((e) => e.bytes),
    );
    keep((await second.waitFor(1)).flatMap((p) => p.entries));
    const all = [...sent, ...whileAway, ...after].map((e) => toHex(e.bytes));
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect([...seen.entries()].sort(([a], [b]) => a - b).map(([, bytes]) => bytes)).toEqual(all);
  });
});
