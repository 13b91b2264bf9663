// Opaque scope tags: the server routes by tag and never learns which tag is "insulin".
import { blake2b } from "@noble/hashes/blake2.js";
import { beforeAll, describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../shared/bytes.js";
import { SCOPES } from "../../shared/records.js";
import { scopeTag } from "../../crypto/scopeTag.js";
import { loadSodium } from "../../crypto/sodium.js";
import { seed } from "../shared/helpers.js";

beforeAll(async () => {
  await loadSodium();
});

describe("scope tags", () => {
  it('are a 16-byte keyed BLAKE2b of "steward/scope-tag/v1" ‖ 0x00 ‖ scope under the patient\'s metadata key', () => {
    for (const scope of SCOPES) {
      expect(toHex(scopeTag(seed(7), scope))).toBe(
        toHex(blake2b(utf8(`steward/scope-tag/v1\u0000${scope}`), { key: seed(7), dkLen: 16 })),
      );
    }
  });

  it("differ across scopes and across patients, so tags cannot be matched between patients", () => {
    const a = SCOPES.map((s) => toHex(scopeTag(seed(1), s)));
    const b = SCOPES.map((s) => toHex(scopeTag(seed(2), s)));
    expect(new Set([...a, ...b]).size).toBe(12);
  });
});
