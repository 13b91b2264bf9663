// A destructive action asked twice, in place (no modal dialog to trap keyboard focus).
import { useState } from "preact/hooks";

interface Props {
  label: string;
  confirmLabel: string;
  cancelLabel?: string;
  busy: boolean;
  onConfirm: () => void;
}

export function ConfirmButton({ label, confirmLabel, cancelLabel = "Cancel", busy, onConfirm }: Props) {
  const [confirming, setConfirming] = useState(false);
  if (!confirming)
    return (
      <button type="button" class="danger" onClick={() => setConfirming(true)}>
        {label}
      </button>
    );
  return (
    <>
      <button type="button" class="danger" onClick={onConfirm} disabled={busy}>
        {confirmLabel}
      </button>
      <button type="button" class="secondary" onClick={() => setConfirming(false)}>
        {cancelLabel}
      </button>
    </>
  );
}
