// Faults injected with the lab's knobs, through the real host: each gives a clear error for that
// operation, the next operation works on a fresh session, and a read after a failed write
// reports the truth. A site apply that fails half-way is reported per resource and converges.
// Over SSH (SSH_FILES) only the faults of the session itself run: the last two are local only.
// A test that kills or drops a session, or counts the host's pwsh, has a host of its own
// (freshHost); the others share the file's host.
import { describe, expect } from "vitest";
import { applyAll, create, refresh, resourceType, type Applied } from "../support/apply";
import { register, settleSite, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { localOnly } from "../support/tiers";
import { urnOf, type Host } from "../support/host";
import type { Lab } from "../support/lab";
import { pwshChildren } from "../support/procs";

async function declareDatabase(database: string, value: string, connection: Lab["connection"]): Promise<Registration> {
  const regs = await register(
    (lib) =>
      new lib.MailboxDatabaseRpcSetting(database.toLowerCase(), { database, rpcClientAccessServer: value, connection }),
  );
  const reg = regs[0];
  if (reg === undefined) throw new Error("no registration");
  return reg;
}

async function labValue(lab: Lab, database: string): Promise<string> {
  return (await lab.json<string[]>(`(Get-MailboxDatabase -Identity ${database}).RpcClientAccessServer`))[0] ?? "";
}

/** What state holds for an object that does not exist (the runtime parses state before a read). */
const NO_OBJECT: Record<string, Record<string, unknown>> = {
  ClientAccessArray: {
    arrayName: "",
    fqdn: "",
    site: "",
    siteName: "",
    members: [],
    guid: "",
    distinguishedName: "",
    exchangeLegacyDn: "",
  },
  MailboxDatabaseRpcSetting: {
    database: "",
    guid: "",
    server: "",
    recovery: false,
    rpcClientAccessServer: "",
    wantedRpcClientAccessServer: "",
    appliedRpcClientAccessServer: "",
    previousRpcClientAccessServer: "",
    onDelete: "retain",
  },
};

/** Opens the host's session (a Read of an object that does not exist) and returns its pwsh pids. */
async function warmSession(host: Host, reg: Registration): Promise<number[]> {
  const props = { __provider: reg.provider, ...NO_OBJECT[resourceType(reg)], connection: reg.inputs.connection };
  const gone = await host.read("00000000-0000-0000-0000-000000000000", urnOf(resourceType(reg), "warm"), props, {});
  expect(gone.id).toBe("");
  const pids = pwshChildren(host.child.pid ?? 0);
  expect(pids).toHaveLength(1);
  return pids;
}

/** HeadOffice's array declared and checked (the check opens the host's session). */
async function checkArray(
  lab: Lab,
  host: Host,
): Promise<{ reg: Registration; urn: string; checked: Awaited<ReturnType<Host["check"]>> }> {
  const regs = await register(
    (lib) =>
      new lib.ClientAccessArray("ho", {
        name: "cas-headoffice",
        fqdn: "outlook-ho.exchangeserverpro.net",
        site: "HeadOffice",
        connection: lab.connection,
      }),
  );
  const reg = regs[0] as Registration;
  const urn = urnOf("ClientAccessArray", "ho");
  return { reg, urn, checked: await host.check(urn, {}, reg.inputs) };
}

async function createFails(host: Host, reg: Registration): Promise<string> {
  const urn = urnOf("MailboxDatabaseRpcSetting", reg.name);
  const checked = await host.check(urn, {}, reg.inputs);
  const error = await host.create(urn, checked.inputs).then(
    () => "",
    (e: Error) => e.message,
  );
  expect(error).not.toBe("");
  return error;
}

describe("faults", () => {
  it("pwsh killed in the middle of a command (over SSH: the remote session drops): a clear error, then a fresh session, and a read that tells the truth", async ({
    lab,
    freshHost: host,
  }) => {
    await lab.pwsh("Add-ExchangeLabFault -Command Set-MailboxDatabase -Kind Exit -Times 1 | Out-Null");
    const reg = await declareDatabase("MB-HO-01", "HO-EX2010-MB2", lab.connection);
    const first = await warmSession(host, reg);
    // Locally the pwsh running the command dies; over a remote session the remote one does, and
    // the session drops under the local pwsh (the "remote session drops" fault).
    expect(await createFails(host, reg)).toMatch(
      lab.connection.kind === "lab"
        ? /PowerShell exited while running Set-MailboxDatabase 'MB-HO-0\d'; the next operation starts a new session/
        : /Set-MailboxDatabase 'MB-HO-0\d' failed: .*\(PSRemotingTransportException\)/,
    );
    expect(await labValue(lab, "MB-HO-01")).toBe("HO-EX2010-MB1.exchangeserverpro.net");
    const state = await create(host, reg);
    expect(state.outputs.rpcClientAccessServer).toBe("HO-EX2010-MB2.exchangeserverpro.net");
    const now = pwshChildren(host.child.pid ?? 0);
    expect(now).toHaveLength(1);
    expect(now).not.toEqual(first);
  });

  it("a session that hangs past its timeout: the operation fails saying so, the next one works", async ({
    lab,
    freshHost: host,
  }) => {
    await lab.pwsh("Add-ExchangeLabFault -Command Set-MailboxDatabase -Kind Hang -Times 1 | Out-Null");
    const connection = { ...lab.connection, commandTimeoutSeconds: 4 } as Lab["connection"];
    const reg = await declareDatabase("MB-HO-02", "HO-EX2010-MB2", connection);
    expect(await createFails(host, reg)).toMatch(
      /Set-MailboxDatabase 'MB-HO-0\d' did not finish within 4 s; its PowerShell session was stopped/,
    );
    const state = await create(host, reg);
    expect(state.outputs.rpcClientAccessServer).toBe("HO-EX2010-MB2.exchangeserverpro.net");
    expect(await labValue(lab, "MB-HO-02")).toBe("HO-EX2010-MB2.exchangeserverpro.net");
  });

  it("Exchange's throttling error (18 concurrent shells): the message says so, and the next operation opens a fresh session", async ({
    lab,
    freshHost: host,
  }) => {
    await lab.pwsh("Add-ExchangeLabFault -Command New-ClientAccessArray -Kind Throttle -Times 1 | Out-Null");
    const { reg, urn, checked } = await checkArray(lab, host);
    const before = await warmSession(host, reg);
    await expect(host.create(urn, checked.inputs)).rejects.toThrow(
      /New-ClientAccessArray 'cas-headoffice' failed: This user is allowed a maximum of 18 concurrent shells, which has been exceeded/,
    );
    const created = await host.create(urn, checked.inputs);
    expect(created.properties.arrayName).toBe("cas-headoffice");
    const after = pwshChildren(host.child.pid ?? 0);
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
  });

  it("Exchange refusing the session itself (a 19th shell: PSSessionOpenFailed at open, not a command): one sentence saying so, and the next attempt opens a fresh session", async ({
    lab,
    freshHost: host,
  }) => {
    const { reg, urn, checked } = await checkArray(lab, host);
    // The host already has a session (check opened it); it drops, so the next command opens one.
    const before = await warmSession(host, reg);
    for (const pid of before) process.kill(pid, "SIGKILL");
    // Wait until the host has reaped it (then it knows the session is dead); bounded, never asserted on.
    for (let i = 0; i < 100 && pwshChildren(host.child.pid ?? 0).length > 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    await lab.pwsh("Add-ExchangeLabFault -Command * -Kind SessionOpen -Times 1 | Out-Null");
    const refused = await host.create(urn, checked.inputs).then(
      () => "created",
      (e: Error) => e.message,
    );
    expect(refused).toMatch(
      /(?:^|: )\S.* refused to open a session because this account already has the most concurrent shells Exchange allows \(18 per user by default\): close other Exchange Management Shell or remote PowerShell sessions of this account, or wait for idle ones to time out, then run again\.$/,
    );
    // The refused session's pwsh is ended; wait until the host has reaped it (bounded).
    for (let i = 0; i < 300 && pwshChildren(host.child.pid ?? 0).length > 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(pwshChildren(host.child.pid ?? 0)).toHaveLength(0);
    const created = await host.create(urn, checked.inputs);
    expect(created.properties.arrayName).toBe("cas-headoffice");
    expect(pwshChildren(host.child.pid ?? 0)).toHaveLength(1);
  });

  // The provider's own handling of an Exchange error (a read that tells the truth, an apply
  // reported per resource that converges): local only, as the error crosses the wire like any
  // other (the tests above, and shell/batch.test.ts, prove Exchange's errors over SSH).
  localOnly(() => {
    it("an Exchange error on a write: the read afterwards reports the value Exchange really has", async ({
      lab,
      host,
    }) => {
      const reg = await declareDatabase("MB-HO-03", "HO-EX2010-MB2", lab.connection);
      const state = await create(host, reg);
      await lab.pwsh("Add-ExchangeLabFault -Command Set-MailboxDatabase -Kind Error -Times 1 | Out-Null");
      const moved = await declareDatabase("MB-HO-03", "HO-EX2010-MB1", lab.connection);
      const checked = await host.check(state.urn, state.inputs, moved.inputs);
      await expect(host.update(state.id, state.urn, state.outputs, checked.inputs)).rejects.toThrow(
        /Set-MailboxDatabase 'MB-HO-0\d' failed: .*not available/,
      );
      const refreshed = await refresh(host, state);
      expect(refreshed?.outputs.rpcClientAccessServer).toBe("HO-EX2010-MB2.exchangeserverpro.net");
    });

    it("a site apply whose third database fails is reported per resource, and applying again converges with nothing duplicated or lost", async ({
      lab,
      host,
    }) => {
      const declare = () =>
        register(async (lib) => {
          const site = new lib.CasArraySite("headoffice", {
            site: "HeadOffice",
            arrayName: "cas-headoffice",
            fqdn: "outlook-ho.exchangeserverpro.net",
            dns: { zone: "exchangeserverpro.net", server: "DC01", addresses: ["10.1.0.100"] },
            connection: lab.connection,
          });
          await settleSite(site);
          return [];
        });
      const state = new Map<string, Applied>();
      const regs = await declare();
      const dbs = regs.filter((r) => r.name.includes("-mb-")).sort((a, b) => a.name.localeCompare(b.name));
      const others = regs.filter((r) => !r.name.includes("-mb-"));
      const outcome1 = await applyAll(host, [...others, ...dbs.slice(0, 2)], state, true);
      // The first two Set-MailboxDatabase calls went through; the third meets an AD error.
      await lab.pwsh("Add-ExchangeLabFault -Command Set-MailboxDatabase -Kind Error -Times 1 | Out-Null");
      const outcome2 = await applyAll(host, [dbs[2] as Registration], state, true);
      expect(outcome1.failed).toEqual([]);
      expect(outcome1.created).toEqual([
        "headoffice-array",
        "headoffice-claim",
        "headoffice-dns",
        "headoffice-mb-ho-01",
        "headoffice-mb-ho-02",
      ]);
      expect(outcome2.failed).toHaveLength(1);
      expect(outcome2.failed[0]?.name).toBe("headoffice-mb-ho-03");
      expect(outcome2.failed[0]?.error).toMatch(/Set-MailboxDatabase 'MB-HO-0\d' failed/);
      expect(await labValue(lab, "MB-HO-03")).toBe("HO-EX2010-MB1.exchangeserverpro.net");

      const again = await applyAll(host, await declare(), state);
      expect(again.failed).toEqual([]);
      expect(again.created).toEqual(["headoffice-mb-ho-03"]);
      expect(again.unchanged).toEqual([
        "headoffice-array",
        "headoffice-claim",
        "headoffice-dns",
        "headoffice-mb-ho-01",
        "headoffice-mb-ho-02",
      ]);
      expect(await lab.json<unknown[]>("Get-ClientAccessArray")).toHaveLength(1);
      expect(
        await lab.json<string[]>(
          "Get-DnsServerResourceRecord -ZoneName exchangeserverpro.net -Name outlook-ho -Node -RRType A -ComputerName DC01 | ForEach-Object { [string]$_.RecordData.IPv4Address }",
        ),
      ).toEqual(["10.1.0.100"]);
      for (const db of ["MB-HO-01", "MB-HO-02", "MB-HO-03"])
        expect(await labValue(lab, db)).toBe("outlook-ho.exchangeserverpro.net");
      // Three site applies and a preview's worth of Exchange reads: about a minute idle, over three on a loaded 2-CPU machine.
    });
  });
});
