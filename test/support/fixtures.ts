// The fixtures of the suites that reach the lab, as `test.extend` fixtures. Starting a host or a
// pwsh costs seconds; resetting a lab costs a file copy. So by default a file gets one lab and one
// dynamic-provider host, and every test starts from the scenario again in place (the same state
// file, so the host's session to it, and over SSH the lab's sshd, carry on):
//
//   import { labTest as it } from "../support/fixtures";
//   it("creates the array", async ({ lab, host }) => { ... });
//
// - `lab`: the file's lab, reset to the scenario before the test (over SSH with the ssh project);
// - `host`: the file's host, configured, with the table read-ahead off (EXCHANGE_CAS_READ_PREFETCH=0),
//   so no database read is answered from a table read taken before the reset; its `log` starts
//   with the test (host.mark() or host.printedBy() tell what one step printed);
// - `connection`: the lab's connection, parsed, for suites that call the provider's clients directly;
// - `freshHost`: a host of the test's own, for tests about processes, sessions, faults and killed
//   hosts (it is stopped after the test, whatever the test did to it).
// Sessions the test process opens itself (a site program's plan, a typed client) stay open for
// the file, and are closed after its last test.
/* eslint-disable no-empty-pattern -- vitest reads a fixture's dependencies from its first parameter, which must be a destructuring pattern, empty when it has none */
import { test as base } from "vitest";
import { createRequire } from "node:module";
import * as path from "node:path";
import { ConnectionSchema, type Connection } from "../../provider/shell/connection";
import { Host } from "./host";
import { createLab, type Lab } from "./lab";
import { ROOT } from "./paths";

/** The host's environment for a file-scoped host: no read-ahead, so a lab reset is seen at once. */
export const SHARED_HOST_ENV = { EXCHANGE_CAS_READ_PREFETCH: "0" };

async function startHost(env: Record<string, string>): Promise<Host> {
  const host = await Host.start(env);
  try {
    await host.configure();
  } catch (error) {
    await host.stop();
    throw error;
  }
  return host;
}

/** Closes the sessions this process opened through the installed package (a program's plan). */
async function closeProgramSessions(): Promise<void> {
  const runtime = createRequire(path.join(ROOT, "package.json"))(
    "exchange-cas/runtime",
  ) as typeof import("exchange-cas/runtime");
  await runtime.sessions().closeAll();
}

export const labTest = base
  .extend("fileLab", { scope: "file" }, ({}, { onCleanup }) => {
    const lab = createLab();
    onCleanup(() => lab.remove());
    return lab;
  })
  .extend("programSessions", { scope: "file", auto: true }, ({}, { onCleanup }) => {
    // The test process's own sessions (a program's plan) read without read-ahead too, and close
    // with the file.
    const saved = process.env.EXCHANGE_CAS_READ_PREFETCH;
    process.env.EXCHANGE_CAS_READ_PREFETCH = "0";
    onCleanup(async () => {
      if (saved === undefined) delete process.env.EXCHANGE_CAS_READ_PREFETCH;
      else process.env.EXCHANGE_CAS_READ_PREFETCH = saved;
      await closeProgramSessions();
    });
    return true;
  })
  .extend("lab", ({ fileLab }): Lab => {
    fileLab.reset();
    return fileLab;
  })
  /** The lab's connection, parsed, for the suites that drive the provider's clients directly (no host). */
  .extend("connection", ({ lab }): Connection => ConnectionSchema.parse(lab.connection))
  .extend("fileHost", { scope: "file" }, async ({}, { onCleanup }) => {
    const host = await startHost(SHARED_HOST_ENV);
    onCleanup(() => host.stop());
    return host;
  })
  // Depends on `lab`, so the lab is reset before the test sees the host.
  .extend("host", ({ fileHost, lab }): Host => {
    void lab;
    fileHost.startLog();
    return fileHost;
  })
  .extend("freshHost", async ({ lab }, { onCleanup }) => {
    void lab;
    const host = await startHost({});
    onCleanup(() => host.stop());
    return host;
  });
