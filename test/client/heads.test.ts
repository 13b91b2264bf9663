// The head checks on their own: what a reader concludes from the writers' signed heads against what
// it holds (the adversarial suites run the same checks inside the real sync).
import "fake-indexeddb/auto";
import { beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../shared/bytes.js";
import { ForkDetected, InvalidSignature, RollbackDetected, UnknownAuthor, WithheldData } from "../../shared/errors.js";
import { HEARTBEAT_MS, STALE_AFTER_MS, type UnsignedHead } from "../../shared/signedHead.js";
import { loadSodium } from "../../crypto/sodium.js";
import { freshnessOf, HeadTracker, IDLE_AFTER_MS, signHead, type HeadContext } from "../../client/heads.js";
import { newDeviceKeys, type DeviceKeys } from "../../client/devices.js";
import { StewardDatabase } from "../../client/store/database.js";
import { DeviceSettings } from "../../client/settings.js";

const patientId = new Uint8Array(16).fill(7);
const tag = new Uint8Array(16).fill(3);
const now = 1_800_000_000_000;
let n = 0;

beforeAll(loadSodium);

function head(
  device: DeviceKeys,
  seq: number,
  time: number,
  link = seq === 0 ? new Uint8Array(32) : new Uint8Array(32).fill(seq),
  newest?: { hour: number; envelopeId: Uint8Array },
): Uint8Array {
  const unsigned: UnsignedHead = {
    patientId,
    authorKey: device.signKey,
    deviceId: device.deviceId,
    seq,
    link,
    keyRingVersion: 3,
    time,
    scopes: [{ scopeTag: tag, generation: 1, ...(newest ? { newest: { ...newest, generation: 1 } } : {}) }],
  };
  return signHead(device.signSecretKey, unsigned);
}

function context(
  devices: DeviceKeys[],
  chains: Record<string, { seq: number; link: string }>,
  overrides: Partial<HeadContext> = {},
): HeadContext {
  return {
    patientId,
    devicesReach: () => undefined,
    seesWholeLog: true,
    author: (h) => (devices.some((d) => toHex(d.signKey) === toHex(h.authorKey)) ? "patient-device" : "unknown"),
    chain: (writer) => chains[writer],
    covers: () => true,
    holds: async () => true,
    expected: devices.map((d) => ({ id: toHex(d.deviceId), name: d.name })),
    ...overrides,
  };
}

const writer = (d: DeviceKeys) => `${toHex(d.signKey)}:${toHex(d.deviceId)}`;

describe("signed heads", () => {
  it("a reader's echoed heads: another link under a sequence this device saw is a fork; heads behind what was signed long before the receipt mean the reader was kept on older data", async () => {
    const phone = newDeviceKeys("Phone");
    const tracker = new HeadTracker(new DeviceSettings(new StewardDatabase(`heads-${n++}`)), "heads");
    const served = { [writer(phone)]: { seq: 4, link: toHex(new Uint8Array(32).fill(4)) } };
    await tracker.check([head(phone, 4, now)], context([phone], served), now);
    const echo = (seq: number, fill = seq) => ({
      authorKey: phone.signKey,
      deviceId: phone.deviceId,
      seq,
      link: new Uint8Array(32).fill(fill),
      time: now - 1,
    });
    await expect(tracker.echoed([echo(4)], now + 1)).resolves.toBeUndefined();
    await expect(tracker.echoed([echo(4, 9)], now + 1)).rejects.toBeInstanceOf(ForkDetected);
    // Behind, but within the heartbeat bound of the head this device saw: the reader may just not have pulled yet.
    await expect(tracker.echoed([echo(3)], now + STALE_AFTER_MS)).resolves.toBeUndefined();
    await expect(tracker.echoed([echo(3)], now + STALE_AFTER_MS + 1)).resolves.toBe(now);
  });

  it("a patient device's head beyond what the server served is withholding; one that names another envelope is a fork", async () => {
    const phone = newDeviceKeys("Phone");
    const tracker = new HeadTracker(new DeviceSettings(new StewardDatabase(`heads-${n++}`)), "heads");
    const served = { [writer(phone)]: { seq: 4, link: toHex(new Uint8Array(32).fill(4)) } };
    await expect(tracker.check([head(phone, 4, now)], context([phone], served), now)).resolves.toEqual({
      checkedAt: now,
    });
    await expect(tracker.check([head(phone, 6, now + 1)], context([phone], served), now)).rejects.toBeInstanceOf(
      WithheldData,
    );
    await expect(
      tracker.check([head(phone, 4, now + 2, new Uint8Array(32).fill(9))], context([phone], served), now),
    ).rejects.toBeInstanceOf(ForkDetected);
    // An older head than one seen is a rollback.
    await expect(
      tracker.check(
        [head(phone, 3, now - 10)],
        context([phone], { [writer(phone)]: { seq: 3, link: toHex(new Uint8Array(32).fill(3)) } }),
        now,
      ),
    ).rejects.toBeInstanceOf(RollbackDetected);
  });

  it("a grant's reader must hold each writer's newest envelope its grant reaches", async () => {
    const phone = newDeviceKeys("Phone");
    const id = new Uint8Array(16).fill(1);
    const tracker = new HeadTracker(new DeviceSettings(new StewardDatabase(`heads-${n++}`)), "heads");
    const reader = (holds: boolean, covers: boolean) =>
      context([phone], {}, { seesWholeLog: false, holds: async () => holds, covers: () => covers });
    await expect(
      tracker.check([head(phone, 9, now, undefined, { hour: 500, envelopeId: id })], reader(false, true), now),
    ).rejects.toBeInstanceOf(WithheldData);
    await tracker.check([head(phone, 9, now, undefined, { hour: 500, envelopeId: id })], reader(false, false), now);
    await tracker.check([head(phone, 10, now + 1, undefined, { hour: 501, envelopeId: id })], reader(true, true), now);
  });

  it("refuses heads the server made up or changed, and heads of devices it does not know", async () => {
    const phone = newDeviceKeys("Phone");
    const tracker = new HeadTracker(new DeviceSettings(new StewardDatabase(`heads-${n++}`)), "heads");
    const altered = head(phone, 0, now);
    altered[151]! ^= 1; // a byte of its time
    await expect(tracker.check([altered], context([phone], {}), now)).rejects.toBeInstanceOf(InvalidSignature);
    await expect(
      tracker.check([head(newDeviceKeys("Stranger"), 0, now)], context([phone], {}), now),
    ).rejects.toBeInstanceOf(UnknownAuthor);
  });

  it("freshness: every device heard from today within the heartbeat bound, or incomplete since the oldest that is not, naming it", () => {
    const ago = (ms: number) => now - ms;
    const phone = (time?: number) => ({ name: "Phone", time });
    const laptop = (time?: number) => ({ name: "Laptop", time });
    expect(freshnessOf([phone(ago(HEARTBEAT_MS))], now)).toEqual({ checkedAt: now });
    expect(freshnessOf([phone(ago(HEARTBEAT_MS)), laptop(ago(STALE_AFTER_MS + 1))], now)).toEqual({
      checkedAt: now,
      incompleteSince: ago(STALE_AFTER_MS + 1),
      quiet: ["Laptop"],
    });
    // A laptop silent for days does not hide a phone that went quiet an hour ago, nor raise the alarm itself.
    expect(freshnessOf([phone(ago(3_600_000)), laptop(ago(3 * IDLE_AFTER_MS))], now)).toEqual({
      checkedAt: now,
      incompleteSince: ago(3_600_000),
      quiet: ["Phone"],
    });
    expect(freshnessOf([phone(ago(HEARTBEAT_MS)), laptop(ago(3 * IDLE_AFTER_MS)), laptop()], now)).toEqual({
      checkedAt: now,
    });
    // Everyone silent for days: incomplete since the last sign of life; none ever seen: since always.
    expect(freshnessOf([phone(ago(2 * IDLE_AFTER_MS)), laptop(ago(3 * IDLE_AFTER_MS))], now)).toEqual({
      checkedAt: now,
      incompleteSince: ago(2 * IDLE_AFTER_MS),
      quiet: ["Phone", "Laptop"],
    });
    expect(freshnessOf([phone()], now)).toEqual({ checkedAt: now, incompleteSince: 0, quiet: ["Phone"] });
    // No other device of the patient: nothing anyone else wrote can be missing.
    expect(freshnessOf([], now)).toEqual({ checkedAt: now });
  });
});
