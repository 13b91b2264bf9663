// /v1/invites/:id: the relay behind invite links. The patient opens the slot (and alone reads it);
// the invited person, signed in, posts their key bundle with a MAC keyed by the secret in the
// link's fragment, which never reaches this server (client/invite.ts).
import { Hono } from "hono";
import { z } from "zod";
import { MAX_INVITE_LIFETIME_MS, hexId, inviteOpenRequest, rendezvousPost } from "../../shared/api.js";
import type { AppEnv } from "../env.js";
import { errorJson, reply, validate } from "../http.js";
import { JSON_BODY_LIMIT, limitBody, requireSession } from "../middleware.js";
import { rendezvous } from "../objects.js";
import { slotReply } from "./rendezvousReply.js";

export const invites = new Hono<AppEnv>();

const slotParam = z.object({ id: hexId });
invites.use("/:id", requireSession);
invites.use("/:id/*", requireSession);

invites.put(
  "/:id",
  validate("param", slotParam),
  limitBody(JSON_BODY_LIMIT),
  validate("json", inviteOpenRequest),
  async (c) => {
    const { expiresAt } = c.req.valid("json");
    const now = Date.now();
    if (expiresAt <= now || expiresAt > now + MAX_INVITE_LIFETIME_MS)
      return errorJson(c, "malformed", "an invite must expire in the future and within 30 days");
    return reply(
      c,
      await rendezvous(c.env, "invite", c.req.valid("param").id).open(c.get("accountId"), expiresAt, new Uint8Array()),
      201,
    );
  },
);

invites.post(
  "/:id/messages",
  validate("param", slotParam),
  limitBody(JSON_BODY_LIMIT),
  validate("json", rendezvousPost),
  async (c) => {
    const { n, body } = c.req.valid("json");
    return reply(c, await rendezvous(c.env, "invite", c.req.valid("param").id).post(c.get("accountId"), n, body));
  },
);

invites.get("/:id", validate("param", slotParam), async (c) =>
  slotReply(c, await rendezvous(c.env, "invite", c.req.valid("param").id).read(c.get("accountId"))),
);

invites.delete("/:id", validate("param", slotParam), async (c) => {
  const outcome = await rendezvous(c.env, "invite", c.req.valid("param").id).close(c.get("accountId"));
  return outcome.ok ? c.body(null, 204) : reply(c, outcome);
});
