// The worker's bindings (wrangler.toml), declared on the global Cloudflare.Env so the objects,
// the worker and the tests (cloudflare:test `env`) all see the same types.
import type { Account } from "./account.js";
import type { PatientLog } from "./patientLog.js";
import type { Rendezvous } from "./rendezvous.js";

declare global {
  namespace Cloudflare {
    interface Env {
      ACCOUNT: DurableObjectNamespace<Account>;
      PATIENT_LOG: DurableObjectNamespace<PatientLog>;
      RENDEZVOUS: DurableObjectNamespace<Rendezvous>;
      ASSETS: Fetcher;
      ANONYMOUS_LIMIT: RateLimit;
      LOOKUP_LIMIT: RateLimit;
      /** "production" (wrangler.toml) or "development" (`npm start` and the tests, by --var). */
      ENVIRONMENT: string;
      /** HMAC key for session tokens and login challenges (worker/secrets.ts); a secret, never a var. */
      SESSION_SECRET?: string;
    }
  }
  interface Env extends Cloudflare.Env {}
}
