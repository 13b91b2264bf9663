// /v1/accounts: register a key bundle with a handle; look accounts up by handle or id (public data).
import { Hono } from "hono";
import { z } from "zod";
import { handleSchema, hexId, registerRequest } from "../../shared/api.js";
import { fromBase64Url } from "../../shared/bytes.js";
import { StewardError } from "../../shared/errors.js";
import { accountIdHex, decodeKeyBundle } from "../../shared/keyBundle.js";
import type { AppEnv } from "../env.js";
import { errorJson, reply, validate } from "../http.js";
import { JSON_BODY_LIMIT, limitBody } from "../middleware.js";
import { accountObject, handleIndex } from "../objects.js";

export const accounts = new Hono<AppEnv>();

accounts.post("/", limitBody(JSON_BODY_LIMIT), validate("json", registerRequest), async (c) => {
  const { bundle, handle } = c.req.valid("json");
  let bytes: Uint8Array;
  let accountId: string;
  try {
    bytes = fromBase64Url(bundle, "bundle");
    accountId = accountIdHex(decodeKeyBundle(bytes).signKey);
  } catch (error) {
    if (error instanceof StewardError) return errorJson(c, "malformed", error.message);
    throw error;
  }
  return reply(c, await accountObject(c.env, accountId).register(bytes, handle), 201);
});

accounts.get("/by-handle/:handle", validate("param", z.object({ handle: handleSchema })), async (c) => {
  const handle = c.req.valid("param").handle.toLowerCase();
  const owner = await handleIndex(c.env, handle).handleOwner(handle);
  const profile = owner ? await accountObject(c.env, owner).profile() : null;
  return profile ? c.json(profile) : errorJson(c, "not_found", `no account has the handle "${handle}"`);
});

accounts.get("/:accountId", validate("param", z.object({ accountId: hexId })), async (c) => {
  const profile = await accountObject(c.env, c.req.valid("param").accountId).profile();
  return profile ? c.json(profile) : errorJson(c, "not_found", "no account is registered under this id");
});
