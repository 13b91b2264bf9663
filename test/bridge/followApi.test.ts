// The follow side's answers checked field by field against what Nightscout's own code returns for
// the same readings (lib/api/entries, lib/plugins/bgnow.js and direction.js, lib/server/pebble.js,
// lib/api/status.js), through the bridge's HTTP app, for the requests follower apps make.
import { describe, expect, it } from "vitest";
import type { RecordQuery, Scope, StewardRecord } from "../../client/index.js";
import { bridgeApp, type BridgeBackend } from "../../bridge/http/app.js";
import { newCredentials } from "../../bridge/http/auth.js";
import type { RecordSource } from "../../bridge/follow/source.js";
import { documentId } from "../../bridge/upload/uploads.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const credentials = newCredentials();

/** Records held in memory, read as a grant of `scopes` over [from, to] would read them. */
function source(
  records: StewardRecord[],
  scopes: Scope[] = ["glucose"],
  from = 0,
  to = Number.MAX_SAFE_INTEGER,
): RecordSource {
  return {
    scopes,
    from,
    to,
    query: async (q: RecordQuery) =>
      records
        .filter(
          (r) =>
            (r.type === "cgm" || r.type === "bg" ? "glucose" : r.type === "bolus" ? "insulin" : "events") === q.scope &&
            r.time >= q.from &&
            r.time <= q.to,
        )
        .sort((a, b) => a.time - b.time),
  };
}

function app(records: StewardRecord[], scopes?: Scope[], from?: number, to?: number) {
  const backend: BridgeBackend = {
    side: "grantee",
    credentials,
    timeZone: "UTC",
    source: async () => source(records, scopes, from, to),
  };
  const served = bridgeApp(backend);
  return (path: string, headers: Record<string, string> = {}) =>
    served.request(`${path}${path.includes("?") ? "&" : "?"}token=${credentials.token}`, { headers });
}

const cgm = (time: number, mgdl: number, trend?: "flat" | "singleUp" | "fortyFiveDown"): StewardRecord => ({
  id: `cgm:${time}`,
  type: "cgm",
  time,
  deviceId: "xDrip-DexcomG7",
  timezoneOffset: 60,
  body: { mgdl, ...(trend ? { trend } : {}) },
});

describe("entries", () => {
  const now = Date.now();
  const readings = [
    cgm(now - 15 * MINUTE, 100),
    cgm(now - 10 * MINUTE, 105, "flat"),
    cgm(now - 5 * MINUTE, 112, "fortyFiveDown"),
    {
      id: "bg:1",
      type: "bg",
      time: now - 7 * MINUTE,
      deviceId: "Contour",
      body: { mgdl: 118, subType: "manual" },
    } as StewardRecord,
  ];

  it("newest first with Nightscout's fields, `count`, `find[date]` bounds, and sgv/mbg models", async () => {
    const get = app(readings);
    const all = (await (await get("/api/v1/entries.json")).json()) as Record<string, unknown>[];
    expect(all.map((e) => e.date)).toEqual([now - 5 * MINUTE, now - 7 * MINUTE, now - 10 * MINUTE, now - 15 * MINUTE]);
    expect(all[0]).toEqual({
      _id: documentId(`cgm:${now - 5 * MINUTE}`),
      type: "sgv",
      date: now - 5 * MINUTE,
      dateString: new Date(now - 5 * MINUTE).toISOString(),
      sysTime: new Date(now - 5 * MINUTE).toISOString(),
      utcOffset: 60,
      sgv: 112,
      direction: "FortyFiveDown",
      device: "xDrip-DexcomG7",
      identifier: `cgm:${now - 5 * MINUTE}`,
    });
    expect(all[1]).toEqual({
      _id: documentId("bg:1"),
      type: "mbg",
      date: now - 7 * MINUTE,
      dateString: new Date(now - 7 * MINUTE).toISOString(),
      sysTime: new Date(now - 7 * MINUTE).toISOString(),
      utcOffset: 0,
      mbg: 118,
      device: "Contour",
      identifier: "bg:1",
    });
    expect(all[3]!.direction).toBe("NONE");
    expect(((await (await get("/api/v1/entries.json?count=2")).json()) as unknown[]).length).toBe(2);
    const between = (await (
      await get(`/api/v1/entries/sgv.json?find[date][$gte]=${now - 12 * MINUTE}&find[date][$lte]=${now - 6 * MINUTE}`)
    ).json()) as { sgv: number }[];
    expect(between.map((e) => e.sgv)).toEqual([105]);
    const iso = (await (
      await get(`/api/v1/entries.json?find[dateString][$gte]=${new Date(now - 8 * MINUTE).toISOString()}`)
    ).json()) as { date: number }[];
    expect(iso.map((e) => e.date)).toEqual([now - 5 * MINUTE, now - 7 * MINUTE]);
    expect(((await (await get("/api/v1/entries/mbg.json")).json()) as { mbg: number }[]).map((e) => e.mbg)).toEqual([
      118,
    ]);
    const [current] = (await (await get("/api/v1/entries/current.json")).json()) as { sgv: number }[];
    expect(current?.sgv).toBe(112);
    expect(await (await get("/api/v1/entries/cal.json")).json()).toEqual([]);
    expect((await get("/api/v1/entries.json?find[date][$gte]=yesterday")).status).toBe(400);
  });

  it("the text forms Nightscout answers without .json: tab- or comma-separated dateString, date, sgv, direction, device", async () => {
    const get = app(readings.slice(1, 3));
    const text = await get("/api/v1/entries");
    expect(text.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await text.text()).toBe(
      [
        `"${new Date(now - 5 * MINUTE).toISOString()}"\t${now - 5 * MINUTE}\t112\t"FortyFiveDown"\t"xDrip-DexcomG7"`,
        `"${new Date(now - 10 * MINUTE).toISOString()}"\t${now - 10 * MINUTE}\t105\t"Flat"\t"xDrip-DexcomG7"`,
      ].join("\r\n"),
    );
    expect(await (await get("/api/v1/entries.csv?count=1")).text()).toBe(
      `"${new Date(now - 5 * MINUTE).toISOString()}",${now - 5 * MINUTE},112,"FortyFiveDown","xDrip-DexcomG7"`,
    );
    expect((await get("/api/v1/entries", { accept: "application/json" })).headers.get("content-type")).toMatch(/json/);
  });

  it("Last-Modified from the newest entry, and 304 for a client that has it", async () => {
    const get = app(readings);
    const first = await get("/api/v1/entries.json");
    const modified = first.headers.get("last-modified")!;
    expect(Date.parse(modified)).toBe(Math.floor((now - 5 * MINUTE) / 1000) * 1000);
    expect((await get("/api/v1/entries.json", { "if-modified-since": modified })).status).toBe(304);
  });

  it("never serves a reading outside the source's hours, whatever the query asks", async () => {
    const start = Math.floor(now / HOUR) * HOUR - 3 * HOUR;
    const edge = [cgm(start - 1, 90), cgm(start, 91), cgm(start + 2 * HOUR - 1, 92), cgm(start + 2 * HOUR, 93)];
    const get = app(edge, ["glucose"], start, start + 2 * HOUR - 1);
    const served = (await (
      await get(`/api/v1/entries.json?count=100&find[date][$gte]=0&find[date][$lte]=${now + HOUR}`)
    ).json()) as { sgv: number }[];
    expect(served.map((e) => e.sgv)).toEqual([92, 91]);
  });
});

