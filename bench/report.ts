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

const TARGET_OPEN = "faster than peer";
const ONE_TRIP = "1 round trip";

function stewardCryptoMs(r: Results): number | undefined {
  if (!r.crypto || !r.clinicianOpen) return undefined;
  // Each envelope is opened once in a cold open: at ingest; the shard's first load reuses the decrypted update.
  return (r.clinicianOpen.steward.envelopes * r.crypto.envelopeOpenUs) / 1000;
}

function check(met: boolean): string {
  return met ? "met" : "MISSED";
}

export function rows(r: Results): Row[] {
  const out: Row[] = [];
  const open = r.clinicianOpen;
  if (open) {
    const s = open.steward;
    const p = open.peer;
    const n = count(open.records.glucose + open.records.insulin + open.records.events);
    const runs = open.steward.runsMs.length > 1 ? `, median of ${open.steward.runsMs.length} runs` : "";
    out.push({ measure: `**Clinician opens ${open.days} days** (${n} records, cold${runs}), time to first metrics`, steward: ms(s.ms.total), peer: ms(p.ms.total), ratio: ratio(s.ms.total, p.ms.total), target: `${TARGET_OPEN}: ${check(s.ms.total < p.ms.total)}` });
    out.push({ measure: "… log in (challenge + signed nonce)", steward: ms(s.ms.login), peer: "none (no auth)", ratio: "", target: "" });
    out.push({ measure: "… fetch (inbox + grant, then pull pages / y-websocket sync)", steward: ms(s.ms.inboxAndGrant + s.ms.pullNetwork), peer: ms(p.ms.sync), ratio: ratio(s.ms.inboxAndGrant + s.ms.pullNetwork, p.ms.sync), target: "" });
    out.push({ measure: `… verify, decrypt, store ${count(s.envelopes)} envelopes`, steward: ms(s.ms.ingest), peer: "—", ratio: "", target: "" });
    out.push({ measure: "… materialise records", steward: ms(s.ms.materialise), peer: ms(p.ms.materialise), ratio: ratio(s.ms.materialise, p.ms.materialise), target: "" });
    out.push({ measure: "… compute metrics, AGP, totals", steward: ms(s.ms.compute), peer: ms(p.ms.compute), ratio: ratio(s.ms.compute, p.ms.compute), target: "" });
    const sdkRequests = Object.entries(s.sdk.requests.reduce<Record<string, number>>((n, r) => ({ ...n, [r]: (n[r] ?? 0) + 1 }), {}))
      .map(([r, k]) => `${r}${k > 1 ? ` ×${k}` : ""}`)
      .join(", ");
    out.push({ measure: `… the same through the SDK on a signed-in clinician device (Grantee.shares, open, sync, query): ${sdkRequests}`, steward: ms(s.sdk.ms), peer: ms(p.ms.total), ratio: ratio(s.sdk.ms, p.ms.total), target: "" });
    const f = s.storage;
    out.push({ measure: `… fake-indexeddb alone: ${count(f.rows)} rows one transaction each / one bulk transaction`, steward: `${ms(f.addEachMs)} / ${ms(f.bulkAddMs)}`, peer: "", ratio: ratio(f.addEachMs, f.bulkAddMs), target: "" });
    out.push({ measure: `… fake-indexeddb alone: ${count(f.shards)} shards read one query each / one range read per scope`, steward: `${ms(f.readEachShardMs)} / ${ms(f.readRangeMs)}`, peer: "", ratio: ratio(f.readEachShardMs, f.readRangeMs), target: "" });
    out.push({ measure: `… fake-indexeddb alone: the ${count(f.shards)} shards' hours by key cursor (uniqueKeys, as hoursWithData) / one range read`, steward: `${ms(f.uniqueHoursMs)} / ${ms(f.readRangeMs)}`, peer: "", ratio: ratio(f.uniqueHoursMs, f.readRangeMs), target: "" });
    const c = r.browserStorage;
    if (c) {
      out.push({ measure: `… Chromium's IndexedDB: ${count(c.rows)} rows one transaction each / one bulk transaction`, steward: `${ms(c.addEachMs)} / ${ms(c.bulkAddMs)}`, peer: "", ratio: ratio(c.addEachMs, c.bulkAddMs), target: "" });
      out.push({ measure: `… Chromium's IndexedDB: one get per row (ingest's lookup by id)`, steward: ms(c.getEachMs), peer: "", ratio: "", target: "" });
      out.push({ measure: `… Chromium's IndexedDB: shards read one query each / one range read per scope`, steward: `${ms(c.readEachShardMs)} / ${ms(c.readRangeMs)}`, peer: "", ratio: ratio(c.readEachShardMs, c.readRangeMs), target: "" });
      out.push({ measure: `… Chromium's IndexedDB: hours by key cursor (uniqueKeys) / one range read`, steward: `${ms(c.uniqueHoursMs)} / ${ms(c.readRangeMs)}`, peer: "", ratio: ratio(c.uniqueHoursMs, c.readRangeMs), target: "" });
    }
    out.push({ measure: "Round trips after login (data requests)", steward: `${s.pulls} pull + ${s.requestsAfterLogin - s.pulls} inbox`, peer: `${p.syncRequests} sync request`, ratio: "", target: `${ONE_TRIP}: ${check(s.pulls === 1)}` });
    out.push({ measure: "Bytes on the wire (down + up)", steward: bytes(s.wire.down + s.wire.up), peer: bytes(p.wire.down + p.wire.up), ratio: ratio(s.wire.down + s.wire.up, p.wire.down + p.wire.up), target: "" });
    out.push({ measure: `Glucose bytes vs Nightscout entries JSON (gzip: ${bytes(open.nightscout.gzipBytes)})`, steward: bytes(s.glucoseEnvelopeBytes), peer: bytes(open.nightscout.jsonBytes), ratio: ratio(s.glucoseEnvelopeBytes, open.nightscout.jsonBytes), target: `< 0.2×: ${check(s.glucoseEnvelopeBytes < open.nightscout.jsonBytes / 5)}` });
  }
  const week = r.weekOffline;
  if (week) {
    const s = week.steward;
    out.push({ measure: `**Week offline**: push ${count(s.records)} records (${count(s.envelopes)} envelopes) until acknowledged (peer: until the server holds them)`, steward: ms(s.sync.ackMs), peer: ms(week.peer.sync.ms), ratio: ratio(s.sync.ackMs, week.peer.sync.ms), target: `< 1 s: ${check(s.sync.ackMs < 1_000)}` });
    out.push({ measure: "… the whole sync() (push, then the pull that follows it)", steward: ms(s.sync.ms), peer: ms(week.peer.sync.ms), ratio: ratio(s.sync.ms, week.peer.sync.ms), target: "" });
    out.push({ measure: `… bytes up / down (${s.sync.pushes} pushes, ${s.sync.pulls} pull)`, steward: `${bytes(s.sync.up)} / ${bytes(s.sync.down)}`, peer: `${bytes(week.peer.sync.up)} / ${bytes(week.peer.sync.down)}`, ratio: ratio(s.sync.up + s.sync.down, week.peer.sync.up + week.peer.sync.down), target: "" });
    const stewardRate = (s.records * 1000) / s.writeMs;
    const dexieRate = (s.records * 1000) / week.dexiePlainWriteMs;
    out.push({ measure: "Local writes, one record at a time (peer: plaintext JSON rows in Dexie)", steward: rate(stewardRate, "rec"), peer: rate(dexieRate, "rec"), ratio: ratio(stewardRate, dexieRate), target: "" });
    out.push({ measure: "… for context: plain Yjs writes into an in-memory Y.Doc", steward: "", peer: rate((s.records * 1000) / week.peer.writeMs, "rec"), ratio: "", target: "" });
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
    out.push({ measure: `Revoke everything, re-issue to ${revoke.reissued} of ${revoke.revoked} grantees (peer: sharing the same grants afresh)`, steward: ms(revoke.ms), peer: ms(revoke.shareAllMs), ratio: ratio(revoke.ms, revoke.shareAllMs), target: "" });
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
    if (s.arrival) out.push({ measure: "… until the message reaches each caregiver's socket (server fan-out), p50 / p99", steward: `${ms(s.arrival.p50)} / ${ms(s.arrival.p99)}`, peer: "", ratio: "", target: "" });
  }
  const b = r.bytes;
  if (b) {
    out.push({ measure: `**Bytes of one hour** (${b.readings} readings): Yjs update / padded / envelope (peer: Nightscout JSON)`, steward: `${bytes(b.updateBytes)} / ${bytes(b.paddedBytes)} / ${bytes(b.envelopeBytes)}`, peer: bytes(b.nightscoutBytes), ratio: ratio(b.envelopeBytes, b.nightscoutBytes), target: "" });
    out.push({ measure: "… same readings packed as columns: update / envelope; smallest possible envelope", steward: `${bytes(b.packedUpdateBytes)} / ${bytes(b.packedEnvelopeBytes)}; ${bytes(b.minEnvelopeBytes)}`, peer: bytes(b.nightscoutBytes), ratio: `${ratio(b.packedEnvelopeBytes, b.nightscoutBytes)}; ${ratio(b.minEnvelopeBytes, b.nightscoutBytes)}`, target: "" });
  }
  out.push(...analysisRows(r.analysis));
  const c = r.crypto;
  if (c) {
    out.push({ measure: "**Crypto floor**: XChaCha20-Poly1305 decrypt, 64 KiB messages", steward: `${c.aeadMBps.toFixed(0)} MB/s`, peer: "", ratio: "", target: "" });
    out.push({ measure: "… XChaCha20-Poly1305 decrypt, 2.5 KiB (an hour of readings)", steward: rate(c.aeadSmallPerSec, "op"), peer: "", ratio: "", target: "" });
    out.push({ measure: "… Ed25519 verify", steward: rate(c.ed25519VerifyPerSec, "op"), peer: "", ratio: "", target: "" });
    out.push({ measure: "… WebCrypto importKey + Ed25519 verify (the server's check per pushed envelope, before it cached imported keys)", steward: rate(c.webCryptoVerifyPerSec, "op"), peer: "", ratio: "", target: "" });
    out.push({ measure: "… SHA-256 of envelope bodies (@noble/hashes)", steward: `${c.sha256MBps.toFixed(0)} MB/s`, peer: "", ratio: "", target: "" });
    out.push({ measure: `… one envelope opened in full (${bytes(c.envelopeBytes)}: hash, verify, derive, commit, decrypt)`, steward: `${c.envelopeOpenUs.toFixed(0)} µs`, peer: "", ratio: "", target: "" });
    const cryptoMs = stewardCryptoMs(r);
    if (cryptoMs !== undefined && r.clinicianOpen) {
      out.push({ measure: "… share of the cold open spent in crypto, estimated (each envelope opened once)", steward: `${ms(cryptoMs)} of ${ms(r.clinicianOpen.steward.ms.total)}`, peer: "", ratio: `${((100 * cryptoMs) / r.clinicianOpen.steward.ms.total).toFixed(0)} %`, target: "" });
    }
  }
  return out;
}

