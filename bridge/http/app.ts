// The Nightscout API a bridge answers: uploads on a patient's bridge, reads on both (a grantee's
// bridge serves only its grant; a patient's serves the patient's own data). Errors are
// Nightscout's `{ status, message, description }` with a description a person can act on.
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import {
  DeviceNotReady,
  ExpiredGrant,
  MalformedInput,
  OutsideGrant,
  RevokedGrant,
  type StewardRecord,
} from "../../client/index.js";
import { countOf, dateBounds, DEFAULT_COUNT, queryEntries, separated, type EntryType } from "../follow/entries.js";
import { latestReadings, nowcast, pebble, type Units } from "../follow/nowcast.js";
import type { RecordSource } from "../follow/source.js";
import { statusDocument } from "../follow/status.js";
import { offersTreatments, queryTreatments } from "../follow/treatments.js";
import type { Side } from "../state.js";
import { mapUpload, type Collection } from "../upload/uploads.js";
import { isAuthorized, type Credentials } from "./auth.js";

export interface BridgeBackend {
  readonly side: Side;
  readonly credentials: Credentials;
  /** The zone of the uploader's clock, for times sent without an offset. */
  readonly timeZone: string;
  /** What may be read now: ExpiredGrant or RevokedGrant once a share ended, DeviceNotReady while waiting for one. */
  source(): Promise<RecordSource>;
  /** Stores records (on disk when it resolves) and sends them on; a patient's bridge only. */
  store?(records: StewardRecord[]): Promise<void>;
}

const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const UPLOAD_COLLECTIONS: readonly Collection[] = ["entries", "treatments", "devicestatus"];
/** Nightscout's path extensions: `.json`, and the text forms of entries. */
const FORMATS = ["", ".json", ".txt", ".tsv", ".csv"] as const;

type Problem = { status: 400 | 401 | 403 | 404 | 410 | 413 | 503; message: string; description: string };

function problem(c: Context, p: Problem): Response {
  return c.json({ status: p.status, message: p.message, description: p.description }, p.status);
}

/** Maps typed errors to Nightscout-style answers; anything else is a bug and propagates. */
function problemOf(error: unknown): Problem | undefined {
  if (error instanceof ExpiredGrant || error instanceof RevokedGrant)
    return { status: 410, message: "Gone", description: error.message };
  if (error instanceof DeviceNotReady)
    return { status: 503, message: "Service Unavailable", description: error.message };
  if (error instanceof OutsideGrant) return { status: 403, message: "Forbidden", description: error.message };
  if (error instanceof MalformedInput) return { status: 400, message: "Bad Request", description: error.message };
  return undefined;
}

function format(c: Context): "json" | "tsv" | "csv" {
  const ext = /\.(json|txt|tsv|csv)$/.exec(c.req.path)?.[1];
  if (ext === "json") return "json";
  if (ext === "csv") return "csv";
  if (ext === "txt" || ext === "tsv") return "tsv";
  // No extension: Nightscout negotiates, and a client that accepts anything gets its text form.
  const accept = c.req.header("accept") ?? "*/*";
  if (accept.includes("application/json")) return "json";
  if (accept.includes("text/csv")) return "csv";
  if (accept.includes("text/plain") || accept.includes("text/tab-separated-values") || accept.includes("*/*"))
    return "tsv";
  return "json";
}

/** Last-Modified from the newest document, and Nightscout's 304 when the client has it. */
function notModified(c: Context, newest: number | undefined): Response | undefined {
  if (newest === undefined) return undefined;
  c.header("Last-Modified", new Date(newest).toUTCString());
  const since = Date.parse(c.req.header("if-modified-since") ?? "");
  if (Number.isFinite(since) && Math.floor(newest / 1000) * 1000 <= since) return c.body(null, 304);
  return undefined;
}

function authInput(c: Context) {
  return {
    apiSecret: c.req.header("api-secret") ?? c.req.query("secret"),
    token: c.req.query("token"),
    authorization: c.req.header("authorization"),
  };
}

