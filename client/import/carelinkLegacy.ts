// Legacy CareLink Personal export (Paradigm / 530G, ~2010-2016): rows routed by `Raw-Type`, values read
// from `Raw-Values`. Mirrors what Tidepool's CareLink driver emitted (uploader@0c4fb12c, since removed).
import type { RecordBody } from "../../shared/records.js";
import { num, rawValues, wallTime } from "./carelinkValues.js";
import type { ClockChange } from "./clock.js";
import { draft, ROWS_PER_STEP, type Draft, type Steps } from "./drafts.js";
import type { CsvRow } from "./csvRows.js";
import type { SkippedRow } from "./types.js";

interface Row {
  line: number;
  wall: number;
  type: string;
  values: Map<string, string>;
  rawId: string;
  cells: (name: string) => string | undefined;
}

/** Raw-Types read only as part of another row, or not represented in the record model, with the reason. */
export const LEGACY_IGNORED: Record<string, string> = {
  BGReceived: "meter transmission; the pump's BGCapturedOnPump row holds the reading",
  UnabsorbedInsulin: "insulin-on-board detail of a bolus-wizard estimate (its total is in the wizard record)",
  ChangeBolusWizardEnable: "bolus-wizard on/off is not represented in pumpSettings",
  CurrentBolusWizardBGUnits: "settings units (Steward keeps mg/dL and grams)",
  CurrentBolusWizardCarbUnits: "settings units (Steward keeps mg/dL and grams)",
  CurrentBolusWizardSetupStatus: "bolus-wizard setup flags are not represented in pumpSettings",
  ResultDailyTotal: "daily total computed by CareLink from the imported boluses and basals",
};
const PREVIOUS = "previous value of a settings change";

export interface LegacyParse {
  drafts: Draft[];
  changes: ClockChange[];
}

