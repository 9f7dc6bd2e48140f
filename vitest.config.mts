import { defineConfig } from "vitest/config";

// Every test drives real pwsh processes; two cores, so keep the workers few and the timeouts
// generous for a loaded CI machine (no test asserts on time).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
