// Access control matrix: every role × every patient-log route (and the inbox and key ring) × own/other patient ×
// granted scope and hour, another scope, another hour × valid/expired/revoked grant. Each cell checks
// allow/deny and the access-log entry the request leaves on the addressed patient's log. One test per
// (role, grant state, patient, route), so a failure names its cell; the expectation is one function,
// `expected`, that states the rules.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, beforeAll } from "vitest";
import type { AccessAction, AccessLogEntry } from "../../shared/accessLog.js";
import { toBase64Url, toHex } from "../../shared/bytes.js";
import { encodeUpload, objectKind, splitEnvelopePrefix } from "../../shared/syncFrames.js";
import { decodeEnvelopeHeader, envelopeLink } from "../../shared/envelopeCodec.js";
import type { PatientLog } from "../../durable-objects/patientLog.js";
import { call, grantCreate, openSocket, pull, push, signedUp, type Session } from "../helpers/api.js";
import { DeviceChain, makeBlock, makeGrant, scopeTag } from "../helpers/webcryptoFixtures.js";

const H = 498_000;

type Role = "patient" | "clinician" | "caregiver" | "writer" | "stranger" | "anonymous";
type GrantState = "valid" | "expired" | "revoked";
type Target = "own" | "other";
type Cell = "granted" | "other scope" | "other hour";
type RouteName =
  | "GET envelopes"
  | "POST envelopes"
  | "GET ws"
  | "POST envelopes (a block)"
  | "GET generations"
  | "PUT generations"
  | "GET grants"
  | "POST grants"
  | "DELETE grants/:id"
  | "POST grants/revoke-all"
  | "GET access-log"
  | "GET inbox"
  | "PUT key-ring"
  | "GET key-ring";

const CELLS: Cell[] = ["granted", "other scope", "other hour"];
/** Routes that change grants come last, so they cannot change the earlier cells of their group. */
const ROUTES: RouteName[] = [
  "GET envelopes",
  "POST envelopes",
  "GET ws",
  "POST envelopes (a block)",
  "GET generations",
  "PUT generations",
  "GET grants",
  "GET access-log",
  "GET inbox",
  "PUT key-ring",
  "GET key-ring",
  "POST grants",
  "DELETE grants/:id",
  "POST grants/revoke-all",
];
const PATIENT_ONLY = new Set<RouteName>([
  "POST envelopes (a block)",
  "GET generations",
  "PUT generations",
  "GET grants",
  "POST grants",
  "DELETE grants/:id",
  "POST grants/revoke-all",
  "GET access-log",
]);
const GRANTEES = new Set<Role>(["clinician", "caregiver", "writer"]);

interface Expectation {
  readonly status: number;
  readonly code?: string;
  /** The entry the request adds to the addressed patient's access log, if any. */
  readonly logged: AccessAction | null;
}

/** The rules, as a reader would state them. */
function expected(role: Role, state: GrantState, target: Target, route: RouteName, cell: Cell): Expectation {
  if (role === "anonymous") return { status: 401, code: "unauthenticated", logged: null };
  if (route === "GET inbox") return { status: 200, logged: null };
  // The account's own sealed key ring: its owner only; the patient log is not involved.
  if (route === "PUT key-ring" || route === "GET key-ring")
    return role === "patient" && target === "own"
      ? { status: 200, logged: null }
      : { status: 403, code: "forbidden", logged: null };
  if (role === "patient" && target === "own") {
    const logged: Partial<Record<RouteName, AccessAction>> = {
      "POST grants": "grant.create",
      "DELETE grants/:id": "grant.revoke",
      "POST grants/revoke-all": "grant.revokeAll",
    };
    return { status: route === "GET ws" ? 101 : route === "POST grants" ? 201 : 200, logged: logged[route] ?? null };
  }
  const liveGrantee = GRANTEES.has(role) && state === "valid" && target === "own";
  if (!liveGrantee || PATIENT_ONLY.has(route)) {
    // A grantee whose grant ended is told how it ended, on every route a grantee may use (a block
    // travels by the envelopes route, which answers before it reads what the upload holds).
    const ended =
      GRANTEES.has(role) &&
      state !== "valid" &&
      target === "own" &&
      (!PATIENT_ONLY.has(route) || route === "POST envelopes (a block)");
    return { status: 403, code: ended ? `${state}_grant` : "forbidden", logged: "refused" };
  }
  if (route === "GET ws") return { status: 101, logged: "socket.open" };
  if (route === "GET envelopes")
    return cell === "granted"
      ? { status: 200, logged: "pull" }
      : { status: 403, code: "outside_grant", logged: "refused" };
  // POST envelopes: only a write grant, and only inside it.
  return role === "writer" && cell === "granted"
    ? { status: 200, logged: "push" }
    : { status: 403, code: "outside_grant", logged: "refused" };
}

