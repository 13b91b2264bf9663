// A new device from the recovery kit: the handle and the code written on it.
import { useState } from "preact/hooks";
import { Grantee, Patient } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { FormActions } from "../../components/FormActions.js";
import { useAction } from "../../components/useAsync.js";
import { type Device, openOptions } from "../../device.js";
import { go } from "../../router.js";
import { type Role, RoleChoice } from "./RoleChoice.js";

export function Recover({ server, onReady }: { server: string; onReady: (device: Device) => void }) {
  const [handle, setHandle] = useState("");
  const [code, setCode] = useState("");
  const [role, setRole] = useState<Role>("patient");
  const recover = useAction(async () => {
    const options = { ...openOptions(server), handle, recoveryCode: code };
    const device: Device =
      role === "patient"
        ? { role, patient: await Patient.recover(options) }
        : { role, grantee: await Grantee.recover(options) };
    go("/");
    onReady(device);
  });
  return (
    <main>
      <h1>Recover your account</h1>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void recover.run();
        }}
      >
        <RoleChoice role={role} onChange={setRole} />
        <label for="recover-handle">Handle</label>
        <input
          id="recover-handle"
          type="text"
          autocapitalize="none"
          required
          value={handle}
          onInput={(e) => setHandle((e.target as HTMLInputElement).value.trim().toLowerCase())}
        />
        <label for="recover-code">Recovery code (from your recovery kit)</label>
        <input
          id="recover-code"
          type="text"
          autocapitalize="none"
          spellcheck={false}
          autocomplete="off"
          required
          value={code}
          onInput={(e) => setCode((e.target as HTMLInputElement).value)}
        />
        <ErrorText error={recover.error} />
        <FormActions label="Recover" busyLabel="Unlocking your kit…" busy={recover.busy} />
      </form>
    </main>
  );
}
