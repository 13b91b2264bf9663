// Opening a report file someone sent (a provider without Steward access, on any device, with or
// without an account): the file and its passphrase, then the same AGP report as in the app.
// Nothing is stored or sent: the report lives in this page until it is closed.
import { useState } from "preact/hooks";
import { openReport, type Report, type Scope, SCOPE_OF, type StewardRecord } from "../../client/index.js";
import { ErrorText } from "../components/ErrorText.js";
import { FormActions } from "../components/FormActions.js";
import { UnitSelect } from "../components/UnitSelect.js";
import { useAction } from "../components/useAsync.js";
import { ReportView } from "../report/ReportView.js";
import { useGlucoseUnit } from "../units.js";

function byScope(records: readonly StewardRecord[]): Partial<Record<Scope, StewardRecord[]>> {
  const out: Partial<Record<Scope, StewardRecord[]>> = {};
  for (const r of records) (out[SCOPE_OF[r.type]] ??= []).push(r);
  return out;
}

export function OpenReportFile() {
  const [file, setFile] = useState<File | undefined>(undefined);
  const [passphrase, setPassphrase] = useState("");
  const [report, setReport] = useState<Report | undefined>(undefined);
  const unit = useGlucoseUnit();
  const open = useAction(async () => setReport(openReport(new Uint8Array(await file!.arrayBuffer()), passphrase)));
  if (report) {
    const records = byScope(report.records);
    // Older files do not list their categories: those with records, and glucose, are shown.
    const scopes = (report.scopes ?? [...new Set<Scope>(["glucose", ...(Object.keys(records) as Scope[])])]).filter(
      (s) => s !== "identity",
    );
    return (
      <>
        <div class="toolbar screen-only">
          <UnitSelect unit={unit} />
          <button type="button" class="secondary" onClick={() => print()}>
            Print / save as PDF
          </button>
          <button type="button" class="secondary" onClick={() => setReport(undefined)}>
            Close the report
          </button>
        </div>
        <ReportView
          patient={report.patientName ?? "Patient (name not included)"}
          scopes={scopes}
          records={records}
          range={report.range}
          unit={unit}
          loading={false}
          createdAt={report.createdAt}
          note={<p class="hint screen-only">Opened from a report file: this device keeps no copy.</p>}
        />
      </>
    );
  }
  return (
    <>
      <h1>Open a report file</h1>
      <p>A patient sent you an encrypted Steward report and, separately, its passphrase.</p>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void open.run();
        }}
      >
        <label for="report-file">Report file (.steward-report)</label>
        <input id="report-file" type="file" onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0])} />
        <label for="report-passphrase">Passphrase</label>
        <input
          id="report-passphrase"
          type="text"
          autocapitalize="characters"
          spellcheck={false}
          autocomplete="off"
          required
          value={passphrase}
          onInput={(e) => setPassphrase((e.target as HTMLInputElement).value)}
        />
        <ErrorText error={open.error} />
        <FormActions label="Open the report" busyLabel="Opening…" busy={open.busy} disabled={!file} />
      </form>
    </>
  );
}
