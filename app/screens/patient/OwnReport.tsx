// The patient's own report: the same AGP layout a clinician sees, over any period of their data
// and every category (insulin, pump settings, meals, device alerts), to read, print, or send.
import { useMemo } from "preact/hooks";
import { type Patient, SCOPES } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { PeriodPicker } from "../../components/PeriodPicker.js";
import { UnitSelect } from "../../components/UnitSelect.js";
import { useRecordsOf } from "../../components/useRecords.js";
import { periodRange, useDataExtent, usePeriod } from "../../period.js";
import { ReportView } from "../../report/ReportView.js";
import { useGlucoseUnit } from "../../units.js";

export function OwnReport({ patient }: { patient: Patient }) {
  const [period, setPeriod] = usePeriod();
  const extent = useDataExtent(patient.records);
  const range = periodRange(period, extent);
  const unit = useGlucoseUnit();
  const scopes = useMemo(() => SCOPES.filter((s) => s !== "identity"), []);
  const state = useRecordsOf(patient.records, scopes, range.from, range.to);
  return (
    <>
      <h1 class="screen-only">Your report</h1>
      <div class="toolbar screen-only">
        <PeriodPicker period={period} range={range} extent={extent} onChange={setPeriod} />
        <UnitSelect unit={unit} />
        <button type="button" class="secondary" onClick={() => print()}>
          Print / save as PDF
        </button>
        <a class="button secondary" href="#/report/send">
          Send a report
        </a>
      </div>
      <ErrorText error={state.error} />
      <ReportView
        patient={`@${patient.handle}`}
        scopes={scopes}
        records={state.byScope}
        range={range}
        unit={unit}
        loading={state.loading}
      />
    </>
  );
}
