// The Hono app: thin routing only. Auth, validation and limits live in worker/*.ts; state and
// enforcement live in the Durable Objects.
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./env.js";
import { errorJson } from "./http.js";
import { corsForWebApp, limitAnonymousByAddress } from "./middleware.js";
import { accounts } from "./routes/accounts.js";
import { auth } from "./routes/auth.js";
import { inbox } from "./routes/inbox.js";
import { invites } from "./routes/invites.js";
import { links } from "./routes/links.js";
import { patients } from "./routes/patients.js";

export { Account } from "../durable-objects/account.js";
export { PatientLog } from "../durable-objects/patientLog.js";
export { Rendezvous } from "../durable-objects/rendezvous.js";

const app = new Hono<AppEnv>();

app.get("/health", (c) => c.json({ ok: true, service: "steward" }));
app.use("/v1/*", corsForWebApp);
app.use("/v1/*", limitAnonymousByAddress);
app.route("/v1/accounts", accounts);
app.route("/v1/auth", auth);
app.route("/v1/inbox", inbox);
app.route("/v1/invites", invites);
app.route("/v1/links", links);
app.route("/v1/patients", patients);

app.notFound((c) => errorJson(c, "not_found", `no route ${c.req.method} ${c.req.path}`));
app.onError((error, c) => {
  // Hono's own refusals (e.g. a JSON body that does not parse) keep their status, in our error shape.
  if (error instanceof HTTPException && error.status === 400) return errorJson(c, "malformed", error.message);
  // The details stay in the log: a storage or runtime message is no business of the client's.
  console.error(error);
  return errorJson(c, "internal", "the server failed on this request; try again later (every write is safe to repeat)");
});

export default app;
