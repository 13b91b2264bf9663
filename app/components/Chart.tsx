// One uPlot chart filling its container's width; rebuilt when its options or data change and
// resized with the container (phone rotation, window resize, printing). `label` names it and
// `summary` says in words what it shows, on screen and for screen readers.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useEffect, useId, useLayoutEffect, useRef } from "preact/hooks";

interface Props {
  label: string;
  summary: string;
  options: Omit<uPlot.Options, "width" | "height"> & { height?: number };
  data: uPlot.AlignedData;
  testId?: string;
}

export function Chart({ label, summary, options, data, testId }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | undefined>(undefined);
  const summaryId = useId();
  // New data alone is drawn into the existing chart (a live view or an import updates it often).
  useEffect(() => {
    if (plotRef.current && plotRef.current.data !== data) plotRef.current.setData(data);
  }, [data]);
  // Drawn before the browser paints, so the chart comes on screen with the page that holds it.
  useLayoutEffect(() => {
    const element = box.current;
    if (!element) return;
    const width = () => Math.max(240, element.clientWidth);
    const plot = new uPlot({ ...options, width: width(), height: options.height ?? 260 }, data, element);
    plotRef.current = plot;
    const resize = () => plot.setSize({ width: width(), height: options.height ?? 260 });
    const observer = new ResizeObserver(resize);
    observer.observe(element);
    // The printed page is narrower than the screen: redraw at its width before printing.
    const print = matchMedia("print");
    print.addEventListener("change", resize);
    return () => {
      observer.disconnect();
      print.removeEventListener("change", resize);
      plot.destroy();
      plotRef.current = undefined;
    };
    // Only new options rebuild the chart; data goes in through setData above.
  }, [options]);
  return (
    <figure class="chart" data-testid={testId}>
      <figcaption>{label}</figcaption>
      <div ref={box} role="img" aria-label={label} aria-describedby={summaryId} />
      <p class="chart-summary" id={summaryId}>
        {summary}
      </p>
    </figure>
  );
}
