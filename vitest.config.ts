import { configDefaults, defineConfig } from "vitest/config";

// Three projects: "unit" runs pure domain tests that sit beside their modules;
// "e2e" runs the suites in test/ against a real server and real PostgreSQL,
// which test/global-setup.ts provides (`npm test` runs these two); "cluster"
// runs the multi-process tests in test/cluster/ (replicas behind HAProxy,
// PostgreSQL standbys, failover), which start clusters of their own
// (`npm run test:cluster`).
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
          exclude: [...configDefaults.exclude, "test/cluster/**"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "cluster",
          include: ["test/cluster/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
