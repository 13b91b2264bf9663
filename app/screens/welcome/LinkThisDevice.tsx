// A new device joining an account: it shows a code to type on a device already signed in, then
// both show the same short string; the person confirms it matches there, and the key ring arrives
// here sealed to this device.
import { useEffect, useState } from "preact/hooks";
import { Grantee, Patient } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { QrCode } from "../../components/QrCode.js";
import { type Device, openOptions } from "../../device.js";
import { go } from "../../router.js";
import { type Role, RoleChoice } from "./RoleChoice.js";

/** Opens the Devices screen of a signed-in device with the code filled in. */
const linkUrl = (code: string) => `${location.origin}${location.pathname}#/devices/link/${encodeURIComponent(code)}`;

export function LinkThisDevice({ server, onReady }: { server: string; onReady: (device: Device) => void }) {
  const [role, setRole] = useState<Role>("patient");
  const [code, setCode] = useState<string | undefined>(undefined);
  const [sas, setSas] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  // Resolved when the person confirms here that both screens show the same digits: the key ring is
  // accepted only then, so someone who glimpsed the code cannot slip this device into their account.
  const [confirmMatch, setConfirmMatch] = useState<(() => void) | undefined>(undefined);
  useEffect(() => {
    let current = true;
    let cancel = () => undefined as void;
    setCode(undefined);
    setSas(undefined);
    setConfirmMatch(undefined);
    (async () => {
      const link =
        role === "patient"
          ? await Patient.requestLink(openOptions(server))
          : await Grantee.requestLink(openOptions(server));
      cancel = () => link.cancel();
      if (!current) return link.cancel();
      setCode(link.code);
      const words = await link.sas();
      if (!current) return;
      setSas(words);
      await new Promise<void>((resolve) => setConfirmMatch(() => resolve));
      const account = await link.complete();
      if (!current) return;
      go("/");
      onReady(
        account instanceof Patient ? { role: "patient", patient: account } : { role: "grantee", grantee: account },
      );
    })().catch((e: unknown) => current && setError(e));
    return () => {
      current = false;
      cancel();
    };
  }, [server, role]);
  return (
    <main>
      <h1>Link this device</h1>
      <RoleChoice role={role} onChange={setRole} />
      <ol>
        <li>On a device where you are signed in, open Devices and choose "Link a new device".</li>
        <li>Type this code there:</li>
      </ol>
      <p class="code" data-testid="link-code" aria-live="polite">
        {code ?? "Asking the server for a code…"}
      </p>
      {code && (
        <div class="qr-beside">
          <QrCode text={linkUrl(code)} label="The code as a QR code: scan it with the camera of your signed-in phone" />
          <p class="hint">
            Or scan this with the camera of your signed-in phone: it opens Steward there with the code filled in (
            <a href={linkUrl(code)} data-testid="link-url">
              the same as a link
            </a>
            ).
          </p>
        </div>
      )}
      {sas && (
        <p class="banner" aria-live="polite">
          Both devices now show: <strong data-testid="link-sas">{sas}</strong>. If they match, confirm here and on your
          other device. If they do not, cancel on both: someone may be trying to intercept.
        </p>
      )}
      {sas && confirmMatch && (
        <button type="button" onClick={() => confirmMatch()}>
          The digits match
        </button>
      )}
      <ErrorText error={error} />
      <a class="button secondary" href="#/">
        Cancel
      </a>
    </main>
  );
}
