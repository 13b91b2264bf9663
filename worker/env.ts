// The worker's bindings (wrangler.toml), declared on the global Cloudflare.Env so the objects,
// the worker and the tests (cloudflare:test `env`) all see the same types.
import type { Account } from "../durable-objects/account.js";
import type { PatientLog } from "../durable-objects/patientLog.js";
import type { Rendezvous } from "../durable-objects/rendezvous.js";

declare global {
  namespace Cloudflare {
    interface Env {
      ACCOUNT: DurableObjectNamespace<Account>;
      PATIENT_LOG: DurableObjectNamespace<PatientLog>;
      RENDEZVOUS: DurableObjectNamespace<Rendezvous>;
      ASSETS: Fetcher;
      ENVIRONMENT: string;
      /** HMAC key for session tokens; required unless ENVIRONMENT is "local". */
      SESSION_SECRET?: string;
    }
  }
  interface Env extends Cloudflare.Env {}
}

export type AppEnv = { Bindings: Env; Variables: { accountId: string } };
