// The Windows side of the lab's servers, reached as the provider reaches a Client Access server:
// Invoke-Command -ComputerName with the REAL provider/ps/server/StaticRpcPorts.ps1, sent exactly as
// the provider sends it. The lab answers as a Windows Server 2008 R2 CAS with Exchange 2010 would:
// WinRM's connection errors, a PowerShell 2.0 host, registry values with their types, services that
// bind their ports when they start (LB-WIRING.md section 1).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSshd, type Sshd } from "../support/sshd";
import { LabBatch, makeLab, type JsonObject, type Lab } from "../support/lab";
import { pwshPath, ROOT, SCENARIO } from "../support/paths";
import { psq, resultOf, runPwsh, type Captured } from "../support/pwsh";

const scriptText = readFileSync(join(ROOT, "provider", "ps", "server", "StaticRpcPorts.ps1"), "utf8");
const MB1 = "HO-EX2010-MB1.exchangeserverpro.net";
const rpcKey = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeRPC\\ParametersSystem";
const abKey = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeAB\\Parameters";

/** The provider's call: the script as text, its arguments, the server options splatted, -ErrorAction Stop. */
const call = (server: string, action: string, rpc: number, ab: number): string =>
  `Invoke-Command -ComputerName ${psq(server)} -ScriptBlock ([scriptblock]::Create(${psq(scriptText)})) -ArgumentList ${psq(action)}, ${rpc}, ${ab} @global:ExcasServerOptions -ErrorAction Stop`;

// Every scenario: the lab's server options (empty), a projection of the script's object, and one of
// the server's Windows state (from the admin commands, i.e. the state file).
const prelude = `
$global:ExcasServerOptions = @{}
function Get-Reading { param($r) [ordered]@{
  RpcKind = $r.RpcClientAccessKind; RpcValue = $r.RpcClientAccessValue; AbKind = $r.AddressBookKind; AbValue = $r.AddressBookValue
  RpcState = $r.RpcClientAccessState; AbState = $r.AddressBookState
  RpcListening = @($r.RpcClientAccessListening); AbListening = @($r.AddressBookListening)
  UserCount = $r.UserCount; Restarted = $r.Restarted; Computer = $r.PSComputerName; Type = $r.PSObject.TypeNames[0] } }
function Get-Console { param([string]$Server) $w = Get-ExchangeLabServerWindows -Server $Server; [ordered]@{
  RpcPid = $w.Services.MSExchangeRPC.ProcessId; AbPid = $w.Services.MSExchangeAB.ProcessId
  RpcPorts = @($w.Services.MSExchangeRPC.ListeningPorts); AbPorts = @($w.Services.MSExchangeAB.ListeningPorts)
  AbStatus = $w.Services.MSExchangeAB.Status; Sessions = $w.OutlookSessions; Remoting = $w.Remoting
  RpcValue = $w.Registry.${psq(rpcKey)}.'TCP/IP Port'; AbValue = $w.Registry.${psq(abKey)}.RpcTcpPort } }
function Get-Failure { param([scriptblock]$Block)
  $reached = $false; $caught = $null
  try { & $Block; $reached = $true } catch { $caught = $_ }
  [ordered]@{ Reached = $reached; Message = $caught.Exception.Message; Type = $caught.Exception.GetType().FullName
    Fqid = $caught.FullyQualifiedErrorId; Category = [string]$caught.CategoryInfo.Category; Reason = $caught.CategoryInfo.Reason
    Target = [string]$caught.TargetObject; Details = [string]$caught.ErrorDetails; Code = $caught.Exception.ErrorCode } }
`;

interface Reading {
  RpcKind: string;
  RpcValue: string;
  AbKind: string;
  AbValue: string;
  RpcState: string;
  AbState: string;
  RpcListening: number[];
  AbListening: number[];
  UserCount: number;
  Restarted: boolean;
  Computer: string;
  Type: string;
}

