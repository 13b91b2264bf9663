// What an export starts from: the granted scopes over the granted range, nothing else.
import "fake-indexeddb/auto";
import { beforeAll, describe, expect, it } from "vitest";
import { assertWithinRange, recordsInGrant } from "../../../client/export/grantRange.js";
import { createKeyRing } from "../../../client/keyRing.js";
import { ownKeySource } from "../../../client/keySource.js";
import { StewardDatabase } from "../../../client/store/database.js";
import { RecordStore } from "../../../client/store/recordStore.js";
import { LocalLog } from "../../../client/store/localLog.js";
import { OutsideGrant } from "../../../shared/errors.js";
import { parseRecord } from "../../../shared/records.js";
import { loadSodium } from "../../../crypto/sodium.js";
import { deviceAuthor } from "../../helpers/patientDevice.js";

const hour = 3_600_000;
const t0 = 490_000 * hour;
const cgm = (i: number) => parseRecord({ id: `cgm-${i}`, type: "cgm", time: t0 + i * hour, body: { mgdl: 100 + i } });
const bolus = (i: number) =>
  parseRecord({ id: `bolus-${i}`, type: "bolus", time: t0 + i * hour, body: { subType: "normal", normal: 1 } });
const profile = parseRecord({ id: "me", type: "profile", time: 0, body: { name: "Ada Example" } });

describe("recordsInGrant", () => {
  let store: RecordStore;
  beforeAll(async () => {
    await loadSodium();
    const ring = createKeyRing(true, "test").ring;
    store = new RecordStore(new LocalLog(new StewardDatabase("grant-range"), ownKeySource(ring), deviceAuthor(ring)));
    await store.put([cgm(0), cgm(1), cgm(2), cgm(3), bolus(1), bolus(2), profile]);
  });

  it("collects the granted scopes over the granted hours only", async () => {
    const { records, range } = await recordsInGrant(store, {
      scopes: ["glucose"],
      from: t0 + hour,
      to: t0 + 3 * hour - 1,
    });
    expect(records.map((r) => r.id)).toEqual(["cgm-1", "cgm-2"]);
    expect(range).toEqual({ from: t0 + hour, to: t0 + 3 * hour - 1 });
    expect(() => assertWithinRange(records, range)).not.toThrow();
  });

  it("includes the identity profile only when identity is granted", async () => {
    const withIdentity = await recordsInGrant(store, {
      scopes: ["glucose", "insulin", "identity"],
      from: t0 + 2 * hour,
      to: t0 + 3 * hour - 1,
    });
    expect(withIdentity.records.map((r) => r.id).sort()).toEqual(["bolus-2", "cgm-2", "me"]);
    const without = await recordsInGrant(store, {
      scopes: ["glucose", "insulin"],
      from: t0 + 2 * hour,
      to: t0 + 3 * hour - 1,
    });
    expect(without.records.map((r) => r.id).sort()).toEqual(["bolus-2", "cgm-2"]);
  });

  it("refuses a record outside the range", () => {
    expect(() => assertWithinRange([cgm(5)], { from: t0, to: t0 + hour })).toThrow(OutsideGrant);
  });
});
