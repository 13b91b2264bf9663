// /v1/accounts: register a key bundle with a handle; look accounts up by id (public data) or, signed
// in and rate-limited, by handle; store and fetch the account's sealed key ring (its own devices
// only) and recovery kit.
import { Hono } from "hono";
import { z } from "zod";
import {
  deviceListRequest,
  handleSchema,
  hexId,
  keyRingRequest,
  recoveryKitRequest,
  registerRequest,
} from "../../shared/api.js";
import { toBase64Url } from "../../shared/bytes.js";
import { accountIdHex, decodeKeyBundle } from "../../shared/keyBundle.js";
import type { Context } from "hono";
import type { AppEnv } from "../env.js";
import { errorJson, reply, validate } from "../http.js";
import { JSON_BODY_LIMIT, limitBody, limitLookups, requireSession } from "../middleware.js";
import { accountObject, handleIndex } from "../objects.js";

export const accounts = new Hono<AppEnv>();

accounts.post("/", limitBody(JSON_BODY_LIMIT), validate("json", registerRequest), async (c) => {
  const { bundle, handle, devices } = c.req.valid("json");
  // A bundle that does not decode throws a StewardError, which onError answers as malformed.
  const accountId = accountIdHex(decodeKeyBundle(bundle).signKey);
  return reply(c, await accountObject(c.env, accountId).register(bundle, handle, devices), 201);
});

/** Whether a handle has an account is for signed-in people finding a contact, at a person's pace. */
accounts.get(
  "/by-handle/:handle",
  requireSession,
  limitLookups,
  validate("param", z.object({ handle: handleSchema })),
  async (c) => {
    const handle = c.req.valid("param").handle.toLowerCase();
    const owner = await handleIndex(c.env, handle).handleOwner(handle);
    const profile = owner ? await accountObject(c.env, owner).profile() : null;
    return profile ? c.json(profile) : errorJson(c, "not_found", `no account has the handle "${handle}"`);
  },
);

accounts.get("/:accountId", validate("param", z.object({ accountId: hexId })), async (c) => {
  const profile = await accountObject(c.env, c.req.valid("param").accountId).profile();
  return profile ? c.json(profile) : errorJson(c, "not_found", "no account is registered under this id");
});

accounts.get("/by-handle/:handle/recovery-kit", validate("param", z.object({ handle: handleSchema })), async (c) => {
  const handle = c.req.valid("param").handle.toLowerCase();
  const owner = await handleIndex(c.env, handle).handleOwner(handle);
  if (!owner) return errorJson(c, "not_found", `no account has the handle "${handle}"`);
  const outcome = await accountObject(c.env, owner).getRecoveryKit();
  return outcome.ok
    ? c.json({ accountId: outcome.value.accountId, blob: toBase64Url(outcome.value.blob) })
    : reply(c, outcome);
});

/** The key ring and recovery kit routes serve the signed-in account itself, nobody else. */
const ownAccount = z.object({ accountId: hexId });
const self = [requireSession, validate("param", ownAccount)] as const;

function isSelf(c: Context<AppEnv>): boolean {
  return c.req.param("accountId") === c.get("accountId");
}

accounts.get("/:accountId/key-ring", ...self, async (c) => {
  if (!isSelf(c)) return errorJson(c, "forbidden", "only the account's own devices can read its key ring");
  const outcome = await accountObject(c.env, c.get("accountId")).getKeyRing();
  return outcome.ok
    ? c.json({ version: outcome.value.version, blob: toBase64Url(outcome.value.blob) })
    : reply(c, outcome);
});

accounts.put(
  "/:accountId/key-ring",
  ...self,
  limitBody(JSON_BODY_LIMIT),
  validate("json", keyRingRequest),
  async (c) => {
    if (!isSelf(c)) return errorJson(c, "forbidden", "only the account's own devices can store its key ring");
    const { version, blob } = c.req.valid("json");
    return reply(c, await accountObject(c.env, c.get("accountId")).putKeyRing(version, blob));
  },
);

accounts.put(
  "/:accountId/devices",
  ...self,
  limitBody(JSON_BODY_LIMIT),
  validate("json", deviceListRequest),
  async (c) => {
    if (!isSelf(c)) return errorJson(c, "forbidden", "only the account's own devices can change its device list");
    return reply(c, await accountObject(c.env, c.get("accountId")).publishDevices(c.req.valid("json").devices));
  },
);

accounts.put(
  "/:accountId/recovery-kit",
  ...self,
  limitBody(JSON_BODY_LIMIT),
  validate("json", recoveryKitRequest),
  async (c) => {
    if (!isSelf(c)) return errorJson(c, "forbidden", "only the account's own devices can store its recovery kit");
    const outcome = await accountObject(c.env, c.get("accountId")).putRecoveryKit(c.req.valid("json").blob);
    return outcome.ok ? c.body(null, 204) : reply(c, outcome);
  },
);
