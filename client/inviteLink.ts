// Invite links: the patient hands out a URL whose fragment (never sent to any server) carries the
// patient's account id and a 32-byte secret. The invited person answers with their key bundle and a
// MAC keyed by that secret, so the patient's device knows the answer came from whoever holds the
// link, and the invited person knows whose keys to trust from the account id in it.
//
//   fragment: "invite=" base64url(patientId 16 ‖ secret 32) [ "&from=" handle ]
//   (the handle only lets the invite page say who invited; the account id is what is trusted)
//   slot id:  first 16 bytes of labelledHash("steward/invite-id/v1", secret)
//   answer:   encodeKeyBundle(bundle) ‖ crypto_auth(bundle, key = labelledHash("steward/invite/v1", secret))
import { verifyKeyBundle } from "../crypto/accountKeys.js";
import { concat, fromBase64Url, fromHex, toBase64Url, toHex } from "../shared/bytes.js";
import { InvalidSignature, MalformedInput } from "../shared/errors.js";
import { labelledHash } from "../shared/hash.js";
import {
  accountIdHex,
  decodeKeyBundle,
  encodeKeyBundle,
  KEY_BUNDLE_BYTES,
  type KeyBundle,
} from "../shared/keyBundle.js";
import { SIGNATURE_CONTEXTS } from "../shared/signing.js";
import { sodium } from "../crypto/sodium.js";

const SECRET_BYTES = 32;
const MAC_BYTES = 32;

export interface InviteLink {
  readonly patientId: string;
  /** The inviter's handle as the link states it, to greet the invited person; checked on acceptance. */
  readonly from?: string;
  readonly secret: Uint8Array;
  /** The relay slot's id: derived from the secret, so the link alone finds it. */
  readonly id: string;
}

export function inviteIdOf(secret: Uint8Array): string {
  return toHex(labelledHash("steward/invite-id/v1", secret).slice(0, 16));
}

export function newInvite(patientId: string): InviteLink {
  const secret = sodium().randombytes_buf(SECRET_BYTES);
  return { patientId, secret, id: inviteIdOf(secret) };
}

export function inviteUrl(appUrl: string, invite: Pick<InviteLink, "patientId" | "secret" | "from">): string {
  const url = new URL(appUrl);
  const from = invite.from ? `&from=${encodeURIComponent(invite.from)}` : "";
  url.hash = `invite=${toBase64Url(concat(fromHex(invite.patientId, 16, "patient id"), invite.secret))}${from}`;
  return url.toString();
}

/** Reads an invite URL (or just its fragment); MalformedInput when it was cut short or altered. */
export function parseInviteUrl(text: string): InviteLink {
  const fragment = text.includes("#") ? text.slice(text.indexOf("#") + 1) : text;
  const params = new URLSearchParams(fragment);
  const value = params.get("invite");
  const from = params.get("from");
  if (!value) throw new MalformedInput("this is not a Steward invite link (it has no #invite=… part)");
  const bytes = fromBase64Url(value, "invite link");
  if (bytes.length !== 16 + SECRET_BYTES)
    throw new MalformedInput("this invite link is incomplete: copy the whole link, including everything after #");
  const secret = bytes.slice(16);
  return {
    patientId: toHex(bytes.slice(0, 16)),
    secret,
    id: inviteIdOf(secret),
    ...(from && /^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$/.test(from) ? { from } : {}),
  };
}

function macKey(secret: Uint8Array): Uint8Array {
  return labelledHash(SIGNATURE_CONTEXTS.invite, secret);
}

export function inviteAnswer(secret: Uint8Array, bundle: KeyBundle): Uint8Array {
  const body = encodeKeyBundle(bundle);
  return concat(body, sodium().crypto_auth(body, macKey(secret)));
}

/**
 * The invitee's bundle, once the MAC proves the answer was made with this invite's secret and the
 * relay's record of who answered matches the keys inside.
 */
export function openInviteAnswer(secret: Uint8Array, answer: Uint8Array, answeredBy: string | null): KeyBundle {
  if (answer.length !== KEY_BUNDLE_BYTES + MAC_BYTES)
    throw new InvalidSignature("the answer to this invite is malformed; it was not made with the link");
  const body = answer.subarray(0, KEY_BUNDLE_BYTES);
  if (!sodium().crypto_auth_verify(answer.subarray(KEY_BUNDLE_BYTES), body, macKey(secret))) {
    throw new InvalidSignature(
      "the answer to this invite was not made with the invite link: someone else answered, or it was altered",
    );
  }
  const bundle = verifyKeyBundle(decodeKeyBundle(body));
  if (answeredBy !== accountIdHex(bundle.signKey))
    throw new InvalidSignature("the account that answered this invite is not the one whose keys are in the answer");
  return bundle;
}
