// /v1/patients/:patientId/...: the patient log. The worker proves who is asking (session) and passes
// that account as the caller; the PatientLog decides whether the caller is the patient or holds a
// live grant, since only it knows the grants. Binary bodies use shared/syncFrames.ts.
import { Hono } from "hono";
import { z } from "zod";
import {
  MAX_PULL_BYTES,
  MAX_PULL_ENVELOPES,
  deviceListRequest,
  generationRequest,
  grantRequest,
  hexId,
  revocationRequest,
} from "../../shared/api.js";
import { toBase64Url } from "../../shared/bytes.js";
import { MAX_BATCH_BYTES } from "../../shared/syncFrames.js";
import type { Caller } from "../../durable-objects/patientLog.js";
import type { AppEnv } from "../env.js";
import { errorJson, reply, validate } from "../http.js";
import { JSON_BODY_LIMIT, limitBody, requireSession } from "../middleware.js";
import { patientLog } from "../objects.js";
import type { Context } from "hono";

export const patients = new Hono<AppEnv>();

const patientParam = z.object({ patientId: hexId });

const pullQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_PULL_ENVELOPES).default(500),
  maxBytes: z.coerce
    .number()
    .int()
    .min(1024)
    .max(MAX_PULL_BYTES)
    .default(4 * 1024 * 1024),
  tags: z
    .string()
    .transform((s) => s.split(","))
    .pipe(z.array(hexId).min(1).max(16))
    .optional(),
  fromHour: z.coerce.number().int().min(0).optional(),
  toHour: z.coerce.number().int().min(0).optional(),
  /** The one grant a grantee's view reads under. */
  grant: hexId.optional(),
});

const accessLogQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

patients.use("/:patientId/*", requireSession, validate("param", patientParam.loose()));

function caller(c: Context<AppEnv>): Caller {
  return { patientId: c.req.param("patientId")!, actor: c.get("accountId") };
}

async function binaryBody(c: Context<AppEnv>): Promise<Uint8Array> {
  return new Uint8Array(await c.req.arrayBuffer());
}

patients.post("/:patientId/envelopes", limitBody(MAX_BATCH_BYTES), async (c) =>
  reply(c, await patientLog(c.env, caller(c).patientId).push(caller(c), await binaryBody(c))),
);

patients.get("/:patientId/envelopes", validate("query", pullQuery), async (c) => {
  const q = c.req.valid("query");
  const query = {
    after: q.after,
    limit: q.limit,
    maxBytes: q.maxBytes,
    ...(q.tags ? { tags: q.tags } : {}),
    ...(q.fromHour !== undefined ? { fromHour: q.fromHour } : {}),
    ...(q.toHour !== undefined ? { toHour: q.toHour } : {}),
    ...(q.grant ? { grant: q.grant } : {}),
  };
  const outcome = await patientLog(c.env, caller(c).patientId).pull(caller(c), query);
  if (!outcome.ok) return reply(c, outcome);
  return c.body(outcome.value as Uint8Array<ArrayBuffer>, 200, { "content-type": "application/octet-stream" });
});

patients.get("/:patientId/ws", validate("query", z.object({ grant: hexId.optional() }).loose()), async (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
    return errorJson(c, "malformed", "open this route as a WebSocket");
  const { patientId, actor } = caller(c);
  // A fresh request, so nothing the client sent besides the upgrade and the grant it reads under reaches the object.
  const grant = c.req.valid("query").grant;
  const headers: Record<string, string> = {
    upgrade: "websocket",
    "x-steward-patient": patientId,
    "x-steward-actor": actor,
    ...(grant ? { "x-steward-grant": grant } : {}),
  };
  const forwarded = new Request(c.req.url, { headers });
  return patientLog(c.env, patientId).fetch(forwarded);
});

patients.get("/:patientId/generations", async (c) => {
  const outcome = await patientLog(c.env, caller(c).patientId).listGenerations(caller(c));
  return outcome.ok ? c.json({ generations: outcome.value }) : reply(c, outcome);
});

patients.put("/:patientId/generations", limitBody(JSON_BODY_LIMIT), validate("json", generationRequest), async (c) => {
  const { scopeTag, generation } = c.req.valid("json");
  const outcome = await patientLog(c.env, caller(c).patientId).declareGeneration(caller(c), scopeTag, generation);
  return outcome.ok ? c.json({ generations: outcome.value }) : reply(c, outcome);
});

patients.put("/:patientId/devices", limitBody(JSON_BODY_LIMIT), validate("json", deviceListRequest), async (c) => {
  return reply(c, await patientLog(c.env, caller(c).patientId).publishDevices(caller(c), c.req.valid("json").devices));
});

patients.get("/:patientId/devices", async (c) => {
  const outcome = await patientLog(c.env, caller(c).patientId).deviceList(caller(c));
  return outcome.ok ? c.json({ devices: toBase64Url(outcome.value) }) : reply(c, outcome);
});

patients.post("/:patientId/grants", limitBody(JSON_BODY_LIMIT), validate("json", grantRequest), async (c) => {
  return reply(c, await patientLog(c.env, caller(c).patientId).createGrant(caller(c), c.req.valid("json").grant), 201);
});

patients.get("/:patientId/grants", async (c) => {
  const outcome = await patientLog(c.env, caller(c).patientId).listGrants(caller(c));
  return outcome.ok ? c.json({ grants: outcome.value }) : reply(c, outcome);
});

patients.post("/:patientId/grants/revoke-all", async (c) =>
  reply(c, await patientLog(c.env, caller(c).patientId).revokeAll(caller(c))),
);

patients.delete(
  "/:patientId/grants/:grantId",
  validate("param", z.object({ patientId: hexId, grantId: hexId })),
  async (c) =>
    reply(c, await patientLog(c.env, caller(c).patientId).revokeGrant(caller(c), c.req.valid("param").grantId)),
);

patients.put("/:patientId/revocations", limitBody(JSON_BODY_LIMIT), validate("json", revocationRequest), async (c) => {
  const outcome = await patientLog(c.env, caller(c).patientId).storeRevocation(
    caller(c),
    c.req.valid("json").revocation,
  );
  return outcome.ok ? c.body(null, 204) : reply(c, outcome);
});

patients.get("/:patientId/receipts", validate("query", accessLogQuery), async (c) => {
  const { after, limit } = c.req.valid("query");
  const outcome = await patientLog(c.env, caller(c).patientId).readReceipts(caller(c), after, limit);
  return outcome.ok
    ? c.json({ receipts: outcome.value.map((r) => ({ n: r.n, receipt: toBase64Url(r.receipt) })) })
    : reply(c, outcome);
});

patients.get("/:patientId/access-log", validate("query", accessLogQuery), async (c) => {
  const { after, limit } = c.req.valid("query");
  const outcome = await patientLog(c.env, caller(c).patientId).readAccessLog(caller(c), after, limit);
  return outcome.ok ? c.json({ entries: outcome.value }) : reply(c, outcome);
});
