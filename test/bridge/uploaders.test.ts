// The upload side driven by real uploaders: the published packages' own upload code
// (minimed-connect-to-nightscout, share2nightscout-bridge against a Dexcom Share stand-in on
// loopback, since the vendor clouds are unreachable) and xDrip+'s and AndroidAPS's request shapes.
// Every upload lands in the patient's encrypted store and reaches their phone; a re-upload
// changes nothing; bad input gets Nightscout's 4xx and stores nothing.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import minimed from "minimed-connect-to-nightscout";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Patient, Scope, StewardRecord } from "../../client/index.js";
import type { StartedBridge } from "../../bridge/setup.js";
import { startWorker, type LocalWorker } from "../e2e/localWorker.js";
import { Bridges, get, post, until } from "./helpers.js";
import {
  aapsDeviceStatus,
  aapsTreatments,
  careLinkData,
  xdripDeviceStatus,
  xdripEntries,
  xdripTreatments,
} from "./uploaderShapes.js";

const HOUR = 3_600_000;
let worker: LocalWorker;
let bridges: Bridges;

beforeAll(async () => {
  worker = await startWorker();
  bridges = new Bridges(worker.url);
}, 120_000);
afterAll(async () => {
  await bridges?.close();
  await worker?.stop();
});

/** The phone's records of `scope` near now, once its sync brought at least `count` of them. */
async function onPhone(phone: Patient, scope: Scope, count: number): Promise<StewardRecord[]> {
  return until(async () => {
    await phone.sync.sync();
    const records = await phone.records.query({ scope, from: Date.now() - 2 * HOUR, to: Date.now() + HOUR });
    return records.length >= count ? records : undefined;
  }, `${count} ${scope} records on the phone`);
}

async function entries(bridge: StartedBridge): Promise<Record<string, unknown>[]> {
  return (await (await get(bridge, "/api/v1/entries.json?count=50")).json()) as Record<string, unknown>[];
}

