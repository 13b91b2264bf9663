// Whether what a screen shows for `key` has been on screen for a frame: a long screen draws what
// is read first, then the rest once that is painted, instead of keeping all of it off screen until
// everything is laid out. A null key is not ready to show; a new key waits for its own frame.
import { useEffect, useState } from "preact/hooks";

const NOT_YET = Symbol("not painted");

export function usePainted(key: string | null): boolean {
  const [painted, setPainted] = useState<string | null | typeof NOT_YET>(NOT_YET);
  // Effects run after the browser painted the render they belong to.
  useEffect(() => setPainted(key), [key]);
  return key !== null && painted === key;
}
