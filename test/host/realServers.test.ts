// The first run against a real organisation, through the real dynamic-provider host: what a real
// controller and real Windows Server 2008 R2 Client Access servers do that the lab used to smooth
// over, and the sentence the provider says for each.
// - The controller: pwsh on Linux/macOS has no WSMan client (this machine's own pwsh, for real).
// - The servers: remoting off unless enabled, no MSExchangeRPC\ParametersSystem key yet, netstat in
//   the server's language, and the second hop from an SSH jump host.
import { describe, expect } from "vitest";
import { register, type Registration } from "../support/contract";
import { labTest as it, SHARED_HOST_ENV } from "../support/fixtures";
import { Host, urnOf } from "../support/host";
import { createLab, type JsonObject, type Lab } from "../support/lab";
import { pswsmanStandIn } from "../support/pswsman";
import { resultOf, runPwsh } from "../support/pwsh";

const PORTS = { rpcClientAccess: 59532, addressBook: 59533 };
const RPC_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeRPC\\ParametersSystem";
const MB2 = "HO-EX2010-MB2.exchangeserverpro.net";
/** What the provider must say when this machine has no WSMan client: the three ways that work. */
const NO_WSMAN =
  /This machine's PowerShell \(pwsh 7(\.[\d.]+)? on Linux\) has no working WSMan client, so it cannot open .*: run Pulumi on Windows, reach Exchange through a Windows jump host \(a 'kind: ssh' connection\), or install the PSWSMan module for this pwsh \(Install-Module PSWSMan\)/;

async function declarePorts(connection: unknown, serverConnection?: unknown): Promise<Registration> {
  const regs = await register(
    (lib) =>
      new lib.StaticRpcPorts("ho-ports", {
        site: "HeadOffice",
        ...PORTS,
        connection,
        ...(serverConnection ? { serverConnection } : {}),
      } as never),
  );
  const reg = regs[0];
  if (reg === undefined) throw new Error("no registration");
  return reg;
}

const URN = urnOf("StaticRpcPorts", "ho-ports");

/** The reasons StaticRpcPorts' check gives (the preview's refusal), joined. */
async function refusal(host: Host, connection: unknown, serverConnection?: unknown): Promise<string> {
  const checked = await host.check(URN, {}, (await declarePorts(connection, serverConnection)).inputs);
  expect(checked.failures.length).toBeGreaterThan(0);
  return checked.failures.map((f) => f.reason).join(" ");
}

function serverOf(state: JsonObject, name: string): JsonObject {
  const found = (state.servers as JsonObject[]).find((s) => s.Name === name);
  if (found === undefined) throw new Error(`no server ${name}`);
  return found;
}

/** A server's registry key as the admin at its console sees it (value name -> Kind, Value). */
async function keyValues(lab: Lab, server: string, key: string): Promise<Record<string, unknown> | null> {
  const [values] = await lab.json<(Record<string, unknown> | null)[]>(
    `$p = (Get-ExchangeLabServerWindows -Server '${server}').Registry.PSObject.Properties['${key}']; if ($null -eq $p) { $null } else { $r = [ordered]@{}; foreach ($v in $p.Value.PSObject.Properties) { $r[$v.Name] = $v.Value }; $r }`,
  );
  return values ?? null;
}

