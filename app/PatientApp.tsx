// The patient's app: follows sync while open (live updates, reconnecting by itself, pushing what
// waits as soon as the browser is back online), answers invites that were accepted, and routes
// between the patient's screens.
import { useEffect } from "preact/hooks";
import type { Patient } from "../client/index.js";
import { Header, type Tab } from "./components/Header.js";
import { SyncStatusBar } from "./components/SyncStatusBar.js";
import { isInviteRoute } from "./router.js";
import { AddEntry } from "./screens/AddEntry.js";
import { OpenReportFile } from "./screens/OpenReportFile.js";
import { AccessLog } from "./screens/patient/AccessLog.js";
import { Dashboard } from "./screens/patient/Dashboard.js";
import { Devices } from "./screens/patient/Devices.js";
import { Grants } from "./screens/patient/Grants.js";
import { ImportFile, ImportRunning } from "./screens/patient/ImportFile.js";
import { OwnReport } from "./screens/patient/OwnReport.js";
import { SendReport } from "./screens/patient/SendReport.js";
import { Share } from "./screens/patient/Share.js";

const TABS: Tab[] = [
  { route: "/", label: "Glucose" },
  { route: "/report", label: "Report" },
  { route: "/add", label: "Add entry" },
  { route: "/import", label: "Import" },
  { route: "/share", label: "Share" },
  { route: "/grants", label: "Who has access" },
  { route: "/log", label: "Access log" },
  { route: "/devices", label: "Devices" },
];

/** How often an open app checks whether someone answered one of the patient's invites. */
const INVITE_CHECK_MS = 5_000;

export function PatientApp({ patient, route }: { patient: Patient; route: string }) {
  useEffect(() => {
    // The engine retries and reconnects by itself; failures show in its status.
    void patient.sync.follow().catch(() => undefined);
    const timer = setInterval(() => {
      if (navigator.onLine) void patient.completeInvites().catch(() => undefined);
    }, INVITE_CHECK_MS);
    return () => {
      clearInterval(timer);
      void patient.sync.stop();
    };
  }, [patient]);
  return (
    <>
      <Header who={`@${patient.handle}`} tabs={TABS} route={route}>
        <SyncStatusBar sync={patient.sync} />
        <ImportRunning patient={patient} route={route} />
      </Header>
      <main>{screen(patient, route)}</main>
    </>
  );
}

function screen(patient: Patient, route: string) {
  const link = /^\/devices\/link\/(.+)$/.exec(route);
  if (link) return <Devices patient={patient} code={link[1]!} />;
  if (isInviteRoute(route))
    return (
      <p class="banner warn" role="alert">
        This is an invite link for a clinician or caregiver. This device holds your own patient account: open the link
        on their device instead.
      </p>
    );
  switch (route) {
    case "/report":
      return <OwnReport patient={patient} />;
    case "/report/send":
      return <SendReport patient={patient} />;
    case "/open-report":
      return <OpenReportFile />;
    case "/add":
      return <AddEntry target={patient} />;
    case "/import":
      return <ImportFile patient={patient} />;
    case "/share":
      return <Share patient={patient} />;
    case "/grants":
      return <Grants patient={patient} />;
    case "/log":
      return <AccessLog patient={patient} />;
    case "/devices":
      return <Devices patient={patient} />;
    default:
      return <Dashboard patient={patient} />;
  }
}
