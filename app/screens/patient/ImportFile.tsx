// Import of a device export (CareLink CSV, Dexcom Clarity CSV, Nightscout JSON) chosen with the
// file picker. The file is read and encrypted on this device; only ciphertext is ever sent.
import { useState } from "preact/hooks";
import type { Patient } from "../../../client/index.js";
import { importFile } from "../../../client/import/importFile.js";
import { ErrorText } from "../../components/ErrorText.js";
import { TimeZoneSelect } from "../../components/TimeZoneSelect.js";
import { useAction } from "../../components/useAsync.js";
import { localTimeZone } from "../../format.js";

interface Progress {
  done: number;
  total: number;
}

export function ImportFile({ patient }: { patient: Patient }) {
  const [file, setFile] = useState<File | undefined>(undefined);
  const [timeZone, setTimeZone] = useState(localTimeZone);
  const [progress, setProgress] = useState<Progress | undefined>(undefined);
  const [summary, setSummary] = useState<string | undefined>(undefined);
  const run = useAction(async (chosen: File) => {
    setSummary(undefined);
    setProgress({ done: 0, total: chosen.size });
    const result = await importFile(patient.records, chosen, {
      timeZone,
      onProgress: (p) => setProgress({ done: p.bytesDone, total: p.totalBytes ?? chosen.size }),
    });
    setProgress({ done: chosen.size, total: chosen.size });
    setSummary(`Imported ${result.records} records from ${chosen.name}${result.skipped.length > 0 ? `; ${result.skipped.length} rows skipped` : ""}.`);
    if (navigator.onLine) void patient.sync.sync().catch(() => undefined);
  });
  return (
    <>
      <h1>Import a device export</h1>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          if (file) void run.run(file);
        }}
      >
        <p class="hint">CareLink CSV, Dexcom Clarity CSV or Nightscout JSON. Importing the same file again adds nothing twice.</p>
        <label for="import-file">Export file</label>
        <input id="import-file" type="file" accept=".csv,.json,.txt,text/csv,application/json" onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0])} />
        <label for="import-zone">Time zone the device clock was set to</label>
        <TimeZoneSelect id="import-zone" value={timeZone} onChange={setTimeZone} />
        {progress && (
          <>
            <label for="import-progress">Progress</label>
            <progress id="import-progress" max={progress.total || 1} value={progress.done} data-testid="import-progress" />
          </>
        )}
        <ErrorText error={run.error} />
        {summary && (
          <p class="ok-text" role="status" data-testid="import-summary">
            {summary}
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={!file || run.busy}>
            {run.busy ? "Importing…" : "Import"}
          </button>
        </div>
      </form>
    </>
  );
}
