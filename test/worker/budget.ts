// How long the fuzz suites run: a short fixed budget in `npm test`, more with STEWARD_LONG=1
// (workerd has no process.env; vitest.config.ts passes STEWARD_* through import.meta.env).
const long = (import.meta as { env?: Record<string, string | undefined> }).env?.STEWARD_LONG === "1";

/** Fixed seeds, so a failure in `npm test` reproduces; the long run adds fresh random seeds. */
export const FIXED_SEEDS = [1, 7, 42];

export function runsPerSeed(short: number): number {
  return long ? short * 10 : short;
}

export function randomSeeds(): number[] {
  return Array.from({ length: long ? 5 : 1 }, () => (Math.random() * 0x7fffffff) | 0);
}
