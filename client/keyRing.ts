// The key ring: everything secret an account holds. For a patient that includes the data keys (a
// metadata key for scope tags and one GGM root per scope and generation); for everyone, the pinned
// contacts and the invites still waiting for an answer. Serialised as JSON with base64url bytes,
// validated on the way in; it only ever leaves memory sealed (keyStore.ts, keyRingSync.ts, recovery
// kit, device linking).
import { z } from "zod";
import { accountKeysFrom, createAccountKeys, type AccountKeys } from "../crypto/accountKeys.js";
import type { Placement } from "../shared/placement.js";
import { decodeKeyBundle, encodeKeyBundle } from "../shared/keyBundle.js";
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from "../shared/bytes.js";
import { MalformedInput, OutsideGrant } from "../shared/errors.js";
import { KeyTreeReader, ROOT, newRoot } from "../crypto/keyTree.js";
import { SCOPES, type Scope } from "../shared/records.js";
import { scopeTag } from "../crypto/scopeTag.js";
import { sodium } from "../crypto/sodium.js";
import type { Contact } from "./contacts.js";
import { genesisDeviceList, newDeviceKeys, newRecoveryKeys, type DeviceKeys, type RecoveryKeys } from "./devices.js";

export interface ScopeKeys {
  /** Generation every new write uses. */
  current: number;
  roots: Map<number, Uint8Array>;
}

export interface DataKeys {
  metaKey: Uint8Array;
  scopes: Record<Scope, ScopeKeys>;
}

/** An invite link handed out and not yet answered: its secret and what the grant will be. */
export interface OpenInvite {
  readonly id: string;
  readonly secret: Uint8Array;
  readonly scopes: readonly Scope[];
  readonly fromHour: number;
  readonly toHour: number;
  /** When the grant it leads to ends. */
  readonly grantExpiresAt: number;
  /** When the link itself stops working. */
  readonly expiresAt: number;
  readonly live: boolean;
  readonly write: boolean;
}

export interface KeyRing {
  account: AccountKeys;
  /** The account's signed device list (shared/deviceList.ts): who may sign for it and read this ring. */
  devices: Uint8Array;
  /** Present on a patient's devices only. */
  data?: DataKeys;
  contacts: Contact[];
  invites: OpenInvite[];
  /** Ids of invites answered or withdrawn, so a device with an old copy does not reopen them. */
  closedInvites: string[];
  /**
   * Signed revocations (shared/revocation.ts): on a patient's devices those it issued (a server
   * listing one of those grants as active again rolled back; a revoked writer's later envelopes are
   * refused), on a grantee's those it was shown (that grant never shows as active again).
   */
  revocations: Uint8Array[];
  /** A grantee's highest revision seen of each share, by "patient/grant" (shareKey): an older one is a replay. */
  grantRevisions: Record<string, number>;
}

const b64 = z.string().transform((text, ctx) => {
  try {
    return fromBase64Url(text);
  } catch {
    ctx.addIssue({ code: "custom", message: "not base64url" });
    return z.NEVER;
  }
});

/** A 32-byte key; any other length is a corrupted or forged ring. */
const key32 = b64.refine((bytes) => bytes.length === 32, "must be a 32-byte key");
const generation = z.number().int().min(0).max(0xffffffff);

const contactSchema = z.object({
  accountId: z.string().regex(/^[0-9a-f]{32}$/),
  handle: z.string(),
  bundle: b64,
  verifiedAt: z.number().int().optional(),
  via: z.enum(["safety-number", "invite"]).optional(),
});

const inviteSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{32}$/),
  secret: key32,
  scopes: z.array(z.enum(SCOPES)).min(1),
  fromHour: z.number().int().nonnegative(),
  toHour: z.number().int().nonnegative(),
  grantExpiresAt: z.number().int(),
  expiresAt: z.number().int(),
  live: z.boolean(),
  write: z.boolean(),
});

