import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: [
            "test/shared/**/*.test.ts",
            "test/crypto/**/*.test.ts",
            "test/client/**/*.test.ts",
            "test/e2e/**/*.test.ts",
            "test/examples/**/*.test.ts",
            "test/adversarial/**/*.test.ts",
            "test/bridge/**/*.test.ts",
            "test/architecture/**/*.test.ts",
            "test/deploy/**/*.test.ts",
          ],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The production wrangler.toml, run as a development deployment (its built-in session secret).
        // verbose: false keeps workerd's own log of the faults the tests inject (an aborted object's
        // "outputGateBroken") off the output; the tests assert what the worker logs about them.
        plugins: [
          cloudflareTest({
            verbose: false,
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ENVIRONMENT: "development" } },
          }),
        ],
        // workerd has no process.env: STEWARD_LONG=1 reaches the suites as import.meta.env.STEWARD_LONG.
        envPrefix: ["VITE_", "STEWARD_"],
        test: {
          name: "workers",
          include: ["test/worker/**/*.test.ts", "test/durable-objects/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
