// A login proof: the device signs its own clock's time and a fresh random nonce for one account. It rides on the first request a device makes without a session, in
// `Authorization: Proof <base64url>`, and that answer carries the session; no challenge round trip
// comes first. The server takes a proof only inside PROOF_WINDOW_MS of its own clock and spends
// each nonce once (the account keeps it until the window has passed). Pure: both sides build the
// same bytes; docs/api.md (Authentication) and docs/protocol.md §2 describe them.
//
//   proof := accountId 16 ‖ time u64 (ms) ‖ nonce 16 ‖ u8 signer kind ‖ [signer 16] ‖ signature 64
//   signed: signedMessage("login", accountId ‖ time u64 ‖ nonce ‖ [signer])
import { ByteReader, ByteWriter } from "./bytes.js";
import { MalformedInput } from "./errors.js";

/** How far a proof's time may lie from the server's clock, either way. */
export const PROOF_WINDOW_MS = 2 * 60_000;
export const PROOF_SCHEME = "Proof";

/** No signer: the identity key (an account without a device list). Else a device id, or RECOVERY_ID. */
const NO_SIGNER = 0;
const SIGNER = 1;

export interface LoginProof {
  readonly accountId: Uint8Array;
  readonly time: number;
  readonly nonce: Uint8Array;
  readonly signer?: Uint8Array;
  readonly signature: Uint8Array;
}

/** What the signer signs under the "login" context: the proof without its signature. */
export function loginProofPayload(proof: Omit<LoginProof, "signature">): Uint8Array {
  const w = new ByteWriter(56).fixed(proof.accountId, 16, "account id").u64(proof.time).fixed(proof.nonce, 16, "nonce");
  if (proof.signer) w.fixed(proof.signer, 16, "signer");
  return w.finish();
}

export function encodeLoginProof(proof: LoginProof): Uint8Array {
  const w = new ByteWriter(128)
    .fixed(proof.accountId, 16, "account id")
    .u64(proof.time)
    .fixed(proof.nonce, 16, "nonce");
  if (proof.signer) w.u8(SIGNER).fixed(proof.signer, 16, "signer");
  else w.u8(NO_SIGNER);
  return w.fixed(proof.signature, 64, "signature").finish();
}

export function decodeLoginProof(bytes: Uint8Array): LoginProof {
  const r = new ByteReader(bytes, "login proof");
  const accountId = r.fixed(16, "account id");
  const time = r.u64("time");
  const nonce = r.fixed(16, "nonce");
  const kind = r.u8("signer kind");
  if (kind !== NO_SIGNER && kind !== SIGNER) throw new MalformedInput(`login proof: unknown signer kind ${kind}`);
  const signer = kind === SIGNER ? r.fixed(16, "signer") : undefined;
  const signature = r.fixed(64, "signature");
  r.end();
  return { accountId, time, nonce, ...(signer ? { signer } : {}), signature };
}
