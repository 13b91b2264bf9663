// Clinician or caregiver sign-up, then the recovery kit; when opened from an invite link, the
// invite is answered right after (its secret stays in the URL fragment, which the browser never
// sends to the server).
import { useState } from "preact/hooks";
import { Grantee } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { useAction } from "../../components/useAsync.js";
import { openOptions, type Device } from "../../device.js";
import { go } from "../../router.js";
import { HandleField } from "./HandleField.js";
import { RecoveryKit } from "./RecoveryKit.js";

export function CreateGrantee({ server, invite, onReady }: { server: string; invite?: string; onReady: (device: Device) => void }) {
  const [handle, setHandle] = useState("");
  const [created, setCreated] = useState<{ grantee: Grantee; recoveryCode: string } | undefined>(undefined);
  const create = useAction(async () => {
    const result = await Grantee.create({ ...openOptions(server), handle });
    if (invite) await result.grantee.acceptInvite(invite);
    setCreated(result);
  });
  if (created)
    return (
      <RecoveryKit
        handle={created.grantee.handle}
        code={created.recoveryCode}
        onDone={() => {
          go("/");
          onReady({ role: "grantee", grantee: created.grantee });
        }}
      />
    );
  return (
    <main>
      <h1>{invite ? "You were invited to see someone's diabetes data" : "Create a clinician or caregiver account"}</h1>
      {invite && <p class="banner">Create an account on this device to accept. The person who invited you confirms it from their own device; you will see exactly what they chose to share, for as long as they chose.</p>}
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <HandleField value={handle} onInput={setHandle} />
        <ErrorText error={create.error} />
        <div class="actions">
          <button type="submit" disabled={create.busy}>
            {create.busy ? "Creating your keys…" : invite ? "Create account and accept" : "Create account"}
          </button>
          {!invite && (
            <a class="button secondary" href="#/">
              Back
            </a>
          )}
        </div>
      </form>
    </main>
  );
}
