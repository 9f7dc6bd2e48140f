// What a real Windows Server 2008 R2 Client Access server does that the lab used to smooth over, so
// the first run against a real organisation meets nothing the tests never met: remoting off unless
// someone enabled it, no MSExchangeRPC\ParametersSystem key until Microsoft's procedure creates it
// (and New-Item -Force on an existing key wipes it), netstat in the server's language, and the
// second hop from a jump host whose logon has no credentials to hand on. Each through the lab's
// Invoke-Command -ComputerName with the REAL provider/ps/server/StaticRpcPorts.ps1, sent as the
// provider sends it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LabBatch, type JsonObject } from "../support/lab";
import { ROOT } from "../support/paths";
import { psq } from "../support/pwsh";

const scriptText = readFileSync(join(ROOT, "provider", "ps", "server", "StaticRpcPorts.ps1"), "utf8");
const MB1 = "HO-EX2010-MB1.exchangeserverpro.net";
const MB2 = "HO-EX2010-MB2.exchangeserverpro.net";
const RPC_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeRPC\\ParametersSystem";
const AB_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeAB\\Parameters";

/** The provider's call (windows/rpcPorts.ts through ExcasServer): the script as text, its arguments, -ErrorAction Stop. */
const call = (server: string, action: string, rpc: number, ab: number, extra = ""): string =>
  `Invoke-Command -ComputerName ${psq(server)} -ScriptBlock ([scriptblock]::Create(${psq(scriptText)})) -ArgumentList ${psq(action)}, ${rpc}, ${ab}${extra} -ErrorAction Stop`;

/** A command run on a lab server as over WinRM. */
const onServer = (server: string, script: string): string =>
  `Invoke-Command -ComputerName ${psq(server)} -ScriptBlock { ${script} } -ErrorAction Stop`;

const prelude = `
function Get-Reading { param($r) [ordered]@{ RpcKind = $r.RpcClientAccessKind; RpcValue = $r.RpcClientAccessValue
  RpcListening = @($r.RpcClientAccessListening); AbListening = @($r.AddressBookListening); Restarted = $r.Restarted } }
function Get-Failure { param([scriptblock]$Block)
  $caught = $null
  try { & $Block } catch { $caught = $_ }
  if ($null -eq $caught) { return $null }
  [ordered]@{ Message = $caught.Exception.Message; Type = $caught.Exception.GetType().FullName; Fqid = $caught.FullyQualifiedErrorId
    Category = [string]$caught.CategoryInfo.Category; Code = $caught.Exception.ErrorCode } }
function Get-Values { param([string]$Server, [string]$Key)
  $w = Get-ExchangeLabServerWindows -Server $Server
  $p = $w.Registry.PSObject.Properties[$Key]
  if ($null -eq $p) { return $null }
  $r = [ordered]@{}; foreach ($v in $p.Value.PSObject.Properties) { $r[$v.Name] = $v.Value }; $r }
`;

interface Reading {
  RpcKind: string;
  RpcValue: string;
  RpcListening: number[];
  AbListening: number[];
  Restarted: boolean;
}

interface Failure {
  Message: string;
  Type: string;
  Fqid: string;
  Category: string;
  Code: number;
}

const batch = new LabBatch();
afterAll(() => batch.cleanup());
const scenario = <T>(script: string, edit?: (state: JsonObject) => void): (() => Promise<T>) =>
  batch.add<T>(prelude + script, edit ? { edit } : {});

/** A server of the scenario. */
function serverOf(state: JsonObject, name: string): JsonObject {
  const found = (state.servers as JsonObject[]).find((s) => s.Name === name);
  if (found === undefined) throw new Error(`no server ${name}`);
  return found;
}

/** MB2 as a scenario that says nothing of its Windows side: every default applies. */
const mb2WithoutWindows = (state: JsonObject): void => {
  delete serverOf(state, "HO-EX2010-MB2").Windows;
};

