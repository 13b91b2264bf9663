// Whether what a screen shows for `key` has been on screen for a frame: a long screen draws what
// is read first, then the rest once that is painted, instead of keeping all of it off screen until
// everything is laid out. A null key is not ready to show; a new key waits for its own frame.
import { useEffect, useState } from "preact/hooks";

const NOT_YET = Symbol("not painted");

export function usePainted(key: string | null): boolean {
  const [painted, setPainted] = useState<string | null | typeof NOT_YET>(NOT_YET);
  useEffect(() => {
    if (key === null) return;
    // Preact runs effects after the next frame or 35 ms, whichever comes first: a long render can
    // still be unpainted here. A timer set in the next frame's callback runs once it is painted.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => setPainted(key));
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [key]);
  return key !== null && painted === key;
}
