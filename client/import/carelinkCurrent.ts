// Current CareLink export (MiniMed 600/700 series, Guardian): `-------` sections, columns read by name,
// rows newest first. Layout per the research brief section 3.2.
import { MGDL_PER_MMOLL, type RecordBody } from "../../shared/records.js";
import { durationMs, num, wallTime } from "./carelinkValues.js";
import { segmentWalker, type ClockChange } from "./clock.js";
import { draft, ROWS_PER_STEP, type Draft, type Steps } from "./drafts.js";
import type { CsvRow } from "./csvRows.js";
import { formatWallClock } from "./timezone.js";
import type { SkippedRow } from "./types.js";

export interface Section {
  /** The separator line's third field: "Pump", "Sensor"; "Aggregated Auto Insulin Data" is `aggregated`. */
  kind: "pump" | "sensor" | "aggregated";
  header: string[];
  /** Data rows in file order (newest first). */
  rows: CsvRow[];
}

const CLEARED = "acknowledgement of an alert (the alert row is imported)";
/** Columns that never make a record by themselves, with the reason reported when a row holds only them. */
export const CURRENT_IGNORED: Record<string, string> = {
  "User Cleared Alerts": CLEARED,
  "ISIG Value": "sensor current without a glucose value",
  "Sensor State": "sensor state report (not represented)",
  "Sensor Exception": "sensor exception report (not represented)",
  "BLE Network Device": "connectivity report (not represented)",
  "Device Update Event": "connectivity report (not represented)",
  "Network Device Associated Reason": "connectivity report (not represented)",
  "Network Device Disassociated Reason": "connectivity report (not represented)",
  "Network Device Disconnected Reason": "connectivity report (not represented)",
  "Sensor Calibration Rejected Reason": "rejected calibration (not represented)",
};
const META = new Set(["Index", "Date", "Time"]);

/** Pump alarm wording -> Tidepool alarm type; anything else keeps the device's own text. */
const ALARMS: [RegExp, string][] = [
  [/insulin flow blocked|occlusion/i, "occlusion"],
  [/no reservoir|reservoir estimate at 0|empty reservoir/i, "no_insulin"],
  [/low reservoir/i, "low_insulin"],
  [/replace battery|battery out|battery depleted/i, "no_power"],
  [/low battery|battery low/i, "low_power"],
  [/auto suspend/i, "auto_off"],
  [/max delivery|max fill|over limit/i, "over_limit"],
  [/delivery stopped|no delivery|critical pump error/i, "no_delivery"],
];

interface Cells {
  line: number;
  wall: number;
  get: (name: string) => string | undefined;
  /** Glucose from a column named "<stem> (mg/dL)" or "<stem> (mmol/L)", as integer mg/dL. */
  glucose: (stem: string) => number | undefined;
  nonEmpty: string[];
}

/** Column name -> index, built once per section (a 90-day export has tens of thousands of rows). */
function columnsOf(header: readonly string[]): ReadonlyMap<string, number> {
  return new Map(header.map((h, i) => [h.trim(), i]));
}

function cellsOf(row: CsvRow, header: readonly string[], col: ReadonlyMap<string, number>): Cells | undefined {
  const get = (name: string) => {
    const i = col.get(name);
    const v = i === undefined ? undefined : row.fields[i]?.trim();
    return v ? v : undefined;
  };
  const wall = wallTime(get("Date"), get("Time"));
  if (wall === undefined) return undefined;
  const glucose = (stem: string) => {
    const mg = num(get(`${stem} (mg/dL)`));
    if (mg !== undefined) return Math.round(mg);
    const mmol = num(get(`${stem} (mmol/L)`));
    return mmol === undefined ? undefined : Math.round(mmol * MGDL_PER_MMOLL);
  };
  const nonEmpty = header.map((h) => h.trim()).filter((h, i) => !META.has(h) && (row.fields[i]?.trim() ?? "") !== "");
  return { line: row.line, wall, get, glucose, nonEmpty };
}

interface BolusPart {
  c: Cells;
  square: boolean;
}

