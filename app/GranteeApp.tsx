// The clinician's or caregiver's app: the patients who shared, an invite to accept, and one
// patient's view (the live screen for a live grant, the report otherwise; both reachable).
import type { Grantee } from "../client/index.js";
import { Header, type Tab } from "./components/Header.js";
import { isInviteRoute } from "./router.js";
import { AcceptInvite } from "./screens/grantee/AcceptInvite.js";
import { Patients } from "./screens/grantee/Patients.js";
import { type Mode, PatientView } from "./screens/grantee/PatientView.js";
import { OpenReportFile } from "./screens/OpenReportFile.js";

const TABS: Tab[] = [
  { route: "/", label: "Patients" },
  { route: "/open-report", label: "Open a report file" },
];

export function GranteeApp({ grantee, route }: { grantee: Grantee; route: string }) {
  const view = /^\/patients\/([^/]+)(?:\/(live|report|add))?$/.exec(route);
  return (
    <>
      <Header who={`@${grantee.handle}`} tabs={TABS} route={route} />
      <main>
        {isInviteRoute(route) ? (
          <AcceptInvite grantee={grantee} invite={location.href} />
        ) : route === "/open-report" ? (
          <OpenReportFile />
        ) : view ? (
          <PatientView key={view[1]} grantee={grantee} grantId={view[1]!} mode={view[2] as Mode | undefined} />
        ) : (
          <Patients grantee={grantee} />
        )}
      </main>
    </>
  );
}
