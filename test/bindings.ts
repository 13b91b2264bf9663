// Brings the worker's bindings (the global Env the tests' cloudflare:test `env` is typed by) into
// the tests' type-check: they are declared in the durable-objects layer.
import type {} from "../durable-objects/bindings.js";
