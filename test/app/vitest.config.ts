// The browser suite: its own vitest config so it runs after the Node and workerd projects, one
// file at a time (each file starts a worker and a Chromium), on a fresh build of the app.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "browser",
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/app/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/app/buildOnce.ts"],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
