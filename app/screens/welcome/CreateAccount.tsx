// Sign-up for either role: a handle, then the recovery kit to save or print before going on. A
// clinician or caregiver opened from an invite link answers the invite right after (its secret
// stays in the URL fragment, which the browser never sends to the server).
import { useState } from "preact/hooks";
import { Grantee, Patient, type Placement } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { useAction } from "../../components/useAsync.js";
import { type Device, openOptions } from "../../device.js";
import { invitedBy } from "../../invitedBy.js";
import { go } from "../../router.js";
import { HandleField } from "./HandleField.js";
import { PlacementField } from "./PlacementField.js";
import { RecoveryKit } from "./RecoveryKit.js";
import type { Role } from "./RoleChoice.js";

export function CreateAccount({
  server,
  role,
  invite,
  onReady,
}: {
  server: string;
  role: Role;
  invite?: string;
  onReady: (device: Device) => void;
}) {
  const [handle, setHandle] = useState("");
  const [placement, setPlacement] = useState<Placement>("default");
  const [created, setCreated] = useState<{ device: Device; handle: string; recoveryCode: string } | undefined>(
    undefined,
  );
  const create = useAction(async () => {
    const options = { ...openOptions(server), handle, placement };
    if (role === "patient") {
      const { patient, recoveryCode } = await Patient.create(options);
      return setCreated({ device: { role, patient }, handle: patient.handle, recoveryCode });
    }
    const { grantee, recoveryCode } = await Grantee.create(options);
    if (invite) {
      const { patient } = await grantee.acceptInvite(invite);
      // The link's name is only a greeting; the account it names is what was trusted.
      if (inviter && patient.handle !== inviter)
        console.warn(`the invite link said @${inviter}; the account behind it is @${patient.handle}`);
    }
    setCreated({ device: { role, grantee }, handle: grantee.handle, recoveryCode });
  });
  if (created)
    return (
      <RecoveryKit
        handle={created.handle}
        code={created.recoveryCode}
        onDone={() => {
          go("/");
          onReady(created.device);
        }}
      />
    );
  const inviter = invite ? invitedBy(invite) : undefined;
  const title =
    role === "patient"
      ? "Create your account"
      : invite
        ? inviter
          ? `@${inviter} invited you to see their diabetes data`
          : "You were invited to see someone's diabetes data"
        : "Create a clinician or caregiver account";
  return (
    <main>
      <h1>{title}</h1>
      {invite && (
        <p class="banner">
          Create an account on this device to accept. The person who invited you confirms it from their own device; you
          will see exactly what they chose to share, for as long as they chose.
        </p>
      )}
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <HandleField value={handle} onInput={setHandle} />
        {role === "patient" && <PlacementField value={placement} onChange={setPlacement} />}
        {role === "patient" && (
          <p class="hint">
            Your keys are made on this device. Creating the account needs a network connection once; after that Steward
            works offline.
          </p>
        )}
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
