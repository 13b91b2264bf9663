// Comparing safety numbers with one person: the 60 digits both screens show for the pair of
// accounts, and the confirmation that pins their keys as verified on this device. Either side can
// do it first, before anything is shared.
import type { Contact } from "../../client/index.js";
import { ErrorText } from "./ErrorText.js";
import { SafetyNumber } from "./SafetyNumber.js";
import { useAction } from "./useAsync.js";

interface Device {
  safetyNumber(contact: Contact): string;
  verifyContact(accountId: string): Promise<Contact>;
}

interface Props {
  device: Device;
  contact: Contact;
  /** Where the other person finds the same number on their side. */
  where: string;
  onVerified: () => void;
  onCancel: () => void;
  cancelLabel?: string;
}

export function SafetyCheck({
  device,
  contact,
  where,
  onVerified,
  onCancel,
  cancelLabel = "They do not match",
}: Props) {
  const verify = useAction(async () => {
    await device.verifyContact(contact.accountId);
    onVerified();
  });
  return (
    <div class="banner warn" data-testid="verify-contact">
      <p>
        Compare this safety number with <strong>@{contact.handle}</strong>, in person or on a call: {where}. If it
        matches, nobody replaced their keys on the way.
      </p>
      <SafetyNumber digits={device.safetyNumber(contact)} />
      <ErrorText error={verify.error} />
      <div class="actions">
        <button type="button" onClick={() => void verify.run()} disabled={verify.busy}>
          The numbers match
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          {cancelLabel}
        </button>
      </div>
    </div>
  );
}
