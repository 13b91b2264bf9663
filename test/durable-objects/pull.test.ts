// Pull limits: a clinician's 90-day view comes back in one round trip after login.
import { describe, expect, it } from "vitest";
import { MAX_PULL_ENVELOPES } from "../../shared/api.js";
import { pull, push, signedUp } from "../helpers/api.js";
import { DeviceChain, scopeTag } from "../helpers/webcryptoFixtures.js";

const H = 497_000;

describe("pull limits", () => {
  it("returns 1500 envelopes in one page when asked for up to 20000, and refuses a larger limit", async () => {
    const patient = await signedUp("pat");
    const pid = patient.identity.accountId;
    const chain = new DeviceChain(patient.identity, pid);
    const tag = scopeTag();
    for (let batch = 0; batch < 6; batch++) {
      const envelopes = [];
      for (let i = 0; i < 250; i++) envelopes.push((await chain.next({ scopeTag: tag, hour: H + batch })).bytes);
      expect((await push(patient, pid, envelopes)).status).toBe(200);
    }
    const { page } = await pull(patient, pid, `limit=${MAX_PULL_ENVELOPES}&maxBytes=${16 * 1024 * 1024}`);
    expect(page!.entries).toHaveLength(1500);
    expect(page!.more).toBe(false);
    expect((await pull(patient, pid, `limit=${MAX_PULL_ENVELOPES + 1}`)).status).toBe(400);
    expect((await pull(patient, pid, `maxBytes=${16 * 1024 * 1024 + 1}`)).status).toBe(400);
  });
});
