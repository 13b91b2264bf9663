// The grantee's signed read-receipt chain as the server serves it to the patient.
import "fake-indexeddb/auto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fromBase64Url } from "../../shared/bytes.js";
import { RollbackDetected } from "../../shared/errors.js";
import { decodeReadReceipt } from "../../shared/readReceipt.js";
import { loadSodium } from "../../crypto/sodium.js";
import { Grantee, Patient } from "../../client/index.js";
import { startWorker, type LocalWorker } from "../e2e/localWorker.js";
import { EvilServer, jsonOf, jsonReply } from "../helpers/evilServer.js";
import { shareWith } from "../helpers/accounts.js";

const HOUR = 3_600_000;
let worker: LocalWorker;
let evil: EvilServer;
let unique = 0;
const name = (prefix: string) => `${prefix}${Date.now() % 1_000_000}x${unique++}`;
const options = (prefix: string) => ({ server: evil.url, database: name(`receipts-${prefix}`) });

type Served = { receipts: { n: number; receipt: string }[] };
const seqOf = (r: { receipt: string }) => decodeReadReceipt(fromBase64Url(r.receipt)).seq;

describe("read receipts served to the patient", () => {
  beforeAll(async () => {
    await loadSodium();
    worker = await startWorker();
    evil = await EvilServer.start(worker.url);
  }, 120_000);
  afterEach(() => evil.behave());
  afterAll(async () => {
    await evil?.close();
    await worker?.stop();
  });

  async function setup(prefix: string) {
    const { patient } = await Patient.create({ ...options(prefix), handle: name(prefix) });
    const { grantee: clinic } = await Grantee.create({ ...options(`${prefix}c`), handle: name("clinic") });
    const grant = await shareWith(patient, clinic, {
      scopes: ["glucose"],
      from: Date.now() - 2 * HOUR,
      to: Date.now(),
      expiresAt: Date.now() + 24 * HOUR,
    });
    await patient.records.put([{ id: "r1", type: "cgm", time: Date.now() - HOUR, body: { mgdl: 45 } }]);
    await patient.sync.sync();
    for (let i = 0; i < 3; i++) {
      const view = await clinic.open(grant.grantId);
      await view.sync.sync();
      await view.receipts.flush();
      await view.close();
    }
    const seen = (await patient.accessLog()).filter((e) => e.witness === "reader");
    return { patient, clinic, seen };
  }

  const serveReceipts = (edit: (r: Served["receipts"]) => Served["receipts"]) =>
    evil.rewrite((request, reply) =>
      request.method === "GET" && request.url.pathname.endsWith("/receipts") && reply.status === 200
        ? jsonReply(200, { receipts: edit(jsonOf<Served>(reply).receipts) })
        : reply,
    );

  it("the newest receipt the patient already saw, dropped, raises RollbackDetected", async () => {
    const { patient, clinic, seen } = await setup("tail");
    const last = Math.max(...seen.map((e) => e.seq));
    serveReceipts((rs) => rs.filter((r) => seqOf(r) !== last));
    await expect(patient.accessLog()).rejects.toBeInstanceOf(RollbackDetected);
    await patient.close();
    await clinic.close();
  });

  it("two receipts swapped raise RollbackDetected", async () => {
    const { patient, clinic } = await setup("swap");
    serveReceipts((rs) => {
      const out = [...rs];
      [out[1], out[2]] = [out[2]!, out[1]!];
      return out;
    });
    await expect(patient.accessLog()).rejects.toBeInstanceOf(RollbackDetected);
    await patient.close();
    await clinic.close();
  });

  it("a receipt from the middle of a chain the patient already saw, dropped afterwards, raises RollbackDetected", async () => {
    const { patient, clinic, seen } = await setup("mid");
    expect(seen.length).toBeGreaterThanOrEqual(4);
    const middle = seen.map((e) => e.seq).sort((a, b) => a - b)[1]!;
    serveReceipts((rs) => rs.filter((r) => seqOf(r) !== middle));
    const outcome = await patient.accessLog().then(
      (log) => log,
      (e: unknown) => e,
    );
    expect(outcome).toBeInstanceOf(RollbackDetected);
    await patient.close();
    await clinic.close();
  });
});
