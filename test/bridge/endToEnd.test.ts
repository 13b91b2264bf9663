// The bridge end to end against the real worker: an uploader posts a reading to the patient's
// bridge, a caregiver's follow bridge serves it on /api/v1/entries/current.json within 2 s, the
// server's traffic holds no glucose value, a grant's bridge serves nothing outside the grant's
// hours or categories (readings at each edge), and it stops serving when the grant ends.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StewardRecord } from "../../client/index.js";
import { leaks, yjsIntegerField } from "../app/browser.js";
import { startWorker, type LocalWorker } from "../e2e/localWorker.js";
import { capture } from "./capture.js";
import { Bridges, get, PASSPHRASE, post, sha1, until } from "./helpers.js";

const HOUR = 3_600_000;
let worker: LocalWorker;
let bridges: Bridges;
/** Every client here talks to the server through this, so the test sees all the server saw. */
const wire = capture();

/** A network path to the server that can be cut and restored (same port), as Wi-Fi dropping. */
async function cuttableLink(target: string): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let at = 0;
  const open = async () => {
    server = createServer((client) => {
      const upstream = connect(Number(port), hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("error", () => s.destroy()).on("close", () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(at, "127.0.0.1", resolve));
    at = (server.address() as AddressInfo).port;
  };
  await open();
  return {
    url: `http://127.0.0.1:${at}`,
    async cut() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server!.close(resolve));
    },
    restore: open,
  };
}

const root = fileURLToPath(new URL("../../", import.meta.url));

/** `steward-bridge start` as its own process, resolved once it says where it listens. */
async function bridgeProcess(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["bridge/bin.mjs", "start", "--dir", dir, "--port", "0"], {
    cwd: root,
    env: { ...process.env, STEWARD_BRIDGE_PASSPHRASE: PASSPHRASE },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      output += d;
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (found) resolve(found[1]!);
    });
    child.stderr!.on("data", (d) => (output += d));
    child.once("exit", (code) => reject(new Error(`the bridge exited (${code}):\n${output}`)));
  });
  return { child, url };
}

beforeAll(async () => {
  worker = await startWorker();
  bridges = new Bridges(worker.url, { fetch: wire.fetch, WebSocket: wire.WebSocket });
}, 120_000);

afterAll(async () => {
  await bridges?.close();
  await worker?.stop();
});