interface Console {
  RpcPid: number;
  AbPid: number;
  RpcPorts: number[];
  AbPorts: number[];
  AbStatus: string;
  Sessions: number;
  Remoting: string;
  RpcValue: { Kind: string; Value: number | string } | null;
  AbValue: { Kind: string; Value: number | string } | null;
}

/** An error of the script on the server, as the caller of Invoke-Command sees it: a RemoteException, and the caller stopped. */
const remoteScriptError = (fields: Partial<Failure>): Partial<Failure> => ({
  Reached: false,
  Type: "System.Management.Automation.RemoteException",
  ...fields,
});

interface Failure {
  Reached: boolean;
  Message: string;
  Type: string;
  Fqid: string;
  Category: string;
  Reason: string;
  Target: string;
  Details: string;
  Code: number | null;
}

const batch = new LabBatch();
afterAll(() => batch.cleanup());
const scenario = <T>(script: string, edit?: (state: JsonObject) => void): (() => Promise<T>) =>
  batch.add<T>(prelude + script, { edit });

const servers = (state: JsonObject): JsonObject[] => state.servers as JsonObject[];
const serverNamed = (state: JsonObject, name: string): JsonObject => {
  const found = servers(state).find((s) => s.Name === name);
  if (found === undefined) throw new Error(`no server ${name}`);
  return found;
};

describe("the article scenario's Windows side", () => {
  it("has remoting enabled, no static ports, both services running on dynamic ports and a few Outlook sessions on each CAS", () => {
    const state = JSON.parse(readFileSync(SCENARIO, "utf8")) as JsonObject;
    for (const server of servers(state)) {
      const windows = server.Windows as JsonObject;
      expect(windows.Remoting, String(server.Name)).toBe("Enabled");
      expect(windows.OutlookSessions as number).toBeGreaterThan(0);
      const registry = windows.Registry as JsonObject;
      // Neither key exists before Microsoft's static-port procedure creates it.
      expect(registry[rpcKey]).toBeUndefined();
      expect(registry[abKey]).toBeUndefined();
      const services = windows.Services as Record<string, { Status: string; ListeningPorts: number[] }>;
      for (const name of ["MSExchangeRPC", "MSExchangeAB"]) {
        expect(services[name]?.Status).toBe("Running");
        const dynamic = (services[name]?.ListeningPorts ?? []).filter((p) => p < 6001 || p > 6004);
        expect(dynamic).toHaveLength(1);
        expect(dynamic[0]).toBeGreaterThanOrEqual(6005);
        expect(dynamic[0]).toBeLessThanOrEqual(59530);
      }
    }
  });
});

