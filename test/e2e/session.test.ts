// Sessions as a device sees them, against the real worker: the first request carries the login
// proof and comes back with the session, so no request is spent on logging in; a device whose clock
// is off is told the server's time and signs at it; requests in flight at once each sign their own.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ServerApi } from "../../client/api/serverApi.js";
import { createAccountKeys } from "../../crypto/accountKeys.js";
import { loadSodium } from "../../crypto/sodium.js";
import { startWorker, type LocalWorker } from "./localWorker.js";

let worker: LocalWorker;
let n = 0;

beforeAll(async () => {
  await loadSodium();
  worker = await startWorker();
}, 120_000);
afterAll(() => worker?.stop());

/** A registered account's client whose requests are listed as "METHOD path auth-scheme → status". */
async function client(): Promise<{ api: ServerApi; sent: string[] }> {
  const keys = createAccountKeys();
  const sent: string[] = [];
  const fetcher: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const scheme = (new Headers(init?.headers).get("authorization") ?? "none").split(" ")[0];
    sent.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname} ${scheme} → ${response.status}`);
    return response;
  };
  const api = new ServerApi(worker.url, keys, fetcher);
  await api.register(`session-${Date.now().toString(36)}${n++}`);
  sent.length = 0;
  return { api, sent };
}

describe("sessions", () => {
  it("the first request signs in by itself and brings the session for the next ones", async () => {
    const { api, sent } = await client();
    expect((await api.inbox()).grants).toEqual([]);
    expect(await api.keyRing()).toBeUndefined();
    expect(sent).toEqual(["GET /v1/inbox Proof → 200", `GET /v1/accounts/${api.accountId}/key-ring Bearer → 404`]);
    // A WebSocket needs its token before it opens: the session is already there.
    expect((await api.ensureSession()).accountId).toBe(api.accountId);
    expect(sent).toHaveLength(2);
  });

  it("a device whose clock is off by minutes is told the server's time once, and signs in at it", async () => {
    const { api, sent } = await client();
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 11 * 60_000 });
    try {
      expect((await api.inbox()).grants).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
    expect(sent).toEqual(["GET /v1/inbox Proof → 401", "GET /v1/inbox Proof → 200"]);
  });

  it("requests sent at once without a session each sign their own proof", async () => {
    const { api, sent } = await client();
    await Promise.all([api.inbox(), api.keyRing(), api.inbox()]);
    expect(sent.filter((s) => s.includes("Proof"))).toHaveLength(3);
    expect(sent.every((s) => !s.endsWith("401"))).toBe(true);
    await api.inbox();
    expect(sent.at(-1)).toBe("GET /v1/inbox Bearer → 200");
  });
});
