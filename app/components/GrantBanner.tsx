// What a grantee is looking at: whose data, which categories, which dates, until when. Shown on
// every patient view so nobody mistakes a partial view for the whole record.
import { SCOPE_LABELS, type Scope } from "../../client/index.js";
import { date } from "../format.js";
import { Countdown } from "./Countdown.js";

interface Props {
  patient: string;
  scopes: readonly Scope[];
  from: number;
  to: number;
  expiresAt: number;
  live: boolean;
}

export function GrantBanner({ patient, scopes, from, to, expiresAt, live }: Props) {
  return (
    <div class="banner" role="note" data-testid="grant-banner">
      <strong>{patient}</strong> shared: {scopes.map((s) => SCOPE_LABELS[s]).join("; ")}. Data from {date(from)} to{" "}
      {date(to)}
      {live ? ", and new data as it arrives" : ""}. Access <Countdown until={expiresAt} />. Anything else is not part of
      this view.
    </div>
  );
}