/** Drafts from all sections; every row that made none is added to `skipped`. */
export function* currentDrafts(
  sections: readonly Section[],
  deviceId: string,
  skipped: SkippedRow[],
): Steps<{ drafts: Draft[]; changes: ClockChange[] }> {
  let work = 0;
  const parsed: { kind: Section["kind"]; cells: Cells[] }[] = [];
  for (const s of sections) {
    const cells: Cells[] = [];
    const col = columnsOf(s.header);
    for (const row of [...s.rows].reverse()) {
      if (++work % ROWS_PER_STEP === 0) yield;
      const c = cellsOf(row, s.header, col);
      if (c) cells.push(c);
      else skipped.push({ line: row.line, reason: "no readable date and time" });
    }
    parsed.push({ kind: s.kind, cells });
  }

  // Clock changes first: every section needs them to place its rows.
  const changes: ClockChange[] = [];
  for (const s of parsed)
    for (const c of s.cells) {
      const to = wallTime(c.get("New Device Time"));
      if (to !== undefined) changes.push({ from: c.wall, to });
    }

  const drafts: Draft[] = [];
  // Bolus rows become drafts only once their whole group is read; they keep the segment of their own row.
  const segments = new Map<Cells, number>();
  for (const s of parsed) {
    const segmentOf = segmentWalker(changes);
    const bolusGroups = new Map<string, { parts: BolusPart[]; wizard?: Cells }>();
    for (const c of s.cells) {
      if (++work % ROWS_PER_STEP === 0) yield;
      const segment = segmentOf(c.wall);
      segments.set(c, segment);
      const made = rowDrafts(c, s.kind, deviceId, bolusGroups);
      for (const d of made) d.segment = segment;
      if (made.length === 0 && !isBolusRow(c)) skipped.push({ line: c.line, reason: reasonFor(c) });
      drafts.push(...made);
    }
    for (const [key, group] of bolusGroups) {
      if (!key.startsWith("wizard@") || !group.wizard) continue;
      const w = group.wizard;
      const target = [...bolusGroups.entries()].find(
        ([k, g]) =>
          !k.startsWith("wizard@") &&
          !g.wizard &&
          g.parts.some((p) => p.c.wall >= w.wall && p.c.wall - w.wall <= 60_000),
      );
      if (target) {
        target[1].wizard = w;
        bolusGroups.delete(key);
      }
    }
    for (const [key, group] of bolusGroups)
      drafts.push(...bolusDrafts(key.startsWith("wizard@") ? "" : key, group, deviceId, segments));
  }
  return { drafts, changes };
}

function isWizardRow(c: Cells): boolean {
  return c.get("BWZ Estimate (U)") !== undefined || c.get("BWZ Status") !== undefined;
}

function isBolusRow(c: Cells): boolean {
  return (
    (c.get("Bolus Number") !== undefined && c.get("Bolus Source") !== "CLOSED_LOOP_AUTO_INSULIN") ||
    (c.get("Bolus Type") === undefined && isWizardRow(c))
  );
}

function reasonFor(c: Cells): string {
  if (c.nonEmpty.length === 0) return "row without data";
  const known = c.nonEmpty.map((name) => CURRENT_IGNORED[name]).find((r) => r !== undefined);
  return known ?? `unsupported columns: ${c.nonEmpty.join(", ")}`;
}

