// StaticRpcPorts after its first apply, through the real dynamic-provider host: what each server
// had before is what a destroy gives back (recorded first, never overwritten; static ports
// included), a service that restarts on the wrong port stops the roll, the static-port procedure
// never empties an existing ParametersSystem key, and a server that cannot be reached blocks
// only what needs it.
import { describe, expect } from "vitest";
import { create, refresh, up } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { urnOf } from "../support/host";
import type { Lab } from "../support/lab";

const RPC_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeRPC\\ParametersSystem";
const AB_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeAB\\Parameters";
const KEPT_KEY = "HKLM:\\SOFTWARE\\exchange-cas";
const PORTS = { rpcClientAccess: 59532, addressBook: 59533 };

async function declare(lab: Lab, args: Record<string, unknown> = {}): Promise<Registration> {
  const regs = await register(
    (lib) =>
      new lib.StaticRpcPorts("ho-ports", {
        site: "HeadOffice",
        ...PORTS,
        ...args,
        connection: lab.connection,
      } as never),
  );
  const reg = regs[0];
  if (reg === undefined) throw new Error("no registration");
  return reg;
}

interface Console {
  Name: string;
  Rpc: { Kind: string; Value: number | string } | null;
  Ab: { Kind: string; Value: number | string } | null;
  RpcPorts: number[];
  AbPorts: number[];
  Enforcement: { Kind: string; Value: number } | null;
  Kept: string[];
}

/** Each HeadOffice server's Windows side as the admin at its console sees it. */
async function consoles(lab: Lab): Promise<Record<string, Console>> {
  const rows = await lab.json<Console[]>(
    `foreach ($n in 'HO-EX2010-MB1', 'HO-EX2010-MB2') { $w = Get-ExchangeLabServerWindows -Server $n; $k = $w.Registry.'${KEPT_KEY}'; [pscustomobject]@{ Name = $n; Rpc = $w.Registry.'${RPC_KEY}'.'TCP/IP Port'; Ab = $w.Registry.'${AB_KEY}'.RpcTcpPort; RpcPorts = @($w.Services.MSExchangeRPC.ListeningPorts); AbPorts = @($w.Services.MSExchangeAB.ListeningPorts); Enforcement = $w.Registry.'${RPC_KEY}'.EnablePreferredSiteEnforcement; Kept = @(if ($null -ne $k) { $k.PSObject.Properties | ForEach-Object { $_.Name } }) } }`,
  );
  return Object.fromEntries(rows.map((r) => [r.Name, r]));
}

/** A server that was on static ports before the stack: what the admin did with the guides' procedure. */
async function staticAtConsole(lab: Lab, server: string, rpc: number, ab: number): Promise<void> {
  await lab.pwsh(
    `Set-ExchangeLabRegistryValue ${server} -Path '${RPC_KEY}' -Name 'TCP/IP Port' -Kind DWord -Value ${rpc}; Set-ExchangeLabRegistryValue ${server} -Path '${AB_KEY}' -Name RpcTcpPort -Kind String -Value '${ab}'; $null = Restart-ExchangeLabService ${server} MSExchangeRPC, MSExchangeAB`,
  );
}

