// Import of a device export (CareLink CSV, Dexcom Clarity CSV, Nightscout JSON) chosen with the
// file picker. The file is read and encrypted on this device; only ciphertext is ever sent.
import { useState } from "preact/hooks";
import type { Patient } from "../../../client/index.js";
import { importCareLink } from "../../../client/import/carelink.js";
import { importClarity } from "../../../client/import/clarity.js";
import { importNightscout } from "../../../client/import/nightscout.js";
import type { ImportEvent, ImportInput, ImportOptions } from "../../../client/import/types.js";
import type { StewardRecord } from "../../../shared/records.js";
import { ErrorText } from "../../components/ErrorText.js";
import { TimeZoneSelect } from "../../components/TimeZoneSelect.js";
import { useAction } from "../../components/useAsync.js";
import { localTimeZone } from "../../format.js";

const FORMATS = {
  clarity: { label: "Dexcom Clarity CSV", read: importClarity },
  carelink: { label: "Medtronic CareLink CSV", read: importCareLink },
  nightscout: { label: "Nightscout JSON (entries or treatments)", read: importNightscout },
} satisfies Record<string, { label: string; read: (input: ImportInput, options: ImportOptions) => AsyncIterable<ImportEvent> }>;
type Format = keyof typeof FORMATS;

/** Records are written in batches, so a large file never holds every record in memory at once. */
const BATCH = 1_000;

interface Progress {
  done: number;
  total: number;
}

export function ImportFile({ patient }: { patient: Patient }) {
  const [file, setFile] = useState<File | undefined>(undefined);
  const [format, setFormat] = useState<Format>("clarity");
  const [timeZone, setTimeZone] = useState(localTimeZone);
  const [progress, setProgress] = useState<Progress | undefined>(undefined);
  const [summary, setSummary] = useState<string | undefined>(undefined);
  const run = useAction(async (chosen: File) => {
    setSummary(undefined);
    setProgress({ done: 0, total: chosen.size });
    let batch: StewardRecord[] = [];
    let records = 0;
    let skipped = 0;
    for await (const event of FORMATS[format].read(chosen.stream(), { timeZone, totalBytes: chosen.size })) {
      if (event.kind === "record") batch.push(event.record);
      else if (event.kind === "skipped") skipped += event.reason === "header" ? 0 : 1;
      else setProgress({ done: event.bytesDone, total: chosen.size });
      if (batch.length >= BATCH) {
        await patient.records.put(batch);
        records += batch.length;
        batch = [];
      }
    }
    await patient.records.put(batch);
    records += batch.length;
    setProgress({ done: chosen.size, total: chosen.size });
    setSummary(`Imported ${records} records from ${chosen.name}${skipped > 0 ? `; ${skipped} rows skipped` : ""}.`);
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
        <p class="hint">Importing the same file again adds nothing twice.</p>
        <label for="import-file">Export file</label>
        <input id="import-file" type="file" accept=".csv,.json,.txt,text/csv,application/json" onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0])} />
        <label for="import-format">Kind of export</label>
        <select id="import-format" value={format} onChange={(e) => setFormat((e.target as HTMLSelectElement).value as Format)}>
          {Object.entries(FORMATS).map(([key, f]) => (
            <option key={key} value={key}>
              {f.label}
            </option>
          ))}
        </select>
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
