import { defineConfig } from "vitest/config";

// The benchmark is not part of the test run (the root config includes test/**/*.test.ts only):
// `npm run bench` runs it with this config. One worker, nothing else in parallel, and no timeout
// that a slow N=500 apply could hit.
export default defineConfig({
  test: {
    include: ["bench/**/*.bench.ts"],
    testTimeout: 6 * 60 * 60 * 1000,
    hookTimeout: 10 * 60 * 1000,
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
  },
});
