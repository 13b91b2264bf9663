// Load on loopback against the real worker (wrangler dev): many patients pushing over their own live
// sockets at once, and one patient fanned out to many caregiver sockets. Bounded in count and time;
// STEWARD_LONG=1 runs the long variant. Throughput and the p50/p99 latency of a live reading reaching
// a socket are printed, never asserted; what is asserted is that no message is lost or doubled.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64Url } from "../../shared/bytes.js";
import { decodePage, encodeUpload } from "../../shared/syncFrames.js";
import {
  DeviceChain,
  loginProof,
  makeGrant,
  newIdentity,
  scopeTag,
  type Identity,
} from "../helpers/webcryptoFixtures.js";
import { startWorker, type LocalWorker } from "./localWorker.js";

const LONG = process.env.STEWARD_LONG === "1";
const SIZE = LONG
  ? { patients: 200, readingsEach: 20, caregivers: 500, fanOutReadings: 50 }
  : { patients: 20, readingsEach: 10, caregivers: 50, fanOutReadings: 20 };
/** Concurrent sign-ups and grant creations: enough to be quick, few enough for two shared cores. */
const SETUP_CONCURRENCY = 8;
const HOUR = 3_600_000;
const nowHour = Math.floor(Date.now() / HOUR);

let worker: LocalWorker;

interface Client {
  readonly identity: Identity;
  readonly token: string;
}

/** Requests resent after a dropped connection or a 5xx (wrangler dev restarts the worker when files change). */
let networkRetries = 0;

/** One request, its whole body read; transient failures are resent, as the SDK's transport does. */
async function api(path: string, init: RequestInit & { token?: string } = {}): Promise<Uint8Array> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${worker.url}${path}`, { ...init, headers });
      const body = new Uint8Array(await res.arrayBuffer());
      if (res.ok) return body;
      const failure = new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${new TextDecoder().decode(body)}`);
      if (res.status < 500) throw Object.assign(failure, { final: true });
      throw failure;
    } catch (error) {
      // Every request here is a read or idempotent (pushes carry envelope ids), so resending is safe.
      if ((error as { final?: boolean }).final || attempt === 4) throw error;
      networkRetries++;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

async function postJson<T>(path: string, body: unknown, token?: string): Promise<T> {
  const bytes = await api(path, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
    ...(token ? { token } : {}),
  });
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
}

let handles = 0;
async function signUp(prefix: string): Promise<Client> {
  const identity = await newIdentity();
  await postJson("/v1/accounts", {
    bundle: toBase64Url(identity.bundle),
    handle: `${prefix}${++handles}x${identity.accountId.slice(0, 8)}`,
  });
  // A login whose answer was lost has spent its nonce: start again with a new proof.
  for (let attempt = 1; ; attempt++) {
    try {
      const authorization = await loginProof(identity);
      const { token } = JSON.parse(
        new TextDecoder().decode(await api("/v1/auth/login", { method: "POST", headers: { authorization } })),
      ) as { token: string };
      return { identity, token };
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** Runs `fn` over `items`, `limit` at a time, keeping order. */
async function inPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/**
 * A live socket that records when each seq arrived and how often. Like a client, it reconnects when
 * the socket drops and pulls from its cursor; readings caught up that way count as recovered, not lost.
 */
class Listener {
  readonly arrivals = new Map<number, number>();
  readonly duplicates: number[] = [];
  readonly drops: string[] = [];
  /** Seqs that came by the catch-up pull after a drop rather than live. */
  readonly recovered = new Set<number>();
  private socket: WebSocket | null = null;
  private closing = false;

  constructor(
    private readonly client: Client,
    private readonly patientId: string,
  ) {}

  async open(): Promise<this> {
    const ws = new WebSocket(
      `${worker.url.replace(/^http/, "ws")}/v1/patients/${this.patientId}/ws?token=${encodeURIComponent(this.client.token)}`,
    );
    ws.binaryType = "arraybuffer";
    ws.addEventListener("message", (event) => {
      // Text frames are control messages ({"type":"ended"}); pages are binary.
      if (typeof event.data !== "string")
        this.record(decodePage(new Uint8Array(event.data as ArrayBuffer)).entries, false);
    });
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve(), { once: true });
      ws.addEventListener("error", () => reject(new Error(`socket to ${this.patientId} failed to open`)), {
        once: true,
      });
    });
    ws.addEventListener("close", (event) => {
      if (this.closing) return;
      this.drops.push(`${event.code} ${event.reason}`);
      void this.reconnect();
    });
    this.socket = ws;
    return this;
  }

  /** Reconnects first, then pulls from the cursor, so nothing falls between the two. */
  private async reconnect(): Promise<void> {
    for (let attempt = 1; attempt <= 5; attempt++) {
      await new Promise((r) => setTimeout(r, 200 * attempt));
      try {
        await this.open();
        await this.catchUp();
        return;
      } catch (error) {
        this.drops.push(`reconnect failed: ${String(error)}`);
      }
    }
  }

  close(): void {
    this.closing = true;
    this.socket?.close(1000, "done");
  }

  private record(entries: readonly { seq: number }[], recovering: boolean): void {
    const at = performance.now();
    for (const { seq } of entries) {
      if (this.arrivals.has(seq)) {
        if (!recovering) this.duplicates.push(seq);
      } else {
        this.arrivals.set(seq, at);
        if (recovering) this.recovered.add(seq);
      }
    }
  }

  private async catchUp(): Promise<void> {
    for (let more = true; more; ) {
      const after = Math.max(0, ...this.arrivals.keys());
      const page = decodePage(
        await api(`/v1/patients/${this.patientId}/envelopes?after=${after}`, { token: this.client.token }),
      );
      this.record(page.entries, true);
      more = page.more;
    }
  }
}

