// The glucose axis every chart shares: 40-400 mg/dL with the 70-180 target range marked.
import type uPlot from "uplot";

export const TARGET = { low: 70, high: 180 } as const;

export const glucoseScale: uPlot.Scale = { range: (_u, min, max) => [Math.min(40, min), Math.max(300, max)] };

export const glucoseAxis: uPlot.Axis = { scale: "mg/dL", label: "mg/dL", size: 50 };

/** Draws the target band behind the series. */
export const targetBand: uPlot.Plugin = {
  hooks: {
    drawClear: (u) => {
      const top = u.valToPos(TARGET.high, "mg/dL", true);
      const bottom = u.valToPos(TARGET.low, "mg/dL", true);
      u.ctx.save();
      u.ctx.fillStyle = "rgba(46, 139, 87, 0.10)";
      u.ctx.fillRect(u.bbox.left, top, u.bbox.width, bottom - top);
      u.ctx.restore();
    },
  },
};
