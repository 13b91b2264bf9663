// Sharing: with a known person by handle (after comparing safety numbers), or by an invite link
// whose secret lets this device trust whoever opens it.
import { useState } from "preact/hooks";
import type { Patient } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { type GrantChoice, GrantForm } from "../../components/GrantForm.js";
import { QrCode } from "../../components/QrCode.js";
import { SafetyCheck } from "../../components/SafetyCheck.js";
import { useAction } from "../../components/useAsync.js";
import { TIME } from "../../format.js";
import { go } from "../../router.js";

type Contact = Awaited<ReturnType<Patient["findContact"]>>;

export function Share({ patient }: { patient: Patient }) {
  return (
    <>
      <h1>Share your data</h1>
      <p>
        You choose the categories, the dates and when access ends. You can revoke it at any time under "Who has access".
      </p>
      <ShareWithContact patient={patient} />
      <InviteByLink patient={patient} />
    </>
  );
}

function ShareWithContact({ patient }: { patient: Patient }) {
  const [handle, setHandle] = useState("");
  const [contact, setContact] = useState<Contact | undefined>(undefined);
  const [verified, setVerified] = useState(false);
  const find = useAction(async () => {
    const found = await patient.findContact(handle);
    setContact(found);
    setVerified(found.verifiedAt !== undefined);
  });
  const share = useAction(async (choice: GrantChoice) => {
    await patient.share({ with: contact!.accountId, ...choice });
    go("/grants");
  });
  return (
    <section class="card" aria-labelledby="share-contact">
      <h2 id="share-contact">With a clinician or caregiver who has Steward</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setContact(undefined);
          void find.run();
        }}
      >
        <label for="contact-handle">Their handle</label>
        <input
          id="contact-handle"
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
            Find
          </button>
        </div>
      </form>
      {contact && !verified && (
        <SafetyCheck
          device={patient}
          contact={contact}
          where={`they see the same number in their app under Patients, in "Compare safety numbers with a patient" after typing your handle @${patient.handle}`}
          onVerified={() => setVerified(true)}
          onCancel={() => setContact(undefined)}
        />
      )}
      {contact && verified && (
        <>
          <p class="ok-text">@{contact.handle} is verified.</p>
          <GrantForm
            idPrefix="share"
            submitLabel={`Share with @${contact.handle}`}
            busy={share.busy}
            onSubmit={(choice) => void share.run(choice)}
          />
          <ErrorText error={share.error} />
        </>
      )}
    </section>
  );
}

function InviteByLink({ patient }: { patient: Patient }) {
  const [url, setUrl] = useState<string | undefined>(undefined);
  const [copied, setCopied] = useState(false);
  const invite = useAction(async (choice: GrantChoice) => {
    setUrl((await patient.createInvite(choice)).url);
    setCopied(false);
  });
  const check = useAction(async () => {
    const issued = await patient.completeInvites();
    if (issued.length > 0) go("/grants");
  });
  return (
    <section class="card" aria-labelledby="share-invite">
      <h2 id="share-invite">With an invite link (for example a family member)</h2>
      <p class="hint">
        Send the link privately. Whoever opens it first gets the access below, once this device confirms it (it does so
        by itself while Steward is open).
      </p>
      <GrantForm
        idPrefix="invite"
        submitLabel="Create invite link"
        busy={invite.busy}
        defaults={{ scopes: ["glucose", "alerts"], days: 1, expiresInMs: 48 * TIME.HOUR, live: true }}
        onSubmit={(choice) => void invite.run(choice)}
      />
      <ErrorText error={invite.error} />
      {url && (
        <div class="banner">
          <label for="invite-url">Invite link</label>
          <input
            id="invite-url"
            type="text"
            readOnly
            value={url}
            onFocus={(e) => (e.target as HTMLInputElement).select()}
            data-testid="invite-url"
          />
          <div class="qr-beside">
            <QrCode text={url} label="The invite link as a QR code: scan it with the invited person's phone camera" />
            <p class="hint">
              Or let them scan this code with their phone's camera. Only show it to the person you are inviting: whoever
              opens the link first gets the access.
            </p>
          </div>
          <div class="actions">
            <button type="button" onClick={() => void navigator.clipboard.writeText(url).then(() => setCopied(true))}>
              {copied ? "Copied" : "Copy link"}
            </button>
            <button type="button" class="secondary" onClick={() => void check.run()} disabled={check.busy}>
              Check whether it was accepted
            </button>
          </div>
          <ErrorText error={check.error} />
        </div>
      )}
    </section>
  );
}
