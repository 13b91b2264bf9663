// Scenario 1: a patient writes a year and syncs (its phone seals the closed spans into blocks); a
// clinician with a glucose + insulin + events grant of the last 7, 30, 90 or 365 days opens it from
// an empty device: log in, find the grant in the inbox, pull, verify and decrypt, materialise the
// records, compute the screen. The peer opens the same records from y-websocket's server,
// unencrypted, in a room that holds exactly the range.
import { performance } from "node:perf_hooks";
import * as Y from "yjs";
import type { AccountKeys } from "../crypto/accountKeys.js";
import { fromBase64Url, toHex } from "../shared/bytes.js";
import { openGrant } from "../crypto/grant.js";
import { decodeKeyBundle } from "../shared/keyBundle.js";
import type { StewardRecord } from "../shared/records.js";
import { Grantee } from "../client/index.js";
import { ServerApi } from "../client/api/serverApi.js";
import { grantKeySource } from "../client/keySource.js";
import { scopeTags } from "../client/keyRing.js";
import { DAY, HOUR, type PatientData } from "./data.js";
import {
  device,
  grantFor,
  handle,
  postGrant,
  registerGrantee,
  registerPatient,
  type PatientAccount,
} from "./steward.js";
import { since } from "./stats.js";
import { clinicianView, type ClinicianView } from "./view.js";
import { afterLogin, recordingFetch, startCountingRelay, type RequestRecord } from "./wire.js";
import {
  connectYjs,
  readRecords,
  serverHolds,
  synced,
  writeRecords,
  type SyncRequests,
  type YjsServer,
} from "./yjsServer.js";

const SCOPES = ["glucose", "insulin", "events"] as const;

/** The patient's year, written on one phone and synced: what every open below reads from. */
export interface PatientSetup {
  readonly patient: PatientAccount;
  readonly days: number;
  readonly records: number;
  readonly writeMs: number;
  /** The first sync: push the envelopes, pull, seal the closed spans into blocks, push those. */
  readonly syncMs: number;
  readonly blocks: number;
  /** What the blocks of every level weigh together, against the hour envelopes they were sealed from. */
  readonly blockBytes: number;
  readonly envelopeBytes: number;
}

export async function writePatient(server: string, data: PatientData, days: number): Promise<PatientSetup> {
  const patient = await registerPatient(server);
  const phone = patient.device();
  const records = [...data.glucose, ...data.insulin, ...data.events];
  let start = performance.now();
  await phone.records.put(records);
  const writeMs = since(start);
  start = performance.now();
  await phone.sync.sync();
  const syncMs = since(start);
  const blocks = await phone.db.blocks.toArray();
  const envelopes = await phone.db.envelopes.toArray();
  phone.db.close();
  const weight = (list: readonly { bytes: Uint8Array }[]) => list.reduce((sum, o) => sum + o.bytes.length, 0);
  return {
    patient,
    days,
    records: records.length,
    writeMs,
    syncMs,
    blocks: blocks.length,
    blockBytes: weight(blocks),
    envelopeBytes: weight(envelopes),
  };
}

/** The records of the last `days` days before `end`. */
export function lastDays(data: PatientData, end: number, days: number): PatientData {
  const from = end - days * DAY;
  const keep = (list: StewardRecord[]) => list.filter((r) => r.time >= from && r.time < end);
  return { glucose: keep(data.glucose), insulin: keep(data.insulin), events: keep(data.events) };
}

