// Turns a run's results into the printed table (Markdown, so README can show it as is) and the
// plain-language verdicts on each target, with the measured reason when one is missed.
import { analysisRows, analysisVerdicts } from "./analysis.js";
import { bytes, count, ms, rate, ratio } from "./format.js";
import type { Results } from "./results.js";

interface Row {
  readonly measure: string;
  readonly steward: string;
  readonly peer: string;
  readonly ratio: string;
  readonly target: string;
}

type Verdict = { readonly target: string; readonly met: boolean; readonly why: string };

const ONE_TRIP = "1 round trip";

/** The targets of the open (issue #9): a ratio to the unencrypted peer at these ranges. */
const OPEN_TARGET = { ratio: 0.4, days: [90, 365] };
const GLUCOSE_TARGET = 0.03;
const WEEK_TARGET_MS = 300;
const WRITES_TARGET = 0.5;
const REPORT_TARGET_MS = 1_000;

function stewardCryptoMs(r: Results, open: NonNullable<Results["clinicianOpens"]>[number]): number | undefined {
  if (!r.crypto) return undefined;
  // Each object is opened once in a cold open, at ingest; a block costs about what an envelope does plus its larger decryption.
  return ((open.steward.objects.envelopes + open.steward.objects.blocks) * r.crypto.envelopeOpenUs) / 1000;
}

function check(met: boolean): string {
  return met ? "met" : "MISSED";
}

function openRatio(open: NonNullable<Results["clinicianOpens"]>[number]): number {
  return open.steward.ms.total / open.peer.ms.total;
}

/** The open the other rows describe in detail: the report's range (90 days), or the longest run. */
function mainOpen(r: Results) {
  const opens = r.clinicianOpens ?? [];
  return opens.find((o) => o.sdk) ?? opens[opens.length - 1];
}

