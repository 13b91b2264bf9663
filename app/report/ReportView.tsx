// The report a clinician recognises: the AGP report's layout (International Diabetes Center, v5)
// for any set of records — a grant's view, the patient's own data, an opened report file. Glucose
// statistics and targets, time in ranges, the AGP, the GRI, then daily profiles on the second
// printed page, and insulin, pump settings, meals and device alerts when they are included.
import type { ComponentChildren } from "preact";
import { memo } from "preact/compat";
import { useCallback, useMemo, useState } from "preact/hooks";
import { type Population, type Scope, type StewardRecord, TARGETS } from "../../client/index.js";
import { usePainted } from "../components/usePainted.js";
import { date, dateTime, localTimeZone } from "../format.js";
import type { GlucoseUnit } from "../units.js";
import { AgpChart } from "./AgpChart.js";
import { DailyProfiles } from "./DailyProfiles.js";
import { DeviceAlerts } from "./DeviceAlerts.js";
import { EntryList } from "./EntryList.js";
import { Episodes } from "./Episodes.js";
import { GlucoseStatistics } from "./GlucoseStatistics.js";
import { GriChart } from "./GriChart.js";
import { InsulinSection } from "./InsulinSection.js";
import { patientDay, reportClock } from "./reportClock.js";
import { glucoseReport, type Range } from "./reportData.js";
import { SettingsInForce } from "./SettingsInForce.js";
import { TimeInRangeBar } from "./TimeInRangeBar.js";

interface Props {
  /** Whose report: "@wilma", or the name when identity is included. */
  patient: string;
  /** The categories this report may show; records of the others are never asked for. */
  scopes: readonly Scope[];
  records: Partial<Record<Scope, StewardRecord[]>>;
  range: Range;
  unit: GlucoseUnit;
  loading: boolean;
  /** Shown under the title on screen and in print (for example what the grant covers). */
  note?: ComponentChildren;
  createdAt?: number;
}

function Section({
  id,
  title,
  children,
  className,
}: {
  id: string;
  title: string;
  children: ComponentChildren;
  className?: string;
}) {
  return (
    <section class={`report-section ${className ?? ""}`} aria-labelledby={`report-${id}`} data-testid={`section-${id}`}>
      <h2 id={`report-${id}`}>{title}</h2>
      {children}
    </section>
  );
}

// Memoised: a screen around it re-renders on every sync status, and the report's props stay the same.
export const ReportView = memo(function ReportView({
  patient,
  scopes,
  records,
  range,
  unit,
  loading,
  note,
  createdAt,
}: Props) {
  const viewerZone = localTimeZone();
  const [population, setPopulation] = useState<Population>("type1type2");
  const glucose = records.glucose ?? [];
  const clock = useMemo(() => {
    const any =
      glucose.length > 0
        ? glucose
        : Object.values(records)
            .flatMap((r) => r ?? [])
            .sort((a, b) => a.time - b.time);
    return reportClock(any, viewerZone);
  }, [records, viewerZone]);
  const report = useMemo(
    () => glucoseReport(glucose, range, clock, population),
    [glucose, range.from, range.to, clock, population],
  );
  const { analysis } = report;
  const metrics = analysis?.consensus;
  const dayOf = useCallback((time: number) => patientDay(time, clock).day, [clock]);
  const period = `${date(range.from, clock.timeZone)} – ${date(range.to, clock.timeZone)}`;
  const has = (scope: Scope) => scopes.includes(scope);
  // The first page (statistics, time in ranges, AGP, GRI) is drawn first, the sections after it
  // once that is on screen; aria-busy says the report is still coming.
  const waiting = loading && glucose.length === 0;
  const rest = usePainted(waiting ? null : analysis ? "analysis" : "none");
  return (
    <article class="report" data-testid="report" aria-busy={rest ? undefined : "true"}>
      <header class="report-header">
        <h2 class="report-title">AGP report: continuous glucose monitoring</h2>
        <p>
          <strong data-testid="report-patient">{patient}</strong> · <span data-testid="report-period">{period}</span> ·
          times are the patient's local time (<span data-testid="report-zone">{clock.label}</span>)
          {createdAt ? ` · made ${dateTime(createdAt)}` : ""}
        </p>
        {note}
        <label class="inline screen-only">
          Targets for{" "}
          <select
            value={population}
            onChange={(e) => setPopulation((e.target as HTMLSelectElement).value as Population)}
          >
            {(Object.keys(TARGETS) as Population[]).map((p) => (
              <option key={p} value={p}>
                {TARGETS[p].label}
              </option>
            ))}
          </select>
        </label>
      </header>
      {!has("glucose") ? (
        <p class="empty">Glucose is not part of this grant.</p>
      ) : waiting ? (
        <p class="loading">Reading the glucose data on this device…</p>
      ) : !analysis || !metrics ? (
        <p class="empty">No glucose readings in this period.</p>
      ) : (
        <div class="report-page-one">
          <div class="report-top">
            <Section id="statistics" title="Glucose statistics and targets">
              <GlucoseStatistics
                analysis={analysis}
                unit={unit}
                days={report.days.length}
                daysWithData={report.daysWithData}
                period={period}
              />
            </Section>
            <Section id="time-in-ranges" title="Time in ranges">
              <TimeInRangeBar metrics={metrics} unit={unit} goals={population === "type1type2"} />
            </Section>
          </div>
          <Section id="agp" title="Ambulatory glucose profile (AGP)">
            <p class="hint">
              The period's readings by time of day, as if they had all happened on one day: the median, the middle half
              (25–75 %) and 90 % of readings (5–95 %).
            </p>
            <AgpChart profile={analysis.agp.unsmoothed} smoothed={analysis.agp.smoothed} unit={unit} />
          </Section>
          <Section id="gri" title="Glycemia risk index (GRI)">
            <GriChart gri={analysis.gri} />
          </Section>
        </div>
      )}
      {rest && has("glucose") && analysis && (
        <>
          <Section id="daily" title="Daily glucose profiles" className="page-two">
            <DailyProfiles days={report.days} unit={unit} intervalMinutes={report.intervalMinutes} />
          </Section>
          <Section id="episodes" title="Low and high episodes">
            <Episodes analysis={analysis} unit={unit} />
          </Section>
        </>
      )}
      {rest && has("insulin") && (
        <Section id="insulin" title="Insulin">
          <InsulinSection records={records.insulin ?? []} dayOf={dayOf} />
        </Section>
      )}
      {rest && has("settings") && (
        <Section id="settings" title="Pump settings in force">
          <SettingsInForce records={records.settings ?? []} unit={unit} timeZone={clock.timeZone} />
        </Section>
      )}
      {rest && has("events") && (
        <Section id="events" title="Meals, exercise and notes">
          <EntryList records={records.events ?? []} timeZone={clock.timeZone} />
        </Section>
      )}
      {rest && has("alerts") && (
        <Section id="alerts" title="Device alerts">
          <DeviceAlerts records={records.alerts ?? []} timeZone={clock.timeZone} />
        </Section>
      )}
    </article>
  );
});
