// Locates the shared third-party fixtures (never copied into this repository).
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const SHARED_FIXTURES = fileURLToPath(new URL("../../../shared/fixtures/", import.meta.url));

export function sharedFixture(relative: string): { path: string; exists: boolean; read: () => string } {
  const path = SHARED_FIXTURES + relative;
  const exists = existsSync(path);
  if (!exists)
    console.warn(`skipping: shared fixture ${path} is absent (expected next to the repository in ../shared/fixtures)`);
  return { path, exists, read: () => readFileSync(path, "utf8") };
}