/** Turns the data rows (after the header) into drafts; every row not used is added to `skipped`. */
export function* legacyDrafts(
  rows: readonly CsvRow[],
  header: readonly string[],
  deviceId: string,
  skipped: SkippedRow[],
): Steps<LegacyParse> {
  let work = 0;
  const col = new Map(header.map((h, i) => [h.trim(), i]));
  const parsed: Row[] = [];
  for (const r of rows) {
    if (++work % ROWS_PER_STEP === 0) yield;
    const cell = (name: string) => {
      const i = col.get(name);
      return i === undefined ? undefined : r.fields[i];
    };
    const wall = wallTime(cell("Timestamp")) ?? wallTime(cell("Date"), cell("Time"));
    const type = cell("Raw-Type")?.trim() ?? "";
    if (wall === undefined || !type) {
      skipped.push({ line: r.line, reason: wall === undefined ? "no readable timestamp" : "no Raw-Type" });
      continue;
    }
    parsed.push({
      line: r.line,
      wall,
      type,
      values: rawValues(cell("Raw-Values")),
      rawId: cell("Raw-ID")?.trim() || `L${r.line}`,
      cells: cell,
    });
  }

  const drafts: Draft[] = [];
  const changes: ClockChange[] = [];
  const id = (row: Row, kind: string) => `${deviceId}:${kind}:${row.rawId}`;
  const skip = (row: Row, reason: string) => skipped.push({ line: row.line, reason });
  const settingsRows: Row[] = [];
  const boluses: Row[] = [];
  const wizards: Row[] = [];
  const seenTimeChanges = new Set<string>();

  for (const row of parsed) {
    if (++work % ROWS_PER_STEP === 0) yield;
    const v = (k: string) => num(row.values.get(k));
    const t = row.type;
    if (t in LEGACY_IGNORED) skip(row, LEGACY_IGNORED[t] as string);
    else if (t === "GlucoseSensorData" || t === "GlucoseSensorDataHigh" || t === "GlucoseSensorDataLow") {
      const outOfRange = t === "GlucoseSensorDataHigh" ? "high" : t === "GlucoseSensorDataLow" ? "low" : undefined;
      const mgdl = v("AMOUNT") ?? (outOfRange === "high" ? 400 : outOfRange === "low" ? 40 : undefined);
      if (!mgdl) skip(row, "sensor record without a glucose value");
      else
        drafts.push(
          draft(row.line, row.wall, id(row, "cgm"), "cgm", {
            mgdl,
            intervalMs: 300_000,
            ...(row.values.get("BACKFILL_INDICATOR") === "true" ? { backfilled: true } : {}),
            ...(outOfRange ? { outOfRange } : {}),
          }),
        );
    } else if (t === "BGCapturedOnPump" || t === "CalBGForPH") {
      const mgdl = v("AMOUNT");
      // Tidepool's rule: a reading sent by the linked meter ("paradigm link or b key") is linked; edited or typed ones are manual.
      if (mgdl === undefined) skip(row, "meter reading without a value");
      else
        drafts.push(
          draft(row.line, row.wall, id(row, "bg"), "bg", {
            mgdl,
            subType: row.values.get("ACTION_REQUESTOR") === "paradigm link or b key" ? "linked" : "manual",
          }),
        );
    } else if (t === "SensorCalBG") {
      drafts.push(
        draft(row.line, row.wall, id(row, "calibration"), "deviceEvent", {
          subType: "calibration",
          ...(v("AMOUNT") ? { mgdl: v("AMOUNT") } : {}),
        }),
      );
    } else if (t === "BasalProfileStart") {
      drafts.push(
        draft(row.line, row.wall, id(row, "basal"), "basal", {
          deliveryType: "scheduled",
          rate: v("RATE") ?? 0,
          ...(row.values.get("PATTERN_NAME") ? { scheduleName: row.values.get("PATTERN_NAME") } : {}),
        }),
      );
    } else if (t === "ChangeTempBasalPercent" || t === "ChangeTempBasal") {
      const duration = v("DURATION");
      if (!duration) skip(row, "temp basal cancelled (zero duration)");
      else if (t === "ChangeTempBasalPercent")
        drafts.push(
          draft(row.line, row.wall, id(row, "basal"), "basal", {
            deliveryType: "temp",
            percent: (v("PERCENT_OF_RATE") ?? 0) / 100,
            durationMs: duration,
          }),
        );
      else
        drafts.push(
          draft(row.line, row.wall, id(row, "basal"), "basal", {
            deliveryType: "temp",
            rate: v("RATE") ?? 0,
            durationMs: duration,
          }),
        );
    } else if (t === "BolusNormal" || t === "BolusSquare") boluses.push(row);
    else if (t === "BolusWizardBolusEstimate") wizards.push(row);
    else if (t === "ChangeSuspendState" || t === "ChangeSuspendEnable") {
      const state = row.values.get("STATE") ?? row.values.get("ENABLE") ?? "";
      const resumed = state === "normal_pumping" || state.startsWith("auto_resume") || state === "false";
      const automatic = state.startsWith("auto_resume") || state === "alarm_suspend" || state.startsWith("low_suspend");
      drafts.push(
        draft(row.line, row.wall, id(row, "status"), "deviceEvent", {
          subType: "status",
          status: resumed ? "resumed" : "suspended",
          reason: automatic ? "automatic" : "manual",
          text: state,
        }),
      );
    } else if (t === "ChangeTime" || t === "ChangeTimeGH") {
      const newTime = row.values.get("NEW_TIME") ?? "";
      const to = wallTime(row.cells("New Device Time")) ?? wallTime(newTime);
      // Tidepool de-duplicates by NEW_TIME: the pump logs one change under both Raw-Types.
      if (to === undefined) skip(row, "clock change without a readable new time");
      else if (seenTimeChanges.has(newTime || String(to))) skip(row, "duplicate clock change");
      else {
        seenTimeChanges.add(newTime || String(to));
        changes.push({ from: row.wall, to });
        drafts.push(
          draft(row.line, row.wall, id(row, "timeChange"), "deviceEvent", {
            subType: "timeChange",
            from: new Date(row.wall).toISOString().slice(0, 19),
            to: new Date(to).toISOString().slice(0, 19),
          }),
        );
      }
    } else if (t === "Rewind")
      drafts.push(draft(row.line, row.wall, id(row, "rewind"), "deviceEvent", { subType: "reservoirChange" }));
    else if (t === "Prime")
      drafts.push(
        draft(row.line, row.wall, id(row, "prime"), "deviceEvent", {
          subType: "prime",
          ...(v("AMOUNT") !== undefined ? { volume: v("AMOUNT") } : {}),
          ...(row.values.get("TYPE") ? { text: row.values.get("TYPE") } : {}),
        }),
      );
    else if (t.startsWith("Alarm")) {
      drafts.push(
        draft(row.line, row.wall, id(row, "alarm"), "deviceEvent", {
          subType: "alarm",
          alarmType: row.cells("Alarm")?.trim() || row.values.get("ALARM_TYPE") || t,
        }),
      );
    } else if (/^(Change|Current).*(Basal|BGTarget|CarbRatio|InsulinSensitivity|BolusWizardSetup)/.test(t))
      settingsRows.push(row);
    else skip(row, `unsupported Raw-Type ${t}`);
  }

  drafts.push(...bolusDrafts(boluses, wizards, id));
  drafts.push(...settingsDrafts(settingsRows, deviceId, skipped));
  return { drafts, changes };
}

