import { defineConfig } from "vitest/config";

// Every test drives real pwsh processes; two cores, so keep the workers few. No test asserts on
// time: each waits on events, and these timeouts only stop a test that hangs. They are far above
// what any test takes idle (the slowest, about 100 s at load 15; see the README's loaded run), so
// a machine busy with other work slows the suite down without failing it.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
