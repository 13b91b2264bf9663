// Grants: sign-then-seal delivery of cover keys (T1, T4, T21, surreptitious forwarding, expiry).
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { sign, type AccountKeys } from "../../crypto/accountKeys.js";
import { ByteWriter, toHex, utf8 } from "../../shared/bytes.js";
import {
  ExpiredGrant,
  ForgedGrant,
  MalformedInput,
  OutsideGrant,
  UnsupportedVersion,
  UnverifiedRecipient,
} from "../../shared/errors.js";
import { issueGrant, openGrant, type GrantScopeInput, type IssueGrantInput } from "../../crypto/grant.js";
import {
  decodeGrantPolicy,
  decodeGrantWire,
  encodeGrantPolicy,
  encodeGrantWire,
  type GrantPolicy,
} from "../../shared/grantCodec.js";
import { sha256 } from "../../shared/hash.js";
import { accountIdOf } from "../../shared/keyBundle.js";
import { HOUR_LIMIT, KeyTreeReader, ROOT, coverRange } from "../../crypto/keyTree.js";
import { SCOPES, type Scope } from "../../shared/records.js";
import { scopeTag } from "../../crypto/scopeTag.js";
import { loadSodium, sodium } from "../../crypto/sodium.js";
import { expectTyped, fixedAccount, flipBit, seed } from "../shared/helpers.js";

let patient: AccountKeys;
let clinician: AccountKeys;
let mallory: AccountKeys;
const META = seed(0x0e);
const NOW = Date.UTC(2026, 0, 1);
const H2026 = NOW / 3_600_000; // hour 491 … of 2026-01-01T00:00Z
const DAY = 86_400_000;

beforeAll(async () => {
  await loadSodium();
  patient = fixedAccount(0x10, 0x11);
  clinician = fixedAccount(0x20, 0x21);
  mallory = fixedAccount(0x30, 0x31);
});

/** The patient's device list the grants name: its third change. */
const DEVICES = { index: 3, hash: seed(0x44) };

/** Root of (scope, generation): fixed so tests can derive what the grantee should get. */
const rootOf = (scope: Scope, generation: number) =>
  sodium().crypto_generichash(32, utf8(`${scope}/${generation}`), seed(0x0f));

function scopeInput(scope: Scope, generations: number[] = [1]): GrantScopeInput {
  return {
    scope,
    scopeTag: scopeTag(META, scope),
    generations: generations.map((generation) => ({ generation, root: rootOf(scope, generation) })),
  };
}

function grant(overrides: Partial<IssueGrantInput> = {}) {
  return issueGrant({
    patient,
    recipient: { bundle: clinician.bundle, verified: true },
    scopes: [scopeInput("glucose"), scopeInput("insulin", [1, 2])],
    fromHour: H2026,
    toHour: H2026 + 24 * 90 - 1,
    expiresAt: NOW + 30 * DAY,
    devices: DEVICES,
    now: NOW,
    ...overrides,
  });
}

function innerBytes(
  policyBytes: Uint8Array,
  scopeBytes: Uint8Array,
  keys: Uint8Array,
  signer: AccountKeys,
): Uint8Array {
  const signature = sign("grant", signer.signSecretKey, policyBytes, scopeBytes, sha256(keys));
  return new ByteWriter()
    .raw(utf8("STWS"))
    .u8(1)
    .bytes(policyBytes)
    .raw(scopeBytes)
    .raw(keys)
    .fixed(signature, 64, "signature")
    .finish();
}

const open = (wire: Uint8Array, me = clinician, patientKey = patient.signKey, now = NOW + DAY) =>
  openGrant(wire, me, patientKey, now);

