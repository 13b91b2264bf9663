// Hostile input on every HTTP route of the worker, enumerated from the Hono app so a new route is
// fuzzed without touching this file. Every answer is a 4xx JSON error in our shape (or a success),
// never a 5xx; a refused request changes nothing the objects store (read through the objects), and
// the objects keep serving.
import { env, SELF } from "cloudflare:test";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../shared/api.js";
import { toBase64Url, toHex } from "../../shared/bytes.js";
import { encodeUpload } from "../../shared/syncFrames.js";
import app from "../../worker/index.js";
import { issueToken } from "../../worker/session.js";
import { BASE, grantCreate, login, pull, push, register, signedUp, type Session } from "../helpers/api.js";
import { DeviceChain, makeBlock, makeGrant, newIdentity, scopeTag } from "../helpers/webcryptoFixtures.js";
import { FIXED_SEEDS, randomSeeds, runsPerSeed } from "./budget.js";
import {
  fixedCases,
  requestArbitrary,
  routeBody,
  type Auth,
  type HostileRequest,
  type Route,
  type ValidBody,
} from "./hostileInput.js";
import { expectUnchanged, readState, type ObjectState } from "./objectState.js";

const H = 495_000;

/** Every method and path of the API (middleware entries are "ALL"; "/*" serves the web app's files), once each. */
const ROUTES: Route[] = [
  ...new Map(
    app.routes.filter((r) => r.method !== "ALL" && r.path !== "/*").map((r) => [`${r.method} ${r.path}`, r]),
  ).values(),
].map((r) => ({
  method: r.method,
  path: r.path,
  params: [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]!),
  body: routeBody(r.method, r.path),
}));

interface World {
  patient: Session;
  other: Session;
  grantee: Session;
  stranger: Session;
  tokens: Record<Auth, string | null>;
  handle: string;
  grantId: string;
  tag: Uint8Array;
  chain: DeviceChain;
  stubs: DurableObjectStub[];
}

async function world(): Promise<World> {
  const patient = await signedUp("fuzzpat");
  const other = await signedUp("fuzzother");
  const grantee = await signedUp("fuzzcare");
  const stranger = await signedUp("fuzzstranger");
  const pid = patient.identity.accountId;
  const chain = new DeviceChain(patient.identity, pid);
  const tag = scopeTag();
  expect(
    (
      await push(
        patient,
        pid,
        [await chain.next({ scopeTag: tag, hour: H }), await chain.next({ scopeTag: tag, hour: H + 1 })].map(
          (e) => e.bytes,
        ),
      )
    ).status,
  ).toBe(200);
  const grant = await makeGrant(patient.identity, grantee.identity, {
    entries: [{ scopeTag: tag, fromHour: H, toHour: H + 1, generations: [1] }],
    write: true,
    live: true,
  });
  expect((await grantCreate(patient, pid, grant.wire)).status).toBe(201);
  expect((await pull(grantee, pid)).status).toBe(200);
  const handle = (await (await SELF.fetch(`${BASE}/v1/accounts/${pid}`)).json<{ handle: string }>()).handle;
  const expired = (await issueToken(env, pid, Date.now() - 2 * 3_600_000)).token;
  const tokens: Record<Auth, string | null> = {
    patient: patient.token,
    grantee: grantee.token,
    stranger: stranger.token,
    none: null,
    garbage: "v1.AAAA.BBBB",
    expired,
  };
  const stubs = [
    env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(pid)),
    env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(other.identity.accountId)),
    ...[pid, grantee.identity.accountId].map((id) => env.ACCOUNT.get(env.ACCOUNT.idFromName(id))),
  ];
  return { patient, other, grantee, stranger, tokens, handle, grantId: grant.grantId, tag, chain, stubs };
}

/** A valid body for the routes whose format this suite knows; other routes get generic input only. */
async function validBody(route: Route, w: World): Promise<ValidBody> {
  const pid = w.patient.identity.accountId;
  const key = `${route.method} ${route.path}`;
  if (key.endsWith("/envelopes") && route.method === "POST") {
    const envelope = await w.chain.peek({ scopeTag: w.tag, hour: H });
    return encodeUpload([
      envelope.bytes,
      (await makeBlock(w.patient.identity, pid, { scopeTag: w.tag, level: 0, node: H, basis: 1, holds: [] })).bytes,
    ]);
  }
  if (key === "POST /v1/patients/:patientId/grants") {
    return {
      grant: toBase64Url(
        (
          await makeGrant(w.patient.identity, w.stranger.identity, {
            entries: [{ scopeTag: w.tag, fromHour: H, toHour: H, generations: [1] }],
          })
        ).wire,
      ),
    };
  }
  if (key === "PUT /v1/patients/:patientId/generations") return { scopeTag: toHex(w.tag), generation: 1 };
  if (key === "POST /v1/accounts") {
    const identity = await newIdentity();
    return { bundle: toBase64Url(identity.bundle), handle: `fz${identity.accountId.slice(0, 12)}` };
  }
  return route.body === "json" ? {} : null;
}

