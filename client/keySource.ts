// Where an open log's keys come from: the patient's own roots, or a grant's covers. The record
// store and the sync engine see only this interface, so a patient's phone, a clinician and a
// caregiver run the same code and differ only in what their keys reach.
import { bytesEqual, toHex } from "../shared/bytes.js";
import { checkExtends, type DeviceList } from "../shared/deviceList.js";
import { OutsideGrant, RollbackDetected } from "../shared/errors.js";
import type { OpenedGrant } from "../crypto/grant.js";
import type { GrantPolicy } from "../shared/grantCodec.js";
import { accountIdOf } from "../shared/keyBundle.js";
import type { KeyTreeReader, TreeNode } from "../crypto/keyTree.js";
import type { Scope } from "../shared/records.js";
import { verifiedDeviceList } from "./devices.js";
import { ownTreeReader, scopeTags, type KeyRing } from "./keyRing.js";

export interface KeySource {
  readonly patientId: Uint8Array;
  readonly patientKey: Uint8Array;
  /** Whether every envelope of the log is visible, so device chains must be gap-free. */
  readonly seesWholeLog: boolean;
  scopes(): Scope[];
  scopeOfTag(tag: Uint8Array): Scope | undefined;
  tagOf(scope: Scope): Uint8Array;
  leaf(scope: Scope, generation: number, hour: number): Uint8Array;
  /** Key of a node (a block's) in the tree of (scope, generation); OutsideGrant past what this holder reaches. */
  nodeKey(scope: Scope, generation: number, node: TreeNode): Uint8Array;
  /**
   * Whether this holder's keys open hours [first, last] of (scope, generation). A grantee's views of
   * one patient share a store, so what one grant received may lie past another's reach.
   */
  reaches(scope: Scope, generation: number, first: number, last: number): boolean;
  /** Generation a new write in `scope` uses; OutsideGrant when this holder may not write there. */
  writeGeneration(scope: Scope, hour: number): number;
  /**
   * The patient's signed device list as this holder knows it (undefined while unknown): whose
   * device keys sign the patient's envelopes and blocks (client/sync/authorPolicy.ts).
   */
  patientDevices(): DeviceList | undefined;
  /** Writers besides the patient's devices whose envelopes this holder can check. */
  writers(): readonly DelegatedWriter[];
}

/** Writers besides the patient: keys of write grants the patient issued. */
export interface DelegatedWriter {
  /** The grant it writes under (hex), to match the patient's revocation of it. */
  readonly grantId?: string;
  readonly signKey: Uint8Array;
  readonly scopes: readonly Scope[];
  readonly fromHour: number;
  readonly toHour: number;
  /**
   * Per scope, the key generations the grant gave (from its signed policy): a writer can only ever
   * have written under those, so a revoked writer's old writes stay authentic and nothing newer is.
   */
  readonly generations?: Partial<Record<Scope, readonly number[]>>;
  /**
   * Set once the patient revoked the grant (its signed revocation): per device chain of the writer
   * (hex device id), the last sequence number that still counts. Other chains count for nothing.
   */
  readonly cutoffs?: readonly { readonly deviceId: string; readonly lastSeq: number }[];
}

/** The verified device list behind `encoded`, checked again only when the bytes change. */
function deviceListOf(encoded: () => Uint8Array | undefined, identityKey: Uint8Array): () => DeviceList | undefined {
  let last: { bytes: Uint8Array; list: DeviceList } | undefined;
  return () => {
    const bytes = encoded();
    if (!bytes) return undefined;
    if (last?.bytes !== bytes) last = { bytes, list: verifiedDeviceList(bytes, identityKey) };
    return last.list;
  };
}

