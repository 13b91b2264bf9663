// /v1/links/:id: the relay for linking a new device. Neither side has a session yet (the new device
// has no keys), so the slot is unowned; its 16-byte id is unguessable and what travels through it
// is checked end to end (client/deviceLink.ts).
import { Hono } from "hono";
import { z } from "zod";
import { LINK_LIFETIME_MS, hexId, linkOpenRequest, rendezvousPost } from "../../shared/api.js";
import type { AppEnv } from "../env.js";
import { reply, validate } from "../http.js";
import { JSON_BODY_LIMIT, limitBody } from "../middleware.js";
import { rendezvous } from "../objects.js";
import { slotReply } from "./rendezvousReply.js";

export const links = new Hono<AppEnv>();

const slotParam = z.object({ id: hexId });

links.put(
  "/:id",
  validate("param", slotParam),
  limitBody(JSON_BODY_LIMIT),
  validate("json", linkOpenRequest),
  async (c) => {
    return reply(
      c,
      await rendezvous(c.env, "link", c.req.valid("param").id).open(
        null,
        Date.now() + LINK_LIFETIME_MS,
        c.req.valid("json").body,
      ),
      201,
    );
  },
);

links.post(
  "/:id/messages",
  validate("param", slotParam),
  limitBody(JSON_BODY_LIMIT),
  validate("json", rendezvousPost),
  async (c) => {
    const { n, body } = c.req.valid("json");
    return reply(c, await rendezvous(c.env, "link", c.req.valid("param").id).post(null, n, body));
  },
);

links.get("/:id", validate("param", slotParam), async (c) =>
  slotReply(c, await rendezvous(c.env, "link", c.req.valid("param").id).read(null)),
);
