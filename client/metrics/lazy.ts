// Parts of the analysis a report may not show are computed when first read, then kept: the object
// looks and serialises as if they had been there all along (an enumerable property).

/** Makes `target[key]` the result of `compute`, run on the first read only. */
export function lazy<T extends object, K extends keyof T>(target: T, key: K, compute: () => T[K]): T {
  Object.defineProperty(target, key, {
    configurable: true,
    enumerable: true,
    get() {
      const value = compute();
      Object.defineProperty(target, key, { value, configurable: true, enumerable: true, writable: true });
      return value;
    },
    set(value: T[K]) {
      Object.defineProperty(target, key, { value, configurable: true, enumerable: true, writable: true });
    },
  });
  return target;
}
