// "Glucose now" as Nightscout computes it for `/api/v2/properties` (bgnow, delta, direction) and
// `/pebble`: the last four 5-minute buckets before the newest reading, the mean of each, the delta
// between the two newest non-empty buckets (interpolated over a gap), and the newest reading's
// direction while it is under 15 minutes old. Follows lib/plugins/bgnow.js and lib/server/pebble.js.
import { NIGHTSCOUT_DIRECTION_OF, type StewardRecord } from "../../client/index.js";
import { documentId } from "../upload/uploads.js";
import { newest, type RecordSource } from "./source.js";

const MINUTE = 60_000;
const BUCKETS = 4;
const BUCKET_MS = 5 * MINUTE;
const OFFSET_MS = 2.5 * MINUTE;
const CURRENT_MS = 15 * MINUTE;
/** Nightscout's own conversion factor (lib/constants.js). */
const MMOL_TO_MGDL = 18;

const TRENDS: Record<string, number> = {
  NONE: 0,
  DoubleUp: 1,
  SingleUp: 2,
  FortyFiveUp: 3,
  Flat: 4,
  FortyFiveDown: 5,
  SingleDown: 6,
  DoubleDown: 7,
  "NOT COMPUTABLE": 8,
  "RATE OUT OF RANGE": 9,
};
const ARROWS: Record<string, string> = {
  NONE: "⇼",
  TripleUp: "⤊",
  DoubleUp: "⇈",
  SingleUp: "↑",
  FortyFiveUp: "↗",
  Flat: "→",
  FortyFiveDown: "↘",
  SingleDown: "↓",
  DoubleDown: "⇊",
  TripleDown: "⤋",
  "NOT COMPUTABLE": "-",
  "RATE OUT OF RANGE": "⇕",
};

export type Units = "mg/dl" | "mmol";

/** A reading as Nightscout's in-memory data holds it (`ddata.sgvs`). */
interface Sgv {
  _id: string;
  mgdl: number;
  mills: number;
  device: string;
  direction: string;
  type: "sgv";
  scaled: number | string;
}

interface Bucket {
  mean?: number;
  last?: number;
  mills?: number;
  sgvs: Sgv[];
  errors?: Sgv[];
  isEmpty?: true;
}

export interface Nowcast {
  bgnow?: Bucket;
  delta?: Record<string, unknown> | null;
  direction?: { display: null; value: string; label: string; entity: string };
}

const mgdlToMmol = (mgdl: number) => (Math.round((mgdl / MMOL_TO_MGDL) * 10) / 10).toFixed(1);
const scale = (mgdl: number, units: Units) => (units === "mmol" ? Number(mgdlToMmol(mgdl)) : mgdl);
const roundDisplay = (bg: number, units: Units) => (units === "mmol" ? Math.round(bg * 10) / 10 : Math.round(bg));

function directionOf(record: StewardRecord): string {
  return record.type === "cgm" && record.body.trend ? (NIGHTSCOUT_DIRECTION_OF[record.body.trend] ?? "NONE") : "NONE";
}

function sgvOf(record: StewardRecord, units: Units): Sgv {
  const mgdl = record.type === "cgm" ? record.body.mgdl : 0;
  return {
    _id: documentId(record.id),
    mgdl,
    mills: record.time,
    device: record.deviceId ?? "steward",
    direction: directionOf(record),
    type: "sgv",
    scaled: units === "mmol" ? mgdlToMmol(mgdl) : mgdl,
  };
}

/** The newest sensor readings up to `now`, newest first. */
export async function latestReadings(source: RecordSource, count: number, now: number): Promise<StewardRecord[]> {
  return newest(source, "glucose", { count, to: now, keep: (r) => r.type === "cgm" });
}

function analyze(sgvs: Sgv[]): Bucket {
  if (sgvs.length === 0) return { sgvs, isEmpty: true };
  const valid = sgvs.filter((s) => s.mgdl > 39);
  const bucket: Bucket = { sgvs };
  const mean = valid.reduce((sum, s) => sum + s.mgdl, 0) / valid.length;
  if (mean) bucket.mean = mean;
  const recent = valid.reduce<Sgv | undefined>((best, s) => (!best || s.mills > best.mills ? s : best), undefined);
  if (recent) {
    bucket.last = recent.mgdl;
    bucket.mills = recent.mills;
  }
  const errors = sgvs.filter((s) => !s.mgdl || s.mgdl < 39);
  if (errors.length > 0) bucket.errors = errors;
  return bucket;
}

function delta(recent: Bucket | undefined, previous: Bucket | undefined, units: Units): Record<string, unknown> | null {
  if (!recent?.mean || !previous?.mean || recent.mills === undefined || previous.mills === undefined) return null;
  const absolute = recent.mean - previous.mean;
  const elapsedMins = (recent.mills - previous.mills) / MINUTE;
  const interpolated = elapsedMins > 9;
  const mean5MinsAgo = interpolated ? recent.mean - (absolute / elapsedMins) * 5 : recent.mean - absolute;
  const mgdl = Math.round(recent.mean - mean5MinsAgo);
  const scaled = units === "mmol" ? roundDisplay(scale(recent.mean, units) - scale(mean5MinsAgo, units), units) : mgdl;
  return {
    absolute,
    elapsedMins,
    interpolated,
    mean5MinsAgo,
    times: { recent: recent.mills, previous: previous.mills },
    mgdl,
    scaled,
    display: `${scaled >= 0 ? "+" : ""}${scaled}`,
    previous,
  };
}

/** bgnow, delta and direction from the newest readings (newest first). */
export function nowcast(readings: readonly StewardRecord[], now: number, units: Units): Nowcast {
  const sgvs = readings.filter((r) => r.time <= now).map((r) => sgvOf(r, units));
  if (sgvs.length === 0) return {};
  const last = sgvs[0]!.mills;
  const buckets = Array.from({ length: BUCKETS }, (_, i) => {
    const fromMills = last - OFFSET_MS - i * BUCKET_MS;
    return analyze(sgvs.filter((s) => s.mills >= fromMills && s.mills <= fromMills + BUCKET_MS));
  });
  const recent = buckets.find((b) => !b.isEmpty);
  const previous = recent
    ? buckets.find((b) => !b.isEmpty && b.mills !== undefined && recent.mills !== undefined && b.mills < recent.mills)
    : undefined;
  const result: Nowcast = { delta: delta(recent, previous, units) };
  if (recent) result.bgnow = recent;
  const newestSgv = sgvs[0]!;
  if (now - newestSgv.mills <= CURRENT_MS) {
    const label = ARROWS[newestSgv.direction] ?? "-";
    result.direction = { display: null, value: newestSgv.direction, label, entity: `&#${label.charCodeAt(0)};` };
  }
  return result;
}

/** Nightscout's `/pebble` document. */
export function pebble(
  readings: readonly StewardRecord[],
  now: number,
  units: Units,
  count: number,
): Record<string, unknown> {
  const cast = nowcast(readings, now, units);
  const bgs = readings
    .filter((r) => r.time <= now)
    .slice(0, count)
    .map((r, i) => {
      const s = sgvOf(r, units);
      const bg: Record<string, unknown> = {
        sgv: units === "mmol" ? mgdlToMmol(s.mgdl) : String(s.mgdl),
        trend: TRENDS[s.direction] ?? 8,
        direction: s.direction,
        datetime: s.mills,
      };
      if (i === 0) {
        const d = (cast.delta?.scaled as number | undefined) || 0;
        bg.bgdelta = units === "mmol" ? d.toFixed(1) : d;
      }
      return bg;
    });
  return { status: [{ now }], bgs, cals: [] };
}