describe("what a destroy gives back", () => {
  it("the ports each server had when the stack first saw it, whatever a refresh or an update read since", async ({
    lab,
    host,
  }) => {
    // MB2 had the declared ports already (set by hand): the stack does not touch it, and nothing
    // is kept on it; what state recorded first is all there is to give back.
    await staticAtConsole(lab, "HO-EX2010-MB2", 59532, 59533);
    const state = await create(host, await declare(lab));
    // Somebody moves MB2 at its console; a refresh reads that, the next update repairs it.
    await staticAtConsole(lab, "HO-EX2010-MB2", 59000, 59001);
    const refreshed = await refresh(host, state);
    if (refreshed === undefined) throw new Error("the ports vanished on refresh");
    const { state: moved, changed } = await up(
      host,
      refreshed,
      await declare(lab, { rpcClientAccess: 59540, addressBook: 59541 }),
    );
    expect(changed).toBe(true);
    expect(moved.outputs.previous).toEqual([
      { server: "HO-EX2010-MB1", rpcClientAccess: null, addressBook: null },
      { server: "HO-EX2010-MB2", rpcClientAccess: 59532, addressBook: 59533 },
    ]);
    await host.delete(moved.id, moved.urn, moved.outputs);
    const after = await consoles(lab);
    expect(after["HO-EX2010-MB1"]).toMatchObject({ Rpc: null, Ab: null, Kept: [] });
    expect(after["HO-EX2010-MB2"]).toMatchObject({
      Rpc: { Kind: "DWord", Value: 59532 },
      Ab: { Kind: "String", Value: "59533" },
      Kept: [],
    });
    expect(after["HO-EX2010-MB2"]?.RpcPorts).toContain(59532);
  });

  it("static ports included: a server that was on its own static ports gets them back, the other its dynamic ones", async ({
    lab,
    host,
  }) => {
    await staticAtConsole(lab, "HO-EX2010-MB2", 59000, 59001);
    const state = await create(host, await declare(lab));
    expect((await consoles(lab))["HO-EX2010-MB2"]?.RpcPorts).toContain(59532);
    await host.delete(state.id, state.urn, state.outputs);
    const after = await consoles(lab);
    expect(after["HO-EX2010-MB2"]).toMatchObject({
      Rpc: { Kind: "DWord", Value: 59000 },
      Ab: { Kind: "String", Value: "59001" },
      Kept: [],
    });
    expect(after["HO-EX2010-MB2"]?.RpcPorts).toContain(59000);
    expect(after["HO-EX2010-MB2"]?.AbPorts).toContain(59001);
    expect(after["HO-EX2010-MB1"]).toMatchObject({ Rpc: null, Ab: null, Kept: [] });
  });
});

describe("the roll", () => {
  it("stops at a server whose services restart without an error but do not listen on the new ports, before the next is touched", async ({
    lab,
    host,
  }) => {
    await lab.pwsh("Add-ExchangeLabServiceFault HO-EX2010-MB1 MSExchangeRPC -Kind IgnorePort");
    const reg = await declare(lab);
    const urn = urnOf("StaticRpcPorts", "ho-ports");
    const checked = await host.check(urn, {}, reg.inputs);
    expect(checked.failures).toEqual([]);
    await expect(host.create(urn, checked.inputs)).rejects.toThrow(
      /HO-EX2010-MB1 was changed and its services restarted, but it is not as declared: MSExchangeRPC still listens on [\d, ]+, not 59532 \(it has not restarted since the value was set\)\. Look at MSExchangeRPC and MSExchangeAB on HO-EX2010-MB1 before the other servers are changed\. HO-EX2010-MB2 was not touched\./,
    );
    expect((await consoles(lab))["HO-EX2010-MB2"]).toMatchObject({ Rpc: null, Ab: null, Kept: [] });
  });

  it("creates the ParametersSystem key only when it is missing: the other values in it survive", async ({
    lab,
    host,
  }) => {
    await lab.pwsh(
      `Set-ExchangeLabRegistryValue HO-EX2010-MB1 -Path '${RPC_KEY}' -Name EnablePreferredSiteEnforcement -Kind DWord -Value 1`,
    );
    const state = await create(host, await declare(lab));
    expect((await consoles(lab))["HO-EX2010-MB1"]).toMatchObject({
      Rpc: { Kind: "DWord", Value: 59532 },
      Enforcement: { Kind: "DWord", Value: 1 },
    });
    await host.delete(state.id, state.urn, state.outputs);
    expect((await consoles(lab))["HO-EX2010-MB1"]).toMatchObject({
      Rpc: null,
      Enforcement: { Kind: "DWord", Value: 1 },
    });
  });

  it("keeps what each server had on the server itself before changing it, and forgets it once given back", async ({
    lab,
    host,
  }) => {
    const state = await create(host, await declare(lab));
    const kept = await lab.json<{ Rpc: number; Ab: number }[]>(
      `$k = (Get-ExchangeLabServerWindows HO-EX2010-MB1).Registry.'${KEPT_KEY}'; [pscustomobject]@{ Rpc = $k.RpcClientAccessPortBefore.Value; Ab = $k.AddressBookPortBefore.Value }`,
    );
    expect(kept).toEqual([{ Rpc: 0, Ab: 0 }]);
    await host.delete(state.id, state.urn, state.outputs);
    for (const c of Object.values(await consoles(lab))) expect(c.Kept).toEqual([]);
  });
});

