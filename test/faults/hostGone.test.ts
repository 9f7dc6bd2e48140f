// The dynamic-provider host dies (SIGKILL: the engine crashed or killed it) while its pwsh is
// half-way through a batch of Set-MailboxDatabase commands. The batch must stop at the next item:
// nothing more is written to Exchange once nobody is left to hear about it, and pwsh exits.
//
// Made deterministic without sleeps: the lab gives every command a latency, so a batch of 30 sets
// takes seconds; when the state file shows the first database changed, the host's pwsh processes
// are frozen (SIGSTOP, waited for until /proc says stopped), the state is read, the host is
// killed and reaped, and only then pwsh goes on (SIGCONT). From the freeze on, at most the one item
// in flight may still land (its owner check passed before the kill); over SSH the remote side runs
// that item and is not frozen, which the same bound covers. The test kills its host: a host of
// its own (freshHost).
import { describe, expect } from "vitest";
import { siteState, databaseName } from "../../bench/site";
import { register } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { urnOf } from "../support/host";
import type { JsonObject, Lab } from "../support/lab";
import { cmdline, descendantsOf, processState, running } from "../support/procs";

const DATABASES = 30;
const names = Array.from({ length: DATABASES }, (_, i) => databaseName(i));

/** Each generated database's record, as JSON text, by name. */
function records(lab: Lab): Map<string, string> {
  const state = lab.readState() as unknown as { mailboxDatabases: { Name: string }[] };
  return new Map(state.mailboxDatabases.filter((d) => names.includes(d.Name)).map((d) => [d.Name, JSON.stringify(d)]));
}

/** The databases whose record differs from `pristine`. */
function changedSince(lab: Lab, pristine: Map<string, string>): string[] {
  const now = records(lab);
  return names.filter((name) => now.get(name) !== pristine.get(name));
}

/** Waits for `condition`, checking it again every few milliseconds; fails after `limitMs`. */
async function until(condition: () => boolean, what: string, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The pwsh processes (the .NET tool's launcher and the real pwsh it runs) below `parent`. */
function pwshBelow(parent: number): number[] {
  return descendantsOf(parent).filter((pid) => cmdline(pid).some((arg) => /(^|\/)pwsh(\.dll)?$/.test(arg)));
}

describe("host gone in the middle of a batch", () => {
  it("a SIGKILLed host's pwsh stops its batch of Set-MailboxDatabase at the next item (at most the one in flight lands) and exits", async ({
    lab,
    freshHost: host,
  }) => {
    lab.writeState(
      JSON.parse(siteState(DATABASES, { SessionOpenMs: 0, ExchangeCommandMs: 200, DnsCommandMs: 0 })) as JsonObject,
    );
    const pristine = records(lab);
    expect(pristine.size).toBe(DATABASES);

    const regs = await register((lib) =>
      names.map(
        (database) =>
          new lib.MailboxDatabaseRpcSetting(database.toLowerCase(), {
            database,
            rpcClientAccessServer: "HO-EX2010-MB2",
            connection: lab.connection,
          }),
      ),
    );
    expect(regs).toHaveLength(DATABASES);
    // The engine's creates, all at once: the host batches their sets into one Invoke-ExcasBatch.
    const applies = Promise.allSettled(
      regs.map(async (reg) => {
        const urn = urnOf("MailboxDatabaseRpcSetting", reg.name);
        const checked = await host.check(urn, {}, reg.inputs);
        return host.create(urn, checked.inputs);
      }),
    );

    await until(() => changedSince(lab, pristine).length > 0, "the first database to change");
    const hostPid = host.child.pid ?? 0;
    const tree = descendantsOf(hostPid);
    const frozen = pwshBelow(hostPid);
    expect(frozen.length).toBeGreaterThan(0);
    for (const pid of frozen) process.kill(pid, "SIGSTOP");
    await until(() => frozen.every((pid) => processState(pid) === "T"), "pwsh to stop");
    const atFreeze = changedSince(lab, pristine);
    // The batch really was interrupted half-way, so the rest of it is what is at stake.
    expect(atFreeze.length).toBeLessThan(DATABASES - 1);

    const died = new Promise((resolve) => host.child.once("exit", resolve));
    host.child.kill("SIGKILL");
    await died;
    for (const pid of frozen) process.kill(pid, "SIGCONT");
    // pwsh's stdin came from the host: it ends, and pwsh (with its ssh client, if any) exits.
    await until(() => tree.every((pid) => !running(pid)), "the host's pwsh processes to exit");
    await applies;

    const after = changedSince(lab, pristine);
    expect(after).toEqual(expect.arrayContaining(atFreeze));
    expect(
      after.length - atFreeze.length,
      `databases written after the host was gone: ${after.length - atFreeze.length}`,
    ).toBeLessThanOrEqual(1);
  });
});
