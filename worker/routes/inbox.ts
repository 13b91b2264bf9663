// /v1/inbox: grants addressed to the signed-in account and the patients' signed revocations of
// them (the client opens and verifies both), and the shares that ended lately with how they ended.
import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { requireSession } from "../middleware.js";
import { accountObject } from "../objects.js";

export const inbox = new Hono<AppEnv>();

inbox.get("/", requireSession, async (c) => c.json(await accountObject(c.env, c.get("accountId")).inbox()));
