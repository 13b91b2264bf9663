// One class per failure kind, so callers branch on `instanceof` or `code`, never on message text.
// Messages say what happened and what the person can do about it.

export abstract class StewardError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bytes or JSON that do not decode: truncated, oversized, wrong field, garbage. */
export class MalformedInput extends StewardError {
  readonly code = "malformed_input";
}

/** A format or protocol version this build does not accept (including downgrades). */
export class UnsupportedVersion extends StewardError {
  readonly code = "unsupported_version";
}

/** An envelope whose header, commitment or ciphertext fails authentication. */
export class TamperedEnvelope extends StewardError {
  readonly code = "tampered_envelope";
}

/** A signature that does not verify under the key it claims. */
export class InvalidSignature extends StewardError {
  readonly code: string = "invalid_signature";
}

/** A genuine signature by a key this device does not know may write there (yet). */
export class UnknownAuthor extends InvalidSignature {
  override readonly code: string = "unknown_author";
}

/**
 * A genuine signature by a device removed from the account, or a write grantee whose grant was
 * revoked, on something signed after that: refused, whatever the server relays.
 */
export class RevokedAuthor extends UnknownAuthor {
  override readonly code = "revoked_author";
}

/** A key bundle or contact whose keys have not been verified out of band (or changed since). */
export class UnverifiedRecipient extends StewardError {
  readonly code = "unverified_recipient";
}

/** A verified contact now presents different keys; sharing stays blocked until re-verified. */
export class KeyChanged extends StewardError {
  readonly code = "key_changed";
}

/** A scope, hour or generation the grant does not cover. */
export class OutsideGrant extends StewardError {
  readonly code = "outside_grant";
}

/** A grant that is not what the patient signed, or is not addressed to this account. */
export class ForgedGrant extends StewardError {
  readonly code = "forged_grant";
}

/** A grant past its expiry. */
export class ExpiredGrant extends StewardError {
  readonly code = "expired_grant";
}

/** A grant the patient revoked. */
export class RevokedGrant extends StewardError {
  readonly code = "revoked_grant";
}

/** Key-derivation parameters below this client's floor (a downgrade attempt or a corrupt kit). */
export class WeakKdfParameters extends StewardError {
  readonly code = "weak_kdf_parameters";
}

/** A recovery secret or passphrase that does not open the kit. */
export class WrongSecret extends StewardError {
  readonly code = "wrong_secret";
}

/** The server served older state than this client already saw. */
export class RollbackDetected extends StewardError {
  readonly code = "rollback_detected";
}

/** A device's envelope chain has a hole: something was dropped or withheld. */
export class GapDetected extends StewardError {
  readonly code = "gap_detected";
}

/** A writer's signed head names data the server did not serve: it is withholding it. */
export class WithheldData extends StewardError {
  readonly code = "withheld_data";
}

/** A device's envelope chain does not link: reordered, replaced or forked. */
export class ChainBroken extends StewardError {
  readonly code = "chain_broken";
}

/** Two views of the same history that cannot both be true. */
export class ForkDetected extends StewardError {
  readonly code = "fork_detected";
}

/** The libsodium build lacks a function this code needs (e.g. the standard build without Argon2id). */
export class CryptoUnavailable extends StewardError {
  readonly code = "crypto_unavailable";
}

/** The server could not be reached; local data is safe and syncs when it can. */
export class ServerUnreachable extends StewardError {
  readonly code = "server_unreachable";
}

/** This device's clock is too far from the server's for a login proof to be taken, even at the time the server said. */
export class ClockSkew extends StewardError {
  readonly code = "clock_skew";
}

/** The server refused a request; `status` and `reason` are what it said. */
export class RequestRefused extends StewardError {
  readonly code = "request_refused";
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }

  /** Worth retrying later (rate limits, server faults), as opposed to a refusal that will not change. */
  get transient(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** This device holds no account of the kind asked for, or already holds one. */
export class DeviceNotReady extends StewardError {
  readonly code = "device_not_ready";
}
