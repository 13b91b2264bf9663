// Domain separation for every Ed25519 signature in Steward. A signature made for one purpose
// can never verify as another (a record signature presented as a grant, say): the context string
// and a zero byte come first in every signed message. Pure: the server builds the same bytes and
// verifies with WebCrypto; clients verify with libsodium.
import { concat, utf8 } from "./bytes.js";

export const SIGNATURE_CONTEXTS = {
  envelope: "steward/envelope/v1",
  block: "steward/block/v1",
  grant: "steward/grant/v1",
  grantPolicy: "steward/grant-policy/v1",
  grantRevocation: "steward/grant-revocation/v1",
  deviceCertificate: "steward/device-certificate/v1",
  deviceList: "steward/device-list/v1",
  readReceipt: "steward/read-receipt/v1",
  keyBundle: "steward/key-bundle/v1",
  login: "steward/login/v1",
  keyRing: "steward/key-ring/v1",
  deviceLink: "steward/device-link/v1",
  invite: "steward/invite/v1",
  head: "steward/head/v1",
  report: "steward/report/v1",
} as const;

export type SignatureContext = keyof typeof SIGNATURE_CONTEXTS;

export function signedMessage(context: SignatureContext, ...payload: Uint8Array[]): Uint8Array {
  return concat(utf8(SIGNATURE_CONTEXTS[context]), new Uint8Array([0]), ...payload);
}
