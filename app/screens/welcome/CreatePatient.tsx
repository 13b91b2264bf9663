// Patient sign-up: a handle, then the recovery kit to save or print before going on.
import { useState } from "preact/hooks";
import { Patient } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { useAction } from "../../components/useAsync.js";
import { openOptions, type Device } from "../../device.js";
import { go } from "../../router.js";
import { HandleField } from "./HandleField.js";
import { RecoveryKit } from "./RecoveryKit.js";

export function CreatePatient({ server, onReady }: { server: string; onReady: (device: Device) => void }) {
  const [handle, setHandle] = useState("");
  const [created, setCreated] = useState<{ patient: Patient; recoveryCode: string } | undefined>(undefined);
  const create = useAction(async () => setCreated(await Patient.create({ ...openOptions(server), handle })));
  if (created)
    return (
      <RecoveryKit
        handle={created.patient.handle}
        code={created.recoveryCode}
        onDone={() => {
          go("/");
          onReady({ role: "patient", patient: created.patient });
        }}
      />
    );
  return (
    <main>
      <h1>Create your account</h1>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <HandleField value={handle} onInput={setHandle} />
        <p class="hint">Your keys are made on this device. Creating the account needs a network connection once; after that Steward works offline.</p>
        <ErrorText error={create.error} />
        <div class="actions">
          <button type="submit" disabled={create.busy}>
            {create.busy ? "Creating your keys…" : "Create account"}
          </button>
          <a class="button secondary" href="#/">
            Back
          </a>
        </div>
      </form>
    </main>
  );
}
