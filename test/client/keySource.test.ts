// What a grantee's keys trust as the patient's device list: only one that reaches the list its
// grant names, so a server serving an older list (from before a removal), none, or another history
// cannot get a removed device's later envelopes taken.
import { beforeAll, describe, expect, it } from "vitest";
import { createAccountKeys } from "../../crypto/accountKeys.js";
import { ForkDetected, RollbackDetected } from "../../shared/errors.js";
import { openGrant } from "../../crypto/grant.js";
import { loadSodium } from "../../crypto/sodium.js";
import { appendDeviceChange, certify, newDeviceKeys } from "../../client/devices.js";
import { createKeyRing } from "../../client/keyRing.js";
import { grantKeySource } from "../../client/keySource.js";
import { grantFromRing } from "../helpers/patientDevice.js";

const H = 480_000;

describe("a grantee's view of the patient's device list", () => {
  beforeAll(loadSodium);

  it("is the served list once it reaches the one the grant names; an older list or none raises RollbackDetected, another history ForkDetected", () => {
    const { ring, device } = createKeyRing(true, "Phone");
    const clinician = createAccountKeys();
    const before = ring.devices;
    const tablet = newDeviceKeys("Tablet");
    ring.devices = appendDeviceChange(
      before,
      ring.account,
      { kind: "device", device },
      { op: "add", certificate: certify(ring.account, tablet) },
    );
    const named = ring.devices;
    const grant = openGrant(
      grantFromRing(ring, clinician, ["glucose"], H, H + 1).wire,
      clinician,
      ring.account.signKey,
    );
    const later = appendDeviceChange(
      named,
      ring.account,
      { kind: "device", device },
      { op: "remove", deviceId: tablet.deviceId, lastSeq: 0, lastServerSeq: 0 },
    );
    const other = appendDeviceChange(
      before,
      ring.account,
      { kind: "device", device },
      { op: "add", certificate: certify(ring.account, newDeviceKeys("Laptop")) },
    );
    const served = (list: Uint8Array | undefined) =>
      grantKeySource(grant, clinician.signKey, () => list).patientDevices();

    expect(served(named)?.head.index).toBe(2);
    expect(served(later)?.head.index).toBe(3);
    expect(() => served(before)).toThrow(RollbackDetected);
    expect(() => served(undefined)).toThrow(RollbackDetected);
    expect(() => served(other)).toThrow(ForkDetected);
  });
});
