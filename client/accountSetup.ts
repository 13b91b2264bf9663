// How a device comes to hold an account, and opens it again: creating one (registering it and
// storing the recovery kit), opening the one stored here, recovering on a new device from the kit,
// and storing one another device sent while linking (client/deviceLink.ts runs the exchange).
import { accountIdHex } from "../shared/keyBundle.js";
import { DeviceNotReady, TamperedEnvelope } from "../shared/errors.js";
import { checkPlacement, type Placement } from "../shared/placement.js";
import {
  newRecoverySecret,
  parseRecoverySecret,
  unwrapWithRecoverySecret,
  wrapWithRecoverySecret,
} from "../crypto/recoveryKit.js";
import { loadSodium } from "../crypto/sodium.js";
import { ServerApi, type LoginSigner } from "./api/serverApi.js";
import {
  appendDeviceChange,
  certify,
  decodeDeviceKeys,
  encodeDeviceKeys,
  newDeviceKeys,
  RECOVERY_RECIPIENT,
  type DeviceKeys,
  type LinkSigner,
} from "./devices.js";
import {
  createKeyRing,
  decodeKeyRing,
  decodeRecoveryPayload,
  encodeKeyRing,
  encodeRecoveryPayload,
  type KeyRing,
} from "./keyRing.js";
import { storeNextRing } from "./keyRingSync.js";
import { sealKeyRing } from "./sealedKeyRing.js";
import { DeviceSettings } from "./settings.js";
import { StewardDatabase, type StorageOptions } from "./store/database.js";
import { deleteSecret, loadKeyRing, loadSecret, saveKeyRing, saveSecret } from "./store/keyStore.js";

export interface OpenOptions {
  /** The Steward server, e.g. "http://127.0.0.1:8787". */
  readonly server: string;
  /** IndexedDB database name: one per account on a device. */
  readonly database?: string;
  /** Where invite links point (the web app's address); defaults to the server, which serves the app. */
  readonly appUrl?: string;
  /** What this device is called in the account's device list when it joins (create, link, recover). */
  readonly deviceName?: string;
  readonly fetch?: typeof fetch;
  readonly WebSocket?: typeof WebSocket;
  /** Another IndexedDB and a caller-held key for the key ring (Node, which has neither). */
  readonly storage?: StorageOptions;
}

export type Role = "patient" | "grantee";

/** The pieces a role class is built from. */
export interface DeviceState {
  readonly options: OpenOptions;
  readonly db: StewardDatabase;
  readonly ring: KeyRing;
  readonly device: DeviceKeys;
  readonly api: ServerApi;
  readonly handle: string;
}

function databaseOf(options: Pick<OpenOptions, "database" | "storage">): StewardDatabase {
  return new StewardDatabase(options.database ?? "steward", options.storage);
}

/** The server, logged in to as `signer` (this device's own key; the recovery key while recovering), or anonymous. */
export function apiOf(options: OpenOptions, ring?: KeyRing, signer?: LoginSigner): ServerApi {
  return new ServerApi(options.server, ring?.account, options.fetch, signer);
}

function deviceSigner(device: DeviceKeys): LoginSigner {
  return { id: device.deviceId, secretKey: device.signSecretKey };
}

function stateOf(
  options: OpenOptions,
  db: StewardDatabase,
  ring: KeyRing,
  device: DeviceKeys,
  handle: string,
): DeviceState {
  return { options, db, ring, device, api: apiOf(options, ring, deviceSigner(device)), handle };
}

/** Stores the account and this device's own keys; `ready` once the server knows them too. */
async function persist(
  db: StewardDatabase,
  ring: KeyRing,
  device: DeviceKeys,
  role: Role,
  handle: string,
  ringVersion: number,
  ready: boolean,
): Promise<void> {
  await saveSecret(db, "wrappedDeviceKeys", encodeDeviceKeys(device));
  await saveKeyRing(db, encodeKeyRing(ring));
  await new DeviceSettings(db).putAll({ role, handle, keyRingVersion: ringVersion, accountReady: ready });
}

/** A database for a new account; DeviceNotReady if this one already holds one. */
async function emptyDatabase(options: OpenOptions): Promise<StewardDatabase> {
  const db = databaseOf(options);
  if (await holdsReadyAccount(db)) {
    db.close();
    throw new DeviceNotReady(
      `this device already holds an account in "${db.name}"; open it, or use another database name`,
    );
  }
  return db;
}

/** The flag is written only with a saved key ring, so reading it costs no decryption. */
async function holdsReadyAccount(db: StewardDatabase): Promise<boolean> {
  return (await new DeviceSettings(db).get("accountReady")) === true;
}

function checkRole(ring: KeyRing, role: Role): void {
  if (role === "patient" && !ring.data)
    throw new DeviceNotReady("this account is a clinician or caregiver account, not a patient's");
  if (role === "grantee" && ring.data)
    throw new DeviceNotReady("this account is a patient's account; open it as a patient");
}

/**
 * Creates an account, registers it, stores the recovery kit and the first synced key ring. The keys
 * are kept on the device first: an attempt cut short (no network, a closed tab) resumes with the
 * same keys on the next call, so the handle it claimed is not lost.
 */
