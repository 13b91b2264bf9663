// Scenario 4: a patient's phone syncs a new reading; caregivers following live (each with its own
// grant, socket and database) see it decrypted on screen. Latency is from the start of the
// patient's sync to the reading coming out of each caregiver's record store. All caregivers run in
// this one process, so the later ones also wait for the earlier ones' decryption: a pessimistic
// stand-in for separate devices. The peer: y-websocket clients following an unencrypted Y.Doc.
import { performance } from "node:perf_hooks";
import * as Y from "yjs";
import { openGrant } from "../crypto/grant.js";
import { grantKeySource } from "../client/keySource.js";
import { HOUR, MINUTE } from "./data.js";
import { quantile } from "./stats.js";
import { device, grantFor, postGrant, registerGrantee, registerPatient, type Device } from "./steward.js";
import { connectYjs, scopeMap, synced, writeRecords, type YjsServer } from "./yjsServer.js";

export interface FanOut {
  readonly caregivers: number;
  readonly readings: number;
  readonly samples: number;
  /** Caregiver-readings that did not arrive within the round's time limit. */
  readonly missed: number;
  /** Until the reading is on screen (decrypted, out of the record store). */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Until the live message reached each caregiver's socket: the server's fan-out over loopback. */
  readonly arrival?: { readonly p50: number; readonly p99: number };
}

function summary(latencies: readonly number[]): { p50: number; p99: number; max: number } {
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: Math.max(...latencies) };
}

/** A WebSocket class that notes when each message arrives, before anything handles it. */
function timedWebSocket(arrivals: number[]): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener("message", () => arrivals.push(performance.now()));
    }
  };
}

const ROUND_LIMIT_MS = 5_000;

/** Runs `fn` over `items`, `width` at a time. */
async function inBatches<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

export async function fanOut(server: string, caregivers: number, readings: number, now: number): Promise<FanOut> {
  const patient = await registerPatient(server);
  const phone = patient.device();
  const nowHour = Math.floor(now / HOUR);
  const followers: { view: Device; arrivals: number[] }[] = await inBatches(
    Array.from({ length: caregivers }, (_, i) => i),
    10,
    async () => {
      const carer = await registerGrantee(server, "carer");
      const grant = grantFor(patient, carer.keys.bundle, {
        scopes: ["glucose"],
        fromHour: nowHour - 1,
        toHour: nowHour + 48,
        expiresAt: now + 48 * HOUR,
        live: true,
      });
      await postGrant(patient, grant);
      const arrivals: number[] = [];
      const view = device(
        grantKeySource(
          openGrant(grant.wire, carer.keys, patient.ring.account.signKey),
          carer.keys.signKey,
          () => patient.ring.devices,
        ),
        carer.keys,
        carer.api,
        timedWebSocket(arrivals),
      );
      await view.sync.follow();
      return { view, arrivals };
    },
  );
  const views = followers.map((f) => f.view);
  const latencies: number[] = [];
  const arrivals: number[] = [];
  let missed = 0;
  try {
    for (let i = 0; i < readings; i++) {
      const reading = {
        id: `live-${now}-${i}`,
        type: "cgm" as const,
        time: now + i * 5 * MINUTE,
        body: { mgdl: 100 + i },
      };
      const hour = Math.floor(reading.time / HOUR);
      const seen: Promise<number>[] = views.map(
        (view) =>
          new Promise<number>((resolve) => {
            const timer = setTimeout(() => done(Number.NaN), ROUND_LIMIT_MS);
            const stop = view.records.subscribe((changes) => {
              if (!changes.some((c) => c.scope === "glucose" && c.hour === hour)) return;
              const query = { scope: "glucose" as const, from: reading.time, to: reading.time };
              void view.records.query(query).then((shown) => {
                if (shown.some((r) => r.id === reading.id)) done(performance.now());
              });
            });
            function done(at: number) {
              clearTimeout(timer);
              stop();
              resolve(at);
            }
          }),
      );
      await phone.records.put([reading]);
      const start = performance.now();
      await phone.sync.sync();
      for (const at of await Promise.all(seen)) {
        if (Number.isNaN(at)) missed++;
        else latencies.push(at - start);
      }
      for (const f of followers) {
        const first = f.arrivals.find((t) => t >= start);
        if (first !== undefined) arrivals.push(first - start);
      }
    }
  } finally {
    for (const view of views) await view.sync.stop();
  }
  const arrival = summary(arrivals);
  return {
    caregivers,
    readings,
    samples: latencies.length,
    missed,
    ...summary(latencies),
    arrival: { p50: arrival.p50, p99: arrival.p99 },
  };
}

/** The peer: the same readings written into a Y.Doc that `caregivers` y-websocket clients follow. */
export async function peerFanOut(
  server: YjsServer,
  caregivers: number,
  readings: number,
  now: number,
): Promise<FanOut> {
  const room = `fan-${Math.random().toString(36).slice(2)}`;
  const writer = new Y.Doc();
  const providers = [connectYjs(server.url, room, writer)];
  const docs = Array.from({ length: caregivers }, () => new Y.Doc());
  providers.push(...docs.map((doc) => connectYjs(server.url, room, doc)));
  await Promise.all(providers.map(synced));
  const latencies: number[] = [];
  let missed = 0;
  try {
    for (let i = 0; i < readings; i++) {
      const reading = {
        id: `live-${now}-${i}`,
        type: "cgm" as const,
        time: now + i * 5 * MINUTE,
        body: { mgdl: 100 + i },
      };
      const seen = docs.map(
        (doc) =>
          new Promise<number>((resolve) => {
            const map = scopeMap(doc, "glucose");
            const timer = setTimeout(() => done(Number.NaN), ROUND_LIMIT_MS);
            const observe = () => map.has(reading.id) && done(performance.now());
            map.observe(observe);
            function done(at: number) {
              clearTimeout(timer);
              map.unobserve(observe);
              resolve(at);
            }
          }),
      );
      const start = performance.now();
      writeRecords(writer, [reading]);
      for (const at of await Promise.all(seen)) {
        if (Number.isNaN(at)) missed++;
        else latencies.push(at - start);
      }
    }
  } finally {
    for (const provider of providers) provider.destroy();
    for (const doc of [writer, ...docs]) doc.destroy();
  }
  return { caregivers, readings, samples: latencies.length, missed, ...summary(latencies) };
}
