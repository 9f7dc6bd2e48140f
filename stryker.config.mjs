// Mutation testing of the provider's pure TypeScript modules (`npm run mutation`), driven by the
// unit tests that start no pwsh (vitest.unit.config.mts). A tool for finding weak tests, not a
// gate: neither scripts/test nor .ci/run runs it. Stryker works in .stryker-tmp/ and writes
// reports/mutation/ (both git-ignored, and out of eslint and tsc).
// @ts-check
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.unit.config.mts" },
  plugins: ["@stryker-mutator/vitest-runner", "@stryker-mutator/typescript-checker"],
  // Mutants that do not compile (a string where a literal type belongs, ...) are left out of the
  // score instead of being counted as survivors of tests that never see them.
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.mutation.json",
  mutate: [
    "provider/runtime/rules.ts",
    "provider/runtime/check.ts",
    "provider/runtime/diff.ts",
    "provider/runtime/contract.ts",
    "provider/shell/quote.ts",
    "provider/shell/envelope.ts",
    "provider/shell/batcher.ts",
    "provider/shell/tableSnapshot.ts",
    "provider/shell/processGlobal.ts",
    "provider/verify/tcp.ts",
    "provider/windows/rpcPorts.ts",
    "provider/plan/judge.ts",
    "provider/plan/messages.ts",
  ],
  coverageAnalysis: "perTest",
  concurrency: 2,
  reporters: ["clear-text", "progress", "html"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  // The sandbox needs the sources and the unit tests, not the lab, the examples or build output.
  ignorePatterns: [
    "/lab",
    "/examples",
    "/bench",
    "/provider/dist",
    "/.lab",
    "/.pulumi-state",
    "/.pulumi-cli",
    "/reports",
  ],
  thresholds: { high: 85, low: 70, break: null },
};