interface Log {
  readonly session: Session;
  readonly id: string;
  readonly glucose: Uint8Array;
  readonly insulin: Uint8Array;
  readonly stub: DurableObjectStub<PatientLog>;
}

interface World {
  readonly own: Log;
  readonly other: Log;
  readonly sessions: Record<Exclude<Role, "patient" | "anonymous">, Session>;
  readonly grantIds: Record<"clinician" | "caregiver" | "writer", string>;
}

/** A patient log with one envelope in each cell: glucose H+1 (granted), insulin H+1, glucose H+5. */
async function patientLog(prefix: string): Promise<Log> {
  const session = await signedUp(prefix);
  const id = session.identity.accountId;
  const glucose = scopeTag();
  const insulin = scopeTag();
  const chain = new DeviceChain(session.identity, id);
  const cells = [
    { scopeTag: glucose, hour: H + 1 },
    { scopeTag: insulin, hour: H + 1 },
    { scopeTag: glucose, hour: H + 5 },
  ];
  const envelopes = [];
  for (const spec of cells) envelopes.push((await chain.next(spec)).bytes);
  expect((await push(session, id, envelopes)).status).toBe(200);
  return { session, id, glucose, insulin, stub: env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(id)) };
}

function shardOf(log: Log, cell: Cell): { scopeTag: Uint8Array; hour: number } {
  if (cell === "granted") return { scopeTag: log.glucose, hour: H + 1 };
  return cell === "other scope" ? { scopeTag: log.insulin, hour: H + 1 } : { scopeTag: log.glucose, hour: H + 5 };
}

async function world(role: Role, state: GrantState): Promise<World> {
  const own = await patientLog("mxpat");
  const other = await patientLog("mxother");
  const sessions = {
    clinician: await signedUp("mxclin"),
    caregiver: await signedUp("mxcare"),
    writer: await signedUp("mxwrite"),
    stranger: await signedUp("mxstr"),
  };
  const entries = [{ scopeTag: own.glucose, fromHour: H, toHour: H + 2, generations: [1] }];
  const flags = { clinician: {}, caregiver: { live: true }, writer: { write: true } } as const;
  const grantIds = {} as World["grantIds"];
  for (const grantee of ["clinician", "caregiver", "writer"] as const) {
    const grant = await makeGrant(own.session.identity, sessions[grantee].identity, { entries, ...flags[grantee] });
    expect((await grantCreate(own.session, own.id, grant.wire)).status).toBe(201);
    grantIds[grantee] = grant.grantId;
  }
  if (GRANTEES.has(role) && state === "revoked") {
    const grantId = grantIds[role as keyof World["grantIds"]];
    expect(
      (await call(`/v1/patients/${own.id}/grants/${grantId}`, { method: "DELETE", token: own.session.token })).status,
    ).toBe(200);
  }
  if (GRANTEES.has(role) && state === "expired") {
    // Time passing, without waiting: the grant's expiry moves into the past, then the alarm runs.
    const grantId = grantIds[role as keyof World["grantIds"]];
    await runInDurableObject(own.stub, (_, s) =>
      s.storage.sql.exec("UPDATE grants SET expires_at = ? WHERE grant_id = ?", Date.now() - 1, grantId),
    );
    await runDurableObjectAlarm(own.stub);
  }
  return { own, other, sessions, grantIds };
}

