// One patient as a grant shows them: opens the grant's view, follows it live, and shows the
// banner, the sync status and either the live screen, the report or the entry form. When the
// grant ends (revoked, expired) every one of them gives way to the notice that it ended.
import { useEffect, useState } from "preact/hooks";
import { ExpiredGrant, type Grantee, RevokedGrant, type SharedView, type SyncStatus } from "../../../client/index.js";
import { AccessEnded } from "../../components/AccessEnded.js";
import { ErrorText } from "../../components/ErrorText.js";
import { GrantBanner } from "../../components/GrantBanner.js";
import { SyncStatusBar } from "../../components/SyncStatusBar.js";
import { noteEnded } from "../../endedShares.js";
import { AddEntry } from "../AddEntry.js";
import { LiveGlucose } from "./LiveGlucose.js";
import { Report } from "./Report.js";

export type Mode = "live" | "report" | "add";

function ModeLink({ grantId, mode, shown, label }: { grantId: string; mode: Mode; shown: Mode; label: string }) {
  return (
    <a
      class={mode === shown ? "button" : "button secondary"}
      href={`#/patients/${grantId}/${mode}`}
      aria-current={mode === shown ? "page" : undefined}
    >
      {label}
    </a>
  );
}

function useStatus(view: SharedView | undefined): SyncStatus | undefined {
  const [status, setStatus] = useState(view?.sync.status);
  useEffect(() => {
    setStatus(view?.sync.status);
    return view?.sync.onStatus(setStatus);
  }, [view]);
  return status;
}

function endReason(ended: unknown): string | undefined {
  if (ended === "revoked") return "the patient ended it";
  if (ended === "expired") return "it expired";
  return undefined;
}

export function PatientView({ grantee, grantId, mode }: { grantee: Grantee; grantId: string; mode?: Mode }) {
  const [view, setView] = useState<SharedView | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const status = useStatus(view);
  useEffect(() => {
    let opened: SharedView | undefined;
    grantee.open(grantId).then((v) => {
      opened = v;
      setView(v);
      // The engine retries and reconnects by itself; failures show in its status.
      void v.sync.follow().catch(() => undefined);
    }, setError);
    return () => {
      void opened?.close();
    };
  }, [grantee, grantId]);
  // `ended` says how once the SDK reports it ("revoked" or "expired"); any truthy value is an end.
  const ended = Boolean(status?.ended);
  const reason = endReason(status?.ended);
  useEffect(() => {
    if (ended && view) noteEnded(grantee.accountId, view.share);
  }, [ended, view]);
  if (error instanceof RevokedGrant || error instanceof ExpiredGrant)
    return (
      <>
        <AccessEnded patient="This patient" />
        <a class="button secondary" href="#/">
          Back to your patients
        </a>
      </>
    );
  if (error) return <ErrorText error={error} />;
  if (!view) return <p class="loading">Opening the shared data…</p>;
  const share = view.share;
  const who = `@${share.patient.handle ?? share.patient.accountId}`;
  const canWrite = share.write && share.scopes.includes("events");
  const shown: Mode = mode === "add" && !canWrite ? "report" : (mode ?? (share.live ? "live" : "report"));
  return (
    <>
      <SyncStatusBar sync={view.sync} />
      <h1>{who}</h1>
      {ended ? (
        <>
          <AccessEnded patient={who} {...(reason ? { reason } : {})} />
          <a class="button secondary" href="#/">
            Back to your patients
          </a>
        </>
      ) : (
        <>
          <GrantBanner
            patient={who}
            scopes={share.scopes}
            from={share.from}
            to={share.to}
            expiresAt={share.expiresAt}
            live={share.live}
          />
          {view.unverifiable > 0 && (
            <p class="hint" data-testid="unverifiable">
              {view.unverifiable === 1 ? "1 entry" : `${view.unverifiable} entries`} written by someone this view cannot
              verify (another person the patient lets write, or a device of the patient's this view does not know) are
              not shown.
            </p>
          )}
          <nav class="actions screen-only" aria-label="Views of this patient">
            <ModeLink grantId={grantId} mode="live" shown={shown} label="Latest readings" />
            <ModeLink grantId={grantId} mode="report" shown={shown} label="Report" />
            {canWrite && <ModeLink grantId={grantId} mode="add" shown={shown} label="Add entry" />}
          </nav>
          {shown === "live" ? (
            <LiveGlucose view={view} />
          ) : shown === "add" ? (
            <AddEntry target={view} heading={`Add an entry for ${who}`} />
          ) : (
            <Report view={view} />
          )}
        </>
      )}
    </>
  );
}