describe("StaticRpcPorts.ps1 through the lab's Invoke-Command", () => {
  const read = scenario<Reading>(`Emit (Get-Reading (${call(MB1, "Read", 0, 0)}))`);
  it("'Read' reports no static ports, both services running on their dynamic ports, and the Outlook sessions", async () => {
    expect(await read()).toEqual({
      RpcKind: "None",
      RpcValue: "",
      AbKind: "None",
      AbValue: "",
      RpcState: "Running",
      AbState: "Running",
      RpcListening: [6405],
      AbListening: [6407],
      UserCount: 4,
      Restarted: false,
      Computer: MB1,
      Type: "Deserialized.System.Management.Automation.PSCustomObject",
    });
  });

  const set = scenario<{ Before: Console; Set: Reading; After: Console; Read: Reading; Errors: number }>(
    `$Error.Clear()
     $before = Get-Console HO-EX2010-MB1
     $set = Get-Reading (${call(MB1, "Set", 59532, 59533)})
     Emit ([ordered]@{ Before = $before; Set = $set; After = (Get-Console HO-EX2010-MB1); Read = (Get-Reading (${call(MB1, "Read", 0, 0)})); Errors = $Error.Count })`,
  );
  it("'Set' writes TCP/IP Port as REG_DWORD and RpcTcpPort as REG_SZ, and the restart it does moves both services to them", async () => {
    const r = await set();
    expect(r.Set).toMatchObject({
      RpcKind: "DWord",
      RpcValue: "59532",
      AbKind: "String",
      AbValue: "59533",
      RpcListening: [59532],
      AbListening: [59533],
      Restarted: true,
    });
    // The restart ended the Outlook sessions and started new processes.
    expect(r.Set.UserCount).toBe(0);
    expect(r.After.Sessions).toBe(0);
    expect(r.After.RpcPid).not.toBe(r.Before.RpcPid);
    expect(r.After.AbPid).not.toBe(r.Before.AbPid);
    expect(r.After.RpcValue).toEqual({ Kind: "DWord", Value: 59532 });
    expect(r.After.AbValue).toEqual({ Kind: "String", Value: "59533" });
    expect(r.After.RpcPorts).toEqual([6001, 59532]);
    expect(r.After.AbPorts).toEqual([6002, 6004, 59533]);
    expect(r.Read).toMatchObject({
      RpcKind: "DWord",
      AbKind: "String",
      RpcListening: [59532],
      AbListening: [59533],
      Restarted: false,
    });
    // What the remote pipeline did stays on the server: this session's $Error is empty.
    expect(r.Errors).toBe(0);
  });

  const noRestart = scenario<{ Written: Reading; Restarted: Reading; Other: Reading }>(
    `Set-ExchangeLabRegistryValue -Server HO-EX2010-MB1 -Path ${psq(rpcKey)} -Name 'TCP/IP Port' -Kind DWord -Value 59540
     $written = Get-Reading (${call(MB1, "Read", 0, 0)})
     $null = Restart-ExchangeLabService -Server HO-EX2010-MB1 -Name MSExchangeRPC
     Emit ([ordered]@{ Written = $written; Restarted = (Get-Reading (${call(MB1, "Read", 0, 0)})); Other = (Get-Reading (${call("HO-EX2010-MB2", "Read", 0, 0)})) })`,
  );
  it("a registry change alone moves no port: the service listens on it from its next start", async () => {
    const r = await noRestart();
    expect(r.Written).toMatchObject({ RpcKind: "DWord", RpcValue: "59540", RpcListening: [6405], UserCount: 4 });
    expect(r.Restarted).toMatchObject({
      RpcKind: "DWord",
      RpcValue: "59540",
      RpcListening: [59540],
      AbListening: [6407],
      UserCount: 0,
    });
    // Per server: MB2 is untouched.
    expect(r.Other).toMatchObject({ RpcKind: "None", RpcListening: [7114], UserCount: 2, Computer: "HO-EX2010-MB2" });
  });

  const dynamic = scenario<{ Cleared: Reading; Console: Console }>(
    `$null = ${call(MB1, "Set", 59532, 59533)}
     $cleared = Get-Reading (${call(MB1, "Set", 0, 0)})
     Emit ([ordered]@{ Cleared = $cleared; Console = (Get-Console HO-EX2010-MB1) })`,
  );
  it("'Set' 0, 0 removes both values and the restart returns the services to dynamic ports", async () => {
    const r = await dynamic();
    // Dynamic ports come from the server's counter (NextDynamicPort 6412 in the scenario).
    expect(r.Cleared).toMatchObject({
      RpcKind: "None",
      RpcValue: "",
      AbKind: "None",
      AbValue: "",
      RpcListening: [6412],
      AbListening: [6413],
      Restarted: true,
    });
    expect(r.Console.RpcValue).toBeNull();
    expect(r.Console.AbValue).toBeNull();
  });

  const wrongKind = scenario<Reading>(
    `Set-ExchangeLabRegistryValue -Server HO-EX2010-MB1 -Path ${psq(rpcKey)} -Name 'TCP/IP Port' -Kind String -Value '59532'
     Set-ExchangeLabRegistryValue -Server HO-EX2010-MB1 -Path ${psq(abKey)} -Name RpcTcpPort -Kind DWord -Value 59533
     $null = Restart-ExchangeLabService -Server HO-EX2010-MB1 -Name MSExchangeRPC, MSExchangeAB
     Emit (Get-Reading (${call(MB1, "Read", 0, 0)}))`,
  );
  it("reads a value of the wrong type back with its type, and the service does not listen on it", async () => {
    const r = await wrongKind();
    expect(r).toMatchObject({ RpcKind: "String", RpcValue: "59532", AbKind: "DWord", AbValue: "59533" });
    expect(r.RpcListening).toEqual([6412]);
    expect(r.AbListening).toEqual([6413]);
  });

  const rtm = scenario<{ Rtm: Reading; Config: Reading; Upgraded: Reading; Version: string }>(
    `$rtm = Get-Reading (${call(MB1, "Set", 59532, 59533)})
     $null = Set-ExchangeLabServerWindows -Server HO-EX2010-MB1 -AddressBookConfigRpcTcpPort 59600
     $null = Restart-ExchangeLabService -Server HO-EX2010-MB1 -Name MSExchangeAB
     $config = Get-Reading (${call(MB1, "Read", 0, 0)})
     $upgraded = Update-ExchangeLabServer -Server HO-EX2010-MB1 -AdminDisplayVersion 'Version 14.1 (Build 218.15)'
     Emit ([ordered]@{ Rtm = $rtm; Config = $config; Upgraded = (Get-Reading (${call(MB1, "Read", 0, 0)})); Version = (Get-ExchangeServer -Identity HO-EX2010-MB1).AdminDisplayVersion })`,
    (state) => {
      serverNamed(state, "HO-EX2010-MB1").AdminDisplayVersion = "Version 14.0 (Build 639.21)";
    },
  );
  it("on Exchange 2010 RTM the Address Book ignores RpcTcpPort (it reads its .config); after SP1 it listens on it", async () => {
    const r = await rtm();
    expect(r.Rtm).toMatchObject({ RpcListening: [59532], AbKind: "String", AbValue: "59533", AbListening: [6412] });
    expect(r.Config.AbListening).toEqual([59600]);
    // Setup replaced the .config (its port is lost) and restarted the services, which now read the registry.
    expect(r.Upgraded).toMatchObject({ RpcListening: [59532], AbListening: [59533], UserCount: 0 });
    expect(r.Version).toBe("Version 14.1 (Build 218.15)");
  });

  const startFails = scenario<{ Failure: Failure; Read: Reading }>(
    `Add-ExchangeLabServiceFault -Server HO-EX2010-MB1 -Name MSExchangeAB
     $failure = Get-Failure { $null = ${call(MB1, "Set", 59532, 59533)} }
     Emit ([ordered]@{ Failure = $failure; Read = (Get-Reading (${call(MB1, "Read", 0, 0)})) })`,
  );
  it("a service that fails to start comes back as the script's remote error, and stays stopped", async () => {
    const r = await startFails();
    expect(r.Failure).toMatchObject(
      remoteScriptError({
        Message: "Failed to start service 'Microsoft Exchange Address Book (MSExchangeAB)'.",
        Fqid: "StartServiceFailed,Microsoft.PowerShell.Commands.RestartServiceCommand",
        Category: "OpenError",
        Reason: "ServiceCommandException",
      }),
    );
    expect(r.Read).toMatchObject({ RpcListening: [59532], AbState: "Stopped", AbListening: [], AbKind: "String" });
  });

  const thrown = scenario<{ Failure: Failure; Console: Console; Origin: string; Record: string; Original: string }>(
    `$failure = Get-Failure { ${call(MB1, "Set", 70000, 59533)} }
     $remote = $null
     $null = Invoke-Command -ComputerName ${psq(MB1)} -ScriptBlock ([scriptblock]::Create(${psq(scriptText)})) -ArgumentList 'Set', 70000, 59533 -ErrorVariable remote -ErrorAction SilentlyContinue
     Emit ([ordered]@{ Failure = $failure; Console = (Get-Console HO-EX2010-MB1); Origin = [string]$remote[0].OriginInfo.PSComputerName
       Record = $remote[0].GetType().FullName; Original = [string]$remote[0].Exception.SerializedRemoteException.PSObject.TypeNames[0] })`,
  );
  it("an error the script throws reaches the caller as a remote error and stops it under -ErrorAction Stop", async () => {
    const r = await thrown();
    expect(r.Failure).toMatchObject(
      remoteScriptError({
        Message: "Static RPC ports must be 0 (dynamic) or 1-65535, not 70000 and 59533.",
        Reason: "RuntimeException",
      }),
    );
    expect(r.Console.RpcValue).toBeNull();
    expect(r.Console.Sessions).toBe(4);
    // Without Stop: a RemotingErrorRecord from the computer, the original exception deserialized inside.
    expect(r.Origin).toBe(MB1);
    expect(r.Record).toBe("System.Management.Automation.Runspaces.RemotingErrorRecord");
    expect(r.Original).toBe("Deserialized.System.Management.Automation.RuntimeException");
  });
});

