import { defineConfig } from "vitest/config";

// Two projects: "unit" runs pure domain tests that sit beside their modules;
// "e2e" runs the suites in test/ against a real server and real PostgreSQL,
// which test/global-setup.ts provides.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
