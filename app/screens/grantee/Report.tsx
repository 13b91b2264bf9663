// The clinician's report of one grant: consensus metrics, AGP, daily traces and the glucose
// series over the granted dates, then insulin, pump settings and logbook entries when those
// categories are granted (and only then: the view cannot decrypt anything else), and a FHIR export.
import { useMemo } from "preact/hooks";
import type { Grantee } from "../../../client/index.js";
import { toFhirBundle } from "../../../client/export/fhir.js";
import { agpProfile } from "../../../client/metrics/agp.js";
import { consensusMetrics } from "../../../client/metrics/consensus.js";
import type { Scope, StewardRecord } from "../../../shared/records.js";
import { AgpChart } from "../../components/AgpChart.js";
import { DailyTraces } from "../../components/DailyTraces.js";
import { EntryList } from "../../components/EntryList.js";
import { ErrorText } from "../../components/ErrorText.js";
import { GlucoseChart } from "../../components/GlucoseChart.js";
import { InsulinSummary } from "../../components/InsulinSummary.js";
import { MetricsPanel } from "../../components/MetricsPanel.js";
import { SettingsInForce } from "../../components/SettingsInForce.js";
import { useAction } from "../../components/useAsync.js";
import { cgmSamples, useRecords } from "../../components/useRecords.js";
import { localTimeZone } from "../../format.js";

type View = Awaited<ReturnType<Grantee["open"]>>;

interface Range {
  from: number;
  to: number;
}

function rangeOf(view: View): Range {
  const share = view.share;
  // A live grant keeps growing until it ends; the report covers what has arrived so far.
  return { from: share.from, to: share.live ? Math.max(share.to, Math.min(Date.now(), share.expiresAt)) : share.to };
}

export function Report({ view }: { view: View }) {
  const range = useMemo(() => rangeOf(view), [view]);
  const granted = (scope: Scope) => view.share.scopes.includes(scope);
  return (
    <>
      {granted("glucose") ? <GlucoseReport view={view} range={range} /> : <p class="empty">Glucose is not part of this grant.</p>}
      {granted("insulin") && (
        <ScopeSection view={view} range={range} scope="insulin" title="Insulin">
          {(records) => <InsulinSummary records={records} />}
        </ScopeSection>
      )}
      {granted("settings") && (
        <ScopeSection view={view} range={range} scope="settings" title="Pump settings in force">
          {(records) => <SettingsInForce records={records} />}
        </ScopeSection>
      )}
      {granted("events") && (
        <ScopeSection view={view} range={range} scope="events" title="Meals, exercise and notes">
          {(records) => <EntryList records={records} />}
        </ScopeSection>
      )}
    </>
  );
}

function ScopeSection({ view, range, scope, title, children }: { view: View; range: Range; scope: Scope; title: string; children: (records: StewardRecord[]) => preact.ComponentChildren }) {
  const state = useRecords(view.records, scope, range.from, range.to);
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      <ErrorText error={state.error} />
      {!state.loading && children(state.records)}
    </section>
  );
}

function GlucoseReport({ view, range }: { view: View; range: Range }) {
  const timeZone = localTimeZone();
  const glucose = useRecords(view.records, "glucose", range.from, range.to);
  const samples = useMemo(() => cgmSamples(glucose.records), [glucose.records]);
  const metrics = useMemo(() => consensusMetrics(samples), [samples]);
  const profile = useMemo(() => agpProfile(samples, { timeZone }), [samples, timeZone]);
  const exportFhir = useAction(async () => {
    const identity = view.share.scopes.includes("identity") ? await view.records.query({ scope: "identity", from: 0, to: 0 }) : [];
    const bundle = toFhirBundle({ records: [...glucose.records, ...identity], range }, { timeZone });
    const url = URL.createObjectURL(new Blob([JSON.stringify(bundle, null, 2)], { type: "application/fhir+json" }));
    const name = `steward-cgm-${view.share.patient.handle ?? view.share.patient.accountId}.fhir.json`;
    Object.assign(document.createElement("a"), { href: url, download: name }).click();
    setTimeout(() => URL.revokeObjectURL(url), 1_000);
  });
  return (
    <section aria-label="Glucose">
      <h2>Glucose</h2>
      <ErrorText error={glucose.error} />
      <MetricsPanel metrics={metrics} />
      {samples.length > 0 && (
        <>
          <AgpChart profile={profile} />
          <DailyTraces samples={samples} timeZone={timeZone} />
          <GlucoseChart samples={samples} />
        </>
      )}
      <ErrorText error={exportFhir.error} />
      <div class="actions">
        <button type="button" class="secondary" onClick={() => void exportFhir.run()} disabled={exportFhir.busy || samples.length === 0}>
          Export as FHIR (HL7 CGM)
        </button>
      </div>
    </section>
  );
}