function rowDrafts(
  c: Cells,
  kind: Section["kind"],
  deviceId: string,
  bolusGroups: Map<string, { parts: BolusPart[]; wizard?: Cells }>,
): Draft[] {
  const out: Draft[] = [];
  const stamp = formatWallClock(c.wall);
  const id = (what: string) => `${deviceId}:${what}:${stamp}`;
  const n = (name: string) => num(c.get(name));

  if (kind === "aggregated" || c.get("Bolus Source") === "CLOSED_LOOP_AUTO_INSULIN") {
    const units = n("Bolus Volume Delivered (U)") ?? n("Bolus Volume Selected (U)");
    if (units !== undefined) {
      const day = stamp.slice(0, 10);
      out.push(
        draft(c.line, c.wall, `${deviceId}:autoInsulin:${day}`, "insulinTotal", { day, kind: "autoBasal", units }),
      );
    }
    return out;
  }

  const newTime = wallTime(c.get("New Device Time"));
  if (newTime !== undefined)
    out.push(
      draft(c.line, c.wall, id("timeChange"), "deviceEvent", {
        subType: "timeChange",
        from: stamp,
        to: formatWallClock(newTime),
      }),
    );

  const sg = c.glucose("Sensor Glucose");
  if (sg !== undefined) out.push(draft(c.line, c.wall, id("cgm"), "cgm", { mgdl: sg, intervalMs: 300_000 }));

  const bg = c.glucose("BG Reading");
  if (bg !== undefined) {
    const remote = /REMOTE|LINK|METER/i.test(c.get("BG Source") ?? "") || c.get("Linked BG Meter ID") !== undefined;
    out.push(draft(c.line, c.wall, id("bg"), "bg", { mgdl: bg, subType: remote ? "linked" : "manual" }));
  }
  const cal = c.glucose("Sensor Calibration BG");
  if (cal !== undefined)
    out.push(draft(c.line, c.wall, id("calibration"), "deviceEvent", { subType: "calibration", mgdl: cal }));

  const rate = n("Basal Rate (U/h)");
  if (rate !== undefined) out.push(draft(c.line, c.wall, id("basal"), "basal", { deliveryType: "scheduled", rate }));

  const temp = n("Temp Basal Amount") ?? n("Temp Basal Amount (U/h)");
  if (temp !== undefined) {
    const percent = /percent/i.test(c.get("Temp Basal Type") ?? "");
    const duration = durationMs(c.get("Temp Basal Duration (h:mm:ss)") ?? c.get("Temp Basal Duration (hh:mm:ss)"));
    out.push(
      draft(c.line, c.wall, id("tempBasal"), "basal", {
        deliveryType: "temp",
        ...(percent ? { percent: temp / 100 } : { rate: temp }),
        ...(duration !== undefined ? { durationMs: duration } : {}),
        ...(c.get("Preset Temp Basal Name") ? { scheduleName: c.get("Preset Temp Basal Name") } : {}),
      }),
    );
  }

  const bolusNumber = c.get("Bolus Number");
  if (bolusNumber !== undefined) {
    // A bolus number can come back after a pump reset; rows more than an hour apart are separate boluses.
    let key = bolusNumber;
    for (const [k, g] of bolusGroups) {
      const first = g.parts[0]?.c ?? g.wizard;
      if (k.split("@")[0] === bolusNumber && first && Math.abs(first.wall - c.wall) <= 3_600_000) key = k;
    }
    if (!bolusGroups.has(key) && [...bolusGroups.keys()].some((k) => k.split("@")[0] === bolusNumber))
      key = `${bolusNumber}@${stamp}`;
    const group = bolusGroups.get(key) ?? { parts: [] };
    bolusGroups.set(key, group);
    if (c.get("Bolus Type") !== undefined) group.parts.push({ c, square: /square/i.test(c.get("Bolus Type") ?? "") });
    else if (isWizardRow(c)) group.wizard = c;
  } else if (isWizardRow(c)) {
    // Wizard rows usually lack the Bolus Number: link them to the bolus started within a minute after.
    bolusGroups.set(`wizard@${stamp}`, { parts: [], wizard: c });
  }

  const prime = c.get("Prime Type");
  if (prime !== undefined) {
    const volume = n("Prime Volume Delivered (U)");
    const reservoir = n("Estimated Reservoir Volume after Fill (U)");
    out.push(
      draft(c.line, c.wall, id(`prime-${prime}`), "deviceEvent", {
        subType: "prime",
        ...(volume !== undefined ? { volume } : {}),
        text: reservoir !== undefined ? `${prime}; reservoir ${reservoir} U` : prime,
      }),
    );
  }
  if (c.get("Rewind") !== undefined)
    out.push(draft(c.line, c.wall, id("rewind"), "deviceEvent", { subType: "reservoirChange" }));

  const suspend = c.get("Suspend");
  if (suspend !== undefined) {
    const resumed = /NORMAL_PUMPING|RESUME/i.test(suspend);
    const automatic = !/USER/i.test(suspend) && !resumed ? true : /AUTO/i.test(suspend);
    out.push(
      draft(c.line, c.wall, id("status"), "deviceEvent", {
        subType: "status",
        status: resumed ? "resumed" : "suspended",
        reason: automatic ? "automatic" : "manual",
        text: suspend,
      }),
    );
  }

  const alert = c.get("Alert") ?? c.get("Alarm");
  if (alert !== undefined) {
    const alarm = ALARMS.find(([re]) => re.test(alert));
    out.push(
      draft(c.line, c.wall, id(`alert-${alert}`), "deviceEvent", {
        subType: alarm ? "alarm" : "alert",
        alarmType: alarm ? alarm[1] : alert,
        text: alert,
      }),
    );
  }

  const marker = c.get("Event Marker");
  if (marker !== undefined) {
    const meal = /^Meal:\s*([\d.,]+)\s*grams/i.exec(marker);
    if (meal) out.push(draft(c.line, c.wall, id("meal"), "food", { carbsG: num(meal[1]) ?? 0 }));
    else if (/^Exercise/i.test(marker)) out.push(draft(c.line, c.wall, id("exercise"), "activity", { name: marker }));
    else out.push(draft(c.line, c.wall, id("marker"), "note", { text: marker }));
  }
  return out;
}

