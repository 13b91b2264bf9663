// A QR code beside a text code or link, so a phone camera can read it instead of typing it. Drawn
// as one SVG path from uqr's module matrix (no inline HTML, nothing fetched).
import { useMemo } from "preact/hooks";
import { encode } from "uqr";

export function QrCode({ text, label }: { text: string; label: string }) {
  const { path, size } = useMemo(() => {
    const qr = encode(text, { border: 2, ecc: "M" });
    let d = "";
    for (const [y, row] of qr.data.entries()) {
      for (const [x, dark] of row.entries()) if (dark) d += `M${x},${y}h1v1h-1z`;
    }
    return { path: d, size: qr.size };
  }, [text]);
  return (
    <svg
      class="qr"
      viewBox={`0 0 ${size} ${size}`}
      role="img"
      aria-label={label}
      data-testid="qr-code"
      shape-rendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