describe("remoting is off on Windows Server 2008 R2 unless someone enabled it", () => {
  const defaults = scenario<{ Remoting: string; Failure: Failure }>(
    `Emit ([ordered]@{ Remoting = (Get-ExchangeLabServerWindows -Server HO-EX2010-MB2).Remoting; Failure = (Get-Failure { ${call(MB2, "Read", 0, 0)} }) })`,
    mb2WithoutWindows,
  );
  it("a server the scenario says nothing of has remoting disabled: WinRM's 'client cannot connect' error", async () => {
    const r = await defaults();
    expect(r.Remoting).toBe("Disabled");
    expect(r.Failure).toMatchObject({
      Type: "System.Management.Automation.Remoting.PSRemotingTransportException",
      Fqid: "CannotConnect,PSSessionStateBroken",
      Category: "OpenError",
      Code: -2144108526,
      Message: expect.stringContaining(
        `Connecting to remote server ${MB2} failed with the following error message : The client cannot connect to the destination`,
      ) as unknown,
    });
  });

  const article = scenario<string[]>(
    `Emit @(Get-ExchangeLabServerWindows | ForEach-Object { $_.Server + ' ' + $_.Remoting })`,
  );
  it("the article's servers have it enabled, because the scenario says so", async () => {
    expect(await article()).toEqual(["HO-EX2010-MB1 Enabled", "HO-EX2010-MB2 Enabled", "BR-EX2010-MB Enabled"]);
  });
});

