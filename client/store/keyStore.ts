// Keeps the key ring at rest wrapped by a non-extractable WebCrypto key that lives in IndexedDB:
// script on the page can use the key but never read its bytes, and a copy of the database
// files alone does not reveal the key ring. A store that cannot hold a CryptoKey (the bridge's
// file) is given the wrapping key by its caller instead.
import { concat } from "../../shared/bytes.js";
import { MalformedInput, WrongSecret } from "../../shared/errors.js";
import type { StewardDatabase } from "./database.js";

const WRAPPING_KEY = "wrappingKey";
/**
 * The settings entries of the secrets kept wrapped: the key ring, this device's own keys, and a new
 * account's recovery-kit contents until the kit is stored on the server.
 */
export type SecretSlot = "wrappedKeyRing" | "wrappedDeviceKeys" | "wrappedRecoveryPayload";

async function wrappingKey(db: StewardDatabase, create: boolean): Promise<CryptoKey | undefined> {
  if (db.wrappingKey) return db.wrappingKey;
  const existing = (await db.settings.get(WRAPPING_KEY)) as CryptoKey | undefined;
  if (existing || !create) return existing;
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  await db.settings.put(key, WRAPPING_KEY);
  return key;
}

export async function saveSecret(db: StewardDatabase, slot: SecretSlot, secret: Uint8Array): Promise<void> {
  const key = (await wrappingKey(db, true))!;
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new Uint8Array(secret)));
  await db.settings.put(concat(iv, sealed), slot);
}

export async function saveKeyRing(db: StewardDatabase, ring: Uint8Array): Promise<void> {
  await saveSecret(db, "wrappedKeyRing", ring);
}

/** The stored key ring, or undefined on a device that has none yet. */
export function loadKeyRing(db: StewardDatabase): Promise<Uint8Array | undefined> {
  return loadSecret(db, "wrappedKeyRing");
}

export function deleteSecret(db: StewardDatabase, slot: SecretSlot): Promise<void> {
  return db.settings.delete(slot);
}

export async function loadSecret(db: StewardDatabase, slot: SecretSlot): Promise<Uint8Array | undefined> {
  const wrapped = (await db.settings.get(slot)) as Uint8Array | undefined;
  if (!wrapped) return undefined;
  const key = await wrappingKey(db, false);
  if (!key) throw new MalformedInput("this device's key store lost its wrapping key; restore from your recovery kit");
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt({ name: "AES-GCM", iv: wrapped.slice(0, 12) }, key, wrapped.slice(12)),
    );
  } catch {
    throw new WrongSecret("the keys on this device do not decrypt; restore from your recovery kit");
  }
}
