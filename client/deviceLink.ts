// Linking a new device to an account, both sides of it: the new device shows a one-time code and
// waits; a device already signed in reads the code, and once the people saw the same six digits on
// both screens it certifies the new device and sends it the key ring. The messages they exchange
// through the relay, and why a relay cannot get between them, are in client/linkMessages.ts.
import { fromBase64Url } from "../shared/bytes.js";
import { DeviceNotReady, InvalidSignature, MalformedInput, RequestRefused } from "../shared/errors.js";
import { loadSodium } from "../crypto/sodium.js";
import type { ServerApi } from "./api/serverApi.js";
import { apiOf, storeLinkedAccount, type DeviceState, type OpenOptions, type Role } from "./accountSetup.js";
import { newDeviceKeys, ownEntry, verifiedDeviceList, type DevicePublicKeys } from "./devices.js";
import { decodeKeyRing, encodeKeyRing, type KeyRing } from "./keyRing.js";
import {
  checkCommitment,
  commitMessage,
  ephemeralKeys,
  keyMessage,
  newDevicePayload,
  newLinkChannel,
  openCommitMessage,
  openFromExistingDevice,
  openKeyMessage,
  parseLinkCode,
  readNewDevicePayload,
  sealForNewDevice,
  shortAuthenticationString,
} from "./linkMessages.js";

const POLL_MS = 400;

/** A new device waiting to be linked: show `code`, then compare `sas()` with the other screen. */
export interface LinkRequest<T> {
  readonly code: string;
  /** Resolves once the existing device answered: the six digits both screens must show. */
  sas(): Promise<string>;
  /** After the person confirmed the digits match: waits for the key ring and opens the account. */
  complete(): Promise<T>;
  /** Stops waiting (the person gave up, or left the screen). */
  cancel(): void;
}

/** A link code read on a device already signed in: show `sas`, and `confirm()` only if both screens agree. */
export interface LinkApproval {
  readonly sas: string;
  /** The name the new device gave itself. */
  readonly name: string;
  confirm(): Promise<void>;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls a link slot until it holds `count` messages (or the slot expires: RequestRefused 404). */
async function linkMessages(
  relay: ServerApi,
  slotId: string,
  count: number,
  cancelled: () => boolean = () => false,
): Promise<Uint8Array[]> {
  for (;;) {
    if (cancelled()) throw new DeviceNotReady("linking was cancelled");
    const slot = await relay.readSlot("link", slotId);
    if (slot.messages.length >= count) return slot.messages.map((m) => fromBase64Url(m.body, "link message"));
    await sleep(POLL_MS);
  }
}

/** The new device's side: publishes its commitment, then waits for the existing device. */
export async function requestDeviceLink<T>(
  options: OpenOptions,
  role: Role,
  open: (state: DeviceState) => T | Promise<T>,
): Promise<LinkRequest<T>> {
  await loadSodium();
  const channel = newLinkChannel();
  const mine = ephemeralKeys();
  const device = newDeviceKeys(options.deviceName ?? "New device");
  const payload = newDevicePayload(mine.publicKey, device);
  const relay = apiOf(options);
  await relay.openSlot("link", channel.slotId, { body: commitMessage(channel, payload) });
  let cancelled = false;
  let shown = false;
  // Reveal our keys as soon as the existing device answered, so both screens can show the digits.
  const answered = (async () => {
    const theirs = openKeyMessage(
      channel,
      "existing",
      (await linkMessages(relay, channel.slotId, 2, () => cancelled))[1]!,
    );
    await relay.postToSlot("link", channel.slotId, 2, keyMessage(channel, "new", payload));
    return theirs;
  })();
  answered.catch(() => undefined); // surfaced by sas() and complete()
  return {
    code: channel.code,
    async sas() {
      const digits = shortAuthenticationString(payload, await answered);
      shown = true;
      return digits;
    },
    async complete() {
      if (!shown) throw new DeviceNotReady("compare the six digits on both screens (sas()) before completing the link");
      const theirs = await answered;
      const sealed = (await linkMessages(relay, channel.slotId, 4, () => cancelled))[3]!;
      const ring = decodeKeyRing(openFromExistingDevice(sealed, theirs, mine));
      const entry = ownEntry(verifiedDeviceList(ring.devices, ring.account.signKey), device);
      if (!entry || entry.removed)
        throw new InvalidSignature("the key ring from the other device does not list this device: start linking again");
      return open(await storeLinkedAccount(options, ring, device, role));
    },
    cancel() {
      cancelled = true;
    },
  };
}

/**
 * The existing device's side: checks the new device's commitment against the code, answers with
 * its own key, receives the revealed keys and returns the six digits to compare. `confirm()` (only
 * after the person saw the same digits on both screens) runs `add` (which certifies the new device
 * in the device list and stores the key ring sealed to it too) and sends the new device the ring.
 */
export async function approveLink(
  api: ServerApi,
  code: string,
  add: (device: DevicePublicKeys) => Promise<KeyRing>,
): Promise<LinkApproval> {
  const channel = parseLinkCode(code);
  const slot = await api.readSlot("link", channel.slotId);
  const first = slot.messages[0];
  if (!first) throw new MalformedInput("the new device has not published its key yet; try again");
  const commitment = openCommitMessage(channel, fromBase64Url(first.body, "link message"));
  const taken = new InvalidSignature(
    "another device already answered this link code: confirm nothing, and start linking again on the new device",
  );
  if (slot.messages.length > 1) throw taken;
  const mine = ephemeralKeys();
  try {
    await api.postToSlot("link", channel.slotId, 1, keyMessage(channel, "existing", mine.publicKey));
  } catch (error) {
    throw error instanceof RequestRefused && error.status === 409 ? taken : error;
  }
  const payload = openKeyMessage(channel, "new", (await linkMessages(api, channel.slotId, 3))[2]!);
  checkCommitment(commitment, payload);
  const revealed = readNewDevicePayload(payload);
  return {
    sas: shortAuthenticationString(payload, mine.publicKey),
    name: revealed.device.name,
    confirm: async () => {
      const ring = await add(revealed.device);
      await api.postToSlot(
        "link",
        channel.slotId,
        3,
        sealForNewDevice(encodeKeyRing(ring), revealed.ephemeralKey, mine),
      );
    },
  };
}
