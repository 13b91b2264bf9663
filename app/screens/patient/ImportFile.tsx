// Import of a device export (CareLink CSV, Dexcom Clarity CSV, Nightscout JSON) chosen with the
// file picker. The format is recognised from the content; the file is read and encrypted on this
// device, and only ciphertext is ever sent. The import itself runs app-wide (importJob), so this
// screen can be left and come back to.
import { useState } from "preact/hooks";
import type { ImportFileProgress, ImportPhase, ImportSummary, Patient } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { TimeZoneSelect } from "../../components/TimeZoneSelect.js";
import { localTimeZone } from "../../format.js";
import { importJob, useImportState } from "../../importJob.js";

const FORMAT_NAMES: Record<ImportSummary["format"], string> = {
  "carelink-legacy": "CareLink (older export)",
  "carelink-current": "CareLink",
  clarity: "Dexcom Clarity",
  nightscout: "Nightscout",
};

export const PHASE_TEXT: Record<ImportPhase, string> = {
  read: "Reading the file",
  parse: "Reading the records in it",
  encrypt: "Encrypting on this device",
  store: "Storing on this device",
};

function describe(summary: ImportSummary, name: string): string {
  const parts = [
    `Imported ${summary.recordsWritten} new record${summary.recordsWritten === 1 ? "" : "s"} from ${name} (${FORMAT_NAMES[summary.format]})`,
  ];
  if (summary.duplicates > 0) parts.push(`${summary.duplicates} were already here`);
  const skipped = summary.skipped.filter((s) => s.reason !== "header").length;
  if (skipped > 0) parts.push(`${skipped} rows skipped`);
  for (const m of summary.merged)
    parts.push(
      `${m.readings} ${m.type === "cgm" ? "sensor" : "finger-stick"} readings were also in your ${m.dropped} data and are kept once, from ${m.kept}`,
    );
  if (summary.timeZone.assumed)
    parts.push(`the file has no time zone, so its times were read as ${summary.timeZone.zone}`);
  return `${parts.join("; ")}.`;
}

const count = (n: number) => n.toLocaleString("en-GB");

function Steps({ progress, done }: { progress: ImportFileProgress; done: boolean }) {
  const of = count(progress.recordsTotal ?? progress.recordsRead);
  const steps: { phase: ImportPhase; text: string }[] = [
    {
      phase: "read",
      text:
        progress.bytesFraction >= 1 || done
          ? "whole file read"
          : `${Math.round(progress.bytesFraction * 100)} % of the file`,
    },
    {
      phase: "parse",
      text:
        progress.recordsTotal === undefined
          ? `${count(progress.recordsRead)} records found`
          : `${count(progress.recordsRead)} of ${of} records`,
    },
    { phase: "encrypt", text: `${count(progress.recordsEncrypted)} of ${of} encrypted` },
    { phase: "store", text: `${count(progress.recordsStored)} of ${of} stored` },
  ];
  return (
    <ol class="import-steps" data-testid="import-steps">
      {steps.map((s) => (
        <li
          key={s.phase}
          class={!done && s.phase === progress.phase ? "now" : undefined}
          aria-current={!done && s.phase === progress.phase ? "step" : undefined}
        >
          {PHASE_TEXT[s.phase]}: {s.text}
        </li>
      ))}
    </ol>
  );
}

export function ImportFile({ patient }: { patient: Patient }) {
  const [file, setFile] = useState<File | undefined>(undefined);
  const [timeZone, setTimeZone] = useState(localTimeZone);
  const state = useImportState(patient);
  const job = importJob(patient);
  const running = state?.running ?? false;
  const progress = state?.progress;
  return (
    <>
      <h1>Import a device export</h1>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          if (file) void job.start(file, timeZone);
        }}
      >
        <p class="hint">
          A Medtronic CareLink CSV, a Dexcom Clarity CSV, or a Nightscout entries or treatments JSON file. Importing the
          same file again adds nothing twice. You can leave this screen while it runs.
        </p>
        <label for="import-file">Export file</label>
        <input
          id="import-file"
          type="file"
          accept=".csv,.json,.txt,text/csv,application/json"
          onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0])}
        />
        <label for="import-zone">Time zone the device clock was set to</label>
        <TimeZoneSelect id="import-zone" value={timeZone} onChange={setTimeZone} />
        {state && (running || progress) && (
          <>
            <label for="import-progress">
              {state.fileName}: {running ? PHASE_TEXT[progress?.phase ?? "read"] : "done"}
            </label>
            <progress
              id="import-progress"
              max={1}
              value={state.summary ? 1 : (progress?.fraction ?? 0)}
              data-testid="import-progress"
              data-phase={running ? (progress?.phase ?? "read") : "done"}
            >
              {Math.round((progress?.fraction ?? 0) * 100)} %
            </progress>
            {progress && <Steps progress={progress} done={!running} />}
          </>
        )}
        <ErrorText error={state?.error} />
        {state?.summary && (
          <p class="ok-text" role="status" data-testid="import-summary">
            {describe(state.summary, state.fileName)} <a href="#/">See your glucose</a>
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={!file || running}>
            {running ? "Importing…" : "Import"}
          </button>
          {running && (
            <button type="button" class="secondary" onClick={() => job.stop()}>
              Stop
            </button>
          )}
        </div>
      </form>
    </>
  );
}

/** A line under the top bar while an import runs and the person is on another screen. */
export function ImportRunning({ patient, route }: { patient: Patient; route: string }) {
  const state = useImportState(patient);
  if (!state?.running || route === "/import") return null;
  const progress = state.progress;
  return (
    <a class="import-running" href="#/import" data-testid="import-running">
      Importing {state.fileName}: {PHASE_TEXT[progress?.phase ?? "read"].toLowerCase()},{" "}
      {Math.round((progress?.fraction ?? 0) * 100)} %
    </a>
  );
}