/** Joins the two halves of a dual-wave bolus and links each bolus-wizard estimate to its bolus. */
function bolusDrafts(boluses: Row[], wizards: Row[], id: (row: Row, kind: string) => string): Draft[] {
  const out: Draft[] = [];
  const squaresUsed = new Set<Row>();
  const made: { row: Row; body: RecordBody<"bolus">; id: string; square?: Row }[] = [];
  const sorted = [...boluses].sort((a, b) => a.wall - b.wall);
  for (const row of sorted) {
    if (squaresUsed.has(row)) continue;
    const v = (k: string) => num(row.values.get(k));
    const amount = v("AMOUNT") ?? 0;
    const programmed = v("PROGRAMMED_AMOUNT") ?? amount;
    const dual = row.values.get("IS_DUAL_COMPONENT") === "true";
    if (row.type === "BolusNormal") {
      const body: RecordBody<"bolus"> = {
        subType: "normal",
        normal: amount,
        ...(programmed !== amount ? { expectedNormal: programmed } : {}),
      };
      if (dual) {
        // The square half is logged separately, usually seconds to minutes later.
        const square = sorted.find(
          (s) =>
            s.type === "BolusSquare" &&
            !squaresUsed.has(s) &&
            s.values.get("IS_DUAL_COMPONENT") === "true" &&
            s.wall >= row.wall &&
            s.wall - row.wall <= 600_000,
        );
        if (square) {
          squaresUsed.add(square);
          Object.assign(body, squareFields(square), { subType: "dual/square" });
        }
        made.push({ row, body, id: id(row, "bolus"), ...(square ? { square } : {}) });
      } else made.push({ row, body, id: id(row, "bolus") });
    } else {
      made.push({
        row,
        body: { subType: dual ? "dual/square" : "square", ...squareFields(row) },
        id: id(row, "bolus"),
      });
    }
  }
  for (const w of wizards) {
    const v = (k: string) => num(w.values.get(k));
    const bolus = made.find((b) => b.row.wall >= w.wall && b.row.wall - w.wall <= 60_000 && !b.body.wizardId);
    const wizardId = id(w, "wizard");
    if (bolus) bolus.body.wizardId = wizardId;
    const body: RecordBody<"wizard"> = {
      ...(v("BG_INPUT") ? { bgInput: v("BG_INPUT") } : {}),
      ...(v("CARB_INPUT") !== undefined ? { carbInput: v("CARB_INPUT") } : {}),
      ...(v("CARB_RATIO") !== undefined ? { insulinCarbRatio: v("CARB_RATIO") } : {}),
      ...(v("INSULIN_SENSITIVITY") !== undefined ? { insulinSensitivity: v("INSULIN_SENSITIVITY") } : {}),
      ...(v("UNABSORBED_INSULIN_TOTAL") !== undefined ? { insulinOnBoard: v("UNABSORBED_INSULIN_TOTAL") } : {}),
      bgTarget: { low: v("BG_TARGET_LOW"), high: v("BG_TARGET_HIGH") },
      recommended: { carb: v("FOOD_ESTIMATE"), correction: v("CORRECTION_ESTIMATE"), net: v("BOLUS_ESTIMATE") },
      ...(bolus ? { bolusId: bolus.id } : {}),
    };
    out.push(draft(w.line, w.wall, wizardId, "wizard", body));
  }
  for (const b of made) {
    const d = draft(b.row.line, b.row.wall, b.id, "bolus", b.body);
    if (b.square) d.lines.push(b.square.line);
    out.push(d);
  }
  return out;
}