describe("the controller: pwsh on Linux and macOS has no WSMan client", () => {
  it("this machine's pwsh fails New-PSSession and Invoke-Command -ComputerName for want of WSMan (the behaviour the provider meets)", async () => {
    const run = await runPwsh(
      `$r = [ordered]@{}
       foreach ($pair in @(@('NewPSSession', { New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri 'http://127.0.0.1:9/PowerShell/' -ErrorAction Stop }),
                          @('InvokeCommand', { Microsoft.PowerShell.Core\\Invoke-Command -ComputerName 'cas1.contoso.com' -ScriptBlock { 1 } -ErrorAction Stop }))) {
         try { & $pair[1]; $r[$pair[0]] = 'connected' } catch { $r[$pair[0]] = $_.Exception.GetType().Name + ': ' + $_.Exception.Message }
       }
       Emit $r`,
      { importModule: false },
    );
    const said = resultOf<Record<string, string>>(run);
    for (const what of ["NewPSSession", "InvokeCommand"]) {
      expect(said[what]).toBe(
        "PSRemotingTransportException: This parameter set requires WSMan, and no supported WSMan client library was found. WSMan is either not installed or unavailable for this system.",
      );
    }
  });

  it("an exchange connection is refused when its session opens, with one sentence naming the three ways that work", async ({
    host,
  }) => {
    const regs = await register(
      (lib) =>
        new lib.ClientAccessArray("ho", {
          fqdn: "outlook-ho.exchangeserverpro.net",
          site: "HeadOffice",
          connection: lib.exchangeConnection("http://127.0.0.1:9/PowerShell/"),
        }),
    );
    const reg = regs[0];
    if (reg === undefined) throw new Error("no registration");
    const urn = urnOf("ClientAccessArray", "ho");
    const checked = await host.check(urn, {}, reg.inputs);
    const error = await host.create(urn, checked.inputs).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(NO_WSMAN);
    expect(error?.message).toMatch(/cannot open a remote session to Exchange at http:\/\/127\.0\.0\.1:9\/PowerShell\//);
    // Nothing about the endpoint or its settings: the fault is here.
    expect(error?.message).not.toMatch(/requires WSMan|check the connection settings/);
  });

  it("a winrm server connection is refused before any server is read, and never sends the admin to Enable-PSRemoting", async ({
    lab,
    host,
  }) => {
    const reason = await refusal(host, lab.connection, { kind: "winrm", authentication: "Kerberos" });
    expect(reason).toMatch(NO_WSMAN);
    expect(reason).toMatch(/cannot open PowerShell remoting \(WinRM\) to the Client Access servers/);
    expect(reason).toMatch(/^Static RPC ports of site HeadOffice: .* No server was changed\.$/);
    expect(reason).not.toMatch(/Enable-PSRemoting|HO-EX2010-MB/);
  });

  it("enables PSWSMan in its session when it is installed, and still blames this machine when WSMan then fails", async () => {
    // A PSWSMan 3 whose Enable-PSWSMan only notes it was called: the WSMan client is then still
    // missing, as with a PSWSMan that does not work on this system.
    const pswsman = pswsmanStandIn();
    const lab = createLab({ transport: "local" });
    const host = await Host.start({ ...SHARED_HOST_ENV, PSModulePath: pswsman.modulePath });
    try {
      await host.configure();
      const reason = await refusal(host, lab.connection, { kind: "winrm", authentication: "Kerberos" });
      expect(pswsman.enabled()).toBe(true);
      expect(reason).toMatch(NO_WSMAN);
      expect(reason).not.toMatch(/Enable-PSRemoting/);
    } finally {
      await host.stop();
      lab.remove();
      pswsman.remove();
    }
  });
});

describe("the servers: Windows Server 2008 R2 Client Access servers as they are", () => {
  it("refuses at preview a server whose remoting is off (2008 R2's default), naming it and the one command to run there", async ({
    lab,
    host,
  }) => {
    lab.reset((state) => {
      delete serverOf(state, "HO-EX2010-MB2").Windows;
    });
    const reason = await refusal(host, lab.connection);
    expect(reason).toMatch(
      new RegExp(
        `HO-EX2010-MB2: PowerShell remoting is off on ${MB2.replace(/\./g, "\\.")} \\(WinRM: The client cannot connect to the destination specified in the request`,
      ),
    );
    expect(reason).toMatch(
      new RegExp(`run 'Enable-PSRemoting -Force' in an elevated PowerShell on ${MB2.replace(/\./g, "\\.")}\\b`),
    );
    expect(reason).toMatch(/no server was changed\.$/);
    // Only MB2 is named: MB1 answered.
    expect(reason).not.toMatch(/HO-EX2010-MB1/);
  });

  it("creates MSExchangeRPC\\ParametersSystem where it is missing, and keeps what an existing one holds", async ({
    lab,
    host,
  }) => {
    lab.reset((state) => {
      const registry = (serverOf(state, "HO-EX2010-MB1").Windows as JsonObject).Registry as JsonObject;
      registry[RPC_KEY] = { EnablePreferredSiteEnforcement: { Kind: "DWord", Value: 0 } };
    });
    const reg = await declarePorts(lab.connection);
    const checked = await host.check(URN, {}, reg.inputs);
    expect(checked.failures).toEqual([]);
    await host.create(URN, checked.inputs);
    expect(await keyValues(lab, "HO-EX2010-MB1", RPC_KEY)).toEqual({
      EnablePreferredSiteEnforcement: { Kind: "DWord", Value: 0 },
      "TCP/IP Port": { Kind: "DWord", Value: 59532 },
    });
    expect(await keyValues(lab, "HO-EX2010-MB2", RPC_KEY)).toEqual({ "TCP/IP Port": { Kind: "DWord", Value: 59532 } });
  });

  it("reads the listening ports of a server whose netstat speaks German, so the apply completes in sync", async ({
    lab,
    host,
  }) => {
    lab.reset((state) => {
      (serverOf(state, "HO-EX2010-MB1").Windows as JsonObject).Culture = "de-DE";
    });
    const reg = await declarePorts(lab.connection);
    const checked = await host.check(URN, {}, reg.inputs);
    expect(checked.failures).toEqual([]);
    const created = await host.create(URN, checked.inputs);
    const servers = created.properties.servers as {
      server: string;
      inSync: boolean;
      rpcClientAccess: { listening: number[] };
      addressBook: { listening: number[] };
    }[];
    expect(servers.map((s) => [s.server, s.inSync, s.rpcClientAccess.listening, s.addressBook.listening])).toEqual([
      ["HO-EX2010-MB1", true, [59532], [59533]],
      ["HO-EX2010-MB2", true, [59532], [59533]],
    ]);
  });
});

describe("the second hop: servers reached from an SSH jump host", () => {
  it("says a jump host reached with an SSH key has no Kerberos ticket to hand on, and the two configurations that work", async ({
    host,
  }) => {
    const lab = createLab({ transport: "ssh" });
    try {
      const reason = await refusal(host, lab.connection);
      expect(reason).toMatch(
        new RegExp(
          `HO-EX2010-MB1: HO-EX2010-MB1\\.exchangeserverpro\\.net refused the jump host's logon \\([^)]+@127\\.0\\.0\\.1\\) \\(WinRM: Access is denied\\): this is the second hop, a jump host reached with an SSH key has no Kerberos ticket to hand on to the Client Access servers; run Pulumi on Windows with a 'kind: winrm' serverConnection, or give the jump host an account of its own for the servers`,
        ),
      );
      expect(reason).toMatch(/no server was changed\.$/);
    } finally {
      lab.remove();
    }
  });

  it("reaches the servers when the jump host has an account of its own for them", async ({ host }) => {
    const lab = createLab({ transport: "ssh", jumpHostAccount: true });
    try {
      const checked = await host.check(URN, {}, (await declarePorts(lab.connection)).inputs);
      expect(checked.failures).toEqual([]);
    } finally {
      lab.remove();
    }
  });
});
