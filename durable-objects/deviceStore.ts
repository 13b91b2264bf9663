// An account's device list as an object keeps it (shared/deviceList.ts): the signed chain the
// account's devices publish. The Account object lets only the devices it holds as active log in;
// the PatientLog serves it to grantees, who check authors against it, and stores only envelopes
// signed by a device of the patient's that is not removed.
import { toHex } from "../shared/bytes.js";
import { checkExtends, readDeviceList, type DeviceList } from "../shared/deviceList.js";
import { ForkDetected, RollbackDetected } from "../shared/errors.js";
import { decoded, Refusal } from "./outcome.js";
import { blob, bytesOf } from "./sql.js";
import { verifyEd25519, type Ed25519KeyCache } from "./webcrypto.js";

export const DEVICE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS device_list (id INTEGER PRIMARY KEY CHECK (id = 1), list BLOB NOT NULL);
`;

export class DeviceStore {
  private cached?: { bytes: Uint8Array; list: DeviceList };

  constructor(
    private readonly sql: SqlStorage,
    private readonly keys: Ed25519KeyCache,
  ) {
    sql.exec(DEVICE_SCHEMA);
  }

  /** The stored list's bytes, or null before the patient's first device published it. */
  encoded(): Uint8Array | null {
    const row = this.sql.exec<{ list: ArrayBuffer }>("SELECT list FROM device_list").toArray()[0];
    return row ? bytesOf(row.list) : null;
  }

  /** The stored list, replayed (its signatures were verified when it was published). */
  list(accountKey: Uint8Array): DeviceList | null {
    const bytes = this.encoded();
    if (!bytes) return null;
    if (this.cached && this.cached.bytes.length === bytes.length && toHex(this.cached.bytes) === toHex(bytes))
      return this.cached.list;
    const { list } = readDeviceList(bytes, accountKey);
    this.cached = { bytes, list };
    return list;
  }

  /**
   * Verifies a list the account's devices publish (every signature, with WebCrypto) and stores it
   * if it continues the stored one. Publishing the same list again is a retry.
   */
  async publish(bytes: Uint8Array, accountKey: Uint8Array): Promise<DeviceList> {
    const list = await this.check(bytes, accountKey);
    this.sql.exec(
      "INSERT INTO device_list (id, list) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET list = excluded.list",
      blob(bytes),
    );
    this.cached = { bytes, list };
    return list;
  }

  /** Verifies a list (every signature) and that it continues the stored one, without storing it. */
  async check(bytes: Uint8Array, accountKey: Uint8Array): Promise<DeviceList> {
    const read = decoded("device list", () => readDeviceList(bytes, accountKey));
    const verified = await Promise.all(read.checks.map((c) => verifyEd25519(c.key, c.signature, c.message, this.keys)));
    const failed = read.checks.find((_, i) => !verified[i]);
    if (failed) throw new Refusal("malformed", `the device list does not verify: ${failed.what}`);
    const stored = this.list(accountKey);
    try {
      checkExtends(stored?.head, read.list);
    } catch (error) {
      if (error instanceof RollbackDetected || error instanceof ForkDetected)
        throw new Refusal("conflict", `${error.message}; fetch the stored list and build on it`);
      throw error;
    }
    return read.list;
  }
}