describe("what stays on the server", () => {
  const streams = scenario<{ Out: string; Errors: string[]; Caught: string[] }>(
    `$Error.Clear()
     $out = Invoke-Command -ComputerName ${psq(MB1)} -ScriptBlock { Get-Service -Name NoSuchService -ErrorAction SilentlyContinue; 'done' }
     $caught = $null
     $null = Invoke-Command -ComputerName ${psq(MB1)} -ScriptBlock { Get-Service -Name NoSuchService; 'after' } -ErrorVariable caught 2>$null
     Emit ([ordered]@{ Out = [string]$out; Errors = @($Error | ForEach-Object { $_.GetType().Name + ' ' + $_.FullyQualifiedErrorId })
       Caught = @($caught | ForEach-Object { $_.GetType().Name + ' ' + $_.FullyQualifiedErrorId }) })`,
  );
  it("keeps the remote pipeline's own $Error, and -ErrorVariable gets only the errors Invoke-Command passes on", async () => {
    const remoteError =
      "RemotingErrorRecord NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.GetServiceCommand";
    expect(await streams()).toEqual({ Out: "done", Errors: [remoteError], Caught: [remoteError] });
  });
});

describe("WinRM to a server that cannot be reached", () => {
  const transport = (message: string, fqid: string, code: number): Partial<Failure> => ({
    Reached: false,
    Message: message,
    Type: "System.Management.Automation.Remoting.PSRemotingTransportException",
    Fqid: fqid,
    Category: "OpenError",
    Reason: "PSRemotingTransportException",
    Target: MB1,
    Details: `[${MB1}] ${message}`,
    Code: code,
  });

  const disabled = scenario<{ Stop: Failure; Continue: Captured<string>; Console: Console; After: string }>(
    `$null = Set-ExchangeLabServerWindows -Server HO-EX2010-MB1 -Remoting Disabled
     $stop = Get-Failure { ${call(MB1, "Set", 59532, 59533)} }
     $continue = Invoke-Captured { Invoke-Command -ComputerName ${psq(MB1)} -ScriptBlock { 'ran' }; 'after' }
     Emit ([ordered]@{ Stop = $stop; Continue = $continue; Console = (Get-Console HO-EX2010-MB1); After = 'done' })`,
  );
  it("remoting disabled (the 2008 R2 default): WinRM's 'client cannot connect' error; -ErrorAction Stop ends the caller's statement", async () => {
    const r = await disabled();
    const message = `Connecting to remote server ${MB1} failed with the following error message : The client cannot connect to the destination specified in the request. Verify that the service on the destination is running and is accepting requests. Consult the logs and documentation for the WS-Management service running on the destination, most commonly IIS or WinRM. If the destination is the WinRM service, run the following command on the destination to analyze and configure the WinRM service: "winrm quickconfig". For more information, see the about_Remote_Troubleshooting Help topic.`;
    expect(r.Stop).toEqual(transport(message, "CannotConnect,PSSessionStateBroken", -2144108526));
    // Without Stop the error is non-terminating: the caller goes on.
    expect(r.Continue.Out).toEqual(["after"]);
    expect(r.Continue.Errors.map((e) => e.Fqid)).toEqual(["CannotConnect,PSSessionStateBroken"]);
    // Nothing ran on the server.
    expect(r.Console).toMatchObject({ RpcValue: null, Sessions: 4, Remoting: "Disabled" });
  });

  const unreachable = scenario<Failure>(
    `$null = Set-ExchangeLabServerWindows -Server HO-EX2010-MB1 -Remoting Unreachable
     Emit (Get-Failure { ${call(MB1, "Read", 0, 0)} })`,
  );
  it("an unreachable server: WinRM's 'cannot complete the operation' error (WinRMOperationTimeout)", async () => {
    const message = `Connecting to remote server ${MB1} failed with the following error message : WinRM cannot complete the operation. Verify that the specified computer name is valid, that the computer is accessible over the network, and that a firewall exception for the WinRM service is enabled and allows access from this computer. By default, the WinRM firewall exception for public profiles limits access to remote computers within the same local subnet. For more information, see the about_Remote_Troubleshooting Help topic.`;
    expect(await unreachable()).toEqual(transport(message, "WinRMOperationTimeout,PSSessionStateBroken", -2144108250));
  });

  const unknown = scenario<{ Stop: Failure; Both: Captured<string> }>(
    `$stop = Get-Failure { ${call("HO-EX2010-MB9.exchangeserverpro.net", "Read", 0, 0)} }
     $both = Invoke-Captured { Invoke-Command -ComputerName 'HO-EX2010-MB9', 'br-ex2010-mb' -ScriptBlock { 'ran' } | ForEach-Object { [string]$_ + ' on ' + $_.PSComputerName } }
     Emit ([ordered]@{ Stop = $stop; Both = $both })`,
  );
  it("an unknown name: Kerberos cannot find the computer (NetworkPathNotFound); the other computers still run", async () => {
    const r = await unknown();
    const name = "HO-EX2010-MB9.exchangeserverpro.net";
    expect(r.Stop).toMatchObject({
      Reached: false,
      Message: `Connecting to remote server ${name} failed with the following error message : WinRM cannot process the request. The following error occurred while using Kerberos authentication: Cannot find the computer ${name}. Verify that the computer exists on the network and that the name provided is spelled correctly. For more information, see the about_Remote_Troubleshooting Help topic.`,
      Fqid: "NetworkPathNotFound,PSSessionStateBroken",
      Category: "OpenError",
      Target: name,
      Code: 53,
    });
    // A lab server matches by Name or Fqdn, case-insensitive.
    expect(r.Both.Out).toEqual(["ran on br-ex2010-mb"]);
    expect(r.Both.Errors.map((e) => e.Target)).toEqual(["HO-EX2010-MB9"]);
  });
});

