// The patient's glucose: the chart, the consensus metrics with time in range, and the meals,
// exercise and notes of the same period, all read from this device. The period can be any span of
// the data; when it holds nothing, the screen says where the data is.
import { useMemo } from "preact/hooks";
import { consensusMetrics, type Patient } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { GlucoseChart } from "../../components/GlucoseChart.js";
import { MetricsPanel } from "../../components/MetricsPanel.js";
import { DataElsewhere, PeriodPicker } from "../../components/PeriodPicker.js";
import { UnitSelect } from "../../components/UnitSelect.js";
import { cgmSamples, useRecordsOf } from "../../components/useRecords.js";
import { periodRange, useDataExtent, usePeriod } from "../../period.js";
import { EntryList } from "../../report/EntryList.js";
import { useGlucoseUnit } from "../../units.js";

const SCOPES = ["glucose", "events"] as const;

export function Dashboard({ patient }: { patient: Patient }) {
  const [period, setPeriod] = usePeriod();
  const extent = useDataExtent(patient.records);
  const range = periodRange(period, extent);
  const unit = useGlucoseUnit();
  const state = useRecordsOf(patient.records, SCOPES, range.from, range.to);
  const samples = useMemo(() => cgmSamples(state.byScope.glucose ?? []), [state.byScope.glucose]);
  const metrics = useMemo(() => consensusMetrics(samples), [samples]);
  return (
    <>
      <h1>Your glucose</h1>
      <div class="toolbar">
        <PeriodPicker period={period} range={range} extent={extent} onChange={setPeriod} />
        <UnitSelect unit={unit} />
      </div>
      <ErrorText error={state.error} />
      {samples.length === 0 && !state.loading ? (
        extent ? (
          <DataElsewhere extent={extent} onChange={setPeriod} />
        ) : (
          <p class="empty">
            No readings yet. <a href="#/import">Import a device export</a> to see your glucose here.
          </p>
        )
      ) : (
        <>
          <GlucoseChart samples={samples} unit={unit} />
          <MetricsPanel metrics={metrics} unit={unit} />
          <p>
            <a href="#/report">Open the full report</a> (AGP, daily profiles, insulin, pump settings and device alerts)
            to print or send.
          </p>
        </>
      )}
      <h2>Meals, exercise and notes</h2>
      <EntryList records={state.byScope.events ?? []} />
    </>
  );
}
