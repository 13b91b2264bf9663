// The access log in plain sentences: what happened, and the figures a person can use (how many
// envelopes, how often, why a request was refused), without ids.
import type { AccessEvent } from "../client/index.js";

const ACTIONS: Record<AccessEvent["action"], string> = {
  "grant.create": "shared data",
  "grant.update": "re-issued a grant with new keys",
  "grant.revoke": "ended a grant",
  "grant.revokeAll": "ended every grant",
  "grant.expire": "a grant expired",
  push: "added encrypted records",
  pull: "downloaded encrypted records",
  "socket.open": "opened a live connection",
  refused: "was refused",
};

export function actionText(action: AccessEvent["action"]): string {
  return ACTIONS[action];
}

export function detailText(event: AccessEvent): string {
  const d = event.details;
  const parts: string[] = [];
  if (typeof d.count === "number") parts.push(`${d.count} envelope${d.count === 1 ? "" : "s"}`);
  if (typeof d.times === "number" && d.times > 1) parts.push(`${d.times} times, last at ${new Date(Number(d.lastTime)).toLocaleTimeString()}`);
  if (event.action === "refused" && typeof d.reason === "string") parts.push(d.reason);
  if (typeof d.text === "string") parts.push(d.text);
  return parts.join("; ");
}
