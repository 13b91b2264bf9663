// What to share, from when to when, for how long: the choices behind a grant or an invite, with
// the categories in plain language.
import { useState } from "preact/hooks";
import { SCOPE_LABELS, SCOPES, type Scope } from "../../client/index.js";
import { localDate, TIME } from "../format.js";

export interface GrantChoice {
  scopes: Scope[];
  from: number;
  to: number;
  expiresAt: number;
  live: boolean;
  /** May add meals, exercise and notes (only with the events category). */
  write: boolean;
}

export const EXPIRIES = [
  { ms: 24 * TIME.HOUR, label: "24 hours" },
  { ms: 48 * TIME.HOUR, label: "48 hours" },
  { ms: 7 * TIME.DAY, label: "7 days" },
  { ms: 30 * TIME.DAY, label: "30 days" },
  { ms: 90 * TIME.DAY, label: "90 days" },
  { ms: 365 * TIME.DAY, label: "1 year" },
] as const;

/** Local midnight at the start of a "YYYY-MM-DD" date, or the last millisecond of it. */
function localDay(value: string, end: boolean): number {
  const [y, m, d] = value.split("-").map(Number) as [number, number, number];
  return end ? new Date(y, m - 1, d + 1).getTime() - 1 : new Date(y, m - 1, d).getTime();
}

interface Props {
  idPrefix: string;
  submitLabel: string;
  busy: boolean;
  defaults?: { scopes?: Scope[]; days?: number; expiresInMs?: number; live?: boolean };
  onSubmit: (choice: GrantChoice) => void;
}

export function GrantForm({ idPrefix, submitLabel, busy, defaults, onSubmit }: Props) {
  const today = Date.now();
  const [scopes, setScopes] = useState<Scope[]>(defaults?.scopes ?? ["glucose"]);
  const [from, setFrom] = useState(localDate(today - (defaults?.days ?? 14) * TIME.DAY));
  const [to, setTo] = useState(localDate(today));
  const [expiresIn, setExpiresIn] = useState<number>(defaults?.expiresInMs ?? 30 * TIME.DAY);
  const [live, setLive] = useState(defaults?.live ?? false);
  const [write, setWrite] = useState(false);
  const toggle = (scope: Scope, on: boolean) =>
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));
  const id = (name: string) => `${idPrefix}-${name}`;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit({
          scopes: SCOPES.filter((s) => scopes.includes(s)),
          from: localDay(from, false),
          to: localDay(to, true),
          expiresAt: Date.now() + expiresIn,
          live,
          write: write && scopes.includes("events"),
        });
      }}
    >
      <fieldset>
        <legend>What to share</legend>
        {SCOPES.map((scope) => (
          <label key={scope}>
            <input
              type="checkbox"
              name="scope"
              value={scope}
              checked={scopes.includes(scope)}
              onChange={(e) => toggle(scope, (e.target as HTMLInputElement).checked)}
            />{" "}
            {SCOPE_LABELS[scope]}
          </label>
        ))}
      </fieldset>
      <div class="grid two">
        <div>
          <label for={id("from")}>Data from</label>
          <input
            id={id("from")}
            type="date"
            required
            value={from}
            onInput={(e) => setFrom((e.target as HTMLInputElement).value)}
          />
        </div>
        <div>
          <label for={id("to")}>Data until</label>
          <input
            id={id("to")}
            type="date"
            required
            value={to}
            onInput={(e) => setTo((e.target as HTMLInputElement).value)}
          />
        </div>
      </div>
      <label for={id("expiry")}>Access ends after</label>
      <select
        id={id("expiry")}
        value={String(expiresIn)}
        onChange={(e) => setExpiresIn(Number((e.target as HTMLSelectElement).value))}
      >
        {EXPIRIES.map((x) => (
          <option key={x.ms} value={String(x.ms)}>
            {x.label}
          </option>
        ))}
      </select>
      <label>
        <input type="checkbox" checked={live} onChange={(e) => setLive((e.target as HTMLInputElement).checked)} /> Live:
        also share new data as it arrives, until access ends
      </label>
      {scopes.includes("events") && (
        <label>
          <input type="checkbox" checked={write} onChange={(e) => setWrite((e.target as HTMLInputElement).checked)} />{" "}
          They may also add meals, exercise and notes
        </label>
      )}
      {scopes.length === 0 && <p class="hint">Choose at least one category.</p>}
      <div class="actions">
        <button type="submit" disabled={busy || scopes.length === 0}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
