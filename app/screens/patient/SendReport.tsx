// "Send a report" to a provider who has no Steward access: the chosen categories and period as one
// encrypted file (client/export/reportFile.ts), and its passphrase, shown once, to pass on another
// way than the file (read out on the phone, say). Whoever has both opens it under "Open a report
// file", on any device, without an account.
import { useState } from "preact/hooks";
import {
  buildReport,
  type Patient,
  recordsInGrant,
  type Scope,
  SCOPE_LABELS,
  SCOPES,
  sealReport,
} from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { PeriodPicker } from "../../components/PeriodPicker.js";
import { useAction } from "../../components/useAsync.js";
import { date, localTimeZone } from "../../format.js";
import { periodRange, useDataExtent, usePeriod } from "../../period.js";

export function SendReport({ patient }: { patient: Patient }) {
  const [period, setPeriod] = usePeriod();
  const extent = useDataExtent(patient.records);
  const range = periodRange(period, extent);
  const [scopes, setScopes] = useState<Scope[]>(["glucose", "insulin", "settings", "alerts"]);
  const [sent, setSent] = useState<{ passphrase: string; name: string; records: number } | undefined>(undefined);
  const make = useAction(async () => {
    const { records } = await recordsInGrant(patient.records, { scopes, from: range.from, to: range.to });
    const report = buildReport({ records, range, scopes, timeZone: localTimeZone() });
    const sealed = sealReport(report);
    const name = `steward-report-${patient.handle}-${new Date(range.to).toISOString().slice(0, 10)}.steward-report`;
    const url = URL.createObjectURL(
      new Blob([sealed.file as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }),
    );
    Object.assign(document.createElement("a"), { href: url, download: name }).click();
    setTimeout(() => URL.revokeObjectURL(url), 1_000);
    setSent({ passphrase: sealed.passphrase, name, records: records.length });
  });
  const toggle = (scope: Scope, on: boolean) =>
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));
  if (sent)
    return (
      <>
        <h1>Your report file is ready</h1>
        <section class="card">
          <p>
            <strong>{sent.name}</strong> was saved to your downloads ({sent.records.toLocaleString("en-GB")} records,
            encrypted). Send it to your provider, by e-mail or on a USB stick.
          </p>
          <p>
            They need this passphrase to open it. Give it to them another way than the file (read it out on the phone,
            or write it down for them). It is shown only now: Steward does not keep it.
          </p>
          <p class="code" data-testid="report-passphrase">
            {sent.passphrase}
          </p>
          <p class="hint">
            They open the file in Steward under "Open a report file" on the welcome screen; they need no account. Anyone
            with both the file and the passphrase can read the report.
          </p>
          <div class="actions">
            <button type="button" onClick={() => setSent(undefined)}>
              I have passed on the passphrase
            </button>
          </div>
        </section>
      </>
    );
  return (
    <>
      <h1>Send a report</h1>
      <p>
        For a provider without Steward: an encrypted file of the categories and period you choose, and a passphrase to
        open it.
      </p>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void make.run();
        }}
      >
        <PeriodPicker period={period} range={range} extent={extent} onChange={setPeriod} />
        <p class="hint">
          From {date(range.from)} to {date(range.to)}.
        </p>
        <fieldset>
          <legend>What the report includes</legend>
          {SCOPES.map((scope) => (
            <label key={scope}>
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(e) => toggle(scope, (e.target as HTMLInputElement).checked)}
              />{" "}
              {SCOPE_LABELS[scope]}
            </label>
          ))}
        </fieldset>
        <ErrorText error={make.error} />
        <div class="actions">
          <button type="submit" disabled={make.busy || scopes.length === 0}>
            {make.busy ? "Encrypting the report…" : "Make the encrypted report file"}
          </button>
          <a class="button secondary" href="#/report">
            Back to the report
          </a>
        </div>
      </form>
    </>
  );
}
