// The 24-hour x axis the AGP and daily traces share: minutes after local midnight, labelled hh:mm.
import type uPlot from "uplot";

export const timeOfDayScale: uPlot.Scale = { time: false, range: [0, 1440] };

export const timeOfDayAxis: uPlot.Axis = {
  splits: () => [0, 180, 360, 540, 720, 900, 1080, 1260, 1440],
  values: (_u, splits) => splits.map((m) => `${String(Math.floor(m / 60) % 24).padStart(2, "0")}:00`),
};
