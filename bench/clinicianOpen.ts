// Scenario 1: a patient writes 90 days and syncs; a clinician with a 90-day
// glucose + insulin + events grant opens it from an empty device: log in, find the grant in the
// inbox, pull, verify and decrypt, materialise the records, compute the screen. The peer opens the
// same records from y-websocket's server, unencrypted.
import { performance } from "node:perf_hooks";
import * as Y from "yjs";
import type { AccountKeys } from "../shared/accountKeys.js";
import { fromBase64Url, toHex } from "../shared/bytes.js";
import { openGrant } from "../shared/grant.js";
import { decodeKeyBundle } from "../shared/keyBundle.js";
import { Grantee } from "../client/index.js";
import { ServerApi } from "../client/api/serverApi.js";
import { grantKeySource } from "../client/keySource.js";
import { scopeTags } from "../client/keyRing.js";
import type { StoredEnvelope } from "../client/store/database.js";
import { HOUR, type PatientData } from "./data.js";
import { device, grantFor, handle, postGrant, registerGrantee, registerPatient, type PatientAccount } from "./steward.js";
import { since } from "./stats.js";
import { storageFloor, type StorageFloor } from "./storageFloor.js";
import { clinicianView, type ClinicianView } from "./view.js";
import { afterLogin, recordingFetch, startCountingRelay, type RequestRecord } from "./wire.js";
import { connectYjs, readRecords, serverHolds, synced, writeRecords, type SyncRequests, type YjsServer } from "./yjsServer.js";

export interface StewardOpen {
  readonly view: ClinicianView;
  readonly envelopes: number;
  readonly ms: { total: number; login: number; inboxAndGrant: number; pullNetwork: number; ingest: number; materialise: number; compute: number };
  readonly wire: { up: number; down: number };
  /** Requests after the session exists (inbox and pulls). */
  readonly requestsAfterLogin: number;
  readonly pulls: number;
  /** Bytes of the glucose envelopes alone, as stored (what a glucose-only view would fetch). */
  readonly glucoseEnvelopeBytes: number;
  /** Total time of every cold open run; the figures above are from the median one. */
  readonly runsMs: number[];
  readonly sdk: SdkOpen;
  /** The same rows in IndexedDB alone, one transaction each against batched. */
  readonly storage: StorageFloor;
  /** Patient side, for context: writing the 90 days locally and pushing them. */
  readonly setup: { writeMs: number; pushMs: number };
}

type ColdOpen = Omit<StewardOpen, "runsMs" | "sdk" | "storage" | "setup">;

/** The run whose total time is the median of the runs. */
function medianRun<T extends { ms: { total: number } }>(runs: readonly T[]): T {
  return [...runs].sort((a, b) => a.ms.total - b.ms.total)[Math.floor((runs.length - 1) / 2)]!;
}

export async function stewardClinicianOpen(server: string, data: PatientData, end: number, runs: number): Promise<StewardOpen> {
  const patient = await registerPatient(server);
  const phone = patient.device();
  let start = performance.now();
  await phone.records.put([...data.glucose, ...data.insulin, ...data.events]);
  const writeMs = since(start);
  start = performance.now();
  await phone.sync.sync();
  const pushMs = since(start);

  const clinician = await registerGrantee(server, "clinic");
  const toHour = Math.floor(end / HOUR);
  await postGrant(patient, grantFor(patient, clinician.keys.bundle, { scopes: ["glucose", "insulin", "events"], fromHour: toHour - 90 * 24, toHour, expiresAt: end + 30 * 24 * HOUR }));

  const opens: ColdOpen[] = [];
  let stored: StoredEnvelope[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await coldOpen(server, patient, clinician, end);
    opens.push(run.open);
    stored = run.stored;
  }
  return { ...medianRun(opens), runsMs: opens.map((o) => o.ms.total), sdk: await sdkOpen(server, patient, end), storage: await storageFloor(stored), setup: { writeMs, pushMs } };
}

export interface SdkOpen {
  readonly view: ClinicianView;
  readonly ms: number;
  /** Requests from listing the shares to the metrics, as "METHOD /route" with ids replaced. */
  readonly requests: string[];
  readonly wire: { up: number; down: number };
}

/**
 * The same open through the role-level SDK, as an app does it: a clinician's device (already signed
 * in) that has never opened this patient lists its shares, opens the new one, syncs and queries.
 */
