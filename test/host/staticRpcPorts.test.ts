// StaticRpcPorts through the real dynamic-provider host, against the lab's emulated servers (their
// registry and services, reached with Invoke-Command -ComputerName as over WinRM; over SSH from
// the jump host): the same two static RPC ports on every Client Access server of HeadOffice.
import { describe, expect } from "vitest";
import { create, refresh, up, type Applied } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { urnOf, type Host } from "../support/host";
import type { Lab } from "../support/lab";

const RPC_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeRPC\\ParametersSystem";
const AB_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeAB\\Parameters";
const PORTS = { rpcClientAccess: 59532, addressBook: 59533 };

async function declare(lab: Lab, args: Record<string, unknown>, name = "ho-ports"): Promise<Registration> {
  const regs = await register(
    (lib) =>
      new lib.StaticRpcPorts(name, { site: "HeadOffice", ...PORTS, ...args, connection: lab.connection } as never),
  );
  const reg = regs[0];
  if (reg === undefined) throw new Error("no registration");
  return reg;
}

interface Console {
  RpcValue: { Kind: string; Value: number | string } | null;
  AbValue: { Kind: string; Value: number | string } | null;
  RpcPorts: number[];
  AbPorts: number[];
  RpcPid: number;
  Sessions: number;
}

/** Every server's Windows side as the admin at its console sees it, in one look. */
async function consoles(lab: Lab): Promise<Record<string, Console>> {
  const rows = await lab.json<(Console & { Name: string })[]>(
    `foreach ($n in 'HO-EX2010-MB1', 'HO-EX2010-MB2', 'BR-EX2010-MB') { $w = Get-ExchangeLabServerWindows -Server $n; [pscustomobject]@{ Name = $n; RpcValue = $w.Registry.'${RPC_KEY}'.'TCP/IP Port'; AbValue = $w.Registry.'${AB_KEY}'.RpcTcpPort; RpcPorts = @($w.Services.MSExchangeRPC.ListeningPorts); AbPorts = @($w.Services.MSExchangeAB.ListeningPorts); RpcPid = $w.Services.MSExchangeRPC.ProcessId; Sessions = $w.OutlookSessions } }`,
  );
  return Object.fromEntries(rows.map((r) => [r.Name, r]));
}

/** One server's Windows side. */
async function server(lab: Lab, name: string): Promise<Console> {
  const c = (await consoles(lab))[name];
  if (c === undefined) throw new Error(`no server ${name}`);
  return c;
}

interface ServerOut {
  server: string;
  inSync: boolean;
  rpcClientAccess: { configured: number | null; kind: string; listening: number[] };
  addressBook: { configured: number | null; kind: string; listening: number[] };
  outlookSessions?: number;
}

