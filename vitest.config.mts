import * as os from "node:os";
import * as path from "node:path";
import { configDefaults, defineConfig } from "vitest/config";

// The suite's tiers, as projects, run in one vitest run so they share the machine's two CPUs:
// - unit: pure TypeScript, no pwsh (also `npm run check`'s and Stryker's set, vitest.unit.config.mts);
// - lab: the lab module itself, in real pwsh (LabBatch: one pwsh per file);
// - local: the provider through real pwsh and the lab, most of it through the real dynamic-provider
//   host over gRPC (one host and one lab per file, the lab reset in place per test; see
//   test/support/fixtures.ts);
// - ssh: what the transport changes, again with the lab behind a real remote session (PowerShell
//   remoting over SSH to a private sshd per file, EXCHANGE_CAS_TEST_REMOTE=ssh), as Exchange is
//   behind WinRM: session open and bootstrap, remoting faults, batching, the typed clients' cmdlets,
//   one create/read/update/delete of each resource and DNS over the wire.
// No test asserts on time: each waits on events, and these timeouts only stop a test that hangs.
// They are far above what any test takes idle, so a busy machine is slower, not failing.

/** The files that also run over SSH (what the transport changes). */
export const SSH_FILES = [
  "test/remote/**/*.test.ts",
  "test/faults/faults.test.ts",
  "test/faults/concurrency.test.ts",
  "test/shell/batch.test.ts",
  "test/shell/mailboxCount.test.ts",
  "test/shell/identity.test.ts",
  "test/shell/confirm.test.ts",
  "test/shell/aRecordChildren.test.ts",
];

const timeouts = { testTimeout: 600_000, hookTimeout: 600_000 };
// pwsh as scripts/setup installs it (a dotnet global tool), for runs that did not put it on PATH.
const env = { PATH: [process.env.PATH ?? "", path.join(os.homedir(), ".dotnet", "tools")].join(path.delimiter) };

export default defineConfig({
  test: {
    pool: "forks",
    // The work is in child processes (pwsh, the provider host, sshd) that often wait on each
    // other: three test files at a time keep two CPUs busy (see the README's timings).
    maxWorkers: 3,
    reporters: ["default", "./test/support/timingsReporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/unit/ps20.test.ts"],
          isolate: false,
          env,
          ...timeouts,
        },
      },
      { test: { name: "lab", include: ["test/lab/**/*.test.ts", "test/unit/ps20.test.ts"], env, ...timeouts } },
      {
        test: {
          name: "local",
          include: [
            "test/host/**/*.test.ts",
            "test/scenario/**/*.test.ts",
            "test/shell/**/*.test.ts",
            "test/faults/**/*.test.ts",
            "test/security/**/*.test.ts",
            "test/package/**/*.test.ts",
          ],
          env,
          ...timeouts,
        },
      },
      {
        test: {
          name: "ssh",
          include: SSH_FILES,
          env: { ...env, EXCHANGE_CAS_TEST_REMOTE: "ssh" },
          globalSetup: ["./test/support/sshKeys.setup.ts"],
          ...timeouts,
        },
      },
    ],
  },
});
