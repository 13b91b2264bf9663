// base64url fields of JSON bodies, decoded once with the same 400 as any other malformed input.
import type { Context } from "hono";
import { fromBase64Url } from "../shared/bytes.js";
import { StewardError } from "../shared/errors.js";
import { errorJson } from "./http.js";

/** The bytes (exactly `length` of them when given), or the 400 response to return. */
export function decodeField(c: Context, text: string, what: string, length?: number): Uint8Array | Response {
  try {
    return fromBase64Url(text, what, length);
  } catch (error) {
    if (error instanceof StewardError) return errorJson(c, "malformed", error.message);
    throw error;
  }
}
