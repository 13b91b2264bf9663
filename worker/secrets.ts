// The deployment's one secret, SESSION_SECRET, checked before anything uses it. Production fails
// closed: without a secret of adequate length, or with a value anyone can read in this repository,
// every request is refused. Only a run started with ENVIRONMENT=development (`npm start`, the
// tests) may fall back to the development value below.
import { isDevelopment } from "../durable-objects/environment.js";
import { bufferSource } from "../durable-objects/webcrypto.js";
import { utf8 } from "../shared/bytes.js";

/** Public by definition: it is written here. Only `ENVIRONMENT=development` runs ever use it. */
const DEVELOPMENT_SECRET = "steward-local-development-only-secret";
/** 32 random bytes, base64-encoded, are 44 characters. */
export const MIN_SECRET_LENGTH = 43;
/** Fewer distinct characters than this is a pattern, not random key material. */
const MIN_DISTINCT_CHARACTERS = 16;

/** Why this deployment cannot serve requests, or null when its secret is usable. */
export function configurationProblem(env: Pick<Env, "ENVIRONMENT" | "SESSION_SECRET">): string | null {
  const secret = env.SESSION_SECRET;
  if (secret === undefined || secret === "") {
    if (isDevelopment(env)) return null;
    return "SESSION_SECRET is not set: run `openssl rand -base64 48 | npx wrangler secret put SESSION_SECRET` (local runs: `npm start`)";
  }
  if (secret === DEVELOPMENT_SECRET && !isDevelopment(env))
    return "SESSION_SECRET is the development value written in the repository; set a random one with `openssl rand -base64 48 | npx wrangler secret put SESSION_SECRET`";
  if (isDevelopment(env)) return null;
  if (secret.length < MIN_SECRET_LENGTH || new Set(secret).size < MIN_DISTINCT_CHARACTERS) {
    return `SESSION_SECRET is too weak (it needs at least ${MIN_SECRET_LENGTH} characters of random key material); set one with \`openssl rand -base64 48 | npx wrangler secret put SESSION_SECRET\``;
  }
  return null;
}

export class Misconfigured extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "Misconfigured";
  }
}

const keys = new WeakMap<object, Promise<CryptoKey>>();

/**
 * The HMAC key made from the secret (cached per env object); throws Misconfigured when the
 * deployment's secret is missing or unusable, so nothing can ever sign or verify under a known value.
 */
export function hmacKey(env: Pick<Env, "ENVIRONMENT" | "SESSION_SECRET">): Promise<CryptoKey> {
  const problem = configurationProblem(env);
  if (problem) return Promise.reject(new Misconfigured(problem));
  let key = keys.get(env);
  if (!key) {
    const secret = env.SESSION_SECRET || DEVELOPMENT_SECRET;
    key = crypto.subtle.importKey("raw", bufferSource(utf8(secret)), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(env, key);
  }
  return key;
}