describe("a server that cannot be reached", () => {
  it("keeps its last known state on refresh, and an update of the others goes ahead", async ({ lab, host }) => {
    const state = await create(host, await declare(lab));
    await lab.pwsh("$null = Set-ExchangeLabServerWindows HO-EX2010-MB2 -Remoting Unreachable");
    const { result: refreshed, printed } = await host.printedBy(() => refresh(host, state));
    expect(printed).toMatch(
      /Static RPC ports of site HeadOffice: HO-EX2010-MB2 cannot be reached \(.*WinRM cannot complete the operation.*\), so its ports keep their last known state \(TCP\/IP Port 59532, RpcTcpPort 59533, as last read\)/,
    );
    const servers = refreshed?.outputs.servers as { server: string; inSync: boolean; unreachable?: string }[];
    expect(servers.map((s) => [s.server, s.inSync, s.unreachable === undefined])).toEqual([
      ["HO-EX2010-MB1", true, true],
      ["HO-EX2010-MB2", true, false],
    ]);
    expect(refreshed?.outputs.previous).toEqual(state.outputs.previous);
    if (refreshed === undefined) throw new Error("the ports vanished on refresh");

    // MB1 drifted at its console: the next up puts it back, and leaves MB2 to when it answers.
    await staticAtConsole(lab, "HO-EX2010-MB1", 59999, 59998);
    const {
      result: { state: repaired, changed },
      printed: repair,
    } = await host.printedBy(async () => up(host, refreshed, await declare(lab)));
    expect(changed).toBe(true);
    expect(repair).toMatch(/server 1 of 1, HO-EX2010-MB1 /);
    // What a finished apply left kept on the servers is no interrupted run.
    expect(repair).not.toMatch(/did not finish/);
    expect((await consoles(lab))["HO-EX2010-MB1"]?.RpcPorts).toContain(59532);
    const after = repaired.outputs.servers as { server: string; unreachable?: string }[];
    expect(after.map((s) => [s.server, s.unreachable === undefined])).toEqual([
      ["HO-EX2010-MB1", true],
      ["HO-EX2010-MB2", false],
    ]);
  });

  it("fails a destroy until it answers, after giving back every server that does; then the destroy completes", async ({
    lab,
    host,
  }) => {
    const state = await create(host, await declare(lab));
    await lab.pwsh("$null = Set-ExchangeLabServerWindows HO-EX2010-MB2 -Remoting Unreachable");
    await expect(host.delete(state.id, state.urn, state.outputs)).rejects.toThrow(
      /Static RPC ports of site HeadOffice: HO-EX2010-MB2 cannot be reached \(.*\), so it could not be given back TCP\/IP Port dynamic, RpcTcpPort dynamic\. HO-EX2010-MB1 was put back\. Run the destroy again once it answers; to leave its ports as they are instead, set onDelete: "retain" and run 'pulumi up' first\./,
    );
    expect((await consoles(lab))["HO-EX2010-MB1"]).toMatchObject({ Rpc: null, Kept: [] });
    await lab.pwsh("$null = Set-ExchangeLabServerWindows HO-EX2010-MB2 -Remoting Enabled");
    await host.delete(state.id, state.urn, state.outputs);
    expect((await consoles(lab))["HO-EX2010-MB2"]).toMatchObject({ Rpc: null, Ab: null, Kept: [] });
  });
});