/** One bolus per Bolus Number: the "selected" row gives the programmed dose, the later row the delivered one. */
function bolusDrafts(
  key: string,
  group: { parts: BolusPart[]; wizard?: Cells },
  deviceId: string,
  segments: ReadonlyMap<Cells, number>,
): Draft[] {
  const out: Draft[] = [];
  const number = key.split("@")[0] as string;
  const first = [...group.parts.map((p) => p.c), ...(group.wizard ? [group.wizard] : [])].sort(
    (a, b) => a.wall - b.wall,
  )[0];
  if (!first) return out;
  // A bolus is dated by its delivery: the first row carrying delivered units (the immediate part of a
  // dual bolus before its square part), not the programming row ("Volume Selected" only), which the
  // 780G writes 1-8 minutes earlier. Without a delivery row the programming row stands.
  const byTime = group.parts.slice().sort((a, b) => a.c.wall - b.c.wall);
  const delivered = byTime.filter((p) => p.c.get("Bolus Volume Delivered (U)") !== undefined);
  const delivery = (delivered.find((p) => !p.square) ?? delivered[0] ?? byTime[0])?.c;
  const idStamp = formatWallClock(first.wall);
  const bolusId = `${deviceId}:bolus:${number ? `${number}:` : ""}${idStamp}`;
  const wizardId = `${deviceId}:wizard:${number ? `${number}:` : ""}${idStamp}`;

  if (delivery) {
    const sum = (square: boolean, col: string) => {
      let total: number | undefined;
      for (const p of group.parts)
        if (p.square === square) {
          const v = num(p.c.get(col));
          if (v !== undefined) total = Math.max(total ?? 0, v);
        }
      return total;
    };
    const normalSel = sum(false, "Bolus Volume Selected (U)");
    const normalDel = sum(false, "Bolus Volume Delivered (U)");
    const squareSel = sum(true, "Bolus Volume Selected (U)");
    const squareDel = sum(true, "Bolus Volume Delivered (U)");
    const hasNormal = group.parts.some((p) => !p.square);
    const hasSquare = group.parts.some((p) => p.square);
    const duration = group.parts
      .map((p) => durationMs(p.c.get("Bolus Duration (h:mm:ss)") ?? p.c.get("Programmed Bolus Duration (hh:mm:ss)")))
      .find((d) => d !== undefined);
    const automated = group.parts.some((p) => p.c.get("Bolus Source") === "CLOSED_LOOP_AUTO_BOLUS");
    const body: RecordBody<"bolus"> = {
      subType: automated ? "automated" : hasNormal && hasSquare ? "dual/square" : hasSquare ? "square" : "normal",
      ...(number ? { bolusNumber: number } : {}),
      ...(group.wizard ? { wizardId } : {}),
    };
    if (hasNormal) {
      const normal = normalDel ?? normalSel ?? 0;
      body.normal = normal;
      if (normalSel !== undefined && normalSel !== normal) body.expectedNormal = normalSel;
    }
    if (hasSquare) {
      const extended = squareDel ?? squareSel ?? 0;
      body.extended = extended;
      if (squareSel !== undefined && squareSel !== extended) body.expectedExtended = squareSel;
      if (duration !== undefined) body.durationMs = duration;
    }
    const d = draft(delivery.line, delivery.wall, bolusId, "bolus", body);
    d.segment = segments.get(delivery) ?? 0;
    d.lines = [delivery.line, ...group.parts.map((p) => p.c.line).filter((l) => l !== delivery.line)];
    out.push(d);
  }

  const w = group.wizard;
  if (w) {
    const n = (name: string) => num(w.get(name));
    const bgInput = w.glucose("BWZ BG/SG Input") ?? w.glucose("BWZ BG Input");
    const isf = n("BWZ Insulin Sensitivity (mg/dL/U)") ?? n("BWZ Insulin Sensitivity (mg/dL)");
    const isfMmol = n("BWZ Insulin Sensitivity (mmol/L/U)");
    const body: RecordBody<"wizard"> = {
      ...(bgInput ? { bgInput } : {}),
      ...(n("BWZ Carb Input (grams)") !== undefined ? { carbInput: n("BWZ Carb Input (grams)") } : {}),
      ...((n("BWZ Carb Ratio (g/U)") ?? n("BWZ Carb Ratio (grams)"))
        ? { insulinCarbRatio: n("BWZ Carb Ratio (g/U)") ?? n("BWZ Carb Ratio (grams)") }
        : {}),
      ...(isf !== undefined
        ? { insulinSensitivity: isf }
        : isfMmol !== undefined
          ? { insulinSensitivity: Math.round(isfMmol * MGDL_PER_MMOLL) }
          : {}),
      ...(n("BWZ Active Insulin (U)") !== undefined ? { insulinOnBoard: n("BWZ Active Insulin (U)") } : {}),
      bgTarget: { low: w.glucose("BWZ Target Low BG"), high: w.glucose("BWZ Target High BG") },
      recommended: {
        carb: n("BWZ Food Estimate (U)"),
        correction: n("BWZ Correction Estimate (U)"),
        net: n("BWZ Estimate (U)"),
      },
      ...(delivery && w.get("BWZ Status") !== "Not Delivered" ? { bolusId } : {}),
    };
    const d = draft(w.line, w.wall, wizardId, "wizard", body);
    d.segment = segments.get(w) ?? 0;
    out.push(d);
  }
  return out;
}
