// "Access ends in 1 d 23 h", ticking; "ended" once past.
import { duration } from "../format.js";
import { useNow } from "./useNow.js";

export function Countdown({ until, prefix = "ends in" }: { until: number; prefix?: string }) {
  const now = useNow(30_000);
  const left = until - now;
  return (
    <span class={left < 3_600_000 ? "countdown soon" : "countdown"} data-testid="countdown">
      {left <= 0 ? "ended" : `${prefix} ${duration(left)}`}
    </span>
  );
}