export function rows(r: Results): Row[] {
  const out: Row[] = [];
  if (r.setup) {
    const s = r.setup;
    out.push({
      measure: `Patient's phone writes ${s.days} days (${count(s.records)} records) / first sync (push the hour envelopes, pull, seal the closed spans into blocks at every level, push those)`,
      steward: `${ms(s.writeMs)} / ${ms(s.syncMs)}`,
      peer: "",
      ratio: "",
      target: "",
    });
    out.push({
      measure: `… the ${count(s.blocks)} blocks the phone keeps (the largest of each span; the server keeps every level) / the hour envelopes they hold`,
      steward: `${bytes(s.blockBytes)} / ${bytes(s.envelopeBytes)}`,
      peer: "",
      ratio: "",
      target: "",
    });
  }
  for (const open of r.clinicianOpens ?? []) {
    const s = open.steward;
    const p = open.peer;
    const n = count(open.records.glucose + open.records.insulin + open.records.events);
    const runs = s.runsMs.length > 1 ? `, median of ${s.runsMs.length} runs` : "";
    const isTarget = OPEN_TARGET.days.includes(open.days);
    out.push({
      measure: `**Clinician opens ${open.days} days** (${n} records, cold${runs}), time to first metrics; objects served: ${count(s.objects.blocks)} blocks + ${count(s.objects.envelopes)} hour envelopes`,
      steward: ms(s.ms.total),
      peer: ms(p.ms.total),
      ratio: ratio(s.ms.total, p.ms.total),
      target: isTarget ? `≤ ${OPEN_TARGET.ratio}×: ${check(openRatio(open) <= OPEN_TARGET.ratio)}` : "",
    });
  }
  const open = mainOpen(r);
  if (open) {
    const s = open.steward;
    const p = open.peer;
    out.push({
      measure: `… ${open.days} days: requests only to log in (the signed proof rides on the inbox request)`,
      steward: count(s.loginRequests),
      peer: "none (no auth)",
      ratio: "",
      target: "",
    });
    out.push({
      measure: "… fetch (inbox with the login proof + grant, then the pull page / y-websocket sync)",
      steward: ms(s.ms.inboxAndGrant + s.ms.pullNetwork),
      peer: ms(p.ms.sync),
      ratio: ratio(s.ms.inboxAndGrant + s.ms.pullNetwork, p.ms.sync),
      target: "",
    });
    out.push({
      measure: `… verify, decrypt, store ${count(s.objects.blocks + s.objects.envelopes)} objects`,
      steward: ms(s.ms.ingest),
      peer: "—",
      ratio: "",
      target: "",
    });
    out.push({
      measure: "… materialise records",
      steward: ms(s.ms.materialise),
      peer: ms(p.ms.materialise),
      ratio: ratio(s.ms.materialise, p.ms.materialise),
      target: "",
    });
    out.push({
      measure: "… compute metrics, AGP, totals",
      steward: ms(s.ms.compute),
      peer: ms(p.ms.compute),
      ratio: ratio(s.ms.compute, p.ms.compute),
      target: "",
    });
    if (open.sdk) {
      const sdkRequests = Object.entries(
        open.sdk.requests.reduce<Record<string, number>>((n, q) => ({ ...n, [q]: (n[q] ?? 0) + 1 }), {}),
      )
        .map(([q, k]) => (k > 1 ? `${q} ×${k}` : q))
        .join(", ");
      out.push({
        measure: `… the same through the SDK on a signed-in clinician device (Grantee.shares, open, sync, query): ${sdkRequests}`,
        steward: ms(open.sdk.ms),
        peer: ms(p.ms.total),
        ratio: ratio(open.sdk.ms, p.ms.total),
        target: "",
      });
    }
    out.push({
      measure: "Round trips after login (data requests)",
      steward: `${s.pulls} pull + ${s.requestsAfterLogin - s.pulls} inbox`,
      peer: `${p.syncRequests} sync request`,
      ratio: "",
      target: `${ONE_TRIP}: ${check(s.pulls === 1)}`,
    });
    out.push({
      measure: "Bytes on the wire (down + up)",
      steward: bytes(s.wire.down + s.wire.up),
      peer: bytes(p.wire.down + p.wire.up),
      ratio: ratio(s.wire.down + s.wire.up, p.wire.down + p.wire.up),
      target: "",
    });
    out.push({
      measure: `Glucose bytes vs Nightscout entries JSON, ${open.days} days (gzip'd JSON: ${bytes(open.nightscout.gzipBytes)}, ${ratio(s.glucoseBytes, open.nightscout.gzipBytes)})`,
      steward: bytes(s.glucoseBytes),
      peer: bytes(open.nightscout.jsonBytes),
      ratio: ratio(s.glucoseBytes, open.nightscout.jsonBytes),
      target: `≤ ${GLUCOSE_TARGET}×: ${check(s.glucoseBytes <= open.nightscout.jsonBytes * GLUCOSE_TARGET)}`,
    });
  }
  const report = r.chromiumReport;
  if (report) {
    out.push({
      measure: `**Chromium**: the ${report.days}-day clinician report, from "Open report" to the time in range and AGP on screen (web app, median of ${report.runsMs.length})`,
      steward: ms(report.ms),
      peer: "",
      ratio: "",
      target: `< 1 s: ${check(report.ms < REPORT_TARGET_MS)}`,
    });
  }
  const week = r.weekOffline;
  if (week) {
    const s = week.steward;
    out.push({
      measure: `**Week offline**: push ${count(s.records)} records (${count(s.envelopes)} envelopes) until acknowledged (peer: until the server holds them)`,
      steward: ms(s.sync.ackMs),
      peer: ms(week.peer.sync.ms),
      ratio: ratio(s.sync.ackMs, week.peer.sync.ms),
      target: `≤ 0.3 s: ${check(s.sync.ackMs <= WEEK_TARGET_MS)}`,
    });
    out.push({
      measure: "… the whole sync() (push, then the pull that follows it)",
      steward: ms(s.sync.ms),
      peer: ms(week.peer.sync.ms),
      ratio: ratio(s.sync.ms, week.peer.sync.ms),
      target: "",
    });
    out.push({
      measure: `… bytes up / down (${s.sync.pushes} pushes, ${s.sync.pulls} pull)`,
      steward: `${bytes(s.sync.up)} / ${bytes(s.sync.down)}`,
      peer: `${bytes(week.peer.sync.up)} / ${bytes(week.peer.sync.down)}`,
      ratio: ratio(s.sync.up + s.sync.down, week.peer.sync.up + week.peer.sync.down),
      target: "",
    });
    const stewardRate = (s.records * 1000) / s.writeMs;
    const dexieRate = (s.records * 1000) / week.dexiePlainWriteMs;
    out.push({
      measure: "Local writes, one record at a time (peer: plaintext JSON rows in Dexie)",
      steward: rate(stewardRate, "rec"),
      peer: rate(dexieRate, "rec"),
      ratio: ratio(stewardRate, dexieRate),
      target: `≥ ${WRITES_TARGET}×: ${check(stewardRate >= WRITES_TARGET * dexieRate)}`,
    });
    out.push({
      measure: "… for context: plain Yjs writes into an in-memory Y.Doc",
      steward: "",
      peer: rate((s.records * 1000) / week.peer.writeMs, "rec"),
      ratio: "",
      target: "",
    });
  }
  for (const g of r.grants ?? []) {
    const isTarget = g.scopes === 6 && g.range === "10 years";
    out.push({
      measure: `${g === r.grants![0] ? "**Grants**: " : ""}${g.scopes} scope${g.scopes > 1 ? "s" : ""}, ${g.range} (peer: one key per hour)`,
      steward: `${bytes(g.wireBytes)}, ${g.coverKeys} keys, issue ${ms(g.issueMs)}, open ${ms(g.openMs)}`,
      peer: bytes(g.perHourKeyBytes),
      ratio: ratio(g.wireBytes, g.perHourKeyBytes),
      target: isTarget ? `< 10 KB and < 50 ms: ${check(g.wireBytes < 10_000 && g.issueMs < 50)}` : "",
    });
  }
  const revoke = r.revokeEverything;
  if (revoke) {
    out.push({
      measure: `Revoke everything, re-issue to ${revoke.reissued} of ${revoke.revoked} grantees (peer: sharing the same grants afresh)`,
      steward: ms(revoke.ms),
      peer: ms(revoke.shareAllMs),
      ratio: ratio(revoke.ms, revoke.shareAllMs),
      target: "",
    });
  }
  for (const { steward: s, peer: p } of r.fanOut ?? []) {
    const isTarget = s.caregivers === 100;
    out.push({
      measure: `${s === r.fanOut![0]!.steward ? "**Live fan-out**: " : ""}${s.caregivers} caregiver${s.caregivers > 1 ? "s" : ""}, p50 / p99 (${s.samples} samples${s.missed ? `, ${s.missed} missed` : ""})`,
      steward: `${ms(s.p50)} / ${ms(s.p99)}`,
      peer: `${ms(p.p50)} / ${ms(p.p99)}`,
      ratio: ratio(s.p99, p.p99),
      target: isTarget ? `p99 < 250 ms: ${check(s.p99 < 250 && s.missed === 0)}` : "",
    });
    if (s.arrival)
      out.push({
        measure: "… until the message reaches each caregiver's socket (server fan-out), p50 / p99",
        steward: `${ms(s.arrival.p50)} / ${ms(s.arrival.p99)}`,
        peer: "",
        ratio: "",
        target: "",
      });
  }
  const b = r.bytes;
  if (b) {
    out.push({
      measure: `**Bytes of one hour** (${b.readings} readings): Yjs update / padded / envelope (peer: Nightscout JSON)`,
      steward: `${bytes(b.updateBytes)} / ${bytes(b.paddedBytes)} / ${bytes(b.envelopeBytes)}`,
      peer: bytes(b.nightscoutBytes),
      ratio: ratio(b.envelopeBytes, b.nightscoutBytes),
      target: "",
    });
    out.push({
      measure: "… same readings packed as columns: update / envelope; smallest possible envelope",
      steward: `${bytes(b.packedUpdateBytes)} / ${bytes(b.packedEnvelopeBytes)}; ${bytes(b.minEnvelopeBytes)}`,
      peer: bytes(b.nightscoutBytes),
      ratio: `${ratio(b.packedEnvelopeBytes, b.nightscoutBytes)}; ${ratio(b.minEnvelopeBytes, b.nightscoutBytes)}`,
      target: "",
    });
  }
  out.push(...analysisRows(r.analysis));
  const c = r.crypto;
  if (c) {
    out.push({
      measure: "**Crypto floor**: XChaCha20-Poly1305 decrypt, 64 KiB messages",
      steward: `${c.aeadMBps.toFixed(0)} MB/s`,
      peer: "",
      ratio: "",
      target: "",
    });
    out.push({
      measure: "… XChaCha20-Poly1305 decrypt, 2.5 KiB (an hour of readings)",
      steward: rate(c.aeadSmallPerSec, "op"),
      peer: "",
      ratio: "",
      target: "",
    });
    out.push({
      measure: "… Ed25519 verify",
      steward: rate(c.ed25519VerifyPerSec, "op"),
      peer: "",
      ratio: "",
      target: "",
    });
    out.push({
      measure:
        "… WebCrypto importKey + Ed25519 verify (the server's check per pushed envelope, before it cached imported keys)",
      steward: rate(c.webCryptoVerifyPerSec, "op"),
      peer: "",
      ratio: "",
      target: "",
    });
    out.push({
      measure: "… SHA-256 of envelope bodies (@noble/hashes)",
      steward: `${c.sha256MBps.toFixed(0)} MB/s`,
      peer: "",
      ratio: "",
      target: "",
    });
    out.push({
      measure: `… one envelope opened in full (${bytes(c.envelopeBytes)}: hash, verify, derive, commit, decrypt)`,
      steward: `${c.envelopeOpenUs.toFixed(0)} µs`,
      peer: "",
      ratio: "",
      target: "",
    });
    const open = mainOpen(r);
    const cryptoMs = open && stewardCryptoMs(r, open);
    if (open && cryptoMs !== undefined) {
      out.push({
        measure: `… share of the ${open.days}-day cold open spent in crypto, estimated (each object opened once)`,
        steward: `${ms(cryptoMs)} of ${ms(open.steward.ms.total)}`,
        peer: "",
        ratio: `${((100 * cryptoMs) / open.steward.ms.total).toFixed(0)} %`,
        target: "",
      });
    }
  }
  return out;
}

