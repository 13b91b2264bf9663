// The clinician's report of one grant, laid out as the AGP report, limited to what the grant
// covers (the view cannot decrypt anything else), with printing and a FHIR export while the grant
// lasts. Once it ends the report is taken off the screen (PatientView shows why).
import { useEffect, useMemo, useState } from "preact/hooks";
import { SCOPES, type SharedView, type SyncStatus, toFhirBundle } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { UnitSelect } from "../../components/UnitSelect.js";
import { useAction } from "../../components/useAsync.js";
import { useRecordsOf } from "../../components/useRecords.js";
import { localTimeZone } from "../../format.js";
import { ReportView } from "../../report/ReportView.js";
import { useGlucoseUnit } from "../../units.js";

function rangeOf(view: SharedView) {
  const share = view.share;
  // A live grant keeps growing until it ends; the report covers what has arrived so far.
  return { from: share.from, to: share.live ? Math.max(share.to, Math.min(Date.now(), share.expiresAt)) : share.to };
}

/** Before the view's first sync an empty device means the data is on its way, not that there is none. */
const firstSyncPending = (status: SyncStatus) => status.lastSyncedAt === undefined && !status.error && !status.ended;

function useFirstSyncPending(view: SharedView): boolean {
  const [pending, setPending] = useState(() => firstSyncPending(view.sync.status));
  useEffect(() => {
    setPending(firstSyncPending(view.sync.status));
    return view.sync.onStatus((status) => setPending(firstSyncPending(status)));
  }, [view]);
  return pending;
}

export function Report({ view }: { view: SharedView }) {
  const range = useMemo(() => rangeOf(view), [view]);
  const unit = useGlucoseUnit();
  const scopes = useMemo(() => SCOPES.filter((s) => s !== "identity" && view.share.scopes.includes(s)), [view]);
  const state = useRecordsOf(view.records, scopes, range.from, range.to);
  const syncing = useFirstSyncPending(view);
  const patient = `@${view.share.patient.handle ?? view.share.patient.accountId}`;
  const exportFhir = useAction(async () => {
    const identity = view.share.scopes.includes("identity")
      ? await view.records.query({ scope: "identity", from: 0, to: 0 })
      : [];
    const bundle = toFhirBundle(
      { records: [...(state.byScope.glucose ?? []), ...identity], range },
      { timeZone: localTimeZone() },
    );
    const url = URL.createObjectURL(new Blob([JSON.stringify(bundle, null, 2)], { type: "application/fhir+json" }));
    const name = `steward-cgm-${view.share.patient.handle ?? view.share.patient.accountId}.fhir.json`;
    Object.assign(document.createElement("a"), { href: url, download: name }).click();
    setTimeout(() => URL.revokeObjectURL(url), 1_000);
  });
  const readings = state.byScope.glucose?.length ?? 0;
  return (
    <>
      <div class="toolbar screen-only">
        <UnitSelect unit={unit} />
        <button type="button" class="secondary" onClick={() => print()} disabled={readings === 0}>
          Print / save as PDF
        </button>
        {view.share.scopes.includes("glucose") && (
          <button
            type="button"
            class="secondary"
            onClick={() => void exportFhir.run()}
            disabled={exportFhir.busy || readings === 0}
          >
            Export as FHIR (HL7 CGM)
          </button>
        )}
      </div>
      <ErrorText error={state.error ?? exportFhir.error} />
      <ReportView
        patient={patient}
        scopes={scopes}
        records={state.byScope}
        range={range}
        unit={unit}
        loading={state.loading || syncing}
      />
    </>
  );
}
