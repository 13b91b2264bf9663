// One uPlot chart filling its container's width; rebuilt when its options or data change and
// resized with the container (phone rotation, window resize). `label` names it for screen readers,
// and `summary` says in words what the canvas shows.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useEffect, useRef } from "preact/hooks";

interface Props {
  label: string;
  summary: string;
  options: Omit<uPlot.Options, "width" | "height"> & { height?: number };
  data: uPlot.AlignedData;
  testId?: string;
}

export function Chart({ label, summary, options, data, testId }: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const width = () => Math.max(240, element.clientWidth);
    const plot = new uPlot({ ...options, width: width(), height: options.height ?? 260 }, data, element);
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height: options.height ?? 260 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [options, data]);
  return (
    <figure class="chart" aria-label={label} data-testid={testId}>
      <div ref={box} role="img" aria-label={summary} />
      <figcaption>{label}</figcaption>
    </figure>
  );
}
