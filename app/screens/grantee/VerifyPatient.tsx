// The grantee's half of comparing safety numbers, for a patient found by handle or one who already
// shared: the same 60 digits the patient sees under Share.
import { useState } from "preact/hooks";
import type { Contact, Grantee } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { SafetyCheck } from "../../components/SafetyCheck.js";
import { useAction } from "../../components/useAsync.js";

const WHERE = 'they see the same number in their app under Share, after typing your handle and choosing "Find"';

/** For a patient in the list of shares: shows the number on request. */
export function VerifyPatient({
  grantee,
  patient,
  onVerified,
}: {
  grantee: Grantee;
  patient: { accountId: string; handle?: string };
  onVerified: () => void;
}) {
  const [contact, setContact] = useState<Contact | undefined>(undefined);
  const show = useAction(async () => {
    const known = grantee.contacts().find((c) => c.accountId === patient.accountId);
    setContact(known ?? (patient.handle ? await grantee.findContact(patient.handle) : undefined));
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
    <SafetyCheck
      device={grantee}
      contact={contact}
      where={WHERE}
      onVerified={onVerified}
      onCancel={() => setContact(undefined)}
      cancelLabel="Not now"
    />
  );
}

/** Before any share: the grantee types the patient's handle and compares the number with them. */
export function CompareByHandle({ grantee, onVerified }: { grantee: Grantee; onVerified: () => void }) {
  const [handle, setHandle] = useState("");
  const [contact, setContact] = useState<Contact | undefined>(undefined);
  const [verified, setVerified] = useState<string | undefined>(undefined);
  const find = useAction(async () => {
    setVerified(undefined);
    const found = await grantee.findContact(handle);
    if (found.verifiedAt !== undefined) setVerified(found.handle);
    else setContact(found);
  });
  return (
    <section class="card" aria-labelledby="compare-handle">
      <h2 id="compare-handle">Compare safety numbers with a patient</h2>
      <p class="hint">
        Before a patient shares with you, you can both check that the keys are really each other's: type their handle,
        then compare the number on both screens.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setContact(undefined);
          void find.run();
        }}
      >
        <label for="patient-handle">Patient's handle</label>
        <input
          id="patient-handle"
          type="text"
          autocapitalize="none"
          spellcheck={false}
          required
          value={handle}
          onInput={(e) => setHandle((e.target as HTMLInputElement).value.trim().toLowerCase().replace(/^@/, ""))}
        />
        <ErrorText error={find.error} />
        <div class="actions">
          <button type="submit" disabled={find.busy}>
            Show the safety number
          </button>
        </div>
      </form>
      {contact && (
        <SafetyCheck
          device={grantee}
          contact={contact}
          where={WHERE}
          onVerified={() => {
            setVerified(contact.handle);
            setContact(undefined);
            onVerified();
          }}
          onCancel={() => setContact(undefined)}
        />
      )}
      {verified && (
        <p class="ok-text" role="status">
          @{verified}'s keys are verified on this device.
        </p>
      )}
    </section>
  );
}
