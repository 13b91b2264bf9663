// `npm run bench [-- --quick]`: runs every scenario against the real worker (wrangler dev on
// loopback) and its peers started here, prints the table and the target verdicts, and writes the
// results as JSON (bench/results/latest.json; a --quick smoke run writes quick.json instead).
import "fake-indexeddb/auto";
import { mkdirSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { MAX_PULL_ENVELOPES } from "../shared/api.js";
import { loadSodium } from "../shared/sodium.js";
import { toNightscoutEntries } from "../client/export/nightscoutEntries.js";
import { startWorker } from "../test/e2e/localWorker.js";
import { analysisBench } from "./analysis.js";
import { peerClinicianOpen, stewardClinicianOpen } from "./clinicianOpen.js";
import { browserStorage } from "./browserStorage.js";
import { byteAnatomy, hourEnvelope } from "./byteAnatomy.js";
import { cryptoFloor } from "./cryptoFloor.js";
import { HOUR, patientData } from "./data.js";
import { fanOut, peerFanOut } from "./fanOut.js";
import { grantCosts, revokeEverything } from "./grants.js";
import { renderTable, rows, verdicts } from "./report.js";
import { machine, type Results } from "./results.js";
import { since } from "./stats.js";
import { dexiePlainWrites, offlineWeek, peerWeekOffline, stewardWeekOffline } from "./weekOffline.js";
import { assertSameView } from "./view.js";
import { startYjsServer } from "./yjsServer.js";

const quick = process.argv.includes("--quick");
const size = quick
  ? { days: 7, scenarioLimitS: 120, openRuns: 1, grantRuns: 3, grantees: 3, fanOut: [1, 10], readings: 3, cryptoIterations: 200 }
  : { days: 90, scenarioLimitS: 300, openRuns: 3, grantRuns: 15, grantees: 10, fanOut: [1, 10, 100], readings: 10, cryptoIterations: 2_000 };

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

let timedOut = false;

/** Runs one scenario, recording its failure instead of stopping the run; a scenario that hangs (wrangler dev reloading under it, say) is abandoned. */
async function scenario(results: Results, name: string, fn: () => Promise<void>): Promise<void> {
  log(`${name}…`);
  const start = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`${name} did not finish within ${size.scenarioLimitS} s; its figures are missing from this run`));
    }, size.scenarioLimitS * 1000);
  });
  try {
    await Promise.race([fn(), limit]);
    log(`${name} done in ${(since(start) / 1000).toFixed(1)} s`);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    results.errors.push({ scenario: name, message });
    log(`${name} failed: ${message}`);
  } finally {
    clearTimeout(timer);
  }
}

// Every y-websocket client registers a process exit listener; the fan-out peer runs 100 at once.
process.setMaxListeners(Math.max(...size.fanOut) + 20);
await loadSodium();
const results: Results = { version: 1, ranAt: new Date().toISOString(), quick, machine: machine(), errors: [] };
const end = Math.floor(Date.now() / HOUR) * HOUR;
log("starting the worker (wrangler dev) and the y-websocket server on 127.0.0.1");
const worker = await startWorker();
const yjs = await startYjsServer();
try {
  const data = patientData(size.days, end);
  await scenario(results, `clinician opens ${size.days} days`, async () => {
    const peer = await peerClinicianOpen(yjs, data, end, size.openRuns);
    const steward = await stewardClinicianOpen(worker.url, data, end, size.openRuns);
    assertSameView(steward.view, peer.view, "clinician open");
    assertSameView(steward.sdk.view, peer.view, "clinician open through the SDK");
    const json = new TextEncoder().encode(JSON.stringify(toNightscoutEntries(data.glucose)));
    results.clinicianOpen = {
      days: size.days,
      records: { glucose: data.glucose.length, insulin: data.insulin.length, events: data.events.length },
      steward,
      peer,
      nightscout: { jsonBytes: json.length, gzipBytes: gzipSync(json).length },
      pageLimit: MAX_PULL_ENVELOPES,
    };
  });
  await scenario(results, "IndexedDB in Chromium", async () => {
    const open = results.clinicianOpen?.steward;
    const rows = open?.envelopes ?? size.days * 24 * 3;
    const shape = { rows, scopes: 3, bytesPerRow: open ? Math.round(open.wire.down / rows) : 2_000 };
    results.browserStorage = await browserStorage(shape);
    if (!results.browserStorage) log("skipped: /usr/bin/chromium is absent (apt-get install -y chromium)");
  });
  await scenario(results, "week offline", async () => {
    const week = offlineWeek(end);
    results.weekOffline = { steward: await stewardWeekOffline(worker.url, week), dexiePlainWriteMs: await dexiePlainWrites(week), peer: await peerWeekOffline(yjs, week) };
  });
  await scenario(results, "grants", async () => {
    results.grants = await grantCosts(size.grantRuns, end);
    results.revokeEverything = await revokeEverything(worker.url, size.grantees, end);
  });
  await scenario(results, "live fan-out", async () => {
    results.fanOut = [];
    for (const n of size.fanOut) results.fanOut.push({ steward: await fanOut(worker.url, n, size.readings, Date.now()), peer: await peerFanOut(yjs, n, size.readings, Date.now()) });
  });
  await scenario(results, "clinical analysis", async () => void (results.analysis = await analysisBench(quick, end)));
  await scenario(results, "crypto floor and byte anatomy", async () => {
    const sample = await hourEnvelope(data.glucose);
    results.bytes = byteAnatomy(sample);
    results.crypto = await cryptoFloor(sample, size.cryptoIterations);
  });
} finally {
  await yjs.stop();
  await worker.stop();
}

const m = results.machine;
const table = renderTable(rows(results));
results.table = table;
const lines = [
  `Steward benchmarks${quick ? " (--quick: smaller data, targets not meaningful)" : ""}, ${results.ranAt}`,
  `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB, ${m.os}, Node ${m.node}, load average ${m.loadAverage} at the start. Client storage: fake-indexeddb (in-memory IndexedDB for Node).`,
  "",
  table,
  "",
  "Targets:",
  ...verdicts(results).map((v) => `- ${v.met ? "met" : "MISSED"}: ${v.target}. ${v.why}`),
  ...results.errors.map((e) => `- ERROR in ${e.scenario}: ${e.message.split("\n")[0]}`),
];
process.stdout.write(`${lines.join("\n")}\n`);
const dir = new URL("./results/", import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL(quick ? "quick.json" : "latest.json", dir), `${JSON.stringify(results, null, 2)}\n`);
log(`wrote bench/results/${quick ? "quick" : "latest"}.json`);
// An abandoned scenario may still hold sockets or timers; leave without waiting for them.
if (timedOut) process.exit(1);
process.exitCode = results.errors.length > 0 ? 1 : 0;
