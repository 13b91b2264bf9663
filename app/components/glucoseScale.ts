// The glucose axis every chart shares, in the reader's unit: at least 40-300 mg/dL (2.2-16.7
// mmol/L) with the 70-180 target range shaded. Series carry values already in that unit.
import type uPlot from "uplot";
import { type GlucoseUnit, toUnit } from "../units.js";

export const TARGET = { low: 70, high: 180 } as const;

export function glucoseScale(unit: GlucoseUnit): uPlot.Scale {
  return { range: (_u, min, max) => [Math.min(toUnit(40, unit), min), Math.max(toUnit(300, unit), max)] };
}

export function glucoseAxis(unit: GlucoseUnit): uPlot.Axis {
  return { scale: "glucose", label: unit, size: 50 };
}

/** Draws the target band behind the series. */
export function targetBand(unit: GlucoseUnit): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (u) => {
        const top = u.valToPos(toUnit(TARGET.high, unit), "glucose", true);
        const bottom = u.valToPos(toUnit(TARGET.low, unit), "glucose", true);
        u.ctx.save();
        u.ctx.fillStyle = "rgba(59, 155, 83, 0.14)";
        u.ctx.fillRect(u.bbox.left, top, u.bbox.width, bottom - top);
        u.ctx.restore();
      },
    },
  };
}