describe("issue and open", () => {
  it("delivers exactly the patient's leaf keys for every granted scope, generation and hour", () => {
    const { wire, policy } = grant();
    const opened = open(wire);
    expect(opened.policy).toEqual(policy);
    expect(opened.scopes.map((s) => s.scope)).toEqual(["glucose", "insulin"]);
    expect(policy.patientId).toEqual(accountIdOf(patient.signKey));
    expect(policy.granteeId).toEqual(accountIdOf(clinician.signKey));
    for (const [scope, generation] of [
      ["glucose", 1],
      ["insulin", 1],
      ["insulin", 2],
    ] as [Scope, number][]) {
      const full = new KeyTreeReader([{ node: ROOT, key: rootOf(scope, generation) }]);
      for (const h of [H2026, H2026 + 1, H2026 + 1000, H2026 + 24 * 90 - 1])
        expect(toHex(opened.leaf(scope, generation, h))).toBe(toHex(full.leaf(h)));
    }
    expect(opened.scopeOfTag(scopeTag(META, "insulin"))?.scope).toBe("insulin");
    expect(opened.scopeOfTag(scopeTag(META, "events"))).toBeUndefined();
  });

  it("refuses leaves outside the range, scopes and generations it names (OutsideGrant)", () => {
    const opened = open(grant().wire);
    expectTyped(() => opened.leaf("glucose", 1, H2026 - 1), OutsideGrant);
    expectTyped(() => opened.leaf("glucose", 1, H2026 + 24 * 90), OutsideGrant);
    expectTyped(() => opened.leaf("events", 1, H2026), OutsideGrant);
    expectTyped(() => opened.leaf("glucose", 2, H2026), OutsideGrant);
    expectTyped(() => opened.leaf("insulin", 3, H2026), OutsideGrant);
  });

  it("gives identity its hour-0 key only, whatever the range", () => {
    const opened = open(grant({ scopes: [scopeInput("identity")] }).wire);
    const full = new KeyTreeReader([{ node: ROOT, key: rootOf("identity", 1) }]);
    expect(toHex(opened.leaf("identity", 1, 0))).toBe(toHex(full.leaf(0)));
    expectTyped(() => opened.leaf("identity", 1, H2026), OutsideGrant);
  });

  it("keeps write and live flags, the expiry and the patient's device list as signed", () => {
    const { policy } = open(grant({ write: true, live: true, expiresAt: NOW + 2 * DAY }).wire);
    expect([policy.write, policy.live, policy.expiresAt, policy.issuedAt]).toEqual([true, true, NOW + 2 * DAY, NOW]);
    expect(policy.devices).toEqual(DEVICES);
  });

  it("reads a policy issued before grants named the device list (no devices), and refuses one naming change 0", () => {
    const { devices: _, ...older } = grant().policy;
    expect(decodeGrantPolicy(encodeGrantPolicy(older)).devices).toBeUndefined();
    const bytes = encodeGrantPolicy(grant().policy);
    bytes.fill(0, bytes.length - 36, bytes.length - 32);
    expectTyped(() => decodeGrantPolicy(bytes), MalformedInput);
  });

  it("refuses a grant naming a scope twice", () => {
    expectTyped(() => grant({ scopes: [scopeInput("glucose"), scopeInput("glucose")] }), MalformedInput);
  });

  it("two grants to the same person never combine past their union (collusion, T21)", () => {
    const a = open(grant({ fromHour: H2026, toHour: H2026 + 9 }).wire);
    const b = open(grant({ fromHour: H2026 + 20, toHour: H2026 + 29 }).wire);
    for (let h = H2026 + 10; h < H2026 + 20; h++)
      for (const g of [a, b]) expectTyped(() => g.leaf("glucose", 1, h), OutsideGrant);
  });
});