describe("MSExchangeRPC\\ParametersSystem does not exist until the static-port procedure creates it", () => {
  const fresh = scenario<{ Article: boolean[]; Default: boolean[]; Set: Reading; Values: Record<string, unknown> }>(
    `$null = Set-ExchangeLabServerWindows -Server HO-EX2010-MB2 -Remoting Enabled
     $article = @(${onServer(MB1, `Test-Path -LiteralPath ${psq(RPC_KEY)}; Test-Path -LiteralPath ${psq(AB_KEY)}; Test-Path -LiteralPath 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeRPC'`)} | ForEach-Object { [bool]$_ })
     $default = @(${onServer(MB2, `Test-Path -LiteralPath ${psq(RPC_KEY)}; Test-Path -LiteralPath ${psq(AB_KEY)}; Test-Path -LiteralPath 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeRPC'`)} | ForEach-Object { [bool]$_ })
     $set = Get-Reading (${call(MB1, "Set", 59532, 59533)})
     Emit ([ordered]@{ Article = $article; Default = $default; Set = $set; Values = (Get-Values HO-EX2010-MB1 ${psq(RPC_KEY)}) })`,
    mb2WithoutWindows,
  );
  it("is absent on the article's servers and on a server with default Windows state; the provider's script creates it", async () => {
    const r = await fresh();
    // ParametersSystem, MSExchangeAB\Parameters, the MSExchangeRPC service key.
    expect(r.Article).toEqual([false, false, true]);
    expect(r.Default).toEqual([false, false, true]);
    expect(r.Set).toMatchObject({
      RpcKind: "DWord",
      RpcValue: "59532",
      RpcListening: [59532],
      AbListening: [59533],
      Restarted: true,
    });
    expect(r.Values).toEqual({ "TCP/IP Port": { Kind: "DWord", Value: 59532 } });
  });

  const force = scenario<{ Plain: Failure; Forced: Record<string, unknown> | null }>(
    `Set-ExchangeLabRegistryValue -Server HO-EX2010-MB1 -Path ${psq(RPC_KEY)} -Name EnablePreferredSiteEnforcement -Kind DWord -Value 0
     $plain = Get-Failure { ${onServer(MB1, `New-Item -Path ${psq(RPC_KEY)}`)} }
     $null = ${onServer(MB1, `New-Item -Path ${psq(RPC_KEY)} -Force`)}
     Emit ([ordered]@{ Plain = $plain; Forced = (Get-Values HO-EX2010-MB1 ${psq(RPC_KEY)}) })`,
  );
  it("New-Item on an existing key fails, and New-Item -Force empties it (the registry provider recreates the key)", async () => {
    const r = await force();
    expect(r.Plain).toMatchObject({
      Message: "A key at this path already exists.",
      Fqid: "System.IO.IOException,Microsoft.PowerShell.Commands.NewItemCommand",
    });
    expect(r.Forced).toEqual({});
  });

  const kept = scenario<{ Set: Reading; Values: Record<string, unknown> }>(
    `Set-ExchangeLabRegistryValue -Server HO-EX2010-MB1 -Path ${psq(RPC_KEY)} -Name EnablePreferredSiteEnforcement -Kind DWord -Value 0
     $set = Get-Reading (${call(MB1, "Set", 59532, 59533)})
     Emit ([ordered]@{ Set = $set; Values = (Get-Values HO-EX2010-MB1 ${psq(RPC_KEY)}) })`,
  );
  it("the provider's script keeps what an existing ParametersSystem key holds (EnablePreferredSiteEnforcement)", async () => {
    const r = await kept();
    expect(r.Set).toMatchObject({ RpcKind: "DWord", RpcValue: "59532", RpcListening: [59532] });
    expect(r.Values).toEqual({
      EnablePreferredSiteEnforcement: { Kind: "DWord", Value: 0 },
      "TCP/IP Port": { Kind: "DWord", Value: 59532 },
    });
  });
});

describe("netstat speaks the server's language", () => {
  const german = scenario<{ Lines: string[]; Culture: string; Read: Reading; English: Reading }>(
    `$null = Set-ExchangeLabServerWindows -Server HO-EX2010-MB1 -Culture de-DE
     $lines = @(${onServer(MB1, "netstat -ano -p TCP")})
     Emit ([ordered]@{ Lines = $lines; Culture = (Get-ExchangeLabServerWindows -Server HO-EX2010-MB1).Culture
       Read = (Get-Reading (${call(MB1, "Read", 0, 0)})); English = (Get-Reading (${call(MB2, "Read", 0, 0)})) })`,
  );
  it("a German server's netstat -ano prints its title, headings and states in German (ABHÖREN), the numbers as everywhere", async () => {
    const r = await german();
    expect(r.Culture).toBe("de-DE");
    expect(r.Lines).toContain("Aktive Verbindungen");
    expect(r.Lines).toContain("  Proto  Lokale Adresse         Remoteadresse          Status          PID");
    expect(r.Lines).toContain("  TCP    0.0.0.0:6405           0.0.0.0:0              ABHÖREN         2412");
    expect(r.Lines.some((l) => /^\s+TCP\s+10\.1\.0\.11:6405\s+10\.8\.1\.21:51200\s+HERGESTELLT\s+2412$/.test(l))).toBe(
      true,
    );
    expect(r.Lines.join("\n")).not.toMatch(/LISTENING|ESTABLISHED|Active Connections/);
  });

  it("the provider's script reads a German server's listening ports as an English server's", async () => {
    const r = await german();
    expect(r.Read).toMatchObject({ RpcListening: [6405], AbListening: [6407] });
    expect(r.English).toMatchObject({ RpcListening: [7114], AbListening: [7117] });
  });
});

describe("PowerShell 2.0 on the server is .NET 2.0/3.5", () => {
  const dotNet4 = scenario<Failure>(
    `Emit (Get-Failure { ${onServer(MB1, "if ([string]::IsNullOrWhiteSpace($env:COMPUTERNAME)) { 'none' }")} })`,
  );
  it("refuses a script that calls a .NET Framework 4 member, as the server's PowerShell 2.0 would fail on it", async () => {
    expect(await dotNet4()).toMatchObject({
      Type: "System.Management.Automation.RemoteException",
      Category: "ParserError",
      Message: expect.stringContaining(
        "runs Windows PowerShell 2.0, which cannot run this script: line 1: [System.String]::IsNullOrWhiteSpace (.NET Framework 4.0) (PowerShell 3.0)",
      ) as unknown,
    });
  });
});

describe("the second hop: a logon with no credentials to hand on (an SSH key logon on a jump host)", () => {
  const hop = scenario<{ Denied: Failure; WithCredential: Reading; Console: Failure | null }>(
    `$env:EXCHANGE_LAB_LOGON = 'Network'
     try {
       $denied = Get-Failure { ${call(MB1, "Read", 0, 0)} }
       $credential = New-Object System.Management.Automation.PSCredential('CONTOSO\\svc-excas', (New-Object System.Security.SecureString))
       $withCredential = Get-Reading (${call(MB1, "Read", 0, 0, " -Credential $credential")})
     } finally { $env:EXCHANGE_LAB_LOGON = $null }
     Emit ([ordered]@{ Denied = $denied; WithCredential = $withCredential; Console = (Get-Failure { $null = ${call(MB1, "Read", 0, 0)} }) })`,
  );
  it("Invoke-Command -ComputerName without -Credential is denied: Access is denied (AccessDenied,PSSessionStateBroken)", async () => {
    const r = await hop();
    expect(r.Denied).toEqual({
      Message: `Connecting to remote server ${MB1} failed with the following error message : Access is denied. For more information, see the about_Remote_Troubleshooting Help topic.`,
      Type: "System.Management.Automation.Remoting.PSRemotingTransportException",
      Fqid: "AccessDenied,PSSessionStateBroken",
      Category: "OpenError",
      Code: 5,
    });
  });

  it("an account of the jump host's own (-Credential) reaches the server; an interactive logon needs none", async () => {
    const r = await hop();
    expect(r.WithCredential).toMatchObject({ RpcListening: [6405] });
    expect(r.Console).toBeNull();
  });
});
