// Login challenges that cost the server no storage: a nonce is random 16 ‖ expiresAt u64 ‖ the first
// 8 bytes of HMAC-SHA-256 over "steward/login-nonce/v1" ‖ 0 ‖ accountId ‖ random ‖ expiresAt. Any
// number of challenges for an account (a stranger's flood included) leaves nothing behind that could
// crowd out its own devices' logins; the Account spends each nonce once when a login uses it.
import { bufferSource } from "../durable-objects/webcrypto.js";
import { ByteReader, ByteWriter, bytesEqual, concat, fromHex, utf8 } from "../shared/bytes.js";
import { LOGIN_NONCE_BYTES } from "../shared/api.js";
import { hmacKey } from "./secrets.js";

export const NONCE_TTL_MS = 2 * 60_000;
const LABEL = utf8("steward/login-nonce/v1\0");

async function tag(env: Env, accountId: string, random: Uint8Array, expiresAt: Uint8Array): Promise<Uint8Array> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(env), bufferSource(concat(LABEL, fromHex(accountId, 16, "account id"), random, expiresAt)));
  return new Uint8Array(mac).slice(0, 8);
}

export async function issueNonce(env: Env, accountId: string, now = Date.now()): Promise<{ nonce: Uint8Array; expiresAt: number }> {
  const random = crypto.getRandomValues(new Uint8Array(16));
  const expiresAt = now + NONCE_TTL_MS;
  const expiry = new ByteWriter(8).u64(expiresAt).finish();
  return { nonce: concat(random, expiry, await tag(env, accountId, random, expiry)), expiresAt };
}

/** The nonce's expiry when this server issued it for this account and it is still fresh, else null. */
export async function checkNonce(env: Env, accountId: string, nonce: Uint8Array, now = Date.now()): Promise<number | null> {
  if (nonce.length !== LOGIN_NONCE_BYTES) return null;
  const random = nonce.subarray(0, 16);
  const expiry = nonce.subarray(16, 24);
  if (!bytesEqual(await tag(env, accountId, random, expiry), nonce.subarray(24))) return null;
  const expiresAt = new ByteReader(expiry, "nonce expiry").u64("expiresAt");
  return expiresAt > now && expiresAt <= now + NONCE_TTL_MS ? expiresAt : null;
}
