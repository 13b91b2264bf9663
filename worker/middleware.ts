// Cross-cutting middleware: CORS for the web app, body size limits and the session check.
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./env.js";
import { errorJson } from "./http.js";
import { verifyToken } from "./session.js";

/** Bearer tokens, not cookies, so any origin may call the API; the token is the credential. */
export const corsForWebApp = cors({
  origin: "*",
  allowHeaders: ["Authorization", "Content-Type"],
  allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
  maxAge: 600,
});

export const JSON_BODY_LIMIT = 512 * 1024;

export function limitBody(maxSize: number) {
  return bodyLimit({ maxSize, onError: (c) => errorJson(c, "too_large", `the request body is larger than ${maxSize} bytes`) });
}

/**
 * Requires a valid session: "Authorization: Bearer <token>", or `?token=` on the WebSocket route
 * (browsers cannot set headers on a WebSocket). Sets the proven account id.
 */
export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  const token = header?.startsWith("Bearer ") ? header.slice(7) : c.req.path.endsWith("/ws") ? c.req.query("token") : undefined;
  if (!token) return errorJson(c, "unauthenticated", "sign in first: this route needs an Authorization: Bearer <token> header");
  const accountId = await verifyToken(c.env, token);
  if (!accountId) return errorJson(c, "unauthenticated", "the session token is invalid or expired; sign in again");
  c.set("accountId", accountId);
  await next();
});