export interface StewardOpen {
  readonly days: number;
  readonly view: ClinicianView;
  /** What the clinician's device holds after the open: hour envelopes and blocks. */
  readonly objects: { readonly envelopes: number; readonly blocks: number };
  /** `inboxAndGrant`: the inbox request, which carries the login proof and brings the session, and opening the grant. */
  readonly ms: {
    total: number;
    inboxAndGrant: number;
    pullNetwork: number;
    ingest: number;
    materialise: number;
    compute: number;
  };
  /** Requests made only to log in (none: the proof rides on the inbox request). */
  readonly loginRequests: number;
  readonly wire: { up: number; down: number };
  /** Requests after the session exists (inbox and pulls). */
  readonly requestsAfterLogin: number;
  readonly pulls: number;
  /** Bytes of the glucose objects alone, as stored (what a glucose-only view would fetch). */
  readonly glucoseBytes: number;
  /** Total time of every cold open run; the figures above are from the median one. */
  readonly runsMs: number[];
}

type ColdOpen = Omit<StewardOpen, "runsMs" | "days">;

/** The run whose total time is the median of the runs. */
function medianRun<T extends { ms: { total: number } }>(runs: readonly T[]): T {
  return [...runs].sort((a, b) => a.ms.total - b.ms.total)[Math.floor((runs.length - 1) / 2)]!;
}

function grantRange(end: number, days: number) {
  const toHour = Math.floor(end / HOUR);
  return { fromHour: toHour - days * 24, toHour, expiresAt: end + 30 * DAY };
}

