// The 24-hour x axis the AGP shares with other time-of-day charts: minutes after the patient's
// midnight, labelled hh:mm, every 3 hours, or every 6 on a phone so labels never overlap.
import type uPlot from "uplot";
import { clockTime } from "../format.js";

export const timeOfDayScale: uPlot.Scale = { time: false, range: [0, 1440] };

export const timeOfDayAxis: uPlot.Axis = {
  splits: (u) => {
    const step = u.bbox.width / devicePixelRatio < 420 ? 360 : 180;
    return Array.from({ length: 1440 / step + 1 }, (_, i) => i * step);
  },
  // The day ends at 24:00, not at a second 00:00.
  values: (_u, splits) => splits.map((m) => (m === 1440 ? "24:00" : clockTime(m))),
};
