import { describe, expect, it } from "vitest";
import { toBase64Url } from "../../shared/bytes.js";
import { call, errorOf, postJson, signedUp } from "../helpers/api.js";
import { randomBytes } from "../helpers/webcryptoFixtures.js";

const hexId = () => [...randomBytes(16)].map((b) => b.toString(16).padStart(2, "0")).join("");

function send(method: string, path: string, body: unknown, token?: string): Promise<Response> {
  return call(path, {
    method,
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
    ...(token ? { token } : {}),
  });
}

describe("device-link slots", () => {
  it("relay an offer and write-once answers between two devices without sessions", async () => {
    const id = hexId();
    const offer = toBase64Url(randomBytes(40));
    expect((await send("PUT", `/v1/links/${id}`, { body: offer })).status).toBe(201);
    expect((await send("PUT", `/v1/links/${id}`, { body: offer })).status).toBe(201);
    expect((await send("PUT", `/v1/links/${id}`, { body: toBase64Url(randomBytes(40)) })).status).toBe(409);
    const answer = toBase64Url(randomBytes(32));
    expect((await postJson(`/v1/links/${id}/messages`, { n: 2, body: answer })).status).toBe(409);
    expect((await postJson(`/v1/links/${id}/messages`, { n: 1, body: answer })).status).toBe(200);
    expect((await postJson(`/v1/links/${id}/messages`, { n: 1, body: answer })).status).toBe(200);
    const racer = await postJson(`/v1/links/${id}/messages`, { n: 1, body: toBase64Url(randomBytes(32)) });
    expect(racer.status).toBe(409);
    expect((await errorOf(racer)).message).toMatch(/already answered/);
    const slot = await (await call(`/v1/links/${id}`)).json<{ messages: { from: string | null; body: string }[] }>();
    expect(slot.messages).toEqual([
      { from: null, body: offer },
      { from: null, body: answer },
    ]);
  });

  it("refuses messages larger than any key ring (413), so anonymous slots cannot be used as storage", async () => {
    const id = hexId();
    expect(
      (await send("PUT", `/v1/links/${id}`, { body: toBase64Url(new Uint8Array(129 * 1024).fill(7)) })).status,
    ).toBe(413);
    expect((await send("PUT", `/v1/links/${id}`, { body: toBase64Url(randomBytes(64)) })).status).toBe(201);
    expect(
      (await postJson(`/v1/links/${id}/messages`, { n: 1, body: toBase64Url(new Uint8Array(129 * 1024).fill(7)) }))
        .status,
    ).toBe(413);
  });

  it("answers 404 for a slot nobody opened", async () => {
    expect((await call(`/v1/links/${hexId()}`)).status).toBe(404);
    expect((await postJson(`/v1/links/${hexId()}/messages`, { n: 1, body: "AAAA" })).status).toBe(404);
  });
});

describe("invite slots", () => {
  it("let the signed-in invitee answer, show the answer to the patient only, and close when withdrawn", async () => {
    const patient = await signedUp("inv");
    const carer = await signedUp("inv");
    const stranger = await signedUp("inv");
    const id = hexId();
    expect((await send("PUT", `/v1/invites/${id}`, { expiresAt: Date.now() + 3_600_000 })).status).toBe(401);
    expect(
      (await send("PUT", `/v1/invites/${id}`, { expiresAt: Date.now() + 40 * 86_400_000 }, patient.token)).status,
    ).toBe(400);
    expect((await send("PUT", `/v1/invites/${id}`, { expiresAt: Date.now() + 3_600_000 }, patient.token)).status).toBe(
      201,
    );
    const answer = toBase64Url(randomBytes(200));
    expect((await postJson(`/v1/invites/${id}/messages`, { n: 1, body: answer }, carer.token)).status).toBe(200);
    expect((await postJson(`/v1/invites/${id}/messages`, { n: 1, body: answer }, stranger.token)).status).toBe(409);
    expect((await call(`/v1/invites/${id}`, { token: stranger.token })).status).toBe(403);
    const slot = await (await call(`/v1/invites/${id}`, { token: patient.token })).json<{
      messages: { from: string | null; body: string }[];
    }>();
    expect(slot.messages[1]).toEqual({ from: carer.identity.accountId, body: answer });
    expect((await call(`/v1/invites/${id}`, { method: "DELETE", token: carer.token })).status).toBe(403);
    expect((await call(`/v1/invites/${id}`, { method: "DELETE", token: patient.token })).status).toBe(204);
    expect((await call(`/v1/invites/${id}`, { token: patient.token })).status).toBe(404);
  });
});
