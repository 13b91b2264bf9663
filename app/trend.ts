// Trend arrows as CGM apps draw them, with words for screen readers.
import type { TRENDS } from "../client/index.js";

type Trend = (typeof TRENDS)[number];

export const TREND_ARROWS: Record<Trend, { arrow: string; words: string }> = {
  doubleUp: { arrow: "⇈", words: "rising quickly" },
  singleUp: { arrow: "↑", words: "rising" },
  fortyFiveUp: { arrow: "↗", words: "rising slowly" },
  flat: { arrow: "→", words: "steady" },
  fortyFiveDown: { arrow: "↘", words: "falling slowly" },
  singleDown: { arrow: "↓", words: "falling" },
  doubleDown: { arrow: "⇊", words: "falling quickly" },
  notComputable: { arrow: "", words: "trend unknown" },
  rateOutOfRange: { arrow: "", words: "changing too fast to compute" },
};