describe("Nightscout bridge end to end", () => {
  it("an uploaded reading reaches the caregiver's follow bridge within 2 s, and the server sees no glucose value", async () => {
    const { phone, bridge: upload } = await bridges.patientWithBridge();
    const now = Date.now();
    const { bridge: follow, grantId } = await bridges.followBridge(phone, {
      scopes: ["glucose"],
      from: now - HOUR,
      to: now,
      expiresAt: now + 2 * HOUR,
      live: true,
    });
    // The follow bridge finds its share and goes live.
    await until(
      async () => ((await get(follow, "/api/v1/entries/current.json")).status === 200 ? true : undefined),
      "the follow bridge to serve its share",
    );

    const reading = {
      type: "sgv",
      sgv: 187,
      date: Date.now(),
      dateString: new Date().toISOString(),
      direction: "FortyFiveUp",
      device: "xDrip-DexcomG6-relay",
      noise: 1,
    };
    const posted = Date.now();
    const response = await post(upload, "/api/v1/entries", [reading]);
    expect(response.status).toBe(200);
    const [stored] = (await response.json()) as Record<string, unknown>[];
    expect(stored).toMatchObject({ ...reading, _id: expect.stringMatching(/^[0-9a-f]{24}$/) });

    const served = await until(
      async () => {
        const [entry] = (await (await get(follow, "/api/v1/entries/current.json")).json()) as Record<string, unknown>[];
        return entry?.sgv === 187 ? entry : undefined;
      },
      "the reading on the follow bridge",
      5_000,
    );
    const elapsed = Date.now() - posted;
    expect(elapsed).toBeLessThan(2_000);
    expect(served).toEqual({
      _id: stored!._id,
      type: "sgv",
      date: reading.date,
      dateString: new Date(reading.date).toISOString(),
      sysTime: new Date(reading.date).toISOString(),
      utcOffset: 0,
      sgv: 187,
      direction: "FortyFiveUp",
      device: "xDrip-DexcomG6-relay",
      identifier: expect.any(String),
    });

    // The server relayed ciphertext only: no value, device name or trend in any encoding.
    const traffic = await wire.captured();
    expect(traffic.some((t) => t.what.startsWith("frame from"))).toBe(true);
    expect(traffic.some((t) => t.what.startsWith("POST") && t.what.includes("/envelopes"))).toBe(true);
    expect(leaks(traffic, [yjsIntegerField("mgdl", 187), "xDrip-DexcomG6-relay", "fortyFiveUp", '"sgv":187'])).toEqual(
      [],
    );

    // Revoked: the follow bridge stops serving at once, with a reason.
    await phone.revoke(grantId);
    const gone = await until(
      async () => {
        const r = await get(follow, "/api/v1/entries/current.json");
        return r.status === 410 ? r : undefined;
      },
      "the follow bridge to stop after the revocation",
      10_000,
    );
    expect(((await gone.json()) as { description: string }).description).toMatch(/ended/);
    expect((await get(follow, "/pebble")).status).toBe(410);
    await phone.close();
  });

  it("a grant's follow bridge serves exactly the granted hours and categories, and nothing once the grant expired", async () => {
    const { phone } = await bridges.patientWithBridge();
    const first = Math.floor(Date.now() / HOUR) - 10;
    const last = first + 2;
    const cgm = (id: string, time: number, mgdl: number): StewardRecord => ({
      id,
      type: "cgm",
      time,
      deviceId: "g7",
      body: { mgdl },
    });
    await phone.records.put([
      cgm("before", first * HOUR - 1, 101),
      cgm("first", first * HOUR, 102),
      cgm("last", (last + 1) * HOUR - 1, 103),
      cgm("after", (last + 1) * HOUR, 104),
      { id: "dose", type: "bolus", time: first * HOUR + 60_000, body: { subType: "normal", normal: 3 } },
    ]);
    await phone.sync.sync();
    const expiresAt = Date.now() + 25_000;
    // Shared by handle, after comparing the safety number the bridge prints.
    const { bridge: follow } = await bridges.followByHandle(phone, {
      scopes: ["glucose"],
      from: first * HOUR + 20 * 60_000,
      to: last * HOUR + 5 * 60_000,
      expiresAt,
    });
    const all = `/api/v1/entries.json?count=100&find[date][$gte]=${(first - 5) * HOUR}`;
    const entries = await until(async () => {
      const r = await get(follow, all);
      const body = r.status === 200 ? ((await r.json()) as { sgv: number }[]) : [];
      return body.length === 2 ? body : undefined;
    }, "the granted readings");
    expect(entries.map((e) => e.sgv)).toEqual([103, 102]);
    const sgv = (await (
      await get(follow, `/api/v1/entries/sgv.json?count=100&find[date][$gte]=0&find[date][$lte]=${(last + 5) * HOUR}`)
    ).json()) as { sgv: number }[];
    expect(sgv.map((e) => e.sgv)).toEqual([103, 102]);
    const treatments = await get(follow, "/api/v1/treatments.json");
    expect(treatments.status).toBe(403);
    expect(((await treatments.json()) as { description: string }).description).toMatch(/does not include insulin/);
    // Uploads are refused on a follow bridge.
    const post = await fetch(`${follow.url}/api/v1/entries.json`, {
      method: "POST",
      headers: { "api-secret": sha1(follow.credentials.secret) },
      body: "[]",
    });
    expect(post.status).toBe(403);

    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now() + 500)));
    const ended = await get(follow, all);
    expect(ended.status).toBe(410);
    expect(((await ended.json()) as { message: string }).message).toBe("Gone");
    await phone.close();
  });

  it("a reading an uploader was told is stored survives the bridge being killed while offline, and reaches the phone after the restart", async () => {
    const network = await cuttableLink(worker.url);
    const phone = await bridges.phone();
    const { dir, credentials } = await bridges.link(phone, network.url);
    const first = await bridgeProcess(dir);
    await network.cut();
    const date = Date.now();
    const response = await fetch(`${first.url}/api/v1/entries.json`, {
      method: "POST",
      headers: { "api-secret": sha1(credentials.secret), "content-type": "application/json" },
      body: JSON.stringify({ type: "sgv", sgv: 222, date, device: "share2" }),
    });
    expect(response.status).toBe(200);
    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));

    await network.restore();
    const second = await bridgeProcess(dir);
    try {
      const [served] = (await (
        await fetch(`${second.url}/api/v1/entries/current.json?token=${credentials.token}`)
      ).json()) as { sgv: number }[];
      expect(served?.sgv).toBe(222);
      const onPhone = await until(async () => {
        await phone.sync.sync();
        const [r] = await phone.records.query({ scope: "glucose", from: date, to: date });
        return r;
      }, "the reading on the phone");
      expect(onPhone).toMatchObject({ type: "cgm", time: date, deviceId: "share2", body: { mgdl: 222 } });
    } finally {
      second.child.kill("SIGTERM");
      await phone.close();
      await network.cut();
    }
  });
});
