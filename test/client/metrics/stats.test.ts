// The numeric building blocks the analysis relies on for speed (selection instead of sorting,
// counting sort, merging ascending runs) give exactly what the plain algorithms give.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stableOrder } from "../../../client/metrics/localTime.js";
import { mad } from "../../../client/metrics/risk.js";
import { median, quantileSorted, sortedCopy } from "../../../client/metrics/stats.js";

const plainSort = (values: readonly number[]) => [...values].sort((a, b) => a - b);
// -0 and 0 are one value here (their order among equals is not a result).
const same = (values: ArrayLike<number>) => Array.from(values, (v) => v + 0);
const doubles = fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), { maxLength: 300 });
// Whole mg/dL with many repeats, and sensor spacings that are nearly all one value.
const wholes = fc.array(fc.integer({ min: 20, max: 600 }), { maxLength: 600 });
const spacings = fc.array(
  fc.oneof(fc.constant(5), fc.constant(5), fc.constant(5), fc.double({ min: 0, max: 400, noNaN: true })),
  { maxLength: 600 },
);

describe("selection and sorting helpers", () => {
  it("median by selection equals the middle of a full sort (R's type 7)", () => {
    for (const values of [doubles, wholes, spacings]) {
      fc.assert(
        fc.property(values, (xs) => {
          expect(median(xs) + 0).toBe(quantileSorted(plainSort(xs), 0.5) + 0);
        }),
      );
    }
    expect(median([])).toBeNaN();
  });

  it("MAD by merging the deviations either side of the median equals R's median of them", () => {
    for (const values of [doubles, wholes]) {
      fc.assert(
        fc.property(values, (xs) => {
          const sorted = plainSort(xs);
          const m = quantileSorted(sorted, 0.5);
          expect(mad(sorted) + 0).toBe(1.4826 * quantileSorted(plainSort(xs.map((g) => Math.abs(g - m))), 0.5) + 0);
        }),
      );
    }
  });

  it("sorts by counting or by comparison to the same order", () => {
    for (const values of [doubles, wholes]) {
      fc.assert(
        fc.property(values, (xs) => {
          expect(same(sortedCopy(xs))).toEqual(same(plainSort(xs)));
        }),
      );
    }
    // A span too wide to count: compared instead.
    expect([...sortedCopy([10_000, 3, 7, 3])]).toEqual([3, 3, 7, 10_000]);
  });

  it("orders local times like a stable sort, keeping ties in input order", () => {
    // Few ascending runs (a clock change) or none at all, with ties.
    const keys = fc.oneof(
      fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }),
      fc
        .tuple(fc.array(fc.integer({ min: 0, max: 1000 })), fc.array(fc.integer({ min: 0, max: 1000 })))
        .map(([a, b]) => [...plainSort(a), ...plainSort(b)]),
    );
    fc.assert(
      fc.property(keys, (xs) => {
        const order = stableOrder(Float64Array.from(xs));
        const expected = xs.map((_, i) => i).sort((a, b) => (xs[a] as number) - (xs[b] as number) || a - b);
        expect(order ? [...order] : xs.map((_, i) => i)).toEqual(expected);
      }),
    );
  });
});
