// Session tokens: "v1.<payload>.<mac>", payload = accountId 16 ‖ expiresAt u64 (ms), mac = HMAC-SHA-256
// over "steward/session/v1" ‖ 0 ‖ payload. Stateless, so any worker instance can check them.
import { bufferSource } from "../durable-objects/webcrypto.js";
import { ByteReader, ByteWriter, concat, fromBase64Url, fromHex, toBase64Url, toHex, utf8 } from "../shared/bytes.js";
import { hmacKey, Misconfigured } from "./secrets.js";

export const SESSION_TTL_MS = 60 * 60_000;
const LABEL = utf8("steward/session/v1\0");

export async function issueToken(
  env: Env,
  accountId: string,
  now = Date.now(),
): Promise<{ token: string; expiresAt: number }> {
  const expiresAt = now + SESSION_TTL_MS;
  const payload = new ByteWriter(24)
    .fixed(fromHex(accountId, 16, "account id"), 16, "account id")
    .u64(expiresAt)
    .finish();
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", await hmacKey(env), bufferSource(concat(LABEL, payload))),
  );
  return { token: `v1.${toBase64Url(payload)}.${toBase64Url(mac)}`, expiresAt };
}

/** The account id a token proves, or null when it is malformed, forged or expired. */
export async function verifyToken(env: Env, token: string, now = Date.now()): Promise<string | null> {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== "v1") return null;
  try {
    const payload = fromBase64Url(parts[1]!, "session payload", 24);
    const mac = fromBase64Url(parts[2]!, "session mac", 32);
    if (
      !(await crypto.subtle.verify("HMAC", await hmacKey(env), bufferSource(mac), bufferSource(concat(LABEL, payload))))
    )
      return null;
    const reader = new ByteReader(payload, "session");
    const accountId = toHex(reader.fixed(16, "account id"));
    return reader.u64("expiresAt") > now ? accountId : null;
  } catch (error) {
    if (error instanceof Misconfigured) throw error;
    return null;
  }
}
