// This account's devices: link a new one (type its code, compare the short string, confirm), and
// where to find the recovery kit's role.
import { useState } from "preact/hooks";
import type { Patient } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { useAction } from "../../components/useAsync.js";

type Approval = Awaited<ReturnType<Patient["approveLink"]>>;

/** `code`: from a scanned QR code ("#/devices/link/<code>"), filled in for the person to continue. */
export function Devices({ patient, code: scanned }: { patient: Patient; code?: string }) {
  const [code, setCode] = useState(scanned ?? "");
  const [approval, setApproval] = useState<Approval | undefined>(undefined);
  const [linked, setLinked] = useState(false);
  const start = useAction(async () => {
    setLinked(false);
    setApproval(await patient.approveLink(code.trim()));
  });
  const confirm = useAction(async () => {
    await approval!.confirm();
    setApproval(undefined);
    setCode("");
    setLinked(true);
  });
  return (
    <>
      <h1>Devices</h1>
      <section class="card">
        <h2>This device</h2>
        <p>
          Signed in as <strong>@{patient.handle}</strong>. Your data is stored here encrypted, and works offline.
        </p>
        <p class="hint">Account id: {patient.accountId}</p>
      </section>
      <section class="card" aria-labelledby="link-new">
        <h2 id="link-new">Link a new device</h2>
        <p>On the new device, open Steward and choose "Link this device to my other device". Type the code it shows here.</p>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void start.run();
          }}
        >
          <label for="link-code">Code from the new device</label>
          <input id="link-code" type="text" autocapitalize="none" spellcheck={false} autocomplete="off" required value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value)} />
          <ErrorText error={start.error} />
          <div class="actions">
            <button type="submit" disabled={start.busy || !!approval}>
              Continue
            </button>
          </div>
        </form>
        {approval && (
          <div class="banner warn">
            <p>
              Does the new device show <strong data-testid="approve-sas">{approval.sas}</strong>? Only confirm if it matches exactly: the new device gets all your keys.
            </p>
            <ErrorText error={confirm.error} />
            <div class="actions">
              <button type="button" onClick={() => void confirm.run()} disabled={confirm.busy}>
                It matches: link the device
              </button>
              <button type="button" class="secondary" onClick={() => setApproval(undefined)}>
                It does not match
              </button>
            </div>
          </div>
        )}
        {linked && (
          <p class="ok-text" role="status">
            The new device is linked.
          </p>
        )}
      </section>
      <section class="card">
        <h2>Lost every device?</h2>
        <p>Use the recovery kit you saved when you created your account: choose "Recover with my recovery kit" on a new device.</p>
      </section>
    </>
  );
}