/** The patient's own keys, from the key ring (read live: a rotation or a new device shows at once). */
export function ownKeySource(
  ring: Pick<KeyRing, "account" | "data"> & { readonly devices?: Uint8Array },
  writers: () => readonly DelegatedWriter[] = () => [],
): KeySource {
  const patientKey = ring.account.signKey;
  const data = ring.data!;
  const tags = scopeTags(data);
  const devices = deviceListOf(() => ring.devices, patientKey);
  const readers = new Map<string, KeyTreeReader>();
  return {
    patientId: accountIdOf(patientKey),
    patientKey,
    seesWholeLog: true,
    scopes: () => [...tags.keys()],
    scopeOfTag: (tag) => [...tags].find(([, t]) => bytesEqual(t, tag))?.[0],
    tagOf: (scope) => tags.get(scope)!,
    leaf(scope, generation, hour) {
      return this.nodeKey(scope, generation, { height: 0, index: hour });
    },
    nodeKey(scope, generation, node) {
      const id = `${scope}:${generation}`;
      let reader = readers.get(id);
      if (!reader) {
        reader = ownTreeReader(data, scope, generation);
        readers.set(id, reader);
      }
      return reader.nodeKey(node);
    },
    reaches: (scope, generation) => data.scopes[scope].roots.has(generation),
    writeGeneration: (scope) => data.scopes[scope].current,
    patientDevices: devices,
    writers,
  };
}

/**
 * Keys from a grant. `current` may be a function returning the latest revision, so a view follows a
 * re-issued grant (new key generation after a revocation elsewhere) without being rebuilt.
 * `patientDevices` is the patient's device list as this grantee fetched it from the patient log:
 * trusted only if it reaches the list the grant names (RollbackDetected, or ForkDetected, if not),
 * so a server serving an older list cannot pass off what a removed device signs afterwards. (A
 * grant issued before grants named the list is checked against whatever list was served.)
 */
export function grantKeySource(
  current: OpenedGrant | (() => OpenedGrant),
  mySignKey: Uint8Array,
  patientDevices: () => Uint8Array | undefined = () => undefined,
): KeySource {
  const latest = typeof current === "function" ? current : () => current;
  const { policy } = latest();
  const served = deviceListOf(patientDevices, policy.patientKey);
  let checked: { list: DeviceList; named: GrantPolicy["devices"] } | undefined;
  const devices = () => {
    const list = served();
    const named = latest().policy.devices;
    if (!named || (list && checked && checked.list === list && checked.named === named)) return list;
    if (!list)
      throw new RollbackDetected(
        "the server did not serve the patient's list of devices that this share names, so whose devices signed the data cannot be checked: sync again later; if it stays, report it",
      );
    checkExtends(named, list);
    checked = { list, named };
    return list;
  };
  return {
    patientId: policy.patientId,
    patientKey: policy.patientKey,
    seesWholeLog: false,
    scopes: () => latest().scopes.map((s) => s.scope),
    scopeOfTag: (tag) => latest().scopeOfTag(tag)?.scope,
    tagOf(scope) {
      const granted = latest().scopes.find((s) => s.scope === scope);
      if (!granted) throw new OutsideGrant(`this grant does not include ${scope}`);
      return granted.scopeTag;
    },
    leaf: (scope, generation, hour) => latest().leaf(scope, generation, hour),
    nodeKey: (scope, generation, node) => latest().nodeKey(scope, generation, node),
    reaches(scope, generation, first, last) {
      const granted = latest().scopes.find((s) => s.scope === scope);
      return !!granted && granted.generations.has(generation) && first >= granted.fromHour && last <= granted.toHour;
    },
    writeGeneration(scope, hour) {
      const grant = latest();
      const granted = grant.scopes.find((s) => s.scope === scope);
      if (!grant.policy.write || !granted) throw new OutsideGrant(`this grant does not let you write ${scope}`);
      if (hour < granted.fromHour || hour > granted.toHour)
        throw new OutsideGrant(`hour ${hour} is outside what this grant lets you write`);
      return Math.max(...granted.generations.keys());
    },
    patientDevices: devices,
    // Other grantees' writes cannot be checked from here; only our own are accepted.
    writers() {
      const grant = latest();
      if (!grant.policy.write) return [];
      return grant.scopes.map((s) => ({
        signKey: mySignKey,
        scopes: [s.scope],
        fromHour: s.fromHour,
        toHour: s.toHour,
        generations: { [s.scope]: [...s.generations.keys()] },
      }));
    },
  };
}

export function patientHex(keys: KeySource): string {
  return toHex(keys.patientId);
}
