// Import of a device export (CareLink CSV, Dexcom Clarity CSV, Nightscout JSON) chosen with the
// file picker. The format is recognised from the content; the file is read and encrypted on this
// device, and only ciphertext is ever sent.
import { useRef, useState } from "preact/hooks";
import type { Patient } from "../../../client/index.js";
import { importFile, type ImportSummary } from "../../../client/import/importFile.js";
import { ErrorText } from "../../components/ErrorText.js";
import { TimeZoneSelect } from "../../components/TimeZoneSelect.js";
import { useAction } from "../../components/useAsync.js";
import { localTimeZone } from "../../format.js";
import { syncNow } from "../../syncActivity.js";

const FORMAT_NAMES: Record<ImportSummary["format"], string> = {
  "carelink-legacy": "CareLink (older export)",
  "carelink-current": "CareLink",
  clarity: "Dexcom Clarity",
  nightscout: "Nightscout",
};

function describe(summary: ImportSummary, name: string): string {
  const parts = [`Imported ${summary.recordsWritten} new record${summary.recordsWritten === 1 ? "" : "s"} from ${name} (${FORMAT_NAMES[summary.format]})`];
  if (summary.duplicates > 0) parts.push(`${summary.duplicates} were already here`);
  const skipped = summary.skipped.filter((s) => s.reason !== "header").length;
  if (skipped > 0) parts.push(`${skipped} rows skipped`);
  for (const m of summary.merged) parts.push(`${m.readings} ${m.type === "cgm" ? "sensor" : "finger-stick"} readings were also in your ${m.dropped} data and are kept once, from ${m.kept}`);
  if (summary.timeZone.assumed) parts.push(`the file has no time zone, so its times were read as ${summary.timeZone.zone}`);
  return `${parts.join("; ")}.`;
}

export function ImportFile({ patient }: { patient: Patient }) {
  const [file, setFile] = useState<File | undefined>(undefined);
  const [timeZone, setTimeZone] = useState(localTimeZone);
  const [fraction, setFraction] = useState<number | undefined>(undefined);
  const [summary, setSummary] = useState<ImportSummary | undefined>(undefined);
  const abort = useRef<AbortController | undefined>(undefined);
  const run = useAction(async (chosen: File) => {
    setSummary(undefined);
    setFraction(0);
    abort.current = new AbortController();
    const result = await importFile(patient.records, chosen, { timeZone, signal: abort.current.signal, onProgress: (p) => setFraction(p.fraction) });
    setSummary(result);
    // Offline this fails fast and the status bar shows what waits; keepSynced sends it later.
    void syncNow(patient.sync).catch(() => undefined);
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
        <p class="hint">A Medtronic CareLink CSV, a Dexcom Clarity CSV, or a Nightscout entries or treatments JSON file. Importing the same file again adds nothing twice.</p>
        <label for="import-file">Export file</label>
        <input id="import-file" type="file" accept=".csv,.json,.txt,text/csv,application/json" onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0])} />
        <label for="import-zone">Time zone the device clock was set to</label>
        <TimeZoneSelect id="import-zone" value={timeZone} onChange={setTimeZone} />
        {fraction !== undefined && (
          <>
            <label for="import-progress">Progress</label>
            <progress id="import-progress" max={1} value={fraction} data-testid="import-progress">
              {Math.round(fraction * 100)} %
            </progress>
          </>
        )}
        <ErrorText error={run.error} />
        {summary && file && (
          <p class="ok-text" role="status" data-testid="import-summary">
            {describe(summary, file.name)}
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={!file || run.busy}>
            {run.busy ? "Importing…" : "Import"}
          </button>
          {run.busy && (
            <button type="button" class="secondary" onClick={() => abort.current?.abort()}>
              Stop
            </button>
          )}
        </div>
      </form>
    </>
  );
}
