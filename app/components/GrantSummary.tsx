// One grant in words: the categories, the dates, live or not, and when access ends.
import { SCOPE_LABELS, type Scope } from "../../client/index.js";
import { date } from "../format.js";
import { Countdown } from "./Countdown.js";

export interface GrantTerms {
  scopes: readonly Scope[];
  from: number;
  to: number;
  expiresAt: number;
  live: boolean;
}

export function GrantSummary({ terms }: { terms: GrantTerms }) {
  return (
    <>
      <ul class="scopes">
        {terms.scopes.map((s) => (
          <li key={s}>{SCOPE_LABELS[s]}</li>
        ))}
      </ul>
      <p>
        Data from {date(terms.from)} to {date(terms.to)}
        {terms.live ? ", plus new data as it arrives" : ""}. Access <Countdown until={terms.expiresAt} />.
      </p>
    </>
  );
}
