// Nightscout's ways of proving access, against one secret the bridge generated at setup:
// the `api-secret` header (or `?secret=`) as the SHA-1 or SHA-512 hex of the secret, as uploaders
// send it, and an access token as followers send it (`?token=` or `Authorization: Bearer`).
import { createHash, createHmac, randomInt, timingSafeEqual } from "node:crypto";

export interface Credentials {
  /** What an uploader is configured with (Nightscout's API_SECRET). */
  readonly secret: string;
  /** What a follower app is configured with, in the URL as `?token=` (Nightscout's access token). */
  readonly token: string;
}

/** The recovery code's alphabet: no 0/O or 1/I to misread when typing it into a phone. */
const ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const SECRET_LENGTH = 24;

export function tokenOf(secret: string): string {
  return `steward-${createHmac("sha256", secret).update("steward/bridge-token/v1").digest("hex").slice(0, 16)}`;
}

export function newCredentials(): Credentials {
  const secret = Array.from({ length: SECRET_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");
  return { secret, token: tokenOf(secret) };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface AuthInput {
  readonly apiSecret?: string | undefined;
  readonly token?: string | undefined;
  readonly authorization?: string | undefined;
}

/** Whether a request carries the secret's hash or the token. */
export function isAuthorized(input: AuthInput, credentials: Credentials): boolean {
  const hashed = input.apiSecret?.trim().toLowerCase();
  if (hashed) {
    const sha1 = createHash("sha1").update(credentials.secret).digest("hex");
    const sha512 = createHash("sha512").update(credentials.secret).digest("hex");
    if (same(hashed, sha1) || same(hashed, sha512)) return true;
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(input.authorization ?? "")?.[1];
  const token = input.token ?? bearer;
  return token !== undefined && same(token, credentials.token);
}
