// JSON message schemas of the HTTP API (/v1), shared so clients build and read exactly what the
// worker validates. Binary bodies (envelope batches, pages, compactions) are in syncFrames.ts;
// keys, bundles and grants travel as unpadded base64url, ids as lowercase hex.
import { z } from "zod";
import { accessLogEntrySchema } from "./accessLog.js";
import { fromBase64Url } from "./bytes.js";

export const hexId = z.string().regex(/^[0-9a-f]{32}$/, "must be 32 lowercase hex characters (a 16-byte id)");
export const hex32 = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters");
export const base64url = z
  .string()
  .regex(/^[A-Za-z0-9_-]*$/, "must be unpadded base64url")
  .max(400_000);

/** base64url text a request sends, read as bytes (exactly `length` of them when given). */
export function base64urlBytes(what: string, length?: number) {
  return base64url.transform((text, ctx) => {
    try {
      return fromBase64Url(text, what, length);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: error instanceof Error ? error.message : String(error) });
      return z.NEVER;
    }
  });
}

/** 3 to 32 characters, letters, digits, dot, dash, underscore; compared case-insensitively. */
export const handleSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$/,
    "a handle is 3 to 32 letters, digits, '.', '-' or '_', starting with a letter or digit",
  );

/** `devices`: the account's first device list (shared/deviceList.ts); from then on its devices log in with their own keys. */
export const registerRequest = z.object({
  bundle: base64urlBytes("bundle"),
  handle: handleSchema,
  devices: base64urlBytes("device list").optional(),
});
export type RegisterRequest = z.input<typeof registerRequest>;

export const accountResponse = z.object({ accountId: hexId, handle: z.string(), bundle: base64url });
export type AccountResponse = z.infer<typeof accountResponse>;

/** The answer to `POST /v1/auth/login`, whose proof (shared/loginProof.ts) rides in the Authorization header. */
export const loginResponse = z.object({ token: z.string(), accountId: hexId, expiresAt: z.number().int() });

/** A pull page's ceilings: large enough that a 90-day clinician view is one round trip. */
export const MAX_PULL_ENVELOPES = 20_000;
export const MAX_PULL_BYTES = 16 * 1024 * 1024;

export const pushResponse = z.object({ seqs: z.array(z.number().int()) });

export const generationRequest = z.object({ scopeTag: hexId, generation: z.number().int().min(0).max(0xffffffff) });
export const generationsResponse = z.object({ generations: z.array(generationRequest) });

export const grantRequest = z.object({ grant: base64urlBytes("grant") });
export const grantSummary = z.object({
  grantId: hexId,
  revision: z.number().int(),
  granteeId: hexId,
  write: z.boolean(),
  live: z.boolean(),
  issuedAt: z.number().int(),
  expiresAt: z.number().int(),
  status: z.enum(["active", "revoked", "expired"]),
  grant: base64url,
});
export type GrantSummary = z.infer<typeof grantSummary>;
export const grantsResponse = z.object({ grants: z.array(grantSummary) });

export const inboxEntry = z.object({
  grantId: hexId,
  patientId: hexId,
  revision: z.number().int(),
  expiresAt: z.number().int(),
  grant: base64url,
});
export type InboxEntry = z.infer<typeof inboxEntry>;
/** A signed revocation (shared/revocation.ts) of a grant addressed to this account. */
export const inboxRevocation = z.object({ grantId: hexId, patientId: hexId, revocation: base64url });
export type InboxRevocation = z.infer<typeof inboxRevocation>;
/** A share that ended (revoked, or past its expiry), kept a while so the grantee's device can say how. */
export const endedShare = z.object({
  grantId: hexId,
  patientId: hexId,
  status: z.enum(["revoked", "expired"]),
  endedAt: z.number().int(),
});
export type EndedShare = z.infer<typeof endedShare>;
export const inboxResponse = z.object({
  grants: z.array(inboxEntry),
  revocations: z.array(inboxRevocation),
  ended: z.array(endedShare),
});
export type Inbox = z.infer<typeof inboxResponse>;
export const revocationRequest = z.object({ revocation: base64urlBytes("revocation") });

/** Signed read receipts (shared/readReceipt.ts), pushed as upload extras; `n` is a receipt's position in the patient log. */
export const receiptsResponse = z.object({
  receipts: z.array(z.object({ n: z.number().int().positive(), receipt: base64url })),
});

export const accessLogResponse = z.object({ entries: z.array(accessLogEntrySchema) });

/** The patient's signed device list (shared/deviceList.ts), as published to the patient log. */
export const deviceListRequest = z.object({ devices: base64urlBytes("device list") });
export const deviceListResponse = z.object({ devices: base64url });
export const deviceListPublished = z.object({ changes: z.number().int().positive() });

/** A sealed key ring (client/keyRingSync.ts) and its version; each store must be version + 1. */
const keyRingVersion = z
  .number()
  .int()
  .min(1)
  .max(2 ** 31);
export const keyRingRequest = z.object({ version: keyRingVersion, blob: base64urlBytes("key ring") });
export const keyRingResponse = z.object({ version: keyRingVersion, blob: base64url });
export const recoveryKitRequest = z.object({ blob: base64urlBytes("recovery kit") });
export const recoveryKitResponse = z.object({ accountId: hexId, blob: base64url });

/** Rendezvous slots for device linking and invites: message 0 opens the slot, 1.. answer it. */
export const MAX_INVITE_LIFETIME_MS = 30 * 24 * 3_600_000;
export const LINK_LIFETIME_MS = 15 * 60_000;
export const linkOpenRequest = z.object({ body: base64urlBytes("link offer") });
export const inviteOpenRequest = z.object({ expiresAt: z.number().int().min(0) });
export const rendezvousPost = z.object({ n: z.number().int().min(1).max(3), body: base64urlBytes("message") });
export const rendezvousResponse = z.object({
  expiresAt: z.number().int(),
  messages: z.array(z.object({ from: hexId.nullable(), body: base64url })),
});
export type RendezvousResponse = z.infer<typeof rendezvousResponse>;

export const ERROR_CODES = {
  malformed: 400,
  unauthenticated: 401,
  /** A login proof's time lies outside the window around the server's clock; the error says the server's time. */
  clock_skew: 401,
  forbidden: 403,
  outside_grant: 403,
  expired_grant: 403,
  revoked_grant: 403,
  not_found: 404,
  conflict: 409,
  stale_generation: 409,
  chain_broken: 409,
  too_large: 413,
  rate_limited: 429,
  internal: 500,
  misconfigured: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export const errorResponse = z.object({
  error: z.object({ code: z.string(), message: z.string(), serverTime: z.number().int().optional() }),
});
export type ErrorResponse = z.infer<typeof errorResponse>;

/** WebSocket close code when the grant behind a socket ends (revoked or expired). */
export const CLOSE_GRANT_ENDED = 4403;
