// The server's pure grant rules on their own: a grant serves exactly its scope, hours (both edges
// included) and key generations, a reader's filter only narrows, and a request that reaches outside
// every grant is named with the reason the grantee sees.
import { describe, expect, it } from "vitest";
import type { GrantEntry, GrantPolicy } from "../../shared/grantCodec.js";
import { anyCovers, filterMatches, outsideGrants, policyCovers } from "../../durable-objects/grantRules.js";

const glucose = new Uint8Array(16).fill(1);
const insulin = new Uint8Array(16).fill(2);
const meals = new Uint8Array(16).fill(3);

function policy(...entries: GrantEntry[]): GrantPolicy {
  const id = new Uint8Array(16);
  const key = new Uint8Array(32);
  return {
    grantId: id,
    revision: 1,
    patientId: id,
    patientKey: key,
    granteeId: id,
    granteeSignKey: key,
    granteeBoxKey: key,
    write: false,
    live: false,
    issuedAt: 0,
    expiresAt: 1,
    devices: { index: 1, hash: key },
    entries,
  };
}

const twoWeeksOfGlucose = policy({ scopeTag: glucose, fromHour: 1000, toHour: 1335, generations: [0, 1] });

describe("policyCovers", () => {
  it("serves the first and last granted hour and nothing either side", () => {
    const at = (hour: number) => policyCovers(twoWeeksOfGlucose, { scopeTag: glucose, generation: 0, hour });
    expect([at(999), at(1000), at(1335), at(1336)]).toEqual([false, true, true, false]);
  });

  it("serves only the scope the grant names", () => {
    expect(policyCovers(twoWeeksOfGlucose, { scopeTag: insulin, generation: 0, hour: 1100 })).toBe(false);
  });

  it("serves only the key generations the grant was given, so data after a rotation stays closed", () => {
    expect(policyCovers(twoWeeksOfGlucose, { scopeTag: glucose, generation: 1, hour: 1100 })).toBe(true);
    expect(policyCovers(twoWeeksOfGlucose, { scopeTag: glucose, generation: 2, hour: 1100 })).toBe(false);
  });

  it("serves a shard when any one of a grantee's grants covers it", () => {
    const meal = policy({ scopeTag: meals, fromHour: 0, toHour: 10, generations: [0] });
    const shard = { scopeTag: meals, generation: 0, hour: 5 };
    expect(anyCovers([twoWeeksOfGlucose], shard)).toBe(false);
    expect(anyCovers([twoWeeksOfGlucose, meal], shard)).toBe(true);
    expect(anyCovers([], shard)).toBe(false);
  });
});

describe("filterMatches", () => {
  const shard = { scopeTag: glucose, generation: 0, hour: 1200 };

  it("lets everything through when the reader does not narrow", () => {
    expect(filterMatches({}, shard)).toBe(true);
  });

  it("narrows by tag and by an inclusive hour range", () => {
    expect(filterMatches({ tags: [insulin] }, shard)).toBe(false);
    expect(filterMatches({ tags: [insulin, glucose] }, shard)).toBe(true);
    expect(filterMatches({ fromHour: 1200, toHour: 1200 }, shard)).toBe(true);
    expect(filterMatches({ fromHour: 1201 }, shard)).toBe(false);
    expect(filterMatches({ toHour: 1199 }, shard)).toBe(false);
  });
});

describe("outsideGrants", () => {
  it("accepts a request inside the grant, or one that does not narrow at all", () => {
    expect(outsideGrants({}, [twoWeeksOfGlucose])).toBeNull();
    expect(outsideGrants({ tags: [glucose], fromHour: 1300, toHour: 1400 }, [twoWeeksOfGlucose])).toBeNull();
  });

  it("names a scope tag no grant holds", () => {
    expect(outsideGrants({ tags: [insulin] }, [twoWeeksOfGlucose])).toMatch(
      /^scope tag 0202.* is not in any of your grants$/,
    );
  });

  it("names hours that lie outside every granted range", () => {
    expect(outsideGrants({ fromHour: 2000 }, [twoWeeksOfGlucose])).toBe("hours 2000 to now are outside your grants");
    expect(outsideGrants({ fromHour: 0, toHour: 999 }, [twoWeeksOfGlucose])).toBe(
      "hours 0 to 999 are outside your grants",
    );
  });

  it("judges the hours against the tags asked for, not against another scope's range", () => {
    const both = [twoWeeksOfGlucose, policy({ scopeTag: meals, fromHour: 5000, toHour: 6000, generations: [0] })];
    expect(outsideGrants({ tags: [meals], fromHour: 5500 }, both)).toBeNull();
    expect(outsideGrants({ tags: [glucose], fromHour: 5500 }, both)).toMatch(/outside your grants/);
  });
});