function squareFields(row: Row): Partial<RecordBody<"bolus">> {
  const amount = num(row.values.get("AMOUNT")) ?? 0;
  const programmed = num(row.values.get("PROGRAMMED_AMOUNT")) ?? amount;
  const duration = num(row.values.get("DURATION"));
  return {
    extended: amount,
    ...(programmed !== amount ? { expectedExtended: programmed } : {}),
    ...(duration !== undefined ? { durationMs: duration } : {}),
  };
}

type Schedules = RecordBody<"pumpSettings">;

/**
 * Settings history: a pumpSettings record after each group of Change* rows (same timestamp), replaying
 * the changes forward; plus the Current* snapshot when it differs from the last replayed state.
 */
function settingsDrafts(rows: Row[], deviceId: string, skipped: SkippedRow[]): Draft[] {
  const byId = new Map(rows.map((r) => [r.rawId, r]));
  const patternOf = (r: Row) => r.values.get("PATTERN_DATUM_ID") ?? r.values.get("PATTERN_DATUM") ?? "";
  const entriesOf = (patternId: string, type: string) =>
    rows.filter((r) => r.type === type && patternOf(r) === patternId);
  const used = new Set<Row>();
  const basal = (patternId: string, type: string) =>
    entriesOf(patternId, type)
      .map(
        (r) => (used.add(r), { startMs: num(r.values.get("START_TIME")) ?? 0, rate: num(r.values.get("RATE")) ?? 0 }),
      )
      .sort((a, b) => a.startMs - b.startMs);
  const amounts = (patternId: string, type: string) =>
    entriesOf(patternId, type)
      .map(
        (r) => (
          used.add(r), { startMs: num(r.values.get("START_TIME")) ?? 0, amount: num(r.values.get("AMOUNT")) ?? 0 }
        ),
      )
      .sort((a, b) => a.startMs - b.startMs);
  const targets = (patternId: string, type: string) =>
    entriesOf(patternId, type)
      .map(
        (r) => (
          used.add(r),
          {
            startMs: num(r.values.get("START_TIME")) ?? 0,
            low: num(r.values.get("AMOUNT_LOW")),
            high: num(r.values.get("AMOUNT_HIGH")),
          }
        ),
      )
      .sort((a, b) => a.startMs - b.startMs);

  // The Current* snapshot, taken when the pump was read.
  const current = rows.filter((r) => r.type.startsWith("Current"));
  const snapshot: Schedules = { basalSchedules: {} };
  for (const r of current) {
    if (r.type === "CurrentBasalProfilePattern")
      snapshot.basalSchedules[r.values.get("PATTERN_NAME") ?? ""] = basal(r.rawId, "CurrentBasalProfile");
    else if (r.type === "CurrentActiveBasalProfilePattern") snapshot.activeSchedule = r.values.get("PATTERN_NAME");
    else if (r.type === "CurrentBGTargetRangePattern") snapshot.bgTargets = targets(r.rawId, "CurrentBGTargetRange");
    else if (r.type === "CurrentCarbRatioPattern") snapshot.carbRatios = amounts(r.rawId, "CurrentCarbRatio");
    else if (r.type === "CurrentInsulinSensitivityPattern")
      snapshot.insulinSensitivities = amounts(r.rawId, "CurrentInsulinSensitivity");
    else continue;
    used.add(r);
  }

  const changes = rows.filter((r) => r.type.startsWith("Change"));
  const firstActive = changes.find((r) => r.type === "ChangeActiveBasalProfilePattern");
  const state: Schedules = {
    basalSchedules: Object.fromEntries(Object.keys(snapshot.basalSchedules).map((name) => [name, []])),
    bgTargets: [],
    carbRatios: [],
    insulinSensitivities: [],
    ...(firstActive?.values.get("OLD_PATTERN_NAME")
      ? { activeSchedule: firstActive.values.get("OLD_PATTERN_NAME") }
      : snapshot.activeSchedule
        ? { activeSchedule: snapshot.activeSchedule }
        : {}),
  };
  const out: Draft[] = [];
  const groups = new Map<number, Row[]>();
  for (const r of changes) groups.set(r.wall, [...(groups.get(r.wall) ?? []), r]);
  for (const [wall, group] of [...groups.entries()].sort(([a], [b]) => a - b)) {
    // A bolus-wizard change logs the old and the new configuration; the marker row names the new one.
    const usedBefore = used.size;
    const marker = group.find((r) => r.type === "ChangeBolusWizardSetup");
    const setup = marker ? byId.get(marker.values.get("NEW_CONFIG_DATUM_ID") ?? "") : undefined;
    const wanted = setup
      ? new Set([
          setup.values.get("CARB_RATIO_PATTERN_DATUM_ID"),
          setup.values.get("INSULIN_SENSITIVITY_PATTERN_DATUM_ID"),
          setup.values.get("BG_TARGET_RANGE_PATTERN_DATUM_ID"),
        ])
      : undefined;
    for (const r of group) {
      const apply = !wanted || wanted.has(r.rawId);
      if (r.type === "ChangeBasalProfilePattern")
        state.basalSchedules[r.values.get("PATTERN_NAME") ?? ""] = basal(r.rawId, "ChangeBasalProfile");
      else if (r.type === "ChangeActiveBasalProfilePattern") state.activeSchedule = r.values.get("PATTERN_NAME");
      else if (r.type === "ChangeBGTargetRangePattern" && apply)
        state.bgTargets = targets(r.rawId, "ChangeBGTargetRange");
      else if (r.type === "ChangeCarbRatioPattern" && apply) state.carbRatios = amounts(r.rawId, "ChangeCarbRatio");
      else if (r.type === "ChangeInsulinSensitivityPattern" && apply)
        state.insulinSensitivities = amounts(r.rawId, "ChangeInsulinSensitivity");
      else if (r !== setup && r !== marker) continue;
      used.add(r);
    }
    const first = group[0] as Row;
    const d = draft(first.line, wall, `${deviceId}:settings:${first.rawId}`, "pumpSettings", structuredClone(state));
    d.lines = [...new Set([first.line, ...[...used].slice(usedBefore).map((r) => r.line)])];
    out.push(d);
  }

  const snapshotRows = current.filter((r) => used.has(r));
  const snapshotRow = snapshotRows[0];
  if (snapshotRow) {
    if (out.length > 0 && JSON.stringify(normalize(state)) === JSON.stringify(normalize(snapshot))) {
      for (const r of snapshotRows)
        skipped.push({ line: r.line, reason: "settings snapshot identical to the last settings change" });
    } else {
      const d = draft(
        snapshotRow.line,
        snapshotRow.wall,
        `${deviceId}:settings:${snapshotRow.rawId}`,
        "pumpSettings",
        snapshot,
      );
      d.lines = snapshotRows.map((r) => r.line);
      out.push(d);
    }
  }
  for (const r of rows) if (!used.has(r)) skipped.push({ line: r.line, reason: PREVIOUS });
  return out;
}

function normalize(s: Schedules): unknown {
  return [
    s.activeSchedule,
    Object.entries(s.basalSchedules).sort(([a], [b]) => (a < b ? -1 : 1)),
    s.bgTargets ?? [],
    s.carbRatios ?? [],
    s.insulinSensitivities ?? [],
  ];
}