function validParam(name: string, w: World): string {
  const pid = w.patient.identity.accountId;
  if (name === "patientId" || name === "accountId") return pid;
  if (name === "grantId") return w.grantId;
  if (name === "handle") return w.handle;
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

function urlOf(route: Route, req: HostileRequest, w: World): string {
  const path = route.path.replace(/:(\w+)/g, (_, name: string) => req.params[name] ?? validParam(name, w));
  return `${BASE}${path}${req.query ? `?${req.query}` : ""}`;
}

function streamOf(size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      const n = Math.min(64 * 1024, size - sent);
      if (n === 0) return controller.close();
      controller.enqueue(new Uint8Array(n).fill(0x41));
      sent += n;
    },
  });
}

function describeRequest(route: Route, req: HostileRequest, url: string): string {
  const body = req.streamBytes
    ? `stream of ${req.streamBytes} bytes`
    : req.body === null
      ? "no body"
      : typeof req.body === "string"
        ? `"${req.body.slice(0, 80)}"`
        : `${req.body.length} bytes`;
  return `${req.label}: ${req.method} ${url.slice(0, 200)} (route ${route.method} ${route.path}, auth ${req.auth}, ${req.contentType ?? "no content type"}, ${body})`;
}

async function send(
  route: Route,
  req: HostileRequest,
  w: World,
): Promise<{ status: number; text: string; contentType: string; what: string }> {
  const url = urlOf(route, req, w);
  const headers = new Headers();
  const token = w.tokens[req.auth];
  if (token) headers.set("authorization", `Bearer ${token}`);
  if (req.contentType) headers.set("content-type", req.contentType);
  if (req.upgrade) headers.set("upgrade", "websocket");
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const body = !hasBody
    ? null
    : req.streamBytes
      ? streamOf(req.streamBytes)
      : req.body instanceof Uint8Array
        ? new Uint8Array(req.body)
        : req.body;
  const res = await SELF.fetch(url, { method: req.method, headers, body });
  if (res.webSocket) {
    res.webSocket.accept();
    res.webSocket.close(1000, "fuzz done");
  }
  return {
    status: res.status,
    text: new TextDecoder().decode(await res.arrayBuffer()),
    contentType: res.headers.get("content-type") ?? "",
    what: describeRequest(route, req, url),
  };
}

async function states(w: World): Promise<ObjectState[]> {
  return Promise.all(w.stubs.map((s) => readState(s)));
}

/** Sends one hostile request and checks the answer and, for a refusal, that nothing stored changed. */
async function exercise(route: Route, req: HostileRequest, w: World): Promise<void> {
  const before = await states(w);
  const res = await send(route, req, w);
  expect(res.status, `${res.what} → ${res.status} ${res.text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status < 400) return;
  expect(res.contentType, res.what).toMatch(/^application\/json/);
  const { error } = JSON.parse(res.text) as { error: { code: keyof typeof ERROR_CODES; message: string } };
  expect(ERROR_CODES[error.code], `${res.what}: unknown error code ${error.code}`).toBe(res.status);
  expect(error.message.length, res.what).toBeGreaterThan(10);
  const after = await states(w);
  for (const [i, b] of before.entries()) expectUnchanged(b, after[i]!, res.what);
}

/** The objects still answer normally: the patient reads their log, the grantee its granted part. */
async function expectServing(w: World): Promise<void> {
  const pid = w.patient.identity.accountId;
  expect((await pull(w.patient, pid)).status).toBe(200);
  expect((await SELF.fetch(`${BASE}/health`)).status).toBe(200);
  expect(await login(w.grantee.identity)).toMatch(/^v1\./);
}

describe.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))("hostile input: %s", (_, route) => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  });

  it("answers every fixed hostile case with a 4xx JSON error or a success, never a 5xx, and stores nothing on refusal", async () => {
    for (const req of fixedCases(route, await validBody(route, w))) await exercise(route, req, w);
    await expectServing(w);
  });

  it("answers random and mutated requests the same way (fixed seeds, then a random one)", async () => {
    const valid = await validBody(route, w);
    for (const seed of [...FIXED_SEEDS, ...randomSeeds()]) {
      await fc.assert(
        fc.asyncProperty(requestArbitrary(route, valid), (req) => exercise(route, req, w)),
        { seed, numRuns: runsPerSeed(8) },
      );
    }
    await expectServing(w);
  });
});

it("enumerates the app's routes (the fuzz above covers each one)", () => {
  const keys = ROUTES.map((r) => `${r.method} ${r.path}`);
  for (const known of [
    "POST /v1/accounts",
    "POST /v1/auth/login",
    "POST /v1/patients/:patientId/envelopes",
    "GET /v1/patients/:patientId/ws",
    "DELETE /v1/patients/:patientId/grants/:grantId",
  ]) {
    expect(keys).toContain(known);
  }
});

it("a stranger's register-and-probe leaves no storage on a patient id nobody uses", async () => {
  const prober = await newIdentity();
  await register(prober, `probe${prober.accountId.slice(0, 8)}`);
  const session = { identity: prober, token: await login(prober) };
  const unused = toHex(crypto.getRandomValues(new Uint8Array(16)));
  expect((await pull(session, unused)).status).toBe(403);
  const state = await readState(env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(unused)));
  expect(state.accessLog).toEqual([]);
  expect(JSON.parse(state.tables).dump.envelopes).toEqual([]);
});
