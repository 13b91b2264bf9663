// The app shell: finds the account stored on this device (patient, or clinician/caregiver), then
// shows that role's navigation, the sync status and the screen the URL names.
import { useEffect, useState } from "preact/hooks";
import { ErrorText } from "./components/ErrorText.js";
import { UpdateBanner } from "./components/UpdateBanner.js";
import { type Device, openDevice } from "./device.js";
import { GranteeApp } from "./GranteeApp.js";
import { PatientApp } from "./PatientApp.js";
import { useRoute } from "./router.js";
import { About } from "./screens/About.js";
import { Welcome } from "./screens/welcome/Welcome.js";

export function App({ server }: { server: string }) {
  const [device, setDevice] = useState<Device | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const route = useRoute();
  useEffect(() => {
    openDevice(server).then(setDevice, setError);
  }, [server]);
  return (
    <>
      <UpdateBanner />
      {route === "/about" ? (
        <main>
          <About />
        </main>
      ) : (
        body(server, route, device, error, setDevice)
      )}
      <footer class="app-footer">
        <a href="#/about">About this build</a>
      </footer>
    </>
  );
}

function body(
  server: string,
  route: string,
  device: Device | undefined,
  error: unknown,
  setDevice: (d: Device) => void,
) {
  if (error)
    return (
      <main>
        <h1>Steward could not start</h1>
        <ErrorText error={error} />
      </main>
    );
  if (!device) return <p class="loading">Opening your data on this device…</p>;
  if (device.role === "patient") return <PatientApp patient={device.patient} route={route} />;
  if (device.role === "grantee") return <GranteeApp grantee={device.grantee} route={route} />;
  return <Welcome server={server} route={route} onReady={setDevice} />;
}