export function renderTable(list: readonly Row[]): string {
  const header = "| Measure | Steward | Peer | Steward ÷ peer | Target |";
  return [
    header,
    "| --- | --- | --- | --- | --- |",
    ...list.map((r) => `| ${r.measure} | ${r.steward} | ${r.peer} | ${r.ratio} | ${r.target} |`),
  ].join("\n");
}

/** Each target with whether it was met and, from the measurements, why not. */
export function verdicts(r: Results): Verdict[] {
  const out: Verdict[] = [];
  const opens = r.clinicianOpens ?? [];
  for (const open of opens.filter((o) => OPEN_TARGET.days.includes(o.days))) {
    const s = open.steward.ms;
    const cryptoMs = stewardCryptoMs(r, open);
    const objects = open.steward.objects.blocks + open.steward.objects.envelopes;
    out.push({
      target: `${open.days}-day clinician open at most ${OPEN_TARGET.ratio}× the unencrypted y-websocket peer`,
      met: openRatio(open) <= OPEN_TARGET.ratio,
      why:
        `Steward ${ms(s.total)} vs peer ${ms(open.peer.ms.total)} (${ratio(s.total, open.peer.ms.total)}): inbox (carrying the login proof) and grant ${ms(s.inboxAndGrant)}, the pull on the wire ${ms(s.pullNetwork)}, ` +
        `verifying, decrypting and storing ${count(objects)} objects (${count(open.steward.objects.blocks)} blocks, ${count(open.steward.objects.envelopes)} hour envelopes) ${ms(s.ingest)}` +
        (cryptoMs !== undefined ? ` (about ${ms(cryptoMs)} of it crypto)` : "") +
        `, materialising the records ${ms(s.materialise)} against the peer's ${ms(open.peer.ms.materialise)}, the screen ${ms(s.compute)}. ` +
        `The peer's time is mostly decoding one Yjs update of ${bytes(open.peer.wire.down)}; Steward's packed columns decode without Yjs, and its two requests (inbox, then the pull) are a fixed cost the peer's one socket does not pay.`,
    });
  }
  if (opens.length > 1) {
    const first = opens[0]!;
    const last = opens[opens.length - 1]!;
    const objects = (o: (typeof opens)[number]) => o.steward.objects.blocks + o.steward.objects.envelopes;
    // Linear growth would multiply the objects by the ratio of the ranges; logarithmic adds a few per
    // doubling. The line between them: growing by less than the square root of that ratio.
    const growth = objects(last) / Math.max(1, objects(first));
    out.push({
      target: "objects per open grow O(log range) per scope, not linearly",
      met: growth < Math.sqrt(last.days / first.days),
      why: `${opens.map((o) => `${o.days} days: ${count(objects(o))} objects (${count(o.steward.objects.blocks)} blocks + ${count(o.steward.objects.envelopes)} hour envelopes), ${ms(o.steward.ms.total)}, ${ratio(o.steward.ms.total, o.peer.ms.total)} the peer`).join("; ")}. A range ${Math.round(last.days / first.days)}× longer opens ${growth.toFixed(1)}× the objects: the blocks of the cover's nodes plus the open and edge hours as envelopes.`,
    });
  }
  const open = mainOpen(r);
  if (open) {
    out.push({
      target: "one round trip after login",
      met: open.steward.pulls === 1,
      why:
        `${open.steward.pulls} pull page(s) for ${count(open.steward.objects.blocks + open.steward.objects.envelopes)} objects; the client asks for pages of up to ${count(open.pageLimit)} entries. The inbox request that finds the grant is not counted (a returning clinician has it). ` +
        (open.sdk
          ? `Through the SDK the same open makes ${open.sdk.requests.length} requests: ${open.sdk.requests.join(", ")}.`
          : ""),
    });
    const readings = open.records.glucose;
    out.push({
      target: `glucose bytes on the wire at most ${GLUCOSE_TARGET}× Nightscout entries JSON`,
      met: open.steward.glucoseBytes <= open.nightscout.jsonBytes * GLUCOSE_TARGET,
      why:
        `${bytes(open.steward.glucoseBytes)} of glucose blocks and envelopes for ${count(readings)} readings (${(open.steward.glucoseBytes / Math.max(1, readings)).toFixed(2)} B a reading, sealed, padded and signed) against ${bytes(open.nightscout.jsonBytes)} of Nightscout JSON (${bytes(open.nightscout.gzipBytes)} gzip'd). ` +
        `Readings are packed columns (delta times, delta values, enumerations as small integers, ids from a template), one block per closed key-tree node; what is left is the open hours' envelopes (250 bytes of header, seal and signature each, plus padding).`,
    });
  }
  const report = r.chromiumReport;
  if (report) {
    out.push({
      target: `the ${report.days}-day clinician report on screen in Chromium under 1 s`,
      met: report.ms < REPORT_TARGET_MS,
      why: `Runs: ${report.runsMs.map(ms).join(", ")}, from the click on "Open report" on a freshly signed-up clinician (Chromium's IndexedDB, the web app as served by the worker) to the time in range and AGP chart drawn: the pull and ingest, the analysis of the report's first page, and that page painted (the daily profiles, insulin and entries follow a frame later).`,
    });
  }
  const week = r.weekOffline;
  if (week) {
    const s = week.steward.sync;
    out.push({
      target: "week offline synced until acknowledged in at most 0.3 s",
      met: s.ackMs <= WEEK_TARGET_MS,
      why:
        `${count(week.steward.records)} records written one at a time while offline are sealed into ${count(week.steward.envelopes)} hour envelopes, one per (scope, hour), in one transaction when the push starts, and sent in ${s.pushes} upload(s): ` +
        `${ms(s.ackMs)} until acknowledged, ${ms(s.pushNetworkMs)} of it waiting on the server (it hashes and verifies each envelope and checks ids, chains and generations once per batch). ` +
        `The whole sync() takes ${ms(s.ms)} with the pull that follows (${bytes(s.down)} down), which checks the server kept them at the numbers it acknowledged.`,
    });
    const stewardRate = (week.steward.records * 1000) / week.steward.writeMs;
    const dexieRate = (week.steward.records * 1000) / week.dexiePlainWriteMs;
    out.push({
      target: `local writes at least ${WRITES_TARGET}× plaintext JSON rows in Dexie`,
      met: stewardRate >= WRITES_TARGET * dexieRate,
      why:
        `${rate(stewardRate, "rec")} against ${rate(dexieRate, "rec")}: a write is one IndexedDB request in Dexie's own transaction (its content sealed at rest under a key of its hour, unsigned; Dexie's liveQuery middleware, which the store does not use, left out); signing and chaining wait for the push. ` +
        `What an hour holds is read a day at a time and kept between writes, with the hour's write key; a new reading builds no Yjs document.`,
    });
  }
  const big = r.grants?.find((g) => g.scopes === 6 && g.range === "10 years");
  if (big)
    out.push({
      target: "10-year 6-scope grant under 10 KB and 50 ms",
      met: big.wireBytes < 10_000 && big.issueMs < 50,
      why: `${bytes(big.wireBytes)} with ${big.coverKeys} cover keys, issued in ${ms(big.issueMs)}, opened in ${ms(big.openMs)}.`,
    });
  out.push(...analysisVerdicts(r.analysis));
  const hundred = r.fanOut?.find((f) => f.steward.caregivers === 100);
  if (hundred) {
    out.push({
      target: "fan-out to 100 caregivers p99 under 250 ms",
      met: hundred.steward.p99 < 250 && hundred.steward.missed === 0,
      why:
        `p99 ${ms(hundred.steward.p99)} on screen (peer ${ms(hundred.peer.p99)})` +
        (hundred.steward.arrival
          ? `, while the message reached the sockets with p99 ${ms(hundred.steward.arrival.p99)}`
          : "") +
        `. All 100 caregivers decrypt in this one Node process, so the last waits for the 99 before it: each one verifies, decrypts and stores the reading's hour envelope (sent live as it is pushed, never waiting for a block), then reads the hour again to show it. ` +
        `On separate devices the on-screen latency would be the arrival plus one caregiver's own work (see the 1-caregiver row).`,
    });
  }
  return out;
}
