// Stubs of the per-account objects, in the jurisdiction the account id names (shared/placement.ts):
// an EU account's Account and PatientLog are created in, and found through, the EU-scoped
// namespace, by the worker and by other objects alike, from the id alone.
import { jurisdictionOf, placementOfHexId } from "../shared/placement.js";
import { isDevelopment } from "./environment.js";

let warned = false;

/**
 * The namespace an account's objects live in. workerd (`wrangler dev`, the tests) has no
 * jurisdictions and throws; only a development run then falls back to the plain namespace. A
 * deployment never does: an EU account's data is placed in the EU or not served at all.
 */
export function placedNamespace<T extends Rpc.DurableObjectBranded | undefined>(
  env: Env,
  namespace: DurableObjectNamespace<T>,
  accountId: string,
): DurableObjectNamespace<T> {
  const jurisdiction = jurisdictionOf(placementOfHexId(accountId));
  if (!jurisdiction) return namespace;
  try {
    return namespace.jurisdiction(jurisdiction);
  } catch (error) {
    if (!isDevelopment(env)) throw error;
    if (!warned)
      console.warn(
        `EU placement is not enforced locally (${error instanceof Error ? error.message : error}); on Cloudflare these objects live in the EU jurisdiction`,
      );
    warned = true;
    return namespace;
  }
}

export function accountStub(env: Env, accountId: string) {
  const namespace = placedNamespace(env, env.ACCOUNT, accountId);
  return namespace.get(namespace.idFromName(accountId));
}

export function patientLogStub(env: Env, patientId: string) {
  const namespace = placedNamespace(env, env.PATIENT_LOG, patientId);
  return namespace.get(namespace.idFromName(patientId));
}