/** New entries of a log after `seq`, read through the object (which first writes any pending read). */
async function entriesAfter(log: Log, seq: number): Promise<AccessLogEntry[]> {
  const outcome = await runInDurableObject(log.stub, (instance) =>
    instance.readAccessLog({ patientId: log.id, actor: log.id }, seq, 1000),
  );
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome.value;
}

async function lastSeq(log: Log): Promise<number> {
  return runInDurableObject(
    log.stub,
    (_, s) => s.storage.sql.exec<{ n: number | null }>("SELECT max(seq) AS n FROM access_log").one().n ?? 0,
  );
}

/** Sends one cell's request; returns the status, error code, and the entries served by a pull or the grants in the inbox. */
async function send(
  w: World,
  role: Role,
  log: Log,
  route: RouteName,
  cell: Cell,
): Promise<{ status: number; code?: string; served?: number; inbox?: string[] }> {
  const session = role === "patient" ? w.own.session : role === "anonymous" ? null : w.sessions[role];
  const token = session?.token;
  const base = `/v1/patients/${log.id}`;
  const shard = shardOf(log, cell);
  const json = (method: string, path: string, body: unknown) =>
    call(path, {
      method,
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
      ...(token ? { token } : {}),
    });
  const author = session?.identity ?? w.sessions.stranger.identity;
  let res: Response;
  switch (route) {
    case "GET envelopes":
      res = await call(
        `${base}/envelopes?tags=${toHex(shard.scopeTag)}&fromHour=${shard.hour}&toHour=${shard.hour}`,
        token ? { token } : {},
      );
      if (res.status === 200)
        return {
          status: 200,
          served: (
            await pull(session!, log.id, `tags=${toHex(shard.scopeTag)}&fromHour=${shard.hour}&toHour=${shard.hour}`)
          ).page!.entries.length,
        };
      break;
    case "POST envelopes":
      // A fresh device each time, so its chain starts at 1 whatever was refused before.
      res = await call(`${base}/envelopes`, {
        method: "POST",
        body: encodeUpload([(await new DeviceChain(author, log.id).next(shard)).bytes]),
        ...(token ? { token } : {}),
      });
      break;
    case "GET ws": {
      const opened = session
        ? await openSocket(session, log.id)
        : await call(`${base}/ws`, { headers: { upgrade: "websocket" } });
      if (!(opened instanceof Response)) {
        opened.ws.close(1000, "matrix");
        return { status: 101 };
      }
      res = opened;
      break;
    }
    case "POST envelopes (a block)": {
      // A block of the cell's hour holding every envelope stored there, sealed by whoever asks.
      const { page } = await pull(
        log.session,
        log.id,
        `tags=${toHex(shard.scopeTag)}&fromHour=${shard.hour}&toHour=${shard.hour}`,
      );
      const holds = page!.entries.flatMap((e) => {
        if (objectKind(e.bytes) !== "envelope") return [];
        const prefix = splitEnvelopePrefix(e.bytes);
        return [
          {
            bytes: e.bytes,
            envelopeId: decodeEnvelopeHeader(prefix.headerBytes).envelopeId,
            link: envelopeLink(prefix.headerBytes, prefix.bodyLength, prefix.bodyHash),
          },
        ];
      });
      const block = await makeBlock(author, log.id, {
        scopeTag: shard.scopeTag,
        level: 0,
        node: shard.hour,
        basis: page!.cursor,
        holds,
      });
      res = await call(`${base}/envelopes`, {
        method: "POST",
        body: encodeUpload([block.bytes]),
        ...(token ? { token } : {}),
      });
      break;
    }
    case "GET generations":
      res = await call(`${base}/generations`, token ? { token } : {});
      break;
    case "PUT generations":
      res = await json("PUT", `${base}/generations`, { scopeTag: toHex(shard.scopeTag), generation: 1 });
      break;
    case "GET grants":
      res = await call(`${base}/grants`, token ? { token } : {});
      break;
    case "POST grants": {
      // A grant the addressed patient really signed, for the stranger: only the patient may post it.
      const grant = await makeGrant(log.session.identity, w.sessions.stranger.identity, {
        entries: [{ ...shard, fromHour: shard.hour, toHour: shard.hour, generations: [1] }],
      });
      res = await json("POST", `${base}/grants`, { grant: toBase64Url(grant.wire) });
      break;
    }
    case "DELETE grants/:id":
      res = await call(`${base}/grants/${w.grantIds.clinician}`, { method: "DELETE", ...(token ? { token } : {}) });
      break;
    case "POST grants/revoke-all":
      res = await call(`${base}/grants/revoke-all`, { method: "POST", ...(token ? { token } : {}) });
      break;
    case "GET access-log":
      res = await call(`${base}/access-log`, token ? { token } : {});
      break;
    case "PUT key-ring":
      res = await json("PUT", `/v1/accounts/${log.id}/key-ring`, {
        version: 1,
        blob: toBase64Url(crypto.getRandomValues(new Uint8Array(64))),
      });
      break;
    case "GET key-ring":
      res = await call(`/v1/accounts/${log.id}/key-ring`, token ? { token } : {});
      break;
    case "GET inbox":
      res = await call("/v1/inbox", token ? { token } : {});
      if (res.status === 200)
        return {
          status: 200,
          inbox: (await res.json<{ grants: { grantId: string }[] }>()).grants.map((g) => g.grantId),
        };
      break;
  }
  if (res.status < 300) return { status: res.status };
  return { status: res.status, code: (await res.json<{ error: { code: string } }>()).error.code };
}