function listen(client: Client, patientId: string): Promise<Listener> {
  return new Listener(client, patientId).open();
}

/** Pushes one reading; returns its seq and when the push was sent. */
async function pushReading(
  client: Client,
  chain: DeviceChain,
  tag: Uint8Array,
): Promise<{ seq: number; sentAt: number }> {
  const made = await chain.next({ scopeTag: tag, hour: nowHour });
  const sentAt = performance.now();
  const body = await api(`/v1/patients/${client.identity.accountId}/envelopes`, {
    method: "POST",
    body: new Uint8Array(encodeUpload([made.bytes])),
    headers: { "content-type": "application/octet-stream" },
    token: client.token,
  });
  const { seqs } = JSON.parse(new TextDecoder().decode(body)) as { seqs: number[] };
  return { seq: seqs[0]!, sentAt };
}

/** Waits until every listener holds every expected seq, or the deadline passes. */
async function settle(
  listeners: readonly Listener[],
  seqs: (i: number) => readonly number[],
  deadlineMs: number,
): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until && !listeners.every((l, i) => seqs(i).every((s) => l.arrivals.has(s))))
    await new Promise((r) => setTimeout(r, 50));
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Prints throughput and latency of the readings delivered live; recovered ones are counted apart. */
function report(
  title: string,
  listeners: readonly Listener[],
  sent: (i: number) => readonly { seq: number; sentAt: number }[],
  elapsedMs: number,
): void {
  const latencies = listeners
    .flatMap((l, i) =>
      sent(i).flatMap((s) =>
        l.arrivals.has(s.seq) && !l.recovered.has(s.seq) ? [l.arrivals.get(s.seq)! - s.sentAt] : [],
      ),
    )
    .sort((a, b) => a - b);
  const recovered = listeners.reduce((n, l) => n + l.recovered.size, 0);
  const drops = listeners.reduce((n, l) => n + l.drops.length, 0);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  console.log(
    `${title}: ${latencies.length} readings delivered live in ${(elapsedMs / 1000).toFixed(2)} s (${((latencies.length / elapsedMs) * 1000).toFixed(0)}/s); ` +
      `reading → socket latency p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies.at(-1) ?? NaN)}; ` +
      `${drops} socket drops, ${recovered} readings recovered by pull, ${networkRetries} requests resent so far`,
  );
}

describe(`load on loopback (${LONG ? "long" : "short"} variant)`, () => {
  beforeAll(async () => {
    worker = await startWorker();
  }, 120_000);

  afterAll(async () => worker?.stop());

  it(`${SIZE.patients} patients push ${SIZE.readingsEach} readings each at once, each over its own live socket`, async () => {
    const patients = await inPool(Array.from({ length: SIZE.patients }), SETUP_CONCURRENCY, () => signUp("lp"));
    const listeners = await inPool(patients, SETUP_CONCURRENCY, (p) => listen(p, p.identity.accountId));
    const started = performance.now();
    const sent = await Promise.all(
      patients.map(async (p) => {
        const chain = new DeviceChain(p.identity, p.identity.accountId);
        const tag = scopeTag();
        const out = [];
        for (let i = 0; i < SIZE.readingsEach; i++) out.push(await pushReading(p, chain, tag));
        return out;
      }),
    );
    await settle(listeners, (i) => sent[i]!.map((s) => s.seq), 30_000);
    const elapsed = performance.now() - started;
    for (const l of listeners) l.close();
    report(`${SIZE.patients} patient sockets`, listeners, (i) => sent[i]!, elapsed);
    for (const [i, l] of listeners.entries()) {
      expect(
        [...l.arrivals.keys()].sort((a, b) => a - b),
        `patient ${i}: readings received (socket drops: ${l.drops.join(", ") || "none"})`,
      ).toEqual(sent[i]!.map((s) => s.seq));
      expect(l.duplicates, `patient ${i}: duplicates`).toEqual([]);
    }
  }, 600_000);

  it(`one patient fans ${SIZE.fanOutReadings} readings out to ${SIZE.caregivers} caregiver sockets`, async () => {
    const patient = await signUp("lfan");
    const caregivers = await inPool(Array.from({ length: SIZE.caregivers }), SETUP_CONCURRENCY, () => signUp("lc"));
    const tag = scopeTag();
    const pid = patient.identity.accountId;
    await inPool(caregivers, SETUP_CONCURRENCY, async (c) => {
      const grant = await makeGrant(patient.identity, c.identity, {
        entries: [{ scopeTag: tag, fromHour: nowHour - 1, toHour: nowHour + 48, generations: [1] }],
        live: true,
      });
      await postJson(`/v1/patients/${pid}/grants`, { grant: toBase64Url(grant.wire) }, patient.token);
    });
    const listeners = await inPool(caregivers, SETUP_CONCURRENCY, (c) => listen(c, pid));
    const chain = new DeviceChain(patient.identity, pid);
    const started = performance.now();
    const sent: { seq: number; sentAt: number }[] = [];
    for (let i = 0; i < SIZE.fanOutReadings; i++) sent.push(await pushReading(patient, chain, tag));
    const seqs = sent.map((s) => s.seq);
    await settle(listeners, () => seqs, 30_000);
    const elapsed = performance.now() - started;
    for (const l of listeners) l.close();
    report(`1 patient → ${SIZE.caregivers} caregivers`, listeners, () => sent, elapsed);
    for (const [i, l] of listeners.entries()) {
      expect(
        [...l.arrivals.keys()].sort((a, b) => a - b),
        `caregiver ${i}: readings received (socket drops: ${l.drops.join(", ") || "none"})`,
      ).toEqual(seqs);
      expect(l.duplicates, `caregiver ${i}: duplicates`).toEqual([]);
    }
  }, 600_000);
});
