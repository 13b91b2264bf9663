// The JSON form of a rendezvous slot, shared by the link and invite routes.
import type { Context } from "hono";
import type { RendezvousSlot } from "../../durable-objects/rendezvous.js";
import type { Outcome } from "../../durable-objects/outcome.js";
import { toBase64Url } from "../../shared/bytes.js";
import { reply } from "../http.js";

export function slotReply(c: Context, outcome: Outcome<RendezvousSlot>): Response {
  if (!outcome.ok) return reply(c, outcome);
  const { expiresAt, messages } = outcome.value;
  return c.json({ expiresAt, messages: messages.map((m) => ({ from: m.from, body: toBase64Url(m.body) })) });
}
