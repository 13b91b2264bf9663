// The Hono app: thin routing only. Auth, validation, limits and headers live in worker/*.ts; state
// and enforcement live in the Durable Objects. Every request reaches the worker (wrangler.toml), so
// the web app's files are served from here too, with the same headers as the API.
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { StewardError } from "../shared/errors.js";
import type { AppEnv } from "./env.js";
import { errorJson } from "./http.js";
import { corsForWebApp, limitAnonymousByAddress, requireConfiguration } from "./middleware.js";
import { accounts } from "./routes/accounts.js";
import { auth } from "./routes/auth.js";
import { inbox } from "./routes/inbox.js";
import { invites } from "./routes/invites.js";
import { links } from "./routes/links.js";
import { patients } from "./routes/patients.js";
import { securityHeaders } from "./securityHeaders.js";

export { Account } from "../durable-objects/account.js";
export { PatientLog } from "../durable-objects/patientLog.js";
export { Rendezvous } from "../durable-objects/rendezvous.js";

const app = new Hono<AppEnv>();

app.use("*", securityHeaders);
app.use("*", requireConfiguration);
app.get("/health", (c) => c.json({ ok: true, service: "steward" }));
app.use("/v1/*", corsForWebApp);
app.use("/v1/*", limitAnonymousByAddress);
app.route("/v1/accounts", accounts);
app.route("/v1/auth", auth);
app.route("/v1/inbox", inbox);
app.route("/v1/invites", invites);
app.route("/v1/links", links);
app.route("/v1/patients", patients);
app.all("/v1/*", (c) => errorJson(c, "not_found", `no route ${c.req.method} ${c.req.path}`));

// The web app (public/, built by `npm run build`). Copied so the headers above can be added.
app.get("*", async (c) => {
  const asset = await c.env.ASSETS.fetch(c.req.raw);
  return new Response(asset.body, asset);
});

app.notFound((c) => errorJson(c, "not_found", `no route ${c.req.method} ${c.req.path}`));
app.onError((error, c) => {
  // Hono's own refusals (e.g. a JSON body that does not parse) keep their status, in our error shape.
  if (error instanceof HTTPException && error.status === 400) return errorJson(c, "malformed", error.message);
  // What a route decodes itself (past its schema) throws the shared decoders' typed errors.
  if (error instanceof StewardError) return errorJson(c, "malformed", error.message);
  // The details stay in the log: a storage or runtime message is no business of the client's.
  console.error(error);
  return errorJson(c, "internal", "the server failed on this request; try again later (every write is safe to repeat)");
});

export default app;
