import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["test/shared/**/*.test.ts", "test/client/**/*.test.ts", "test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        // Mirrors [alias] in wrangler.toml: libsodium cannot load in workerd.
        resolve: { alias: { "libsodium-wrappers-sumo": fileURLToPath(new URL("./worker/noLibsodium.ts", import.meta.url)) } },
        test: {
          name: "workers",
          include: ["test/worker/**/*.test.ts", "test/durable-objects/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