async function sdkOpen(server: string, patient: PatientAccount, end: number): Promise<SdkOpen> {
  const relay = await startCountingRelay(server);
  const requests: RequestRecord[] = [];
  const { grantee } = await Grantee.create({ server: relay.url, handle: handle("clinic"), database: handle("db"), fetch: recordingFetch(requests) });
  try {
    const profile = await patient.api.lookupAccount(grantee.accountId);
    const toHour = Math.floor(end / HOUR);
    await postGrant(patient, grantFor(patient, decodeKeyBundle(fromBase64Url(profile.bundle)), { scopes: ["glucose", "insulin", "events"], fromHour: toHour - 90 * 24, toHour, expiresAt: end + 30 * 24 * HOUR }));
    relay.reset();
    requests.length = 0;
    const t0 = performance.now();
    const share = (await grantee.shares()).find((s) => s.patient.accountId === patient.api.accountId);
    if (!share) throw new Error("the clinician's SDK does not list the patient's share");
    const view = await grantee.open(share.grantId);
    await view.sync.sync();
    const range = { from: end - 90 * 24 * HOUR, to: end };
    const screen = clinicianView(await view.records.query({ scope: "glucose", ...range }), await view.records.query({ scope: "insulin", ...range }), await view.records.query({ scope: "events", ...range }));
    const ms = since(t0);
    return { view: screen, ms, requests: requests.map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{32}/g, ":id")}`), wire: { ...relay.count } };
  } finally {
    await grantee.close();
    await relay.stop();
  }
}

/** One cold client of the clinician: a new database, no session, nothing cached; its traffic goes through a counting relay. */
async function coldOpen(server: string, patient: PatientAccount, clinician: { keys: AccountKeys }, end: number): Promise<{ open: ColdOpen; stored: StoredEnvelope[] }> {
  const relay = await startCountingRelay(server);
  const requests: RequestRecord[] = [];
  try {
    const api = new ServerApi(relay.url, clinician.keys, recordingFetch(requests));
    const t0 = performance.now();
    await api.ensureSession();
    const tLogin = performance.now();
    const entry = (await api.inbox()).grants.find((e) => e.patientId === patient.api.accountId);
    if (!entry) throw new Error("the clinician's inbox does not hold the patient's grant");
    const opened = openGrant(fromBase64Url(entry.grant), clinician.keys, patient.ring.account.signKey);
    const view = device(grantKeySource(opened, clinician.keys.signKey), clinician.keys, api);
    const tGrant = performance.now();
    await view.sync.pull();
    const tPulled = performance.now();
    const range = { from: end - 90 * 24 * HOUR, to: end };
    const [glucose, insulin, events] = [await view.records.query({ scope: "glucose", ...range }), await view.records.query({ scope: "insulin", ...range }), await view.records.query({ scope: "events", ...range })];
    const tMaterialised = performance.now();
    const screen = clinicianView(glucose, insulin, events);
    const tEnd = performance.now();

    const pulls = requests.filter((r) => r.path.endsWith("/envelopes"));
    const pullNetwork = pulls.reduce((sum, r) => sum + r.ms, 0);
    const glucoseTag = toHex(scopeTags(patient.ring.data!).get("glucose")!);
    const stored = await view.db.envelopes.toArray();
    view.db.close();
    return {
      stored,
      open: {
        view: screen,
        envelopes: stored.length,
        ms: { total: tEnd - t0, login: tLogin - t0, inboxAndGrant: tGrant - tLogin, pullNetwork, ingest: tPulled - tGrant - pullNetwork, materialise: tMaterialised - tPulled, compute: tEnd - tMaterialised },
        wire: { ...relay.count },
        requestsAfterLogin: afterLogin(requests).length,
        pulls: pulls.length,
        glucoseEnvelopeBytes: stored.filter((e) => e.tag === glucoseTag).reduce((sum, e) => sum + e.bytes.length, 0),
      },
    };
  } finally {
    await relay.stop();
  }
}

export interface PeerOpen {
  readonly view: ClinicianView;
  readonly ms: { total: number; sync: number; materialise: number; compute: number };
  readonly wire: { up: number; down: number };
  /** Sync-step-1 requests the client sent before it had the data. */
  readonly syncRequests: number;
  /** Total time of every run; the figures above are from the median one. */
  readonly runsMs?: number[];
}

/** The same 90 days in an unencrypted Y.Doc on y-websocket's server, opened by a fresh client. */
export async function peerClinicianOpen(server: YjsServer, data: PatientData, end: number, runs: number): Promise<PeerOpen> {
  const room = `clinic-${end}-${Math.random().toString(36).slice(2)}`;
  const writer = new Y.Doc();
  writeRecords(writer, [...data.glucose, ...data.insulin, ...data.events]);
  const upload = connectYjs(server.url, room, writer);
  await serverHolds(server, room, ["glucose", "insulin", "events"], data.glucose.length + data.insulin.length + data.events.length);
  upload.destroy();
  writer.destroy();
  const opens: PeerOpen[] = [];
  for (let i = 0; i < runs; i++) opens.push(await peerColdOpen(server, room, end));
  return { ...medianRun(opens), runsMs: opens.map((o) => o.ms.total) };
}

async function peerColdOpen(server: YjsServer, room: string, end: number): Promise<PeerOpen> {
  const relay = await startCountingRelay(server.url);
  const requests: SyncRequests = { count: 0 };
  try {
    const t0 = performance.now();
    const doc = new Y.Doc();
    const provider = connectYjs(relay.url, room, doc, requests);
    await synced(provider);
    const tSynced = performance.now();
    const range = [end - 90 * 24 * HOUR, end] as const;
    const [glucose, insulin, events] = [readRecords(doc, "glucose", ...range), readRecords(doc, "insulin", ...range), readRecords(doc, "events", ...range)];
    const tMaterialised = performance.now();
    const screen = clinicianView(glucose, insulin, events);
    const tEnd = performance.now();
    provider.destroy();
    doc.destroy();
    return { view: screen, ms: { total: tEnd - t0, sync: tSynced - t0, materialise: tMaterialised - tSynced, compute: tEnd - tMaterialised }, wire: { ...relay.count }, syncRequests: requests.count };
  } finally {
    await relay.stop();
  }
}