describe("glucose now", () => {
  const now = Date.now();

  it("/api/v2/properties: bgnow, delta and direction as lib/plugins/bgnow.js computes them", async () => {
    const get = app([
      cgm(now - 10 * MINUTE, 110),
      cgm(now - 5 * MINUTE, 115, "flat"),
      cgm(now - 30_000, 121, "singleUp"),
    ]);
    const props = (await (await get("/api/v2/properties")).json()) as Record<string, Record<string, unknown>>;
    const sgv = (time: number, mgdl: number, direction: string) => ({
      _id: documentId(`cgm:${time}`),
      mgdl,
      mills: time,
      device: "xDrip-DexcomG7",
      direction,
      type: "sgv",
      scaled: mgdl,
    });
    expect(props.bgnow).toEqual({
      mean: 121,
      last: 121,
      mills: now - 30_000,
      sgvs: [sgv(now - 30_000, 121, "SingleUp")],
    });
    expect(props.delta).toEqual({
      absolute: 6,
      elapsedMins: 4.5,
      interpolated: false,
      mean5MinsAgo: 115,
      times: { recent: now - 30_000, previous: now - 5 * MINUTE },
      mgdl: 6,
      scaled: 6,
      display: "+6",
      previous: { mean: 115, last: 115, mills: now - 5 * MINUTE, sgvs: [sgv(now - 5 * MINUTE, 115, "Flat")] },
    });
    expect(props.direction).toEqual({ display: null, value: "SingleUp", label: "↑", entity: "&#8593;" });
    const picked = (await (await get("/api/v2/properties/bgnow,direction")).json()) as Record<string, unknown>;
    expect(Object.keys(picked).sort()).toEqual(["bgnow", "direction"]);
  });

  it("a gap is interpolated to a 5-minute delta, and a reading older than 15 minutes has no direction", async () => {
    const gap = (await (
      await app([cgm(now - 16 * MINUTE, 100), cgm(now - MINUTE, 130, "singleUp")])("/api/v2/properties")
    ).json()) as Record<string, Record<string, unknown>>;
    // The previous bucket reaches back 17.5 minutes before the newest reading.
    expect(gap.delta).toMatchObject({
      absolute: 30,
      elapsedMins: 15,
      interpolated: true,
      mean5MinsAgo: 120,
      mgdl: 10,
      display: "+10",
    });
    const stale = (await (await app([cgm(now - 20 * MINUTE, 100, "flat")])("/api/v2/properties")).json()) as Record<
      string,
      unknown
    >;
    expect(stale.direction).toBeUndefined();
    expect(stale.delta).toBeNull();
  });

  it("/pebble as lib/server/pebble.js answers, in mg/dL and mmol/L", async () => {
    const get = app([cgm(now - 5 * MINUTE, 115, "flat"), cgm(now - MINUTE, 121, "singleUp")]);
    const body = (await (await get("/pebble?count=2")).json()) as {
      status: { now: number }[];
      bgs: Record<string, unknown>[];
      cals: unknown[];
    };
    expect(body.status[0]!.now).toBeGreaterThanOrEqual(now);
    expect(body.bgs).toEqual([
      { sgv: "121", trend: 2, direction: "SingleUp", datetime: now - MINUTE, bgdelta: 6 },
      { sgv: "115", trend: 4, direction: "Flat", datetime: now - 5 * MINUTE },
    ]);
    expect(body.cals).toEqual([]);
    const mmol = (await (await get("/pebble?units=mmol")).json()) as { bgs: Record<string, unknown>[] };
    expect(mmol.bgs).toEqual([{ sgv: "6.7", trend: 2, direction: "SingleUp", datetime: now - MINUTE, bgdelta: "0.3" }]);
  });
});

