// One patient as a grant shows them: opens the grant's view, follows it live, and shows the
// banner, the sync status and either the live screen or the report.
import { useEffect, useState } from "preact/hooks";
import type { Grantee } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { GrantBanner } from "../../components/GrantBanner.js";
import { SyncStatusBar } from "../../components/SyncStatusBar.js";
import { keepSynced } from "../../keepSynced.js";
import { LiveGlucose } from "./LiveGlucose.js";
import { Report } from "./Report.js";

type View = Awaited<ReturnType<Grantee["open"]>>;

export function PatientView({ grantee, grantId, mode }: { grantee: Grantee; grantId: string; mode?: "live" | "report" }) {
  const [view, setView] = useState<View | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    let opened: View | undefined;
    let stopSyncing: (() => void) | undefined;
    grantee.open(grantId).then((v) => {
      opened = v;
      setView(v);
      void v.sync.follow().catch(() => undefined);
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
  const live = (mode ?? (share.live ? "live" : "report")) === "live";
  return (
    <>
      <SyncStatusBar sync={view.sync} />
      <h1>@{share.patient.handle ?? share.patient.accountId}</h1>
      <GrantBanner patient={share.patient.handle ?? share.patient.accountId} scopes={share.scopes} from={share.from} to={share.to} expiresAt={share.expiresAt} live={share.live} />
      <nav class="actions" aria-label="Views of this patient">
        <a class={live ? "button" : "button secondary"} href={`#/patients/${grantId}/live`} aria-current={live ? "page" : undefined}>
          Latest readings
        </a>
        <a class={live ? "button secondary" : "button"} href={`#/patients/${grantId}/report`} aria-current={live ? undefined : "page"}>
          Report
        </a>
      </nav>
      {live ? <LiveGlucose view={view} /> : <Report view={view} />}
    </>
  );
}
