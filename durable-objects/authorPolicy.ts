// Who may store what in a patient log: the one place the server decides it. The patient's objects
// are signed by one of its devices' own keys, certified in the account's signed device list (a
// removed device is refused; the identity key, which signed v1 envelopes, is taken too: the session
// already proved the account, and the patient's devices and grantees refuse v2 envelopes it signs).
// A grantee's hour envelope must be signed by its own identity key under a live write grant covering
// its scope tag, generation and hour. A block may be stored by the patient alone: a grantee, even
// one that may write, never seals a block. A signed head (shared/signedHead.ts) comes from the same
// writers: the patient's devices, or a write grantee.
import { toHex } from "../shared/bytes.js";
import type { BlockHeader } from "../shared/blockCodec.js";
import { bytesEqual } from "../shared/bytes.js";
import { findDevice, type DeviceList } from "../shared/deviceList.js";
import type { EnvelopeHeader } from "../shared/envelopeCodec.js";
import type { SignedHead } from "../shared/signedHead.js";
import type { GrantPolicy } from "../shared/grantCodec.js";
import { accountIdHex } from "../shared/keyBundle.js";
import { anyCovers } from "./grantRules.js";
import { Refusal } from "./outcome.js";

export interface Writer {
  readonly patientId: string;
  /** The account the session proved. */
  readonly actor: string;
  /** For a grantee: the policies of its live grants. */
  readonly grants?: readonly GrantPolicy[];
  /** For the patient: the account's device list as the log holds it (null before it is published). */
  readonly devices?: DeviceList | null;
}

export type Stored =
  | { readonly kind: "envelope"; readonly header: EnvelopeHeader }
  | { readonly kind: "block"; readonly header: BlockHeader }
  | { readonly kind: "head"; readonly header: SignedHead };

/** Refuses (as the client would) an object its author may not store here. */
export function checkAuthor(writer: Writer, object: Stored): void {
  const h = object.header;
  if (toHex(h.patientId) !== writer.patientId) throw new Refusal("forbidden", "an object names another patient");
  if (accountIdHex(h.authorKey) !== writer.actor && !activeDeviceKey(writer, h.authorKey, h.deviceId)) {
    throw new Refusal(
      "forbidden",
      `an object's author key is not your identity key${writer.grants ? "" : " nor an active device key of this account"}`,
    );
  }
  if (object.kind === "block") {
    if (writer.grants) throw new Refusal("forbidden", "only the patient's devices seal blocks");
    return;
  }
  // A head vouches for what its writer wrote: a grantee writes only under a write grant.
  if (object.kind === "head") {
    if (writer.grants && !writer.grants.some((g) => g.write))
      throw new Refusal("forbidden", "only writers sign heads; a read grant writes nothing");
    return;
  }
  if (
    writer.grants &&
    !anyCovers(
      writer.grants.filter((g) => g.write),
      object.header,
    )
  ) {
    throw new Refusal(
      "outside_grant",
      `no live write grant covers scope tag ${toHex(object.header.scopeTag)}, generation ${object.header.generation}, hour ${object.header.hour}`,
    );
  }
}

/** Whether `authorKey` is the key the patient's device list certifies for device `deviceId`, not removed. */
function activeDeviceKey(writer: Writer, authorKey: Uint8Array, deviceId: Uint8Array): boolean {
  if (writer.grants || !writer.devices) return false;
  const device = findDevice(writer.devices, deviceId);
  return !!device && !device.removed && bytesEqual(device.certificate.signKey, authorKey);
}