describe("StaticRpcPorts through the dynamic-provider host", () => {
  it("says at preview which servers restart, one at a time, with their Outlook sessions; then sets both ports on every CAS of the site", async ({
    lab,
    host,
  }) => {
    const reg = await declare(lab, {});
    const urn = urnOf("StaticRpcPorts", "ho-ports");
    const { result: checked, printed: log } = await host.printedBy(() => host.check(urn, {}, reg.inputs));
    expect(checked.failures).toEqual([]);
    expect(log).toMatch(
      /Static RPC ports of site HeadOffice, server 1 of 2, HO-EX2010-MB1 \(TCP\/IP Port is not set \(dynamic\); RpcTcpPort is not set \(dynamic\)\): TCP\/IP Port will be set to 59532 \(REG_DWORD\) and RpcTcpPort to '59533' \(REG_SZ\), then MSExchangeRPC and MSExchangeAB restart, dropping its 4 Outlook sessions .* Servers restart one at a time: HO-EX2010-MB2 only once HO-EX2010-MB1 listens on the new ports\./,
    );
    expect(log).toMatch(/server 2 of 2, HO-EX2010-MB2 .*dropping its 2 Outlook sessions/);
    // The preview changed nothing.
    expect((await server(lab, "HO-EX2010-MB1")).RpcValue).toBeNull();

    const created = await host.create(urn, checked.inputs);
    expect(created.id).toBe("HeadOffice");
    const servers = created.properties.servers as ServerOut[];
    expect(servers.map((s) => [s.server, s.inSync, s.rpcClientAccess.configured, s.addressBook.configured])).toEqual([
      ["HO-EX2010-MB1", true, 59532, 59533],
      ["HO-EX2010-MB2", true, 59532, 59533],
    ]);
    for (const s of servers) {
      expect(s.rpcClientAccess.listening).toContain(59532);
      expect(s.addressBook.listening).toContain(59533);
    }
    expect(created.properties.loadBalancer).toEqual({
      protocol: "TCP",
      ports: [135, 59532, 59533],
      affinity: expect.stringMatching(/client IP/),
    });
    const after = await consoles(lab);
    for (const name of ["HO-EX2010-MB1", "HO-EX2010-MB2"]) {
      const c = after[name] as Console;
      expect(c.RpcValue).toEqual({ Kind: "DWord", Value: 59532 });
      expect(c.AbValue).toEqual({ Kind: "String", Value: "59533" });
      expect(c.RpcPorts).toContain(59532);
      expect(c.AbPorts).toContain(59533);
      expect(c.Sessions).toBe(0);
    }
    // The branch office's server is not the site's: untouched.
    expect(after["BR-EX2010-MB"]?.RpcValue).toBeNull();
  });

  it("a second apply changes nothing and restarts nothing", async ({ lab, host }) => {
    const reg = await declare(lab, {});
    const state = await create(host, reg);
    const pid = (await server(lab, "HO-EX2010-MB1")).RpcPid;
    const { changed } = await up(host, state, reg);
    expect(changed).toBe(false);
    expect((await server(lab, "HO-EX2010-MB1")).RpcPid).toBe(pid);
  });

  it("stops after the first server whose service does not come back on its port, and says the next was not touched", async ({
    lab,
    host,
  }) => {
    await lab.pwsh("Add-ExchangeLabServiceFault -Server HO-EX2010-MB1 -Name MSExchangeAB");
    const reg = await declare(lab, {});
    const urn = urnOf("StaticRpcPorts", "ho-ports");
    const checked = await host.check(urn, {}, reg.inputs);
    await expect(host.create(urn, checked.inputs)).rejects.toThrow(/HO-EX2010-MB1.*HO-EX2010-MB2 was not touched/s);
    const mb2 = await server(lab, "HO-EX2010-MB2");
    expect(mb2.RpcValue).toBeNull();
    expect(mb2.Sessions).toBe(2);
  });

  it("refuses at preview a site with a server that PowerShell remoting cannot reach, changing no server", async ({
    lab,
    host,
  }) => {
    await lab.pwsh("Set-ExchangeLabServerWindows -Server HO-EX2010-MB2 -Remoting Disabled");
    const reg = await declare(lab, {});
    const checked = await host.check(urnOf("StaticRpcPorts", "ho-ports"), {}, reg.inputs);
    expect(checked.failures).toHaveLength(1);
    expect(checked.failures[0]?.property).toBe("site");
    expect(checked.failures[0]?.reason).toMatch(
      /HO-EX2010-MB2: .*The client cannot connect to the destination specified in the request/,
    );
    expect(checked.failures[0]?.reason).toMatch(/Enable-PSRemoting.*no server was changed/);
    expect((await server(lab, "HO-EX2010-MB1")).RpcValue).toBeNull();
  });

  it("refuses a site whose Client Access servers are not all Exchange 2010 SP1 or later (2013+, RTM)", async ({
    lab,
    host,
  }) => {
    await lab.pwsh("Update-ExchangeLabServer -Server HO-EX2010-MB2 -AdminDisplayVersion 'Version 15.0 (Build 1497.2)'");
    const reg = await declare(lab, {});
    const checked = await host.check(urnOf("StaticRpcPorts", "ho-ports"), {}, reg.inputs);
    expect(checked.failures.map((f) => f.reason).join(" ")).toMatch(
      /HO-EX2010-MB2 runs Exchange 2013 or later \(Version 15\.0 \(Build 1497\.2\)\)/,
    );
    await lab.pwsh("Update-ExchangeLabServer -Server HO-EX2010-MB2 -AdminDisplayVersion 'Version 14.0 (Build 639.21)'");
    const rtm = await host.check(urnOf("StaticRpcPorts", "ho-ports"), {}, reg.inputs);
    expect(rtm.failures.map((f) => f.reason).join(" ")).toMatch(
      /HO-EX2010-MB2 runs Exchange 2010 RTM .*install Service Pack 1 or later first/,
    );
  });

  it("refuses equal ports and ports below 1024, and warns outside 59531-60554", async ({ lab, host }) => {
    const urn = urnOf("StaticRpcPorts", "ho-ports");
    const same = await host.check(urn, {}, (await declare(lab, { addressBook: 59532 })).inputs);
    expect(same.failures).toEqual([
      {
        property: "addressBook",
        reason:
          "rpcClientAccess and addressBook must be two different ports (both are 59532): each service listens on its own.",
      },
    ]);
    const low = await host.check(urn, {}, (await declare(lab, { rpcClientAccess: 135 })).inputs);
    expect(low.failures[0]).toMatchObject({
      property: "rpcClientAccess",
      reason: expect.stringMatching(/from 1024 to 65535/),
    });
    const outsideReg = await declare(lab, { rpcClientAccess: 6001, addressBook: 6002 });
    const { result: outside, printed } = await host.printedBy(() => host.check(urn, {}, outsideReg.inputs));
    expect(outside.failures).toEqual([]);
    expect(printed).toMatch(/Address Book port 6002 is outside 59531-60554/);
    expect(printed).toMatch(/RPC Client Access port 6001 is outside 59531-60554/);
  });

  describe("drift", () => {
    async function applied(lab: Lab, host: Host): Promise<{ reg: Registration; state: Applied }> {
      const reg = await declare(lab, {});
      return { reg, state: await create(host, reg) };
    }

    it("a TCP/IP Port of the wrong type (REG_SZ) shows as drift at refresh and is written back as REG_DWORD", async ({
      lab,
      host,
    }) => {
      const { reg, state } = await applied(lab, host);
      await lab.pwsh(
        `Set-ExchangeLabRegistryValue -Server HO-EX2010-MB2 -Path '${RPC_KEY}' -Name 'TCP/IP Port' -Kind String -Value '59532'; Restart-ExchangeLabService -Server HO-EX2010-MB2 -Name MSExchangeRPC`,
      );
      const refreshed = await refresh(host, state);
      const mb2 = (refreshed?.outputs.servers as ServerOut[]).find((s) => s.server === "HO-EX2010-MB2");
      expect(mb2).toMatchObject({ inSync: false, rpcClientAccess: { configured: null, kind: "String" } });
      const {
        result: { changed },
        printed,
      } = await host.printedBy(() => up(host, refreshed as Applied, reg));
      expect(changed).toBe(true);
      expect(printed).toMatch(/HO-EX2010-MB2 \(TCP\/IP Port is a REG_SZ '59532', a type MSExchangeRPC does not read/);
      const fixed = await server(lab, "HO-EX2010-MB2");
      expect(fixed.RpcValue).toEqual({ Kind: "DWord", Value: 59532 });
      expect(fixed.RpcPorts).toContain(59532);
    });

    it("an Address Book value an upgrade lost shows as drift, even without a refresh, and is put back", async ({
      lab,
      host,
    }) => {
      const { reg, state } = await applied(lab, host);
      const mb1Pid = (await server(lab, "HO-EX2010-MB1")).RpcPid;
      await lab.pwsh(
        `Set-ExchangeLabRegistryValue -Server HO-EX2010-MB2 -Path '${AB_KEY}' -Name RpcTcpPort -Remove; Restart-ExchangeLabService -Server HO-EX2010-MB2 -Name MSExchangeAB`,
      );
      const {
        result: { changed },
        printed,
      } = await host.printedBy(() => up(host, state, reg));
      expect(changed).toBe(true);
      expect(printed).toMatch(/HO-EX2010-MB2 \(RpcTcpPort is not set \(dynamic\)\)/);
      const after = await consoles(lab);
      expect(after["HO-EX2010-MB2"]?.AbValue).toEqual({ Kind: "String", Value: "59533" });
      // Only the drifted server restarted.
      expect(after["HO-EX2010-MB1"]?.RpcPid).toBe(mb1Pid);
    });

    it("a value set by hand without a restart shows the service still on its old port", async ({ lab, host }) => {
      const { reg, state } = await applied(lab, host);
      await lab.pwsh(
        `Set-ExchangeLabRegistryValue -Server HO-EX2010-MB1 -Path '${RPC_KEY}' -Name 'TCP/IP Port' -Kind DWord -Value 59540; Restart-ExchangeLabService -Server HO-EX2010-MB1 -Name MSExchangeRPC; Set-ExchangeLabRegistryValue -Server HO-EX2010-MB1 -Path '${RPC_KEY}' -Name 'TCP/IP Port' -Kind DWord -Value 59532`,
      );
      const checked = await host.check(state.urn, state.inputs, reg.inputs);
      const { result: diff, printed } = await host.printedBy(() =>
        host.diff(state.id, state.urn, state.outputs, checked.inputs),
      );
      expect(diff.changes).toBe("some");
      expect(printed).toMatch(
        /MSExchangeRPC still listens on [\d, ]*59540[\d, ]*, not 59532 \(it has not restarted since the value was set\)/,
      );
    });
  });

  it("delete puts every server back to dynamic ports, restarting each", async ({ lab, host }) => {
    const state = await create(host, await declare(lab, {}));
    await host.delete(state.id, state.urn, state.outputs);
    const after = await consoles(lab);
    for (const name of ["HO-EX2010-MB1", "HO-EX2010-MB2"]) {
      const c = after[name] as Console;
      expect(c.RpcValue).toBeNull();
      expect(c.AbValue).toBeNull();
      expect(c.RpcPorts).not.toContain(59532);
      expect(c.AbPorts).not.toContain(59533);
    }
  });

  it("onDelete retain leaves the ports", async ({ lab, host }) => {
    const state = await create(host, await declare(lab, { onDelete: "retain" }));
    await host.delete(state.id, state.urn, state.outputs);
    expect((await server(lab, "HO-EX2010-MB1")).RpcValue).toEqual({ Kind: "DWord", Value: 59532 });
  });
});
