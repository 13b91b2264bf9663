// Where an account's data lives: "default" (Cloudflare places the account's objects near their
// first use) or "eu" (created in the EU jurisdiction, namespace.jurisdiction("eu"), and never leaving
// it). The choice is made at sign-up and written into the account id itself: an EU account's id
// starts with the byte 0xE5, a default one never does. So anyone holding only the id (the worker
// routing a request, another object, a client) finds the right jurisdiction without a look-up, and
// since the id is a hash of the identity key, the placement cannot be changed after the fact. The
// signed key bundle also states it (shared/keyBundle.ts), so clients read it from a signed record.
import { MalformedInput } from "./errors.js";

export const PLACEMENTS = ["default", "eu"] as const;
export type Placement = (typeof PLACEMENTS)[number];

const EU_MARKER = 0xe5;

export function placementOfId(accountId: Uint8Array): Placement {
  return accountId[0] === EU_MARKER ? "eu" : "default";
}

export function placementOfHexId(accountId: string): Placement {
  return accountId.slice(0, 2) === EU_MARKER.toString(16) ? "eu" : "default";
}

export function checkPlacement(value: unknown): Placement {
  if (!PLACEMENTS.includes(value as Placement))
    throw new MalformedInput(
      `${JSON.stringify(value)} is not a place for data; choose ${PLACEMENTS.map((p) => `"${p}"`).join(" or ")}`,
    );
  return value as Placement;
}

/** The Durable Object jurisdiction of a placement, for namespace.jurisdiction(); none for "default". */
export function jurisdictionOf(placement: Placement): "eu" | undefined {
  return placement === "eu" ? "eu" : undefined;
}
