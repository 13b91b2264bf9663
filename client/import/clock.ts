// Device wall clock -> UTC, after Tidepool's "Bootstrapping to UTC": the newest clock segment is read in
// the zone the user chose, and each clock change ("New Device Time") walked backwards shifts the older
// segments by the jump. Between changes the device clock is taken to run true, so UTC is linear in it.
import { offsetMinutesAt, wallClockToUtc } from "./timezone.js";

const MINUTE = 60_000;

export interface ClockChange {
  /** Device wall clock (ms, read as UTC) just before and after the change. */
  from: number;
  to: number;
}

export interface ClockTime {
  time: number;
  /** Minutes to add to UTC for the local time then; clock changes under 15 minutes count as drift. */
  timezoneOffset: number;
}

/**
 * Converts wall times to UTC. `changes` are chronological; `segment` is how many of them happened before
 * the reading (0 = before all). The anchor is the newest reading (`newestWall`, in the last segment).
 */
export class ClockModel {
  private readonly offsets: number[];
  private readonly zoneOffset: number;

  constructor(
    readonly changes: readonly ClockChange[],
    newestWall: number,
    private readonly timeZone: string,
  ) {
    const lastOffset = newestWall - wallClockToUtc(newestWall, timeZone);
    this.zoneOffset = lastOffset;
    const offsets = new Array<number>(changes.length + 1);
    offsets[changes.length] = lastOffset;
    for (let k = changes.length - 1; k >= 0; k--) {
      const c = changes[k] as ClockChange;
      offsets[k] = (offsets[k + 1] as number) + (c.from - c.to);
    }
    this.offsets = offsets;
  }

  toUtc(wall: number, segment: number): ClockTime {
    const offset = this.offsets[Math.min(segment, this.offsets.length - 1)] as number;
    const time = wall - offset;
    const shift = offset - this.zoneOffset;
    // A jump of 15 minutes or more is a time-zone change (rounded to 30 minutes); less is clock drift.
    const timezoneOffset =
      Math.abs(shift) >= 15 * MINUTE ? Math.round(offset / (30 * MINUTE)) * 30 : offsetMinutesAt(time, this.timeZone);
    return { time, timezoneOffset };
  }
}

/**
 * Assigns clock segments to readings given in chronological order when their position relative to the
 * change rows is unknown (another CSV section): a forward jump is passed once a reading shows the new
 * clock; a backward jump once the clock reads past the old time or runs backwards.
 */
export function segmentWalker(changes: readonly ClockChange[]): (wall: number) => number {
  let k = 0;
  let prev = Number.NEGATIVE_INFINITY;
  return (wall) => {
    for (;;) {
      const c = changes[k];
      if (!c) break;
      const passed = c.to >= c.from ? wall >= c.to : wall > c.from || wall < prev;
      if (!passed) break;
      k++;
      prev = Number.NEGATIVE_INFINITY;
    }
    prev = wall;
    return k;
  };
}
