// /v1/auth: challenge-response login. The device signs signedMessage("login", nonce ‖ accountId ‖
// signer) with its own device key (an account without a device list: with its identity key, no
// signer); the worker answers with a short-lived HMAC session token. Challenges are stateless
// (worker/loginChallenge.ts), so asking for them can never lock an account out.
import { Hono } from "hono";
import { challengeRequest, loginRequest } from "../../shared/api.js";
import { fromHex, toBase64Url } from "../../shared/bytes.js";
import { RECOVERY_ID } from "../../shared/deviceList.js";
import type { AppEnv } from "../env.js";
import { errorJson, reply, validate } from "../http.js";
import { checkNonce, issueNonce } from "../loginChallenge.js";
import { JSON_BODY_LIMIT, limitBody } from "../middleware.js";
import { accountObject } from "../objects.js";
import { issueToken } from "../session.js";

export const auth = new Hono<AppEnv>();

auth.post("/challenge", limitBody(JSON_BODY_LIMIT), validate("json", challengeRequest), async (c) => {
  const { nonce, expiresAt } = await issueNonce(c.env, c.req.valid("json").accountId);
  return c.json({ nonce: toBase64Url(nonce), expiresAt });
});

auth.post("/login", limitBody(JSON_BODY_LIMIT), validate("json", loginRequest), async (c) => {
  const { accountId, nonce, signature, signer } = c.req.valid("json");
  const expiresAt = await checkNonce(c.env, accountId, nonce);
  if (expiresAt === null) return errorJson(c, "unauthenticated", "this login challenge was not issued for this account or has expired; ask for a new one");
  const signerBytes = signer === undefined ? undefined : signer === "recovery" ? RECOVERY_ID : fromHex(signer, 16);
  const outcome = await accountObject(c.env, accountId).login(nonce, expiresAt, signature, signerBytes);
  if (!outcome.ok) return reply(c, outcome);
  return c.json({ accountId: outcome.value, ...(await issueToken(c.env, outcome.value)) });
});
