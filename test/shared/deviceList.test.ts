// The device list chain: who may change it, what a removal means for later envelopes, and how a
// reader tells a rolled-back or forked list from the one it holds.
import { beforeAll, describe, expect, it } from "vitest";
import { createAccountKeys } from "../../crypto/accountKeys.js";
import { decodeDeviceCertificate, encodeDeviceCertificate } from "../../shared/deviceCertificate.js";
import {
  assembleLink,
  authorStanding,
  checkExtends,
  decodeDeviceListLinks,
  encodeDeviceList,
  encodeLinkBody,
  linkHash,
  linkSignedBytes,
  readDeviceList,
} from "../../shared/deviceList.js";
import {
  ForkDetected,
  InvalidSignature,
  MalformedInput,
  RollbackDetected,
  UnsupportedVersion,
} from "../../shared/errors.js";
import { accountIdOf } from "../../shared/keyBundle.js";
import { loadSodium, sodium } from "../../crypto/sodium.js";
import {
  appendDeviceChange,
  certify,
  chainPoint,
  genesisDeviceList,
  newDeviceKeys,
  newRecoveryKeys,
  verifiedDeviceList,
} from "../../client/devices.js";
import { expectTyped } from "./helpers.js";

beforeAll(loadSodium);

function account() {
  const keys = createAccountKeys();
  const phone = newDeviceKeys("Phone");
  const recovery = newRecoveryKeys();
  return { keys, phone, recovery, list: genesisDeviceList(keys, phone, recovery) };
}

