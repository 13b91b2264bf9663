// Where a new account's data lives, chosen once at sign-up: the account id itself carries the
// choice (shared/placement.ts), so it cannot be moved later.
import type { Placement } from "../../../client/index.js";

const CHOICES: { value: Placement; label: string; hint: string }[] = [
  {
    value: "default",
    label: "Nearest data centre",
    hint: "Cloudflare keeps your encrypted data close to where you first use Steward.",
  },
  { value: "eu", label: "European Union only", hint: "Your encrypted data is stored in the EU and never leaves it." },
];

export function PlacementField({ value, onChange }: { value: Placement; onChange: (value: Placement) => void }) {
  return (
    <fieldset>
      <legend>Where your data is stored</legend>
      {CHOICES.map((c) => (
        <label key={c.value}>
          <input
            type="radio"
            name="placement"
            value={c.value}
            checked={value === c.value}
            onChange={() => onChange(c.value)}
          />
          <span>
            {c.label}
            <span class="hint"> {c.hint}</span>
          </span>
        </label>
      ))}
      <p class="hint">This cannot be changed later. Either way the server only ever holds ciphertext.</p>
    </fieldset>
  );
}
