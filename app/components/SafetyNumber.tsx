// A 60-digit safety number in twelve groups of five, as Signal shows it, so two people can read it
// to each other.
export function SafetyNumber({ digits }: { digits: string }) {
  const groups = digits.replace(/\D/g, "").match(/.{1,5}/g) ?? [];
  return (
    <div class="safety" role="group" aria-label="Safety number" data-testid="safety-number">
      {groups.map((g, i) => (
        <span key={i}>{g}</span>
      ))}
    </div>
  );
}