describe("device certificates and the device list", () => {
  it("a certificate round-trips and names are checked", () => {
    const { keys, phone } = account();
    const cert = certify(keys, phone);
    expect(decodeDeviceCertificate(encodeDeviceCertificate(cert))).toEqual(cert);
    expect(() => newDeviceKeys("")).toThrow(MalformedInput);
    expect(() => newDeviceKeys("x".repeat(65))).toThrow(MalformedInput);
    expect(() => newDeviceKeys("tab\there")).toThrow(MalformedInput);
    expect(newDeviceKeys("  Laptop ").name).toBe("Laptop");
  });

  it("adding and removing devices: a removed device's envelopes count only up to its last sequence", () => {
    const { keys, phone, list } = account();
    const laptop = newDeviceKeys("Laptop");
    const added = appendDeviceChange(
      list,
      keys,
      { kind: "device", device: phone },
      { op: "add", certificate: certify(keys, laptop) },
    );
    const removed = appendDeviceChange(
      added,
      keys,
      { kind: "device", device: phone },
      { op: "remove", deviceId: laptop.deviceId, lastSeq: 7, lastServerSeq: 20 },
    );
    const state = verifiedDeviceList(removed, keys.signKey);
    expect(state.devices.map((d) => [d.certificate.name, !!d.removed])).toEqual([
      ["Phone", false],
      ["Laptop", true],
    ]);
    expect(authorStanding(state, laptop.signKey, laptop.deviceId, 7)).toBe("allowed");
    expect(authorStanding(state, laptop.signKey, laptop.deviceId, 8)).toBe("removed");
    expect(authorStanding(state, phone.signKey, phone.deviceId, 1_000)).toBe("allowed");
    // A device key under another device id, or an unlisted key, counts for nothing.
    expect(authorStanding(state, laptop.signKey, phone.deviceId, 1)).toBe("unknown");
    expect(authorStanding(state, newDeviceKeys("x").signKey, phone.deviceId, 1)).toBe("unknown");
  });

  it("a removed device cannot change the list again, not even holding the account's identity key", () => {
    const { keys, phone, list } = account();
    const stolen = newDeviceKeys("Stolen phone");
    const withStolen = appendDeviceChange(
      list,
      keys,
      { kind: "device", device: phone },
      { op: "add", certificate: certify(keys, stolen) },
    );
    const removed = appendDeviceChange(
      withStolen,
      keys,
      { kind: "device", device: phone },
      { op: "remove", deviceId: stolen.deviceId, lastSeq: 0, lastServerSeq: 0 },
    );
    // The thief certifies a fresh device with the identity key and signs the link with its removed device key.
    const fresh = newDeviceKeys("Thief's tablet");
    expectTyped(
      () =>
        appendDeviceChange(
          removed,
          keys,
          { kind: "device", device: stolen },
          { op: "add", certificate: certify(keys, fresh) },
        ),
      MalformedInput,
    );
    // Re-adding the removed device itself is refused too, whoever signs it.
    expectTyped(
      () =>
        appendDeviceChange(
          removed,
          keys,
          { kind: "device", device: phone },
          { op: "add", certificate: certify(keys, stolen) },
        ),
      MalformedInput,
    );
  });

  it("the recovery key may change the list when no device is at hand", () => {
    const { keys, phone, recovery, list } = account();
    const recovered = newDeviceKeys("Recovered");
    const next = appendDeviceChange(
      list,
      keys,
      { kind: "recovery", keys: recovery },
      { op: "add", certificate: certify(keys, recovered) },
    );
    const without = appendDeviceChange(
      next,
      keys,
      { kind: "recovery", keys: recovery },
      { op: "remove", deviceId: phone.deviceId, lastSeq: 3, lastServerSeq: 9 },
    );
    expect(verifiedDeviceList(without, keys.signKey).devices.map((d) => !!d.removed)).toEqual([true, false]);
    // Another recovery key (one the genesis does not name) is refused.
    expectTyped(
      () =>
        appendDeviceChange(
          list,
          keys,
          { kind: "recovery", keys: newRecoveryKeys() },
          { op: "add", certificate: certify(keys, recovered) },
        ),
      InvalidSignature,
    );
  });

  it("every signature counts: a link or certificate signed by anyone but the account's identity key is refused", () => {
    const { keys, phone, list } = account();
    const server = createAccountKeys();
    const laptop = newDeviceKeys("Laptop");
    // A certificate the server signed.
    const forgedCert = { ...certify(server, laptop), accountId: accountIdOf(keys.signKey) };
    expectTyped(
      () => appendDeviceChange(list, keys, { kind: "device", device: phone }, { op: "add", certificate: forgedCert }),
      InvalidSignature,
    );
    // A link whose identity signature is the server's.
    const state = verifiedDeviceList(list, keys.signKey);
    const body = encodeLinkBody({
      accountId: accountIdOf(keys.signKey),
      index: 2,
      prevHash: state.head.hash,
      time: 1,
      author: { kind: "device", deviceId: phone.deviceId },
      change: { op: "add", certificate: certify(keys, laptop) },
    });
    const message = linkSignedBytes(body);
    const link = assembleLink(
      body,
      sodium().crypto_sign_detached(message, server.signSecretKey),
      sodium().crypto_sign_detached(message, phone.signSecretKey),
    );
    expectTyped(() => verifiedDeviceList(encodeDeviceList([...state.links, link]), keys.signKey), InvalidSignature);
    // Another account's identity key does not read this list at all.
    expectTyped(() => verifiedDeviceList(list, server.signKey), MalformedInput);
  });

  it("links out of order, dropped or with a bad version are refused", () => {
    const { keys, phone, list } = account();
    const two = appendDeviceChange(
      list,
      keys,
      { kind: "device", device: phone },
      { op: "add", certificate: certify(keys, newDeviceKeys("A")) },
    );
    const three = appendDeviceChange(
      two,
      keys,
      { kind: "device", device: phone },
      { op: "add", certificate: certify(keys, newDeviceKeys("B")) },
    );
    const links = decodeDeviceListLinks(three);
    expectTyped(() => readDeviceList(encodeDeviceList([links[0]!, links[2]!]), keys.signKey), MalformedInput);
    expectTyped(() => readDeviceList(encodeDeviceList([links[1]!, links[0]!]), keys.signKey), MalformedInput);
    const wrongVersion = three.slice();
    wrongVersion[4] = 2;
    expectTyped(() => readDeviceList(wrongVersion, keys.signKey), UnsupportedVersion);
  });

  it("a reader tells a rolled-back or forked list from one that continues what it holds", () => {
    const { keys, phone, list } = account();
    const known = appendDeviceChange(
      list,
      keys,
      { kind: "device", device: phone },
      { op: "add", certificate: certify(keys, newDeviceKeys("A")) },
    );
    const point = chainPoint(verifiedDeviceList(known, keys.signKey));
    const later = appendDeviceChange(
      known,
      keys,
      { kind: "device", device: phone },
      { op: "add", certificate: certify(keys, newDeviceKeys("B")) },
    );
    checkExtends(point, verifiedDeviceList(later, keys.signKey));
    expectTyped(() => checkExtends(point, verifiedDeviceList(list, keys.signKey)), RollbackDetected);
    const other = appendDeviceChange(
      list,
      keys,
      { kind: "device", device: phone },
      { op: "add", certificate: certify(keys, newDeviceKeys("C")) },
    );
    expectTyped(() => checkExtends(point, verifiedDeviceList(other, keys.signKey)), ForkDetected);
    expect(linkHash(decodeDeviceListLinks(known)[1]!)).toEqual(point.hash);
  });
});
