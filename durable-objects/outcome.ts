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
function asFailure(error: unknown): Failure {
  if (error instanceof Refusal) return { ok: false, code: error.code, message: error.message };
  if (error instanceof StewardError) return { ok: false, code: "malformed", message: error.message };
  throw error;
}

/** Runs an object method that throws Refusals: its value, or the refusal as data. */
export function refusing<T>(run: () => Promise<T>): Promise<Outcome<T>>;
export function refusing<T>(run: () => T): Outcome<T>;
export function refusing<T>(run: () => T | Promise<T>): Outcome<T> | Promise<Outcome<T>> {
  try {
    const value = run();
    return value instanceof Promise ? value.then(ok, asFailure) : ok(value);
  } catch (error) {
    return asFailure(error);
  }
}

/** Another object's outcome, its refusal passed on as this request's. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new Refusal(outcome.code, outcome.message);
  return outcome.value;
}

/** Decodes what a request sent; bytes that do not decode are refused as malformed, naming `what`. */
export function decoded<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    throw new Refusal(
      "malformed",
      `the ${what} does not decode: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