const keyRingSchema = z.object({
  version: z.literal(1),
  devices: b64,
  account: z.object({
    signKey: key32,
    signSecretKey: b64.refine((k) => k.length === 64, "must be a 64-byte signing key"),
    boxKey: key32,
    boxSecretKey: key32,
    createdAt: z.number().int().nonnegative(),
  }),
  data: z
    .object({
      metaKey: key32,
      scopes: z.record(
        z.enum(SCOPES),
        z.object({ current: generation, roots: z.record(z.string().regex(/^\d{1,10}$/), key32) }),
      ),
    })
    .optional(),
  contacts: z.array(contactSchema).default([]),
  invites: z.array(inviteSchema).default([]),
  closedInvites: z.array(z.string()).default([]),
  revocations: z.array(b64).default([]),
  // Keyed "patient/grant" (client/revocations.ts shareKey); a bare grant id is an earlier ring's.
  grantRevisions: z
    .record(z.string().regex(/^([0-9a-f]{32}\/)?[0-9a-f]{32}$/), z.number().int().nonnegative())
    .default({}),
});

/** A new account's ring; `devices` is its first device list (client/devices.ts genesisDeviceList). */
export function newKeyRing(account: AccountKeys, patient: boolean, devices: Uint8Array): KeyRing {
  if (!patient)
    return { account, devices, contacts: [], invites: [], closedInvites: [], revocations: [], grantRevisions: {} };
  const scopes = Object.fromEntries(
    SCOPES.map((scope) => [scope, { current: 1, roots: new Map([[1, newRoot()]]) }]),
  ) as Record<Scope, ScopeKeys>;
  return {
    account,
    devices,
    data: { metaKey: sodium().randombytes_buf(32), scopes },
    contacts: [],
    invites: [],
    closedInvites: [],
    revocations: [],
    grantRevisions: {},
  };
}

/**
 * Everything a new account starts with: its keys and ring, this first device's own keys, and the
 * recovery key pairs (for the recovery kit only).
 */
export function createKeyRing(
  patient: boolean,
  deviceName: string,
  placement: Placement = "default",
): { ring: KeyRing; device: DeviceKeys; recovery: RecoveryKeys } {
  const account = createAccountKeys(Date.now(), placement);
  const device = newDeviceKeys(deviceName);
  const recovery = newRecoveryKeys();
  return { ring: newKeyRing(account, patient, genesisDeviceList(account, device, recovery)), device, recovery };
}

export function encodeKeyRing(ring: KeyRing): Uint8Array {
  return utf8(JSON.stringify(keyRingJson(ring)));
}

/**
 * What the recovery kit wraps: the ring and the recovery key pairs, which no device keeps (a stolen
 * device must not be able to change the device list once it is removed).
 */
export function encodeRecoveryPayload(ring: KeyRing, recovery: RecoveryKeys): Uint8Array {
  const r = recovery;
  const keys = {
    signKey: toBase64Url(r.signKey),
    signSecretKey: toBase64Url(r.signSecretKey),
    boxKey: toBase64Url(r.boxKey),
    boxSecretKey: toBase64Url(r.boxSecretKey),
  };
  return utf8(JSON.stringify({ ...keyRingJson(ring), recovery: keys }));
}

const recoverySchema = z.object({
  recovery: z.object({
    signKey: key32,
    signSecretKey: b64.refine((k) => k.length === 64, "must be a 64-byte signing key"),
    boxKey: key32,
    boxSecretKey: key32,
  }),
});

/** The ring and recovery key pairs an opened kit holds. */
export function decodeRecoveryPayload(bytes: Uint8Array): { ring: KeyRing; recovery: RecoveryKeys } {
  const ring = decodeKeyRing(bytes);
  const parsed = recoverySchema.safeParse(JSON.parse(fromUtf8(bytes, "recovery kit")));
  if (!parsed.success) throw new MalformedInput("the recovery kit lacks its recovery keys");
  return { ring, recovery: parsed.data.recovery };
}

