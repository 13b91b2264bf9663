// The recovery kit, shown once: the only way back into the account if every device is lost.
// Saved as a file or printed; the app asks for confirmation before moving on.
import { useState } from "preact/hooks";

function kitText(handle: string, code: string): string {
  return [
    "Steward recovery kit",
    "",
    `Handle: ${handle}`,
    `Recovery code: ${code}`,
    "",
    "Keep this somewhere safe and private. With it, anyone can open your Steward account;",
    "without it, nobody (including Steward) can recover your data if you lose all your devices.",
    "",
  ].join("\n");
}

export function RecoveryKit({ handle, code, onDone }: { handle: string; code: string; onDone: () => void }) {
  const [saved, setSaved] = useState(false);
  const download = () => {
    const url = URL.createObjectURL(new Blob([kitText(handle, code)], { type: "text/plain" }));
    const link = Object.assign(document.createElement("a"), {
      href: url,
      download: `steward-recovery-kit-${handle}.txt`,
    });
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1_000);
  };
  return (
    <main>
      <h1>Save your recovery kit</h1>
      <section class="card recovery-kit" aria-labelledby="kit-title">
        <h2 id="kit-title">Recovery kit for {handle}</h2>
        <p>
          This code is the only way back into your account if you lose every device. Steward cannot reset it for you.
        </p>
        <p class="code" data-testid="recovery-code">
          {code}
        </p>
        <div class="actions">
          <button type="button" onClick={download}>
            Save as a file
          </button>
          <button type="button" class="secondary" onClick={() => print()}>
            Print
          </button>
        </div>
      </section>
      <label>
        <input type="checkbox" checked={saved} onChange={(e) => setSaved((e.target as HTMLInputElement).checked)} /> I
        saved or printed my recovery kit
      </label>
      <div class="actions">
        <button type="button" disabled={!saved} onClick={onDone}>
          Continue
        </button>
      </div>
    </main>
  );
}
