// What a clinician's or caregiver's screen says once a share ended: that it ended, that this device
// removed the data, and what no app can undo.
export function AccessEnded({ patient, reason }: { patient: string; reason?: string }) {
  return (
    <div class="banner bad" role="alert" data-testid="access-ended">
      <p>
        <strong>{patient}'s share has ended</strong>
        {reason ? ` (${reason})` : " (the patient ended it, or it expired)"}. Its readings, reports and exports are no
        longer shown or offered here, and this device has deleted the data it kept for this share (what another share
        from the same patient still covers stays under that share).
      </p>
      <p>
        What was already seen, printed or exported cannot be taken back by any app: please delete copies you no longer
        need.
      </p>
    </div>
  );
}