describe("status, treatments and access", () => {
  it("status.json answers without a secret and names the bridge, with Nightscout's fields", async () => {
    const backend: BridgeBackend = { side: "grantee", credentials, timeZone: "UTC", source: async () => source([]) };
    const status = (await (await bridgeApp(backend).request("/api/v1/status.json")).json()) as Record<string, unknown>;
    expect(Object.keys(status)).toEqual(
      expect.arrayContaining([
        "status",
        "name",
        "version",
        "serverTime",
        "serverTimeEpoch",
        "apiEnabled",
        "careportalEnabled",
        "boluscalcEnabled",
        "settings",
        "extendedSettings",
        "authorized",
      ]),
    );
    expect(status).toMatchObject({
      status: "ok",
      name: "Steward bridge",
      apiEnabled: true,
      careportalEnabled: false,
      authorized: null,
      settings: { units: "mg/dl", thresholds: { bgHigh: 250, bgTargetTop: 180, bgTargetBottom: 70, bgLow: 54 } },
    });
  });

  it("every other path needs the token or the secret's hash, and says so", async () => {
    const backend: BridgeBackend = { side: "grantee", credentials, timeZone: "UTC", source: async () => source([]) };
    const served = bridgeApp(backend);
    for (const path of [
      "/api/v1/entries.json",
      "/api/v1/entries/current.json",
      "/api/v2/properties",
      "/pebble",
      "/api/v1/treatments.json",
    ]) {
      const r = await served.request(path);
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({ status: 401, message: "Unauthorized" });
    }
    expect(
      (await served.request("/pebble", { headers: { authorization: `Bearer ${credentials.token}` } })).status,
    ).toBe(200);
    expect((await served.request("/pebble?token=steward-0000000000000000")).status).toBe(401);
  });

  it("treatments as Nightscout documents, newest first, only for a source that covers insulin or events", async () => {
    const now = Date.now();
    const records: StewardRecord[] = [
      { id: "b1", type: "bolus", time: now - 30 * MINUTE, deviceId: "pump", body: { subType: "normal", normal: 2 } },
      { id: "f1", type: "food", time: now - 20 * MINUTE, deviceId: "app", body: { carbsG: 30, name: "toast" } },
    ];
    const treatments = (await (await app(records, ["insulin", "events"])("/api/v1/treatments.json")).json()) as Record<
      string,
      unknown
    >[];
    expect(treatments).toEqual([
      {
        _id: documentId("f1"),
        eventType: "Carb Correction",
        carbs: 30,
        notes: "toast",
        created_at: new Date(now - 20 * MINUTE).toISOString(),
        mills: now - 20 * MINUTE,
        utcOffset: 0,
        enteredBy: "app",
        identifier: "f1",
        insulin: null,
      },
      {
        _id: documentId("b1"),
        eventType: "Correction Bolus",
        insulin: 2,
        created_at: new Date(now - 30 * MINUTE).toISOString(),
        mills: now - 30 * MINUTE,
        utcOffset: 0,
        enteredBy: "pump",
        identifier: "b1",
        carbs: null,
      },
    ]);
    const insulinOnly = (await (await app(records, ["insulin"])("/api/v1/treatments.json")).json()) as {
      eventType: string;
    }[];
    expect(insulinOnly.map((t) => t.eventType)).toEqual(["Correction Bolus"]);
    expect((await app(records, ["glucose"])("/api/v1/treatments.json")).status).toBe(403);
  });
});
