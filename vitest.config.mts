import * as os from "node:os";
import * as path from "node:path";
import * as fs from "node:fs";
import { configDefaults, defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

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

/**
 * The files that also run over SSH (what the transport changes). Inside them, a test whose
 * behaviour is the provider's own logic, which the local run proves and the transport cannot
 * change, is registered through localOnly (test/support/tiers.ts): the ssh project does not collect
 * it at all. Per test, the tier that keeps it and why:
 * - faults/faults.test.ts, ssh: a pwsh killed mid-command (over SSH the remote session drops), a
 *   command hanging past its timeout across the wire, Exchange's throttling of shells (the session
 *   is closed and a fresh remote one opened), a session refused at open. Local only: a read after a
 *   failed write tells the truth; a site apply failing half-way is reported per resource and
 *   converges (the provider's and engine's handling; the error crosses the wire like any other,
 *   proven by the tests above and in shell/batch).
 * - shell/batch.test.ts, ssh: reads together become one piped Get-MailboxDatabase over the remote
 *   session; a not-found, and an error naming no database, attributed as they come across the wire;
 *   Sets in one round trip with one envelope each; a remote session dying under a batch. Local
 *   only: several misses of one piped read, a read requested during a read, the table read and its
 *   burst (the queue and the cache in this process).
 * - faults/concurrency.test.ts, ssh: fifty creates, then fifty refreshes, in flight on one remote
 *   session.
 * - shell/mailboxCount.test.ts, ssh: the typed client's count across the wire (the article's
 *   counts, 1,500 in full, Exchange's error, quoting, the truncation warning). Local only: a server
 *   named twice and no servers (decided before anything is sent), and the stand-in module that
 *   drops -ResultSize (a local lab whatever the tier).
 * - remote/**: the ssh tier only (the endpoint, the bootstrap and its refusals, each resource's
 *   create/read/update/delete, DNS over the wire). shell/identity, confirm, aRecordChildren: what
 *   the remote session changes (an Exchange parse error's type as it arrives, the prompts of a
 *   non-interactive remote shell, the records the wire returns), all kept (identity's one pure
 *   check opens nothing).
 */
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

// The order test files start in: the longest first, whatever their project. The suite is CPU-bound
// on few CPUs, and vitest's own order (project by project, by name: the ssh project last, its two
// longest files among the last to start) left the run's tail to one or two long files on an
// otherwise idle machine. Started first, a long file overlaps the many short ones instead.
//
// How long a file takes comes from the last run on this machine (.test-results/timings.json, kept
// by the timings reporter) when there is one, else from the committed list
// (test/support/durations.json, the figures of a full run: refresh it with
// `node test/support/durations.mjs` after one when files were added or moved). A file in neither
// (a new one) starts first, as vitest starts a file it has no result for: a long new file is then
// not left for the tail.
function knownDurations(root: string): Map<string, number> {
  const known = new Map<string, number>();
  const read = (file: string): unknown => {
    try {
      return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
      return undefined;
    }
  };
  const committed = read(path.join(root, "test", "support", "durations.json"));
  if (committed !== null && typeof committed === "object")
    for (const [key, ms] of Object.entries(committed)) if (typeof ms === "number") known.set(key, ms);
  const last = read(path.join(root, ".test-results", "timings.json")) as
    { files?: { project?: unknown; file?: unknown; wallMs?: unknown; state?: unknown }[] } | undefined;
  for (const f of last?.files ?? [])
    if (
      typeof f.project === "string" &&
      typeof f.file === "string" &&
      typeof f.wallMs === "number" &&
      f.state === "passed"
    )
      known.set(`${f.project}|${f.file}`, f.wallMs);
  return known;
}

class LongestFirst extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const known = knownDurations(root);
    const ms = (spec: TestSpecification) =>
      known.get(`${spec.project.name}|${path.relative(root, spec.moduleId)}`) ?? Number.POSITIVE_INFINITY;
    // Stable: equal (or both unknown) files keep the order they were found in.
    return Promise.resolve(
      [...files].sort((a, b) => {
        const [x, y] = [ms(a), ms(b)];
        return x === y ? 0 : y > x ? 1 : -1;
      }),
    );
  }
}

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
    // The longest files start first, whatever their project (LongestFirst above), so the
    // run does not end on one long file alone.
    sequence: { sequencer: LongestFirst },
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
