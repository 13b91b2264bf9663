// /v1/links/:id: the relay for linking a new device. Neither side has a session yet (the new device
// has no keys), so the slot is unowned; its 16-byte id is unguessable and what travels through it
// is checked end to end (client/deviceLink.ts).
import { Hono } from "hono";
import { z } from "zod";
import { LINK_LIFETIME_MS, hexId, linkOpenRequest, rendezvousPost } from "../../shared/api.js";
import type { AppEnv } from "../env.js";
import { decodeField } from "../base64.js";
import { reply, validate } from "../http.js";
import { JSON_BODY_LIMIT, limitBody } from "../middleware.js";
import { rendezvous } from "../objects.js";
import { slotReply } from "./rendezvousReply.js";

export const links = new Hono<AppEnv>();

const slotParam = z.object({ id: hexId });

links.put("/:id", validate("param", slotParam), limitBody(JSON_BODY_LIMIT), validate("json", linkOpenRequest), async (c) => {
  const body = decodeField(c, c.req.valid("json").body, "link offer");
  if (body instanceof Response) return body;
  return reply(c, await rendezvous(c.env, "link", c.req.valid("param").id).open(null, Date.now() + LINK_LIFETIME_MS, body), 201);
});

links.post("/:id/messages", validate("param", slotParam), limitBody(JSON_BODY_LIMIT), validate("json", rendezvousPost), async (c) => {
  const { n, body } = c.req.valid("json");
  const bytes = decodeField(c, body, "link message");
  if (bytes instanceof Response) return bytes;
  return reply(c, await rendezvous(c.env, "link", c.req.valid("param").id).post(null, n, bytes));
});

links.get("/:id", validate("param", slotParam), async (c) => slotReply(c, await rendezvous(c.env, "link", c.req.valid("param").id).read(null)));