export function bridgeApp(backend: BridgeBackend): Hono {
  const app = new Hono();
  const query = (c: Context) => (name: string) => c.req.query(name);

  app.onError((error, c) => {
    const p = problemOf(error);
    if (p) return problem(c, p);
    console.error(error);
    return c.json(
      { status: 500, message: "Internal Server Error", description: "the bridge failed; see its log" },
      500,
    );
  });
  app.notFound((c) =>
    problem(c, {
      status: 404,
      message: "Not Found",
      description: `the bridge does not serve ${c.req.method} ${c.req.path}`,
    }),
  );

  // Status says nothing about data, and apps call it before they have the secret right.
  for (const path of ["/api/v1/status", "/api/v1/status.json"])
    app.get(path, (c) => c.json(statusDocument(backend.side, isAuthorized(authInput(c), backend.credentials))));

  app.use("*", async (c, next) => {
    if (!isAuthorized(authInput(c), backend.credentials))
      return problem(c, {
        status: 401,
        message: "Unauthorized",
        description: "Invalid/Missing: send the api-secret header (SHA-1 of the bridge's API secret) or ?token=",
      });
    await next();
  });

  app.get("/api/v1/verifyauth", (c) =>
    c.json({
      status: 200,
      message: {
        canRead: true,
        canWrite: backend.side === "patient",
        isAdmin: false,
        message: "OK",
        rolefound: "FOUND",
        permissions: backend.side === "patient" ? "readwrite" : "readable",
      },
    }),
  );

  for (const collection of UPLOAD_COLLECTIONS) {
    for (const path of [`/api/v1/${collection}`, `/api/v1/${collection}.json`]) {
      app.post(
        path,
        bodyLimit({
          maxSize: MAX_UPLOAD_BYTES,
          onError: (c) =>
            problem(c, {
              status: 413,
              message: "Payload Too Large",
              description: `an upload may be at most ${MAX_UPLOAD_BYTES >> 20} MB`,
            }),
        }),
        async (c) => {
          if (!backend.store)
            return problem(c, {
              status: 403,
              message: "Forbidden",
              description: "this bridge follows a share read-only; uploaders post to the patient's own bridge",
            });
          let body: unknown;
          try {
            body = await c.req.json();
          } catch {
            return problem(c, {
              status: 400,
              message: "Bad Request",
              description: `the ${collection} upload is not JSON`,
            });
          }
          const mapped = mapUpload(collection, body, { timeZone: backend.timeZone });
          if (mapped.records.length > 0) await backend.store(mapped.records);
          return c.json(mapped.documents);
        },
      );
    }
  }

  const entries = async (c: Context, types: readonly EntryType[], count: number | undefined) => {
    const source = await backend.source();
    const bounds = dateBounds(query(c), "date", Date.now());
    const documents = await queryEntries(source, {
      count: count ?? countOf(c.req.query("count"), DEFAULT_COUNT),
      ...bounds,
      types,
    });
    const cached = notModified(c, documents[0]?.date as number | undefined);
    if (cached) return cached;
    const as = format(c);
    if (as === "json") return c.json(documents);
    return c.text(separated(documents, as === "csv" ? "," : "\t"), 200, {
      "Content-Type": as === "csv" ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8",
    });
  };
  const typesOf = (c: Context): EntryType[] => {
    const type = c.req.query("find[type]");
    if (type === undefined) return ["sgv", "mbg"];
    return type === "sgv" || type === "mbg" ? [type] : [];
  };
  for (const ext of FORMATS) {
    app.get(`/api/v1/entries${ext}`, (c) => entries(c, typesOf(c), undefined));
    app.get(`/api/v1/entries/current${ext}`, (c) => entries(c, ["sgv"], 1));
    app.get(`/api/v1/entries/sgv${ext}`, (c) => entries(c, ["sgv"], undefined));
    app.get(`/api/v1/entries/mbg${ext}`, (c) => entries(c, ["mbg"], undefined));
    // Calibrations are not readings: Steward keeps none.
    app.get(`/api/v1/entries/cal${ext}`, (c) => entries(c, [], undefined));
  }

  for (const path of ["/api/v1/treatments", "/api/v1/treatments.json"]) {
    app.get(path, async (c) => {
      const source = await backend.source();
      if (!offersTreatments(source))
        throw new OutsideGrant(
          "this share does not include insulin or meals, exercise and notes, so there are no treatments to read",
        );
      const count = c.req.query("count");
      const documents = await queryTreatments(source, {
        ...dateBounds(query(c), "created_at", Date.now()),
        ...(count !== undefined ? { count: countOf(count, DEFAULT_COUNT) } : {}),
      });
      return notModified(c, documents[0]?.mills as number | undefined) ?? c.json(documents);
    });
  }

  const unitsOf = (c: Context): Units => (c.req.query("units") === "mmol" ? "mmol" : "mg/dl");
  app.get("/api/v2/properties/:names?", async (c) => {
    const source = await backend.source();
    const now = Date.now();
    const all = nowcast(await latestReadings(source, 20, now), now, unitsOf(c)) as Record<string, unknown>;
    const names = (c.req.param("names") ?? "").split(",").filter((n) => n !== "");
    return c.json(names.length === 0 ? all : Object.fromEntries(names.filter((n) => n in all).map((n) => [n, all[n]])));
  });
  app.get("/pebble", async (c) => {
    const source = await backend.source();
    const now = Date.now();
    const count = Math.max(1, Number.parseInt(c.req.query("count") ?? "1", 10) || 1);
    return c.json(pebble(await latestReadings(source, Math.max(count, 20), now), now, unitsOf(c), count));
  });

  return app;
}
