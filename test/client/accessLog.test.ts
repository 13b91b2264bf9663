// The patient's check of the grantees' read receipts (client/accessLog.ts): every receipt must be
// signed by the grantee of the grant it names, each reader device's chain must hold together, and
// a receipt this device saw before must still be there. A hidden receipt shows as a hole.
import { beforeAll, describe, expect, it } from "vitest";
import { createAccountKeys, type AccountKeys } from "../../crypto/accountKeys.js";
import { toHex } from "../../shared/bytes.js";
import { RollbackDetected } from "../../shared/errors.js";
import { encodeReadReceipt, readReceiptLink, readReceiptSignedBytes } from "../../shared/readReceipt.js";
import { loadSodium, sodium } from "../../crypto/sodium.js";
import { checkReceipts } from "../../client/accessLog.js";
import { expectTyped } from "../shared/helpers.js";

beforeAll(loadSodium);

const patientId = new Uint8Array(16).fill(1);
const grantId = new Uint8Array(16).fill(2);
const device = new Uint8Array(16).fill(3);

/** A reader device's chain of `count` receipts, each linked to the one before. */
function chain(reader: AccountKeys, count: number, start = 0): Uint8Array[] {
  const receipts: Uint8Array[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const prev = receipts.at(-1);
    const unsigned = {
      patientId,
      grantId,
      readerKey: reader.signKey,
      readerDeviceId: device,
      seq,
      prevHash: prev ? readReceiptLink(prev) : new Uint8Array(32),
      time: start + 1_000 * seq,
      kind: "read" as const,
      after: seq - 1,
      cursor: seq,
      count: 1,
      heads: [],
    };
    receipts.push(
      encodeReadReceipt({
        ...unsigned,
        signature: sodium().crypto_sign_detached(readReceiptSignedBytes(unsigned), reader.signSecretKey),
      }),
    );
  }
  return receipts;
}

describe("read receipt chains", () => {
  let reader: AccountKeys;
  const patient = toHex(patientId);
  const keyOf = () => (id: string) => (id === toHex(grantId) ? reader.signKey : undefined);
  beforeAll(() => {
    reader = createAccountKeys();
  });

  it("takes a whole chain in order and returns its head to keep", () => {
    const receipts = chain(reader, 3);
    const { receipts: checked, chains, refused } = checkReceipts(receipts, patient, keyOf(), {});
    expect(checked.map((c) => [c.receipt.seq, c.missingBefore])).toEqual([
      [1, undefined],
      [2, undefined],
      [3, undefined],
    ]);
    expect(Object.values(chains)).toEqual([{ seq: 3, link: toHex(readReceiptLink(receipts[2]!)) }]);
    expect(refused).toBe(0);
  });

  it("reports receipts the server hid as a hole before the next one, again while they stay hidden", () => {
    const [first, second, third] = chain(reader, 3);
    const { receipts, chains } = checkReceipts([first!, third!], patient, keyOf(), {});
    expect(receipts[1]!.missingBefore).toEqual({ from: 2, to: 2 });
    const again = checkReceipts([first!, third!], patient, keyOf(), chains);
    expect(again.receipts[1]!.missingBefore).toEqual({ from: 2, to: 2 });
    // Served at last, the hole closes.
    const filled = checkReceipts([first!, second!, third!], patient, keyOf(), again.chains);
    expect(filled.receipts.some((r) => r.missingBefore)).toBe(false);
  });

  it("refuses, and counts, a receipt not signed by the grant's grantee", () => {
    const stranger = chain(createAccountKeys(), 1);
    const { receipts, refused } = checkReceipts([...stranger, ...chain(reader, 1)], patient, keyOf(), {});
    expect(receipts.map((r) => toHex(r.receipt.readerKey))).toEqual([toHex(reader.signKey)]);
    expect(refused).toBe(1);
  });

  it("raises RollbackDetected for a replayed, relinked or removed receipt", () => {
    const receipts = chain(reader, 3);
    expectTyped(
      () => checkReceipts([receipts[0]!, receipts[1]!, receipts[1]!], patient, keyOf(), {}),
      RollbackDetected,
    );
    const other = chain(reader, 3, 500);
    expectTyped(() => checkReceipts([receipts[0]!, other[1]!], patient, keyOf(), {}), RollbackDetected);
    const { chains } = checkReceipts(receipts, patient, keyOf(), {});
    expectTyped(() => checkReceipts(receipts.slice(0, 2), patient, keyOf(), chains), RollbackDetected);
    // One this device saw, removed from the middle: not a hole, a rollback.
    expectTyped(() => checkReceipts([receipts[0]!, receipts[2]!], patient, keyOf(), chains), RollbackDetected);
  });
});
