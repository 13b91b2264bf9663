// Keeps the key ring at rest wrapped by a non-extractable WebCrypto key that lives in IndexedDB:
// script on the page can use the key but never read its bytes, and a copy of the database
// files alone does not reveal the key ring. A store that cannot hold a CryptoKey (the bridge's
// file) is given the wrapping key by its caller instead.
import { concat } from "../../shared/bytes.js";
import { MalformedInput, WrongSecret } from "../../shared/errors.js";
import type { StewardDatabase } from "./database.js";

const WRAPPING_KEY = "wrappingKey";
const WRAPPED_RING = "wrappedKeyRing";

async function wrappingKey(db: StewardDatabase, create: boolean): Promise<CryptoKey | undefined> {
  if (db.wrappingKey) return db.wrappingKey;
  const existing = (await db.settings.get(WRAPPING_KEY)) as CryptoKey | undefined;
  if (existing || !create) return existing;
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  await db.settings.put(key, WRAPPING_KEY);
  return key;
}

export async function saveKeyRing(db: StewardDatabase, ring: Uint8Array): Promise<void> {
  const key = (await wrappingKey(db, true))!;
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new Uint8Array(ring)));
  await db.settings.put(concat(iv, sealed), WRAPPED_RING);
}

/** The stored key ring, or undefined on a device that has none yet. */
export async function loadKeyRing(db: StewardDatabase): Promise<Uint8Array | undefined> {
  const wrapped = (await db.settings.get(WRAPPED_RING)) as Uint8Array | undefined;
  if (!wrapped) return undefined;
  const key = await wrappingKey(db, false);
  if (!key) throw new MalformedInput("this device's key store lost its wrapping key; restore from your recovery kit");
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: wrapped.slice(0, 12) }, key, wrapped.slice(12)));
  } catch {
    throw new WrongSecret("the key ring on this device does not decrypt; restore from your recovery kit");
  }
}
