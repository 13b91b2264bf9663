// `npm run bench [-- --quick] [-- --days N]`: runs every scenario against the real worker (wrangler dev on
// loopback) and its peers started here, prints the table and the target verdicts, and writes the
// results as JSON (bench/results/latest.json; a --quick smoke run writes quick.json instead).
import "fake-indexeddb/auto";
import { mkdirSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { MAX_PULL_ENVELOPES } from "../shared/api.js";
import { loadSodium } from "../crypto/sodium.js";
import { toNightscoutEntries } from "../client/export/nightscoutEntries.js";
import { startWorker } from "../test/e2e/localWorker.js";
import { analysisBench } from "./analysis.js";
import { chromiumReport } from "./chromiumReport.js";
import {
  lastDays,
  peerClinicianOpen,
  sdkOpen,
  stewardClinicianOpen,
  writePatient,
  type PatientSetup,
} from "./clinicianOpen.js";
import { byteAnatomy, hourEnvelope } from "./byteAnatomy.js";
import { cryptoFloor } from "./cryptoFloor.js";
import { HOUR, patientData } from "./data.js";
import { fanOut, peerFanOut } from "./fanOut.js";
import { grantCosts, revokeEverything } from "./grants.js";
import { renderTable, rows, verdicts } from "./report.js";
import { machine, type Results } from "./results.js";
import { median, since } from "./stats.js";
import {
  dexiePlainWrites,
  offlineWeek,
  peerWeekOffline,
  stewardWeekOffline,
  type PeerWeek,
  type StewardWeek,
} from "./weekOffline.js";
import { assertSameView } from "./view.js";
import { startYjsServer } from "./yjsServer.js";

const quick = process.argv.includes("--quick");
// `--days N`: a shorter history for the patient (the opens longer than it are left out).
const daysArg = process.argv.indexOf("--days");
const history = daysArg > 0 ? Number(process.argv[daysArg + 1]) : quick ? 30 : 365;
const ranges = [7, 30, 90, 365].filter((d) => d <= history);
const size = quick
  ? {
      days: history,
      ranges,
      reportDays: Math.min(30, history),
      scenarioLimitS: 300,
      openRuns: 1,
      reportRuns: 1,
      grantRuns: 3,
      grantees: 3,
      fanOut: [1, 10],
      readings: 3,
      cryptoIterations: 200,
    }
  : {
      days: history,
      ranges,
      reportDays: Math.min(90, history),
      scenarioLimitS: 900,
      openRuns: 3,
      reportRuns: 3,
      grantRuns: 15,
      grantees: 10,
      fanOut: [1, 10, 100],
      readings: 10,
      cryptoIterations: 2_000,
    };

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

let timedOut = false;

/** Runs one scenario, recording its failure instead of stopping the run; a scenario that hangs is abandoned after `limitS`. */
async function scenario(
  results: Results,
  name: string,
  fn: () => Promise<void>,
  limitS = size.scenarioLimitS,
): Promise<void> {
  log(`${name}…`);
  const start = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`${name} did not finish within ${limitS} s; its figures are missing from this run`));
    }, limitS * 1000);
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
const results: Results = { version: 2, ranAt: new Date().toISOString(), quick, machine: machine(), errors: [] };
const end = Math.floor(Date.now() / HOUR) * HOUR;
log("starting the worker (wrangler dev) and the y-websocket server on 127.0.0.1");
const worker = await startWorker({ frozen: true });
const yjs = await startYjsServer();
try {
  const data = patientData(size.days, end);
  let setup: PatientSetup | undefined;
  // Every scenario after it needs this one: it is given time in proportion to the history.
  await scenario(
    results,
    `the patient writes ${size.days} days and syncs`,
    async () => {
      setup = await writePatient(worker.url, data, size.days);
      const { patient: _, ...figures } = setup;
      results.setup = figures;
    },
    size.scenarioLimitS * Math.max(1, size.days / 90),
  );
  results.clinicianOpens = [];
  for (const days of size.ranges) {
    await scenario(results, `clinician opens ${days} days`, async () => {
      if (!setup) throw new Error("the patient's data was not written");
      const range = lastDays(data, end, days);
      const peer = await peerClinicianOpen(yjs, range, end, days, size.openRuns);
      const steward = await stewardClinicianOpen(worker.url, setup, end, days, size.openRuns);
      assertSameView(steward.view, peer.view, `clinician open of ${days} days`);
      const sdk = days === size.reportDays ? await sdkOpen(worker.url, setup.patient, end, days) : undefined;
      if (sdk) assertSameView(sdk.view, peer.view, "clinician open through the SDK");
      const json = new TextEncoder().encode(JSON.stringify(toNightscoutEntries(range.glucose)));
      results.clinicianOpens!.push({
        days,
        records: { glucose: range.glucose.length, insulin: range.insulin.length, events: range.events.length },
        steward,
        peer,
        ...(sdk ? { sdk } : {}),
        nightscout: { jsonBytes: json.length, gzipBytes: gzipSync(json).length },
        pageLimit: MAX_PULL_ENVELOPES,
      });
    });
  }
  await scenario(results, `the ${size.reportDays}-day report in Chromium`, async () => {
    if (!setup) throw new Error("the patient's data was not written");
    results.chromiumReport = await chromiumReport(worker.url, setup.patient, end, size.reportDays, size.reportRuns);
    if (!results.chromiumReport) log("skipped: /usr/bin/chromium is absent (apt-get install -y chromium)");
  });
  await scenario(results, "week offline", async () => {
    const week = offlineWeek(end);
    // A device that has been running has this code compiled: one warm-up of each side, then the
    // median of a few runs (each on a fresh account, database and room).
    await stewardWeekOffline(worker.url, week);
    await dexiePlainWrites(week);
    await peerWeekOffline(yjs, week);
    const runs = { steward: [] as StewardWeek[], plain: [] as number[], peer: [] as PeerWeek[] };
    for (let i = 0; i < size.openRuns; i++) {
      runs.steward.push(await stewardWeekOffline(worker.url, week));
      runs.plain.push(await dexiePlainWrites(week));
      runs.peer.push(await peerWeekOffline(yjs, week));
    }
    const byAck = [...runs.steward].sort((a, b) => a.sync.ackMs - b.sync.ackMs);
    const bySync = [...runs.peer].sort((a, b) => a.sync.ms - b.sync.ms);
    const middle = Math.floor((size.openRuns - 1) / 2);
    results.weekOffline = {
      steward: { ...byAck[middle]!, writeMs: median(runs.steward.map((s) => s.writeMs)) },
      dexiePlainWriteMs: median(runs.plain),
      peer: bySync[middle]!,
    };
  });
  await scenario(results, "grants", async () => {
    results.grants = await grantCosts(size.grantRuns, end);
    results.revokeEverything = await revokeEverything(worker.url, size.grantees, end);
  });
  await scenario(results, "live fan-out", async () => {
    results.fanOut = [];
    for (const n of size.fanOut)
      results.fanOut.push({
        steward: await fanOut(worker.url, n, size.readings, Date.now()),
        peer: await peerFanOut(yjs, n, size.readings, Date.now()),
      });
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
