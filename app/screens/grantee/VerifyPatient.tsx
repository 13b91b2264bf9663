// The grantee's half of comparing safety numbers: the same 60 digits the patient sees, and a
// confirmation that pins the patient's keys as verified on this device.
import { useState } from "preact/hooks";
import type { Grantee } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { SafetyNumber } from "../../components/SafetyNumber.js";
import { useAction } from "../../components/useAsync.js";

type Contact = Awaited<ReturnType<Grantee["findContact"]>>;

export function VerifyPatient({ grantee, patient, onVerified }: { grantee: Grantee; patient: { accountId: string; handle?: string }; onVerified: () => void }) {
  const [contact, setContact] = useState<Contact | undefined>(undefined);
  const show = useAction(async () => {
    const known = grantee.contacts().find((c) => c.accountId === patient.accountId);
    setContact(known ?? (patient.handle ? await grantee.findContact(patient.handle) : undefined));
  });
  const verify = useAction(async () => {
    await grantee.verifyContact(patient.accountId);
    onVerified();
  });
  if (!contact)
    return (
      <>
        <button type="button" class="secondary" onClick={() => void show.run()} disabled={show.busy}>
          Compare safety number
        </button>
        <ErrorText error={show.error} />
      </>
    );
  return (
    <div class="banner warn">
      <p>Read this number to @{contact.handle}, or compare it on their screen. If it matches, nobody replaced their keys on the way.</p>
      <SafetyNumber digits={grantee.safetyNumber(contact)} />
      <ErrorText error={verify.error} />
      <div class="actions">
        <button type="button" onClick={() => void verify.run()} disabled={verify.busy}>
          The numbers match
        </button>
        <button type="button" class="secondary" onClick={() => setContact(undefined)}>
          Not now
        </button>
      </div>
    </div>
  );
}
