// First visit on this device: start as a patient, accept access someone gave you, recover an
// account from its recovery kit, or link this device to an account on another device.
import type { Device } from "../../device.js";
import { go, isInviteRoute } from "../../router.js";
import { OpenReportFile } from "../OpenReportFile.js";
import { CreateAccount } from "./CreateAccount.js";
import { LinkThisDevice } from "./LinkThisDevice.js";
import { Recover } from "./Recover.js";

interface Props {
  server: string;
  route: string;
  onReady: (device: Device) => void;
}

export function Welcome({ server, route, onReady }: Props) {
  if (isInviteRoute(route))
    return <CreateAccount server={server} role="grantee" invite={location.href} onReady={onReady} />;
  if (route === "/start/patient") return <CreateAccount server={server} role="patient" onReady={onReady} />;
  if (route === "/start/grantee") return <CreateAccount server={server} role="grantee" onReady={onReady} />;
  if (route === "/start/recover") return <Recover server={server} onReady={onReady} />;
  if (route === "/start/link") return <LinkThisDevice server={server} onReady={onReady} />;
  if (route === "/open-report")
    return (
      <main>
        <OpenReportFile />
      </main>
    );
  return (
    <main>
      <h1>Welcome to Steward</h1>
      <p>
        Your diabetes data, encrypted on your own devices. The server stores only ciphertext: nobody, not even Steward,
        can read it unless you share it.
      </p>
      <section class="card">
        <h2>I live with diabetes</h2>
        <p>Keep your CGM, pump and logbook data here and decide who sees what, for how long.</p>
        <button type="button" onClick={() => go("/start/patient")}>
          Create my account
        </button>
      </section>
      <section class="card">
        <h2>I care for someone or treat patients</h2>
        <p>Clinicians and caregivers see only what a patient shares with them.</p>
        <button type="button" onClick={() => go("/start/grantee")}>
          Create a clinician or caregiver account
        </button>
      </section>
      <section class="card">
        <h2>I already have an account</h2>
        <div class="actions">
          <button type="button" class="secondary" onClick={() => go("/start/link")}>
            Link this device to my other device
          </button>
          <button type="button" class="secondary" onClick={() => go("/start/recover")}>
            Recover with my recovery kit
          </button>
        </div>
      </section>
      <section class="card">
        <h2>I received a report file</h2>
        <p>A patient sent you an encrypted Steward report and its passphrase: open it here, no account needed.</p>
        <a class="button secondary" href="#/open-report">
          Open a report file
        </a>
      </section>
    </main>
  );
}
