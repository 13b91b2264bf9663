// /v1/auth: challenge-response login. The device signs signedMessage("login", nonce ‖ accountId ‖
// signer) with its own device key (an account without a device list: with its identity key, no
// signer); the worker answers with a short-lived HMAC session token.
import { Hono } from "hono";
import { challengeRequest, loginRequest } from "../../shared/api.js";
import { fromBase64Url, fromHex, toBase64Url } from "../../shared/bytes.js";
import { RECOVERY_ID } from "../../shared/deviceList.js";
import { StewardError } from "../../shared/errors.js";
import { NONCE_BYTES } from "../../durable-objects/account.js";
import type { AppEnv } from "../env.js";
import { errorJson, reply, validate } from "../http.js";
import { JSON_BODY_LIMIT, limitBody } from "../middleware.js";
import { accountObject } from "../objects.js";
import { issueToken } from "../session.js";

export const auth = new Hono<AppEnv>();

auth.post("/challenge", limitBody(JSON_BODY_LIMIT), validate("json", challengeRequest), async (c) => {
  const outcome = await accountObject(c.env, c.req.valid("json").accountId).challenge();
  return outcome.ok ? c.json({ nonce: toBase64Url(outcome.value.nonce), expiresAt: outcome.value.expiresAt }) : reply(c, outcome);
});

auth.post("/login", limitBody(JSON_BODY_LIMIT), validate("json", loginRequest), async (c) => {
  const { accountId, nonce, signature, signer } = c.req.valid("json");
  let nonceBytes: Uint8Array;
  let signatureBytes: Uint8Array;
  try {
    nonceBytes = fromBase64Url(nonce, "nonce", NONCE_BYTES);
    signatureBytes = fromBase64Url(signature, "signature", 64);
  } catch (error) {
    if (error instanceof StewardError) return errorJson(c, "malformed", error.message);
    throw error;
  }
  const signerBytes = signer === undefined ? undefined : signer === "recovery" ? RECOVERY_ID : fromHex(signer, 16);
  const outcome = await accountObject(c.env, accountId).login(nonceBytes, signatureBytes, signerBytes);
  if (!outcome.ok) return reply(c, outcome);
  return c.json({ accountId: outcome.value, ...(await issueToken(c.env, outcome.value)) });
});