const GROUPS: { role: Role; state: GrantState; target: Target }[] = (
  ["patient", "clinician", "caregiver", "writer", "stranger", "anonymous"] as Role[]
).flatMap((role) =>
  (GRANTEES.has(role) ? (["valid", "expired", "revoked"] as GrantState[]) : (["valid"] as GrantState[])).flatMap(
    (state) => (["own", "other"] as Target[]).map((target) => ({ role, state, target })),
  ),
);

describe.each(GROUPS)("$role, grant $state, $target patient", ({ role, state, target }) => {
  let w: World;
  beforeAll(async () => {
    w = await world(role, state);
  });

  it.each(ROUTES)("%s", async (route) => {
    const log = target === "own" ? w.own : w.other;
    const actor = role === "patient" ? w.own.id : role === "anonymous" ? null : w.sessions[role].identity.accountId;
    // Routes that do not name a scope or hour are exercised once.
    const cells = ["GET envelopes", "POST envelopes", "POST envelopes (a block)", "PUT generations"].includes(route)
      ? CELLS
      : (["granted"] as Cell[]);
    for (const cell of cells) {
      const where = `${role} (${state} grant) → ${route} on the ${target} patient, ${cell} cell`;
      const want = expected(role, state, target, route, cell);
      const before = await lastSeq(log);
      const got = await send(w, role, log, route, cell);
      expect({ status: got.status, code: got.code }, where).toEqual({ status: want.status, code: want.code });
      if (got.served !== undefined) expect(got.served, `${where}: entries served`).toBe(1);
      if (got.inbox && role in w.grantIds)
        expect(got.inbox.includes(w.grantIds[role as keyof World["grantIds"]]), `${where}: grant in the inbox`).toBe(
          state === "valid",
        );
      const added = await entriesAfter(log, before);
      expect(
        added.map((e) => [e.action, e.actor]),
        `${where}: access log`,
      ).toEqual(want.logged ? [[want.logged, actor]] : []);
      if (want.logged === "refused")
        expect(JSON.parse(added[0]!.details), `${where}: refusal details`).toMatchObject({ code: want.code });
    }
  });
});