describe("uploaders' own code", () => {
  it("minimed-connect-to-nightscout: its CareLink transform and upload store readings and pump status; its next upload (the same readings again) adds nothing", async () => {
    const { phone, bridge } = await bridges.patientWithBridge();
    const { entries: sent, devicestatus } = minimed.transform(careLinkData(Date.now()));
    expect(sent).toHaveLength(2);
    const upload = (items: unknown[], path: string) =>
      new Promise<number>((resolve, reject) =>
        minimed.nightscout.upload(items, `${bridge.url}${path}`, bridge.credentials.secret, (error, response) =>
          error ? reject(error) : resolve(response!.statusCode),
        ),
      );
    expect(await upload(sent, "/api/v1/entries.json")).toBe(200);
    expect(await upload(devicestatus, "/api/v1/devicestatus.json")).toBe(200);
    expect(await upload(sent, "/api/v1/entries.json")).toBe(200);

    const served = await entries(bridge);
    expect(served.map((e) => [e.sgv, e.date, e.direction, e.device])).toEqual([
      [152, sent[1]!.date, "SingleUp", "connect-ngp"],
      [140, sent[0]!.date, "NONE", "connect-ngp"],
    ]);
    const readings = await onPhone(phone, "glucose", 2);
    expect(readings.map((r) => r.type === "cgm" && r.body)).toEqual([{ mgdl: 140 }, { mgdl: 152, trend: "singleUp" }]);
    const [status] = await onPhone(phone, "alerts", 1);
    expect(status).toMatchObject({
      type: "deviceEvent",
      deviceId: "connect-ngp",
      body: {
        subType: "status",
        text: "uploader battery 88 %; pump battery 75 %; reservoir 96 U; insulin on board 1.5 U",
      },
    });
    await phone.close();
  });

  it("share2nightscout-bridge: its engine fetches from a Share stand-in and uploads through its own Nightscout code", async () => {
    const { phone, bridge } = await bridges.patientWithBridge();
    const now = Date.now();
    const glucose = [
      {
        DT: `/Date(${now - 10 * 60_000}-0000)/`,
        ST: `/Date(${now - 10 * 60_000})/`,
        Trend: 4,
        Value: 101,
        WT: `/Date(${now - 10 * 60_000})/`,
      },
      {
        DT: `/Date(${now - 5 * 60_000}-0000)/`,
        ST: `/Date(${now - 5 * 60_000})/`,
        Trend: "FortyFiveDown",
        Value: 96,
        WT: `/Date(${now - 5 * 60_000})/`,
      },
    ];
    const share: Server = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url?.includes("AuthenticatePublisherAccount")) return res.end(JSON.stringify("account-1"));
      if (req.url?.includes("LoginPublisherAccountById")) return res.end(JSON.stringify("session-1"));
      res.end(JSON.stringify(glucose));
    });
    await new Promise<void>((resolve) => share.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(share.address() as AddressInfo).port}/ShareWebServices/Services`;
    // The engine narrates every step on stdout.
    const quiet = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const engine = createRequire(import.meta.url)("share2nightscout-bridge") as (
        opts: Record<string, unknown>,
      ) => unknown;
      engine({
        login: {
          accountName: "someone",
          password: "secret",
          auth: `${base}/General/AuthenticatePublisherAccount`,
          login: `${base}/General/LoginPublisherAccountById`,
        },
        fetch: { LatestGlucose: `${base}/Publisher/ReadPublisherLatestGlucoseValues`, minutes: 1440, maxCount: 2 },
        nightscout: { API_SECRET: bridge.credentials.secret, endpoint: bridge.url },
        maxFailures: 1,
        firstFetchCount: 2,
      });
      const served = await until(async () => {
        const list = await entries(bridge);
        return list.length === 2 ? list : undefined;
      }, "share2's upload");
      expect(served.map((e) => [e.sgv, e.date, e.direction, e.device])).toEqual([
        [96, now - 5 * 60_000, "FortyFiveDown", "share2"],
        [101, now - 10 * 60_000, "Flat", "share2"],
      ]);
      expect(await onPhone(phone, "glucose", 2)).toHaveLength(2);
    } finally {
      quiet.mockRestore();
      share.close();
      await phone.close();
    }
  });
});

describe("xDrip+ and AndroidAPS request shapes", () => {
  it("xDrip+: readings, a finger-stick, a calibration (accepted, not kept), insulin and carbs, a note and the phone's battery", async () => {
    const { phone, bridge } = await bridges.patientWithBridge();
    const now = Date.now();
    const response = await post(bridge, "/api/v1/entries", xdripEntries(now));
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as Record<string, unknown>[];
    expect(echoed).toHaveLength(5);
    expect(echoed.every((d) => /^[0-9a-f]{24}$/.test(d._id as string))).toBe(true);
    expect((await post(bridge, "/api/v1/treatments", xdripTreatments(now))).status).toBe(200);
    expect((await post(bridge, "/api/v1/devicestatus", xdripDeviceStatus())).status).toBe(200);

    const served = await entries(bridge);
    expect(served.map((e) => [e.type, e.sgv ?? e.mbg, e.direction])).toEqual([
      ["sgv", 131, "SingleUp"],
      ["sgv", 118, "FortyFiveUp"],
      ["mbg", 125, undefined],
      ["sgv", 110, "Flat"],
    ]);
    const treatments = (await (await get(bridge, "/api/v1/treatments.json")).json()) as Record<string, unknown>[];
    expect(treatments.map((t) => [t.eventType, t.insulin, t.carbs, t.notes])).toEqual([
      ["BG Check", null, null, undefined],
      ["Note", null, null, "pizza"],
      ["Correction Bolus", 4.5, null, undefined],
      ["Carb Correction", null, 45, undefined],
    ]);
    const insulin = await onPhone(phone, "insulin", 1);
    expect(insulin[0]).toMatchObject({ type: "bolus", deviceId: "xdrip", body: { subType: "normal", normal: 4.5 } });
    const [battery] = await onPhone(phone, "alerts", 1);
    expect(battery).toMatchObject({
      deviceId: "xDrip-DexcomG6",
      body: { subType: "status", text: "uploader battery 84 %" },
    });
    await phone.close();
  });

  it("AndroidAPS: boluses, an SMB, carbs, temp basals, a finger-stick in mmol/L, a site change and its loop status; targets and profile switches are accepted, not kept", async () => {
    const { phone, bridge } = await bridges.patientWithBridge();
    const now = Date.now();
    const response = await post(bridge, "/api/v1/treatments.json", aapsTreatments(now));
    expect(response.status).toBe(200);
    expect((await post(bridge, "/api/v1/devicestatus.json", [aapsDeviceStatus(now)])).status).toBe(200);
    // AndroidAPS retries what it is not sure went through: the same uploads again change nothing.
    expect((await post(bridge, "/api/v1/treatments.json", aapsTreatments(now))).status).toBe(200);

    const insulin = await onPhone(phone, "insulin", 4);
    expect(insulin.map((r) => [r.type, r.body])).toEqual([
      ["bolus", { subType: "normal", normal: 5.2 }],
      ["bolus", { subType: "automated", normal: 0.4 }],
      ["basal", { deliveryType: "temp", rate: 0.35, durationMs: 30 * 60_000 }],
      ["basal", { deliveryType: "temp", percent: 0.6, durationMs: 60 * 60_000 }],
    ]);
    const events = await onPhone(phone, "events", 2);
    expect(events.map((r) => r.type === "food" && r.body)).toEqual([{ carbsG: 52 }, { carbsG: 15, name: "juice" }]);
    const glucose = await onPhone(phone, "glucose", 1);
    expect(glucose.map((r) => r.body)).toEqual([{ mgdl: 117, subType: "manual" }]);
    const alerts = await onPhone(phone, "alerts", 2);
    expect(alerts.map((r) => r.type === "deviceEvent" && [r.body.subType, r.body.text])).toEqual([
      ["prime", "left arm"],
      [
        "status",
        "uploader battery 80 %; pump battery 75 %; reservoir 120.5 U; insulin on board 1.25 U; carbs on board 20 g; pump normal; loop: COB: 20, Dev: 12, BGI: -1.2",
      ],
    ]);
    await phone.close();
  });
});

describe("what an uploader gets wrong", () => {
  it("answers Nightscout's 401 and 400s, and stores nothing from a refused request", async () => {
    const { phone, bridge } = await bridges.patientWithBridge();
    const good = { type: "sgv", sgv: 120, date: Date.now(), device: "test" };
    const wrong = await post(bridge, "/api/v1/entries", [good], "not-the-secret");
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      status: 401,
      message: "Unauthorized",
      description: expect.stringContaining("api-secret"),
    });
    const unsigned = await fetch(`${bridge.url}/api/v1/entries.json`);
    expect(unsigned.status).toBe(401);

    const refusals: [unknown, RegExp][] = [
      ["{not json", /not JSON/],
      ['"a string"', /JSON object or an array/],
      [
        [good, { type: "sgv", sgv: "abc", date: Date.now(), device: "test" }],
        /entries document 2: sgv entry without a value/,
      ],
      [[good, { type: "sgv", sgv: 120, device: "test" }], /entries document 2: no readable date/],
      [
        [good, { type: "sgv", sgv: 2000, date: Date.now(), device: "test" }],
        /entries document 2: invalid record: .*mgdl/,
      ],
      [[good, 7], /entries document 2: not a JSON object/],
      [[{ eventType: "Meal Bolus", insulin: 3 }], /a treatment \(eventType\) sent to entries/],
    ];
    for (const [body, reason] of refusals) {
      const r = await post(bridge, "/api/v1/entries", body);
      expect(r.status).toBe(400);
      const answer = (await r.json()) as { status: number; message: string; description: string };
      expect(answer).toMatchObject({ status: 400, message: "Bad Request" });
      expect(answer.description).toMatch(reason);
    }
    const negative = await post(bridge, "/api/v1/treatments", [
      { eventType: "Correction Bolus", insulin: -2, created_at: new Date().toISOString() },
    ]);
    expect(negative.status).toBe(400);
    expect(((await negative.json()) as { description: string }).description).toMatch(
      /treatments document 1: Correction Bolus with negative insulin/,
    );
    expect(await entries(bridge)).toEqual([]);
    const [treatments] = await Promise.all([get(bridge, "/api/v1/treatments.json")]);
    expect(await treatments.json()).toEqual([]);
    await phone.close();
  });
});
