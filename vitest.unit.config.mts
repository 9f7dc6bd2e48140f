import { configDefaults, defineConfig } from "vitest/config";

// The unit tests that start no pwsh (and need no lab, no sshd): what `npm run check` and mutation
// testing (stryker.config.mjs) run. test/unit/ps20.test.ts runs the lab's PowerShell 2.0 check in
// pwsh, so it stays in the full suite only; any other test/unit file that starts pwsh belongs in
// this list too.
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    exclude: [...configDefaults.exclude, "test/unit/ps20.test.ts"],
    testTimeout: 30_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
