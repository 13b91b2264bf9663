// A form's submit button (saying what it is doing while busy) and the way back.
export function FormActions({
  label,
  busyLabel,
  busy,
  disabled = false,
  back = "#/",
}: {
  label: string;
  busyLabel: string;
  busy: boolean;
  disabled?: boolean;
  back?: string;
}) {
  return (
    <div class="actions">
      <button type="submit" disabled={busy || disabled}>
        {busy ? busyLabel : label}
      </button>
      <a class="button secondary" href={back}>
        Back
      </a>
    </div>
  );
}