describe("who may share with whom (T1, T4)", () => {
  it("refuses to issue to an unverified recipient, or one whose bundle is not self-signed (UnverifiedRecipient)", () => {
    expectTyped(() => grant({ recipient: { bundle: clinician.bundle, verified: false } }), UnverifiedRecipient);
    // The directory swaps in its own encryption key under the clinician's identity key.
    const swapped = { ...clinician.bundle, boxKey: mallory.boxKey };
    expectTyped(() => grant({ recipient: { bundle: swapped, verified: true } }), UnverifiedRecipient);
  });

  it("rejects a grant issued by anyone but the verified patient (ForgedGrant)", () => {
    // Mallory (or the server) issues a grant under her own identity.
    const own = issueGrant({
      patient: mallory,
      recipient: { bundle: clinician.bundle, verified: true },
      scopes: [scopeInput("glucose")],
      fromHour: H2026,
      toHour: H2026 + 9,
      expiresAt: NOW + DAY * 30,
      devices: DEVICES,
      now: NOW,
    });
    expectTyped(() => open(own.wire), ForgedGrant);
    // She claims the patient's key in the policy but can only sign with hers.
    const claimed: GrantPolicy = {
      ...own.policy,
      patientId: accountIdOf(patient.signKey),
      patientKey: patient.signKey,
    };
    const claimedBytes = encodeGrantPolicy(claimed);
    const scopes = Uint8Array.of(SCOPES.indexOf("glucose"));
    const keys = sodium().randombytes_buf(32 * coverRange(H2026, H2026 + 9).length);
    const sealed = sodium().crypto_box_seal(innerBytes(claimedBytes, scopes, keys, mallory), clinician.boxKey);
    expectTyped(
      () => open(encodeGrantWire(claimedBytes, sign("grantPolicy", mallory.signSecretKey, claimedBytes), sealed)),
      ForgedGrant,
    );
  });

  it("rejects the patient's genuine clear policy with a sealed part the server made with its own keys (ForgedGrant)", () => {
    const genuine = decodeGrantWire(grant({ scopes: [scopeInput("glucose")] }).wire);
    const nodes = coverRange(genuine.policy.entries[0]!.fromHour, genuine.policy.entries[0]!.toHour).length;
    const keys = sodium().randombytes_buf(32 * nodes);
    const sealed = sodium().crypto_box_seal(
      innerBytes(genuine.policyBytes, Uint8Array.of(0), keys, mallory),
      clinician.boxKey,
    );
    expectTyped(() => open(encodeGrantWire(genuine.policyBytes, genuine.policySignature, sealed)), ForgedGrant);
  });

  it("rejects a grant whose clear policy differs from the sealed one (ForgedGrant)", () => {
    const a = decodeGrantWire(grant({ fromHour: H2026, toHour: H2026 + 9 }).wire);
    const b = decodeGrantWire(grant({ fromHour: H2026, toHour: H2026 + 999 }).wire);
    // Both halves are genuinely signed by the patient, but they belong to different grants.
    expectTyped(() => open(encodeGrantWire(a.policyBytes, a.policySignature, b.sealed)), ForgedGrant);
    expectTyped(() => open(encodeGrantWire(b.policyBytes, b.policySignature, a.sealed)), ForgedGrant);
  });

  it("rejects a grant opened by another account, or forwarded to one by its grantee (ForgedGrant)", () => {
    const { wire } = grant();
    expectTyped(() => open(wire, mallory), ForgedGrant);
    // Surreptitious forwarding: the clinician re-seals the genuine inner part to Mallory.
    const w = decodeGrantWire(wire);
    const inner = sodium().crypto_box_seal_open(w.sealed, clinician.boxKey, clinician.boxSecretKey);
    const forwarded = encodeGrantWire(
      w.policyBytes,
      w.policySignature,
      sodium().crypto_box_seal(inner, mallory.boxKey),
    );
    expect(expectTyped(() => open(forwarded, mallory), ForgedGrant).message).toMatch(/another account/);
  });

  it("rejects a genuine grant when the caller verified a different patient key (ForgedGrant)", () => {
    expectTyped(() => open(grant().wire, clinician, mallory.signKey), ForgedGrant);
  });

  it("rejects an expired grant (ExpiredGrant) and accepts it just before expiry", () => {
    const { wire } = grant({ expiresAt: NOW + DAY });
    open(wire, clinician, patient.signKey, NOW + DAY - 1);
    expectTyped(() => open(wire, clinician, patient.signKey, NOW + DAY), ExpiredGrant);
  });

  it("rejects every single-bit flip of the wire with a typed error, never opening", () => {
    const { wire } = grant({ scopes: [scopeInput("glucose")], fromHour: H2026 + 3, toHour: H2026 + 40 });
    for (let bit = 0; bit < wire.length * 8; bit++)
      expectTyped(() => open(flipBit(wire, bit)), MalformedInput, UnsupportedVersion, ForgedGrant);
    for (let n = 0; n < wire.length; n++) expectTyped(() => open(wire.slice(0, n)), MalformedInput);
    expectTyped(() => open(new Uint8Array([...wire, 0])), MalformedInput);
  });
});

describe("size (done-when)", () => {
  it("keeps a one-year grant for all six scopes under 10 KB wherever the year starts", () => {
    let largest = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: HOUR_LIMIT - 8760 }), (from) => {
        const { wire } = grant({
          scopes: SCOPES.map((s) => scopeInput(s)),
          fromHour: from,
          toHour: from + 8759,
          expiresAt: NOW + 365 * DAY,
        });
        largest = Math.max(largest, wire.length);
        expect(wire.length).toBeLessThan(10_000);
      }),
      { numRuns: 40, examples: [[H2026], [1], [2 ** 20 - 4380]] },
    );
    expect(largest).toBeGreaterThan(1000);
  });

  it("issues and opens a six-scope grant across eight generations (a policy over 512 bytes)", () => {
    // Regression: ByteWriter used to throw a RangeError whenever it outgrew its initial capacity.
    const gens = [1, 2, 3, 4, 5, 6, 7, 8];
    const { wire } = grant({ scopes: SCOPES.map((s) => scopeInput(s, gens)) });
    expect(decodeGrantWire(wire).policyBytes.length).toBeGreaterThan(512);
    expect(toHex(open(wire).leaf("events", 8, H2026))).toBe(
      toHex(new KeyTreeReader([{ node: ROOT, key: rootOf("events", 8) }]).leaf(H2026)),
    );
  });

  it("refuses at issue time a grant its own decoder would refuse (sealed part over 256 KiB)", () => {
    const many = Array.from({ length: 64 }, (_, i) => i + 1);
    const scopes = SCOPES.map((s) => ({
      ...scopeInput(s),
      generations: many.map((generation) => ({ generation, root: seed(generation) })),
    }));
    expectTyped(() => grant({ scopes, fromHour: 1, toHour: HOUR_LIMIT - 2 }), MalformedInput);
  });
});
