// The key ring at rest: wrapped by a key generated into the store, or by one the caller holds
// (a store that cannot keep a CryptoKey, such as the bridge's file), in whichever IndexedDB the
// device was given.
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { WrongSecret } from "../../../shared/errors.js";
import { StewardDatabase } from "../../../client/store/database.js";
import { loadKeyRing, saveKeyRing } from "../../../client/store/keyStore.js";

const aesKey = () => crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
const ring = new Uint8Array([1, 2, 3, 4, 5]);

describe("key store", () => {
  it("a caller-held wrapping key seals the ring, and nothing but sealed bytes lands in the given IndexedDB", async () => {
    const factory = new IDBFactory();
    const wrappingKey = await aesKey();
    const db = new StewardDatabase("caller-key", { indexedDB: { factory, keyRange: IDBKeyRange }, wrappingKey });
    await saveKeyRing(db, ring);
    expect(await loadKeyRing(db)).toEqual(ring);
    const stored = await db.settings.toArray();
    expect(stored.some((v) => v instanceof CryptoKey)).toBe(false);
    expect(stored.some((v) => v instanceof Uint8Array && v.length === 12 + ring.length + 16)).toBe(true);
    expect((await factory.databases()).map((d) => d.name)).toContain("caller-key");
    db.close();

    const otherKey = new StewardDatabase("caller-key", {
      indexedDB: { factory, keyRange: IDBKeyRange },
      wrappingKey: await aesKey(),
    });
    await expect(loadKeyRing(otherKey)).rejects.toBeInstanceOf(WrongSecret);
    otherKey.close();
  });
});
