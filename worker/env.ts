// The worker's Hono environment; the bindings themselves are declared in durable-objects/bindings.ts.
import type {} from "../durable-objects/bindings.js";

export type AppEnv = { Bindings: Env; Variables: { accountId: string } };