export async function createDevice(
  options: OpenOptions,
  handle: string,
  role: Role,
  placement: Placement = "default",
): Promise<{ state: DeviceState; recoveryCode: string }> {
  checkPlacement(placement);
  await loadSodium();
  const db = await emptyDatabase(options);
  const unfinished = await loadSecret(db, "wrappedRecoveryPayload");
  const started = unfinished
    ? { ...decodeRecoveryPayload(unfinished), device: decodeDeviceKeys((await loadSecret(db, "wrappedDeviceKeys"))!) }
    : createKeyRing(role === "patient", options.deviceName ?? "First device", placement);
  const { ring, device, recovery } = started;
  checkRole(ring, role);
  // The recovery key pairs stay on this device only until the kit holding them is stored.
  if (!unfinished) await saveSecret(db, "wrappedRecoveryPayload", encodeRecoveryPayload(ring, recovery));
  await persist(db, ring, device, role, handle.toLowerCase(), 0, false);
  const api = apiOf(options, ring, deviceSigner(device));
  const profile = await api.register(handle, ring.devices);
  const code = newRecoverySecret();
  await api.storeRecoveryKit(wrapWithRecoverySecret(encodeRecoveryPayload(ring, recovery), code));
  const stored = await api.keyRing();
  if (!stored) await api.storeKeyRing(1, sealKeyRing(ring, 1, device));
  await persist(db, ring, device, role, profile.handle, stored?.version ?? 1, true);
  await deleteSecret(db, "wrappedRecoveryPayload");
  return { state: { options, db, ring, device, api, handle: profile.handle }, recoveryCode: code.text };
}

/**
 * Which kind of account this device holds ("patient" or "grantee"), or undefined when it holds
 * none yet. Reads one stored flag, decrypts nothing, and works offline: an app calls it to know
 * whether to open a Patient or a Grantee.
 */
export async function roleOnDevice(options: Pick<OpenOptions, "database" | "storage">): Promise<Role | undefined> {
  const db = databaseOf(options);
  try {
    const { accountReady, role } = await new DeviceSettings(db).getAll(["accountReady", "role"]);
    return accountReady === true && (role === "patient" || role === "grantee") ? role : undefined;
  } finally {
    db.close();
  }
}

/** This device's stored account of `role`, or undefined when it has none. Works offline. */
export async function openDevice(options: OpenOptions, role: Role): Promise<DeviceState | undefined> {
  await loadSodium();
  const db = databaseOf(options);
  if (!(await holdsReadyAccount(db))) {
    db.close();
    return undefined;
  }
  const ring = decodeKeyRing((await loadKeyRing(db))!);
  checkRole(ring, role);
  const device = decodeDeviceKeys((await loadSecret(db, "wrappedDeviceKeys"))!);
  return stateOf(options, db, ring, device, (await new DeviceSettings(db).get("handle"))!);
}

/**
 * A new device from the recovery kit stored under `handle` and the code the person kept. The kit's
 * recovery key opens the stored ring and adds this device to the device list (no other device
 * needs to be at hand); the devices listed before stay until the person removes the lost ones.
 */
export async function recoverDevice(
  options: OpenOptions,
  handle: string,
  recoveryCode: string,
  role: Role,
): Promise<DeviceState> {
  await loadSodium();
  const secret = parseRecoverySecret(recoveryCode);
  const { accountId, blob } = await apiOf(options).recoveryKit(handle);
  const kit = decodeRecoveryPayload(unwrapWithRecoverySecret(blob, secret));
  if (accountIdHex(kit.ring.account.signKey) !== accountId)
    throw new TamperedEnvelope("the recovery kit served for this handle belongs to another account");
  checkRole(kit.ring, role);
  const db = await emptyDatabase(options);
  // Until this device is in the device list, the recovery key logs in and signs the change.
  const recoveryApi = apiOf(options, kit.ring, { id: RECOVERY_RECIPIENT, secretKey: kit.recovery.signSecretKey });
  const device = newDeviceKeys(options.deviceName ?? "Recovered device");
  const reader = {
    recipient: RECOVERY_RECIPIENT,
    boxKey: kit.recovery.boxKey,
    boxSecretKey: kit.recovery.boxSecretKey,
  };
  const signer: LinkSigner = { kind: "recovery", keys: kit.recovery };
  const { ring, version } = await storeNextRing(recoveryApi, kit.ring, device, reader, 0, (base) => {
    base.devices = appendDeviceChange(base.devices, base.account, signer, {
      op: "add",
      certificate: certify(base.account, device),
    });
  });
  await recoveryApi.publishAccountDevices(ring.devices);
  await persist(db, ring, device, role, handle.toLowerCase(), version, true);
  return stateOf(options, db, ring, device, handle.toLowerCase());
}

/** Stores the account a linked device received from another of the account's devices. */
export async function storeLinkedAccount(
  options: OpenOptions,
  ring: KeyRing,
  device: DeviceKeys,
  role: Role,
): Promise<DeviceState> {
  checkRole(ring, role);
  const db = await emptyDatabase(options);
  const state = stateOf(options, db, ring, device, "");
  const profile = await state.api.lookupAccount(accountIdHex(ring.account.signKey));
  await persist(db, ring, device, role, profile.handle, 0, true);
  return { ...state, handle: profile.handle };
}