describe("the remote host runs PowerShell 2.0", () => {
  const refused = scenario<{ Failure: Failure; Origin: string; Console: Console }>(
    `$failure = Get-Failure { Invoke-Command -ComputerName ${psq(MB1)} -ScriptBlock {
         $null = New-ItemProperty -Path ${psq(rpcKey)} -Name 'TCP/IP Port' -PropertyType DWord -Value 59532
         $result = [ordered]@{ Done = $true }
         $result
       } -ErrorAction Stop }
     Emit ([ordered]@{ Failure = $failure; Origin = [string]$Error[0].OriginInfo.PSComputerName; Console = (Get-Console HO-EX2010-MB1) })`,
  );
  it("refuses a script with [ordered]@{} as a parse error of the remote host, before any of it runs", async () => {
    const r = await refused();
    expect(r.Failure).toMatchObject(
      remoteScriptError({ Category: "ParserError", Reason: "ParseException", Fqid: "ExchangeLabPowerShell2Script" }),
    );
    expect(r.Failure.Message).toBe(
      "The remote computer HO-EX2010-MB1 runs Windows PowerShell 2.0, which cannot run this script: line 3: [ordered] (PowerShell 3.0)",
    );
    expect(r.Console.RpcValue).toBeNull();
  });
});

describe("the remote host checks every script it is sent (the findings are kept per script text, not re-parsed)", () => {
  // The same text twice, as the provider sends its constant scripts.
  const refusedScript = "$result = [ordered]@{ Done = $true }; $result.Done";
  const acceptedScript = "$result = @{ Done = 'ran' }; $result.Done";
  const repeated = scenario<{ Refused: Failure[]; Accepted: string[] }>(
    `$refused = @(1, 2 | ForEach-Object { Get-Failure { Invoke-Command -ComputerName ${psq(MB1)} -ScriptBlock ([scriptblock]::Create(${psq(refusedScript)})) -ErrorAction Stop } })
     $accepted = @(1, 2 | ForEach-Object { [string](Invoke-Command -ComputerName ${psq(MB1)} -ScriptBlock ([scriptblock]::Create(${psq(acceptedScript)})) -ErrorAction Stop) })
     Emit ([ordered]@{ Refused = $refused; Accepted = $accepted })`,
  );
  it("refuses a non-2.0 script on its second send as on its first, and runs an accepted one both times", async () => {
    const r = await repeated();
    const refusal = {
      ...remoteScriptError({ Category: "ParserError", Reason: "ParseException", Fqid: "ExchangeLabPowerShell2Script" }),
      Message:
        "The remote computer HO-EX2010-MB1 runs Windows PowerShell 2.0, which cannot run this script: line 1: [ordered] (PowerShell 3.0)",
    };
    expect(r.Refused).toHaveLength(2);
    expect(r.Refused[0]).toMatchObject(refusal);
    expect(r.Refused[1]).toMatchObject(refusal);
    expect(r.Accepted).toEqual(["ran", "ran"]);
  });
});

