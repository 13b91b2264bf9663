// JSON error responses ({error: {code, message}}) and request validation with the same shape.
import { zValidator } from "@hono/zod-validator";
import type { Context, ValidationTargets } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "../shared/api.js";
import type { Outcome } from "../durable-objects/outcome.js";

export function errorJson(c: Context, code: ErrorCode, message: string): Response {
  return c.json({ error: { code, message } }, ERROR_CODES[code] as ContentfulStatusCode);
}

/** Maps an object's outcome to a response: the value as JSON, or its refusal as an error. */
export function reply<T>(c: Context, outcome: Outcome<T>, status: ContentfulStatusCode = 200): Response {
  return outcome.ok ? c.json(outcome.value as object, status) : errorJson(c, outcome.code, outcome.message);
}

/** zod validation whose failures read like every other error: 400 malformed, naming the field. */
export function validate<T extends keyof ValidationTargets, S extends z.ZodType>(target: T, schema: S) {
  return zValidator(target, schema, (result, c) => {
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
      return errorJson(c, "malformed", `invalid ${target}: ${where}${issue?.message ?? "does not match the schema"}`);
    }
    return undefined;
  });
}
