// This account's devices: the signed device list (names, when each was added and last seen, removed
// ones), "remove this device" for a lost or stolen one, and linking a new one (type its code,
// compare the six digits, confirm).
import { useState } from "preact/hooks";
import type { DeviceInfo, Patient } from "../../../client/index.js";
import { ConfirmButton } from "../../components/ConfirmButton.js";
import { ErrorText } from "../../components/ErrorText.js";
import { useAction, useLoad } from "../../components/useAsync.js";
import { ago, dateTime } from "../../format.js";

type Approval = Awaited<ReturnType<Patient["approveLink"]>>;

/** `code`: from a scanned QR code ("#/devices/link/<code>"), filled in for the person to continue. */
export function Devices({ patient, code: scanned }: { patient: Patient; code?: string }) {
  const [code, setCode] = useState(scanned ?? "");
  const [approval, setApproval] = useState<Approval | undefined>(undefined);
  const [linked, setLinked] = useState(false);
  const list = useLoad(() => patient.devices(), [patient]);
  const start = useAction(async () => {
    setLinked(false);
    setApproval(await patient.approveLink(code.trim()));
  });
  const confirm = useAction(async () => {
    await approval!.confirm();
    setApproval(undefined);
    setCode("");
    setLinked(true);
    await list.reload();
  });
  const devices = list.value ?? [];
  return (
    <>
      <h1>Devices</h1>
      <section class="card" aria-labelledby="device-list">
        <h2 id="device-list">Your devices</h2>
        <p class="hint">
          Signed in as <strong>@{patient.handle}</strong>. Each device has its own keys, and this list is signed by your
          account: a device the server adds on its own is never trusted.
        </p>
        <ErrorText error={list.error} />
        <ul class="devices" data-testid="device-list">
          {devices
            .filter((d) => !d.removedAt)
            .map((d) => (
              <DeviceRow key={d.deviceId} patient={patient} device={d} onRemoved={() => void list.reload()} />
            ))}
        </ul>
        {devices.some((d) => d.removedAt) && (
          <>
            <h3>Removed</h3>
            <ul class="devices removed">
              {devices
                .filter((d) => d.removedAt)
                .map((d) => (
                  <li key={d.deviceId}>
                    <strong>{d.name}</strong> <span class="hint">removed {dateTime(d.removedAt!)}</span>
                  </li>
                ))}
            </ul>
          </>
        )}
      </section>
      <section class="card" aria-labelledby="link-new">
        <h2 id="link-new">Link a new device</h2>
        <p>
          On the new device, open Steward and choose "Link this device to my other device". Type the code it shows here.
        </p>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void start.run();
          }}
        >
          <label for="link-code">Code from the new device</label>
          <input
            id="link-code"
            type="text"
            autocapitalize="none"
            spellcheck={false}
            autocomplete="off"
            required
            value={code}
            onInput={(e) => setCode((e.target as HTMLInputElement).value)}
          />
          <ErrorText error={start.error} />
          <div class="actions">
            <button type="submit" disabled={start.busy || !!approval}>
              Continue
            </button>
          </div>
        </form>
        {approval && (
          <div class="banner warn">
            <p>
              Does the new device ("{approval.name}") show <strong data-testid="approve-sas">{approval.sas}</strong>?
              Only confirm if it matches exactly: the new device gets all your keys.
            </p>
            <ErrorText error={confirm.error} />
            <div class="actions">
              <button type="button" onClick={() => void confirm.run()} disabled={confirm.busy}>
                It matches: link the device
              </button>
              <button type="button" class="secondary" onClick={() => setApproval(undefined)}>
                It does not match
              </button>
            </div>
          </div>
        )}
        {linked && (
          <p class="ok-text" role="status">
            The new device is linked.
          </p>
        )}
      </section>
      <section class="card">
        <h2>Lost every device?</h2>
        <p>
          Use the recovery kit you saved when you created your account: choose "Recover with my recovery kit" on a new
          device. Then remove the lost ones here.
        </p>
      </section>
    </>
  );
}

function DeviceRow({ patient, device, onRemoved }: { patient: Patient; device: DeviceInfo; onRemoved: () => void }) {
  const remove = useAction(async () => {
    await patient.removeDevice(device.deviceId);
    onRemoved();
  });
  return (
    <li data-testid="device">
      <strong>{device.name}</strong>
      {device.thisDevice && <span class="badge">this device</span>}
      <span class="hint">
        {" "}
        added {dateTime(device.addedAt)}
        {device.lastSeenAt !== undefined && `, last seen ${ago(device.lastSeenAt)}`}
      </span>
      {!device.thisDevice && (
        <div class="actions">
          <ConfirmButton
            label="Remove this device"
            confirmLabel={`Remove ${device.name}: it loses access`}
            busy={remove.busy}
            onConfirm={() => void remove.run()}
          />
        </div>
      )}
      {!device.thisDevice && (
        <p class="hint">
          Removing it gives every category new keys and re-issues your shares; what it writes from now on is refused
          everywhere. What it already read cannot be taken back.
        </p>
      )}
      <ErrorText error={remove.error} />
    </li>
  );
}
