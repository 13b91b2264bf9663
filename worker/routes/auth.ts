// /v1/auth/login: a login on its own, for a device that needs a session before any other request
// (a WebSocket, which cannot carry the proof). Every other route takes the same proof in place of
// a session and answers with one (worker/loginProof.ts), so most devices never call this.
import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { errorJson } from "../http.js";
import { proofOf, proveLogin } from "../loginProof.js";

export const auth = new Hono<AppEnv>();

auth.post("/login", async (c) => {
  const proof = proofOf(c);
  if (!proof) return errorJson(c, "unauthenticated", "sign in with a login proof: Authorization: Proof <base64url>");
  const proven = await proveLogin(c, proof);
  return proven instanceof Response ? proven : c.json(proven);
});