export function renderTable(list: readonly Row[]): string {
  const header = "| Measure | Steward | Peer | Steward ÷ peer | Target |";
  return [header, "| --- | --- | --- | --- | --- |", ...list.map((r) => `| ${r.measure} | ${r.steward} | ${r.peer} | ${r.ratio} | ${r.target} |`)].join("\n");
}

/** Each target with whether it was met and, from the measurements, why not. */
export function verdicts(r: Results): Verdict[] {
  const out: Verdict[] = [];
  const open = r.clinicianOpen;
  if (open) {
    const s = open.steward.ms;
    const cryptoMs = stewardCryptoMs(r);
    const store = s.ingest + s.materialise - (cryptoMs ?? 0);
    out.push({
      target: `${open.days}-day open faster than the unencrypted y-websocket peer`,
      met: s.total < open.peer.ms.total,
      why:
        `Steward ${ms(s.total)} vs peer ${ms(open.peer.ms.total)}. Of Steward's time, ${ms(s.ingest)} is ShardStore.ingest and ${ms(s.materialise)} is RecordStore.query loading shards; ` +
        `crypto accounts for about ${ms(cryptoMs ?? Number.NaN)} of those, leaving about ${ms(store)} in IndexedDB round trips, Yjs and validation. ` +
        `ShardStore.ingest checks and stores a page in one transaction (one bulkGet of the ids, one seq-range fork check, one bulkAdd, the cursor written once) and keeps each decrypted update for the shard's first load; RecordStore.query loads a scope's shards from one range read. ` +
        (r.browserStorage
          ? `In Chromium's IndexedDB the same ${count(r.browserStorage.rows)} rows cost ${ms(r.browserStorage.addEachMs)} added one transaction each against ${ms(r.browserStorage.bulkAddMs)} in one, ${ms(r.browserStorage.getEachMs)} looked up one by one, and ${ms(r.browserStorage.readEachShardMs)} read shard by shard against ${ms(r.browserStorage.readRangeMs)} in one range read per scope. `
          : "") +
        `Under fake-indexeddb, ShardStore.hoursWithData's key cursor (uniqueKeys) adds ${ms(open.steward.storage.uniqueHoursMs)}` +
        (r.browserStorage ? `, an artifact of fake-indexeddb: Chromium walks the same keys in ${ms(r.browserStorage.uniqueHoursMs)}. ` : ". ") +
        `What is left is the one verify-and-decrypt per envelope (the peer verifies and decrypts nothing), Yjs materialising one document per hour, and the store's structured cloning; a layout with more than an hour per envelope would cut the per-envelope work.`,
    });
    out.push({
      target: "one round trip after login",
      met: open.steward.pulls === 1,
      why:
        `${open.steward.pulls} pull page(s) for ${count(open.steward.envelopes)} envelopes; the client asks for pages of up to ${count(open.pageLimit)} envelopes. The inbox request that finds the grant is not counted (a returning clinician has it). ` +
        `Through the SDK the same open makes ${open.steward.sdk.requests.length} requests, one after another: ${open.steward.sdk.requests.join(", ")}. ` +
        `Grantee.open reuses the listing shares() just fetched, and the patient's keys are pinned in the background (the key-ring GET and PUT run beside the pull, not before it).`,
    });
    const perHour = open.steward.glucoseEnvelopeBytes / Math.max(1, open.days * 24);
    out.push({
      target: "wire bytes under a fifth of Nightscout JSON",
      met: open.steward.glucoseEnvelopeBytes < open.nightscout.jsonBytes / 5,
      why:
        `Glucose envelopes weigh ${bytes(Math.round(perHour))} per hour against ${bytes(Math.round(open.nightscout.jsonBytes / Math.max(1, open.days * 24)))} of Nightscout JSON. ` +
        (r.bytes
          ? `One hour (${r.bytes.readings} readings) is a ${bytes(r.bytes.updateBytes)} Yjs update (each reading a nested Y.Map holding the whole record object, field names repeated), padded to ${bytes(r.bytes.paddedBytes)}, plus ${bytes(r.bytes.overheadBytes)} of header, seal, signature, nonce, commitment and tag. ` +
            `The same readings as packed columns in a Y.Array are a ${bytes(r.bytes.packedUpdateBytes)} update, a ${bytes(r.bytes.packedEnvelopeBytes)} envelope (${ratio(r.bytes.packedEnvelopeBytes, r.bytes.nightscoutBytes)} of Nightscout). ` +
            `No hourly envelope can be smaller than ${bytes(r.bytes.minEnvelopeBytes)} (overhead plus the smallest padding bucket), ${ratio(r.bytes.minEnvelopeBytes, r.bytes.nightscoutBytes)} of this hour's Nightscout JSON: under a fifth needs a compact record layout and either a smaller envelope overhead or more than an hour per envelope.`
          : ""),
    });
  }
  const week = r.weekOffline;
  if (week) {
    const s = week.steward.sync;
    out.push({
      target: "week-offline sync under 1 s (until acknowledged)",
      met: s.ackMs < 1_000,
      why:
        `${ms(s.ackMs)} until the last of ${s.pushes} pushes was acknowledged, ${ms(s.pushNetworkMs)} of it waiting on the server, which hashes and verifies every envelope (WebCrypto verify with the author's imported key cached, a batch's signatures checked together` +
        (r.crypto ? `: about ${ms((1000 * week.steward.envelopes) / r.crypto.webCryptoVerifyPerSec)} for these at this machine's WebCrypto rate` : "") +
        `; an upper bound, since the import is now done once per author) and checks ids, chains and generations once per batch in SQLite; one envelope per reading is what makes the batch this large. ` +
        `The other ${ms(s.ackMs - s.pushNetworkMs)} is the client: it reads the outbox head by its index and acknowledges a batch in one transaction. ` +
        `The whole sync() takes ${ms(s.ms)} because its pull brings the device's own ${count(week.steward.envelopes)} envelopes back down (${bytes(s.down)}), checked and stored in one transaction per page. ` +
        `That pull is how the device sees that the server kept its envelopes at the numbers it acknowledged (the fork check), so it should not simply be skipped; ` +
        `answering with the 250-byte prefix (header, seal, signature) for envelopes the caller authored would keep the check at a tenth of the bytes.`,
    });
  }
  const big = r.grants?.find((g) => g.scopes === 6 && g.range === "10 years");
  if (big) out.push({ target: "10-year 6-scope grant under 10 KB and 50 ms", met: big.wireBytes < 10_000 && big.issueMs < 50, why: `${bytes(big.wireBytes)} with ${big.coverKeys} cover keys, issued in ${ms(big.issueMs)}, opened in ${ms(big.openMs)}.` });
  out.push(...analysisVerdicts(r.analysis));
  const hundred = r.fanOut?.find((f) => f.steward.caregivers === 100);
  if (hundred) {
    out.push({
      target: "fan-out to 100 caregivers p99 under 250 ms",
      met: hundred.steward.p99 < 250 && hundred.steward.missed === 0,
      why:
        `p99 ${ms(hundred.steward.p99)} on screen (peer ${ms(hundred.peer.p99)})` +
        (hundred.steward.arrival ? `, while the message reached the sockets with p99 ${ms(hundred.steward.arrival.p99)}` : "") +
        `. All 100 caregivers decrypt in this one Node process, so the last waits for the 99 before it: each one verifies, decrypts and stores the envelope in its own transactions, then loads the shard again to show it. ` +
        `On separate devices the on-screen latency would be the arrival plus one caregiver's own work (see the 1-caregiver row).`,
    });
  }
  return out;
}