function keyRingJson(ring: KeyRing) {
  const a = ring.account;
  return {
    version: 1,
    devices: toBase64Url(ring.devices),
    account: {
      signKey: toBase64Url(a.signKey),
      signSecretKey: toBase64Url(a.signSecretKey),
      boxKey: toBase64Url(a.boxKey),
      boxSecretKey: toBase64Url(a.boxSecretKey),
      createdAt: a.bundle.createdAt,
    },
    data: ring.data && {
      metaKey: toBase64Url(ring.data.metaKey),
      scopes: Object.fromEntries(
        SCOPES.map((scope) => {
          const keys = ring.data!.scopes[scope];
          return [
            scope,
            {
              current: keys.current,
              roots: Object.fromEntries([...keys.roots].map(([g, root]) => [String(g), toBase64Url(root)])),
            },
          ];
        }),
      ),
    },
    contacts: ring.contacts.map((c) => ({ ...c, bundle: toBase64Url(encodeKeyBundle(c.bundle)) })),
    invites: ring.invites.map((i) => ({ ...i, secret: toBase64Url(i.secret) })),
    closedInvites: ring.closedInvites,
    revocations: ring.revocations.map(toBase64Url),
    grantRevisions: ring.grantRevisions,
  };
}

export function decodeKeyRing(bytes: Uint8Array): KeyRing {
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(bytes, "key ring"));
  } catch {
    throw new MalformedInput("key ring is not valid JSON");
  }
  const parsed = keyRingSchema.safeParse(json);
  if (!parsed.success) throw new MalformedInput(`key ring is malformed: ${parsed.error.issues[0]?.path.join(".")}`);
  const a = parsed.data.account;
  const account = accountKeysFrom(a.signKey, a.signSecretKey, a.boxKey, a.boxSecretKey, a.createdAt);
  const { devices, contacts, invites, closedInvites, revocations, grantRevisions } = parsed.data;
  const rest = {
    devices,
    contacts: contacts.map(
      ({ verifiedAt, via, ...c }): Contact => ({
        ...c,
        bundle: decodeKeyBundle(c.bundle),
        ...(verifiedAt !== undefined ? { verifiedAt } : {}),
        ...(via ? { via } : {}),
      }),
    ),
    invites,
    closedInvites,
    revocations,
    grantRevisions,
  };
  const d = parsed.data.data;
  if (!d) return { account, ...rest };
  const scopes = {} as Record<Scope, ScopeKeys>;
  for (const scope of SCOPES) {
    const entry = d.scopes[scope];
    if (!entry) throw new MalformedInput(`key ring lacks the ${scope} keys`);
    const roots = new Map(Object.entries(entry.roots).map(([g, root]) => [Number(g), root]));
    if ([...roots.keys()].some((g) => g > 0xffffffff))
      throw new MalformedInput(`key ring names a ${scope} generation beyond 2^32 - 1`);
    if (!roots.has(entry.current)) throw new MalformedInput(`key ring lacks the current ${scope} root`);
    scopes[scope] = { current: entry.current, roots };
  }
  return { account, data: { metaKey: d.metaKey, scopes }, ...rest };
}

/**
 * Starts a new generation with a fresh random root for each scope given. Never derived from
 * anything a revoked party held: that is what makes revocation forward-secure.
 */
export function rotateScopes(data: DataKeys, scopes: readonly Scope[]): void {
  for (const scope of scopes) {
    const keys = data.scopes[scope];
    const next = Math.max(...keys.roots.keys()) + 1;
    keys.roots.set(next, newRoot());
    keys.current = next;
  }
}

/** Tag ↔ scope for one patient, computed once. */
export function scopeTags(data: DataKeys): Map<Scope, Uint8Array> {
  return new Map(SCOPES.map((scope) => [scope, scopeTag(data.metaKey, scope)]));
}

/** Leaf derivation over a patient's own roots, cached per (scope, generation). */
export function ownTreeReader(data: DataKeys, scope: Scope, generation: number): KeyTreeReader {
  const root = data.scopes[scope].roots.get(generation);
  // Another of the patient's devices rotated the keys: the sync engine fetches the ring and retries.
  if (!root)
    throw new OutsideGrant(
      `this device has no ${scope} key of generation ${generation} yet (another device rotated the keys); it is fetched on the next sync`,
    );
  return new KeyTreeReader([{ node: ROOT, key: root }]);
}
