// Logins by proof (shared/loginProof.ts): the worker checks the proof's form and time against
// its own clock; the Account object checks the signer and the signature and spends the nonce. The
// answer to a proven request carries a session token, so only a device's first request signs.
import type { Context } from "hono";
import { fromBase64Url, toHex } from "../shared/bytes.js";
import { decodeLoginProof, PROOF_SCHEME, PROOF_WINDOW_MS } from "../shared/loginProof.js";
import type { AppEnv } from "./env.js";
import { errorJson } from "./http.js";
import { accountObject } from "./objects.js";
import { issueToken } from "./session.js";

/** Response headers of a proven request: the session it opened, and when that ends. */
export const SESSION_HEADER = "steward-session";

/** The proof in "Authorization: Proof <base64url>", or undefined when the request carries none. */
export function proofOf(c: Context<AppEnv>): string | undefined {
  const header = c.req.header("authorization");
  return header?.startsWith(`${PROOF_SCHEME} `) ? header.slice(PROOF_SCHEME.length + 1) : undefined;
}

/** The account a proof signs in, with a session token for it; or the refusal to answer. */
export async function proveLogin(
  c: Context<AppEnv>,
  text: string,
  now = Date.now(),
): Promise<{ accountId: string; token: string; expiresAt: number } | Response> {
  // A proof that does not decode throws its typed error: the app's error handler answers 400 malformed.
  const proof = decodeLoginProof(fromBase64Url(text, "login proof"));
  const skew = proof.time - now;
  if (Math.abs(skew) > PROOF_WINDOW_MS) {
    const minutes = Math.round(Math.abs(skew) / 60_000);
    return c.json(
      {
        error: {
          code: "clock_skew",
          message: `this device's clock is ${minutes} minute(s) ${skew > 0 ? "ahead of" : "behind"} the server's; set it to the right time`,
          serverTime: now,
        },
      },
      401,
    );
  }
  const accountId = toHex(proof.accountId);
  const outcome = await accountObject(c.env, accountId).login(proof, now);
  if (!outcome.ok) return errorJson(c, outcome.code, outcome.message);
  return { accountId, ...(await issueToken(c.env, accountId, now)) };
}
