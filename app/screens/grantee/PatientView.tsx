// One patient as a grant shows them: opens the grant's view, follows it live, and shows the
// banner, the sync status and either the live screen or the report.
import { useEffect, useState } from "preact/hooks";
import type { Grantee } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { GrantBanner } from "../../components/GrantBanner.js";
import { SyncStatusBar } from "../../components/SyncStatusBar.js";
import { keepSynced } from "../../keepSynced.js";
import { startFollowing } from "../../syncActivity.js";
import { AddEntry } from "../AddEntry.js";
import { LiveGlucose } from "./LiveGlucose.js";
import { Report } from "./Report.js";

type View = Awaited<ReturnType<Grantee["open"]>>;
export type Mode = "live" | "report" | "add";

function ModeLink({ grantId, mode, shown, label }: { grantId: string; mode: Mode; shown: Mode; label: string }) {
  return (
    <a class={mode === shown ? "button" : "button secondary"} href={`#/patients/${grantId}/${mode}`} aria-current={mode === shown ? "page" : undefined}>
      {label}
    </a>
  );
}

export function PatientView({ grantee, grantId, mode }: { grantee: Grantee; grantId: string; mode?: Mode }) {
  const [view, setView] = useState<View | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    let opened: View | undefined;
    let stopSyncing: (() => void) | undefined;
    grantee.open(grantId).then((v) => {
      opened = v;
      setView(v);
      startFollowing(v.sync);
      stopSyncing = keepSynced(v.sync);
    }, setError);
    return () => {
      stopSyncing?.();
      opened?.close();
    };
  }, [grantee, grantId]);
  if (error) return <ErrorText error={error} />;
  if (!view) return <p class="loading">Opening the shared data…</p>;
  const share = view.share;
  const canWrite = share.write && share.scopes.includes("events");
  const shown: Mode = mode === "add" && !canWrite ? "report" : (mode ?? (share.live ? "live" : "report"));
  return (
    <>
      <SyncStatusBar sync={view.sync} />
      <h1>@{share.patient.handle ?? share.patient.accountId}</h1>
      <GrantBanner patient={share.patient.handle ?? share.patient.accountId} scopes={share.scopes} from={share.from} to={share.to} expiresAt={share.expiresAt} live={share.live} />
      <nav class="actions" aria-label="Views of this patient">
        <ModeLink grantId={grantId} mode="live" shown={shown} label="Latest readings" />
        <ModeLink grantId={grantId} mode="report" shown={shown} label="Report" />
        {canWrite && <ModeLink grantId={grantId} mode="add" shown={shown} label="Add entry" />}
      </nav>
      {shown === "live" ? <LiveGlucose view={view} /> : shown === "add" ? <AddEntry target={view} heading={`Add an entry for @${share.patient.handle ?? share.patient.accountId}`} /> : <Report view={view} />}
    </>
  );
}
