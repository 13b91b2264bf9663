// The patient's glucose: the chart, the consensus metrics with time in range, and the meals,
// exercise and notes of the same period, all read from this device.
import { useMemo, useState } from "preact/hooks";
import type { Patient } from "../../../client/index.js";
import { consensusMetrics } from "../../../client/metrics/consensus.js";
import { EntryList } from "../../components/EntryList.js";
import { ErrorText } from "../../components/ErrorText.js";
import { GlucoseChart } from "../../components/GlucoseChart.js";
import { MetricsPanel } from "../../components/MetricsPanel.js";
import { PeriodPicker } from "../../components/PeriodPicker.js";
import { cgmSamples, useRecords } from "../../components/useRecords.js";
import { TIME } from "../../format.js";

export function Dashboard({ patient }: { patient: Patient }) {
  const [days, setDays] = useState(14);
  // The period ends at the next full hour so it stays stable while the screen is open.
  const to = Math.ceil(Date.now() / TIME.HOUR) * TIME.HOUR;
  const from = to - days * TIME.DAY;
  const glucose = useRecords(patient.records, "glucose", from, to);
  const events = useRecords(patient.records, "events", from, to);
  const samples = useMemo(() => cgmSamples(glucose.records), [glucose.records]);
  const metrics = useMemo(() => consensusMetrics(samples), [samples]);
  return (
    <>
      <h1>Your glucose</h1>
      <PeriodPicker days={days} onChange={setDays} />
      <ErrorText error={glucose.error ?? events.error} />
      {samples.length === 0 && !glucose.loading ? (
        <p class="empty">
          No readings yet. <a href="#/import">Import a device export</a> to see your glucose here.
        </p>
      ) : (
        <GlucoseChart samples={samples} />
      )}
      <MetricsPanel metrics={metrics} />
      <h2>Meals, exercise and notes</h2>
      <EntryList records={events.records} />
    </>
  );
}
