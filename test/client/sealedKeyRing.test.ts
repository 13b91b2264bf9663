// The stored key ring is sealed to the devices of its own device list: a removed device opens no
// version stored after its removal, and a ring stored by a removed device is refused.
import { beforeAll, describe, expect, it } from "vitest";
import { ForkDetected, RollbackDetected, TamperedEnvelope } from "../../shared/errors.js";
import { loadSodium } from "../../crypto/sodium.js";
import {
  appendDeviceChange,
  certify,
  chainPoint,
  newDeviceKeys,
  RECOVERY_RECIPIENT,
  verifiedDeviceList,
  type DeviceKeys,
} from "../../client/devices.js";
import { createKeyRing, decodeKeyRing, encodeKeyRing, type KeyRing } from "../../client/keyRing.js";
import { mergeKeyRings } from "../../client/keyRingSync.js";
import { deviceReader, openKeyRing, sealKeyRing } from "../../client/sealedKeyRing.js";
import { expectTyped } from "../shared/helpers.js";

beforeAll(loadSodium);

function opener(
  ring: KeyRing,
  device: DeviceKeys,
  announcedVersion: number,
  seenVersion = 0,
  known = chainPoint(verifiedDeviceList(ring.devices, ring.account.signKey)),
) {
  return {
    identityKey: ring.account.signKey,
    reader: deviceReader(device),
    announcedVersion,
    seenVersion,
    knownDevices: known,
  };
}

function copy(ring: KeyRing): KeyRing {
  return decodeKeyRing(encodeKeyRing(ring));
}

describe("the stored key ring and the device list", () => {
  it("is opened by every listed device and by the recovery key, and by no removed device", () => {
    const { ring, device: phone, recovery } = createKeyRing(true, "Phone");
    const laptop = newDeviceKeys("Laptop");
    const two = copy(ring);
    two.devices = appendDeviceChange(
      ring.devices,
      ring.account,
      { kind: "device", device: phone },
      { op: "add", certificate: certify(ring.account, laptop) },
    );
    const v2 = sealKeyRing(two, 2, phone);
    expect(openKeyRing(v2, opener(ring, laptop, 2)).devices).toEqual(two.devices);
    expect(
      openKeyRing(v2, {
        ...opener(ring, phone, 2),
        reader: { recipient: RECOVERY_RECIPIENT, boxKey: recovery.boxKey, boxSecretKey: recovery.boxSecretKey },
      }).data,
    ).toBeDefined();

    const three = copy(two);
    three.devices = appendDeviceChange(
      two.devices,
      ring.account,
      { kind: "device", device: phone },
      { op: "remove", deviceId: laptop.deviceId, lastSeq: 0, lastServerSeq: 0 },
    );
    const v3 = sealKeyRing(three, 3, phone);
    expectTyped(() => openKeyRing(v3, opener(two, laptop, 3, 2)), TamperedEnvelope);
    expect(openKeyRing(v3, opener(two, phone, 3, 2)).devices).toEqual(three.devices);
  });

  it("refuses a ring stored by a removed device, even one sealed to every device", () => {
    const { ring, device: phone } = createKeyRing(true, "Phone");
    const stolen = newDeviceKeys("Stolen");
    const two = copy(ring);
    two.devices = appendDeviceChange(
      ring.devices,
      ring.account,
      { kind: "device", device: phone },
      { op: "add", certificate: certify(ring.account, stolen) },
    );
    const three = copy(two);
    three.devices = appendDeviceChange(
      two.devices,
      ring.account,
      { kind: "device", device: phone },
      { op: "remove", deviceId: stolen.deviceId, lastSeq: 0, lastServerSeq: 0 },
    );
    // The thief still holds version 2 and the account keys: it stores a version 4 signed with its own device key.
    const forged = copy(three);
    forged.contacts = [];
    expectTyped(() => openKeyRing(sealKeyRing(forged, 4, stolen), opener(three, phone, 4, 3)), TamperedEnvelope);
    // Or it replays the old list (which still lists it) in a newer version: a rollback of the device list.
    expectTyped(() => openKeyRing(sealKeyRing(two, 4, stolen), opener(three, phone, 4, 3)), RollbackDetected);
  });

  it("refuses an older version than seen, a version other than announced, and a device list that forks", () => {
    const { ring, device: phone } = createKeyRing(true, "Phone");
    const v1 = sealKeyRing(ring, 1, phone);
    expectTyped(() => openKeyRing(v1, opener(ring, phone, 1, 2)), RollbackDetected);
    expectTyped(() => openKeyRing(v1, opener(ring, phone, 2)), TamperedEnvelope);
    const a = copy(ring);
    a.devices = appendDeviceChange(
      ring.devices,
      ring.account,
      { kind: "device", device: phone },
      { op: "add", certificate: certify(ring.account, newDeviceKeys("A")) },
    );
    const b = copy(ring);
    b.devices = appendDeviceChange(
      ring.devices,
      ring.account,
      { kind: "device", device: phone },
      { op: "add", certificate: certify(ring.account, newDeviceKeys("B")) },
    );
    expectTyped(() => openKeyRing(sealKeyRing(b, 2, phone), opener(a, phone, 2, 1)), ForkDetected);
    expectTyped(() => mergeKeyRings(a, b), ForkDetected);
    expect(mergeKeyRings(a, ring).devices).toEqual(a.devices);
  });

  it("a ring of another account, sealed to this device by the server, is refused", () => {
    const { ring, device } = createKeyRing(true, "Phone");
    const attacker = createKeyRing(true, "Attacker");
    // The server's own account, device list and ring, served as this account's.
    const forged = copy(attacker.ring);
    const sealed = sealKeyRing(forged, 2, attacker.device);
    expectTyped(() => openKeyRing(sealed, opener(ring, device, 2)), TamperedEnvelope);
  });
});