describe("every other Invoke-Command goes to the real cmdlet", () => {
  const inProcess = scenario<{ Value: number; Computer: string | null; Scoped: string; Proxy: string; Real: string }>(
    `$value = Invoke-Command -ScriptBlock { param($a) $a * 2 } -ArgumentList 21
     Invoke-Command -NoNewScope -ScriptBlock { $scoped = 'set by the block' }
     Emit ([ordered]@{ Value = $value; Computer = $value.PSComputerName; Scoped = $scoped
       Proxy = (Get-Command Invoke-Command).Module.Name; Real = (Get-Command Microsoft.PowerShell.Core\\Invoke-Command).CommandType.ToString() })`,
  );
  it("runs a script block in process, live (not deserialized), in the caller's scope with -NoNewScope", async () => {
    expect(await inProcess()).toEqual({
      Value: 42,
      Computer: null,
      Scoped: "set by the block",
      Proxy: "ExchangeLab",
      Real: "Cmdlet",
    });
  });

  let lab: Lab;
  let sshd: Sshd;
  beforeAll(() => {
    lab = makeLab();
    sshd = startSshd({ statePath: lab.statePath, pwsh: pwshPath(), dir: join(lab.dir, "sshd") });
  });
  afterAll(() => {
    sshd.stop();
    lab.remove();
  });

  it("sends -Session to the session (here a PowerShell remoting session over SSH to the lab's endpoint)", async () => {
    const c = sshd.connection;
    const run = await runPwsh(
      `$session = New-PSSession -HostName ${psq(c.hostName)} -Port ${c.port} -UserName ${psq(c.userName)} -KeyFilePath ${psq(c.keyFilePath)} -Options @{ UserKnownHostsFile = ${psq(c.knownHostsFile)}; StrictHostKeyChecking = 'yes' } -ErrorAction Stop
       try {
         $server = Invoke-Command -Session $session -ScriptBlock { Get-ExchangeServer -Identity HO-EX2010-MB1 } -ErrorAction Stop
         Emit ([ordered]@{ Name = $server.Name; Computer = $server.PSComputerName; Type = $server.PSObject.TypeNames[0] })
       } finally { Remove-PSSession -Session $session }`,
      { statePath: lab.statePath },
    );
    expect(resultOf(run)).toEqual({
      Name: "HO-EX2010-MB1",
      Computer: "127.0.0.1",
      Type: "Deserialized.Microsoft.Exchange.Data.Directory.Management.ExchangeServer",
    });
  });
});