export async function stewardClinicianOpen(
  server: string,
  setup: PatientSetup,
  end: number,
  days: number,
  runs: number,
): Promise<StewardOpen> {
  const clinician = await registerGrantee(server, "clinic");
  await postGrant(
    setup.patient,
    grantFor(setup.patient, clinician.keys.bundle, { scopes: SCOPES, ...grantRange(end, days) }),
  );
  const opens: ColdOpen[] = [];
  for (let i = 0; i < runs; i++) opens.push(await coldOpen(server, setup.patient, clinician, end, days));
  return { ...medianRun(opens), days, runsMs: opens.map((o) => o.ms.total) };
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
export async function sdkOpen(server: string, patient: PatientAccount, end: number, days: number): Promise<SdkOpen> {
  const relay = await startCountingRelay(server);
  const requests: RequestRecord[] = [];
  const { grantee } = await Grantee.create({
    server: relay.url,
    handle: handle("clinic"),
    database: handle("db"),
    fetch: recordingFetch(requests),
  });
  try {
    const profile = await patient.api.lookupAccount(grantee.accountId);
    await postGrant(
      patient,
      grantFor(patient, decodeKeyBundle(fromBase64Url(profile.bundle)), { scopes: SCOPES, ...grantRange(end, days) }),
    );
    relay.reset();
    requests.length = 0;
    const t0 = performance.now();
    const share = (await grantee.shares()).find((s) => s.patient.accountId === patient.api.accountId);
    if (!share) throw new Error("the clinician's SDK does not list the patient's share");
    const view = await grantee.open(share.grantId);
    await view.sync.sync();
    const range = { from: end - days * DAY, to: end };
    const screen = clinicianView(
      await view.records.query({ scope: "glucose", ...range }),
      await view.records.query({ scope: "insulin", ...range }),
      await view.records.query({ scope: "events", ...range }),
    );
    const ms = since(t0);
    return {
      view: screen,
      ms,
      requests: requests.map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{32}/g, ":id")}`),
      wire: { ...relay.count },
    };
  } finally {
    await grantee.close();
    await relay.stop();
  }
}

/**
 * One cold client of the clinician: a new database, no session, nothing cached; its traffic goes
 * through a counting relay. Its first request (the inbox) carries the login proof.
 */
async function coldOpen(
  server: string,
  patient: PatientAccount,
  clinician: { keys: AccountKeys },
  end: number,
  days: number,
): Promise<ColdOpen> {
  const relay = await startCountingRelay(server);
  const requests: RequestRecord[] = [];
  try {
    const api = new ServerApi(relay.url, clinician.keys, recordingFetch(requests));
    const t0 = performance.now();
    const entry = (await api.inbox()).grants.find((e) => e.patientId === patient.api.accountId);
    if (!entry) throw new Error("the clinician's inbox does not hold the patient's grant");
    const opened = openGrant(fromBase64Url(entry.grant), clinician.keys, patient.ring.account.signKey);
    const view = device(
      grantKeySource(opened, clinician.keys.signKey, () => patient.ring.devices),
      clinician.keys,
      api,
    );
    const tGrant = performance.now();
    await view.sync.pull();
    const tPulled = performance.now();
    const range = { from: end - days * DAY, to: end };
    const [glucose, insulin, events] = [
      await view.records.query({ scope: "glucose", ...range }),
      await view.records.query({ scope: "insulin", ...range }),
      await view.records.query({ scope: "events", ...range }),
    ];
    const tMaterialised = performance.now();
    const screen = clinicianView(glucose, insulin, events);
    const tEnd = performance.now();

    const pulls = requests.filter((r) => r.path.endsWith("/envelopes"));
    const pullNetwork = pulls.reduce((sum, r) => sum + r.ms, 0);
    const glucoseTag = toHex(scopeTags(patient.ring.data!).get("glucose")!);
    const envelopes = await view.db.envelopes.toArray();
    const blocks = await view.db.blocks.toArray();
    view.db.close();
    let glucoseBytes = 0;
    for (const o of [...envelopes, ...blocks]) if (o.tag === glucoseTag) glucoseBytes += o.bytes.length;
    return {
      view: screen,
      objects: { envelopes: envelopes.length, blocks: blocks.length },
      ms: {
        total: tEnd - t0,
        inboxAndGrant: tGrant - t0,
        pullNetwork,
        ingest: tPulled - tGrant - pullNetwork,
        materialise: tMaterialised - tPulled,
        compute: tEnd - tMaterialised,
      },
      wire: { ...relay.count },
      loginRequests: requests.length - afterLogin(requests).length,
      requestsAfterLogin: afterLogin(requests).length,
      pulls: pulls.length,
      glucoseBytes,
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

/** The same records in an unencrypted Y.Doc on y-websocket's server, opened by a fresh client. */
export async function peerClinicianOpen(
  server: YjsServer,
  data: PatientData,
  end: number,
  days: number,
  runs: number,
): Promise<PeerOpen> {
  const room = `clinic-${end}-${Math.random().toString(36).slice(2)}`;
  const writer = new Y.Doc();
  writeRecords(writer, [...data.glucose, ...data.insulin, ...data.events]);
  const upload = connectYjs(server.url, room, writer);
  await serverHolds(server, room, [...SCOPES], data.glucose.length + data.insulin.length + data.events.length);
  upload.destroy();
  writer.destroy();
  const opens: PeerOpen[] = [];
  for (let i = 0; i < runs; i++) opens.push(await peerColdOpen(server, room, end, days));
  return { ...medianRun(opens), runsMs: opens.map((o) => o.ms.total) };
}

async function peerColdOpen(server: YjsServer, room: string, end: number, days: number): Promise<PeerOpen> {
  const relay = await startCountingRelay(server.url);
  const requests: SyncRequests = { count: 0 };
  try {
    const t0 = performance.now();
    const doc = new Y.Doc();
    const provider = connectYjs(relay.url, room, doc, requests);
    await synced(provider);
    const tSynced = performance.now();
    const range = [end - days * DAY, end] as const;
    const [glucose, insulin, events] = [
      readRecords(doc, "glucose", ...range),
      readRecords(doc, "insulin", ...range),
      readRecords(doc, "events", ...range),
    ];
    const tMaterialised = performance.now();
    const screen = clinicianView(glucose, insulin, events);
    const tEnd = performance.now();
    provider.destroy();
    doc.destroy();
    return {
      view: screen,
      ms: { total: tEnd - t0, sync: tSynced - t0, materialise: tMaterialised - tSynced, compute: tEnd - tMaterialised },
      wire: { ...relay.count },
      syncRequests: requests.count,
    };
  } finally {
    await relay.stop();
  }
}
