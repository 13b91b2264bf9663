// What a Durable Object method returns to the worker. RPC loses error classes across the boundary,
// so refusals travel as plain data and the worker maps `code` to the HTTP status.
import { ERROR_CODES, type ErrorCode } from "../shared/api.js";
import { StewardError } from "../shared/errors.js";

export interface Failure {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly message: string;
}
export type Outcome<T> = { readonly ok: true; readonly value: T } | Failure;

export function ok<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

/** Thrown inside an object to refuse a request; also rolls back a surrounding transactionSync. */
export class Refusal extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "Refusal";
  }
}

export function statusOf(code: ErrorCode): (typeof ERROR_CODES)[ErrorCode] {
  return ERROR_CODES[code];
}

/** Refusals and undecodable input become Failures; anything else is a bug and propagates. */
export function asFailure(error: unknown): Failure {
  if (error instanceof Refusal) return { ok: false, code: error.code, message: error.message };
  if (error instanceof StewardError) return { ok: false, code: "malformed", message: error.message };
  throw error;
}
