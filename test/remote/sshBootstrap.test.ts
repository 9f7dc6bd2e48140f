// The `ssh` connection's bootstrap, in real pwsh against stand-ins for New-PSSession /
// Import-PSSession / Import-Module that record what they were given (as test/shell/bootstrap does
// for the `exchange` kind): the same import path, only New-PSSession's parameters differ.
import { afterEach, describe, expect, it } from "vitest";
import { exchangeConnection, labConnection, sshConnection } from "../../provider/connections";
import {
  DNS_CMDLETS,
  EXCHANGE_CMDLETS,
  SERVER_CMDLETS,
  bootstrapScript,
  teardownScript,
} from "../../provider/shell/bootstrap";
import { ConnectionSchema, connectionKey, describeConnection } from "../../provider/shell/connection";
import { PwshSession } from "../../provider/shell";
import { pwshPath } from "../support/paths";

const STANDINS = `
function global:New-PSSession { param([string[]]$HostName, $Port, $UserName, $KeyFilePath, $Subsystem, [hashtable]$Options, $ErrorAction)
  $global:Recorded = [ordered]@{ HostName = @($HostName); Port = $Port; UserName = $UserName; KeyFilePath = $KeyFilePath; Subsystem = $Subsystem;
    Options = $(if ($Options) { ($Options.Keys | Sort-Object | ForEach-Object { $_ + '=' + $Options[$_] }) -join ';' } else { $null }); ErrorAction = [string]$ErrorAction }
  return 'fake-ssh-session' }
function global:Import-PSSession { param($Session, $CommandName, [switch]$AllowClobber, [switch]$DisableNameChecking, $ErrorAction)
  $global:Recorded.Session = $Session; $global:Recorded.CommandName = @($CommandName); return 'fake-module' }
function global:Import-Module { param($ModuleInfo, [switch]$Global, [switch]$DisableNameChecking) $global:Recorded.Imported = $ModuleInfo; $global:Recorded.GlobalImport = [bool]$Global }
function global:Remove-PSSession { param($Session) $global:Recorded.Removed = $Session }
`;

const KEYS = [
  "HostName",
  "Port",
  "UserName",
  "KeyFilePath",
  "Subsystem",
  "Options",
  "ErrorAction",
  "Session",
  "CommandName",
  "Imported",
  "GlobalImport",
  "Removed",
];

const sessions: PwshSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

async function runBootstrap(input: unknown): Promise<Record<string, unknown>> {
  const connection = ConnectionSchema.parse(input);
  const s = await PwshSession.start(pwshPath(), 60_000);
  sessions.push(s);
  await s.run({ cmdlet: "stand-ins", target: "", script: STANDINS }, 60_000);
  const boot = await s.run({ cmdlet: "connect", target: "", script: bootstrapScript(connection) }, 60_000);
  expect(boot.errors).toEqual([]);
  const teardown = teardownScript(connection);
  expect(teardown).toBeDefined();
  if (teardown) await s.run({ cmdlet: "teardown", target: "", script: teardown }, 60_000);
  const rec = await s.run(
    { cmdlet: "read", target: "", script: "[pscustomobject]$global:Recorded", select: KEYS },
    60_000,
  );
  return rec.data[0] as Record<string, unknown>;
}

describe("the ssh connection's bootstrap", () => {
  it("opens PowerShell remoting over SSH with the key, strict host key checking, and imports only the Exchange, DNS and server commands", async () => {
    const rec = await runBootstrap(
      sshConnection("jump01.exchangeserverpro.net", "EXCHANGESERVERPRO\\svc-pulumi", "/keys/it's key", {
        port: 2222,
        knownHostsFile: "/keys/known_hosts",
        subsystem: "powershell7",
      }),
    );
    expect(rec).toEqual({
      HostName: ["jump01.exchangeserverpro.net"],
      Port: 2222,
      UserName: "EXCHANGESERVERPRO\\svc-pulumi",
      KeyFilePath: "/keys/it's key",
      Subsystem: "powershell7",
      Options: "StrictHostKeyChecking=yes;UserKnownHostsFile=/keys/known_hosts",
      ErrorAction: "Stop",
      Session: "fake-ssh-session",
      CommandName: [...EXCHANGE_CMDLETS, ...DNS_CMDLETS, ...SERVER_CMDLETS],
      Imported: "fake-module",
      GlobalImport: true,
      Removed: "fake-ssh-session",
    });
  });

  it("leaves port, subsystem and ssh options to ssh's defaults when they are not given", async () => {
    const rec = await runBootstrap({ kind: "ssh", hostName: "10.1.0.5", userName: "admin", keyFilePath: "/k" });
    expect(rec).toMatchObject({
      HostName: ["10.1.0.5"],
      Port: null,
      Subsystem: null,
      Options: null,
      UserName: "admin",
      KeyFilePath: "/k",
    });
  });

  it("shares the import path with the exchange kind: only the New-PSSession lines differ", () => {
    const tail = (script: string) => script.split("\n").slice(-5);
    const ssh = tail(bootstrapScript(ConnectionSchema.parse(sshConnection("h", "u", "/k"))));
    const exchange = tail(
      bootstrapScript(ConnectionSchema.parse(exchangeConnection("http://ho-ex2010-mb1/PowerShell/"))),
    );
    expect(ssh[0]).toBe(exchange[0]);
    expect(ssh[1]).toBe(exchange[1]);
    expect(ssh[3]).toBe(exchange[3]);
    expect(ssh[4]).toBe(exchange[4]);
    expect(ssh[2]?.replace(/-CommandName @\([^)]*\)/, "")).toBe(exchange[2]?.replace(/-CommandName @\([^)]*\)/, ""));
    expect(teardownScript(ConnectionSchema.parse(sshConnection("h", "u", "/k")))).toBe(
      teardownScript(ConnectionSchema.parse(exchangeConnection("http://ho-ex2010-mb1/PowerShell/"))),
    );
    expect(teardownScript(ConnectionSchema.parse(labConnection("/s.json", "/lab.psd1")))).toBeUndefined();
  });

  it("validates, keys and describes ssh connections", () => {
    const parsed = ConnectionSchema.parse(sshConnection("jump01", "svc", "/k", { port: 22 }));
    expect(describeConnection(parsed)).toBe("PowerShell over SSH at svc@jump01:22");
    expect(describeConnection(ConnectionSchema.parse(sshConnection("jump01", "svc", "/k")))).toBe(
      "PowerShell over SSH at svc@jump01:22",
    );
    expect(connectionKey(parsed)).toBe(
      connectionKey(
        ConnectionSchema.parse({ port: 22, keyFilePath: "/k", userName: "svc", hostName: "jump01", kind: "ssh" }),
      ),
    );
    expect(connectionKey(parsed)).not.toBe(
      connectionKey(ConnectionSchema.parse(sshConnection("jump01", "svc", "/k", { port: 2222 }))),
    );
    const bad = ConnectionSchema.safeParse({
      kind: "ssh",
      hostName: "root@jump 01",
      userName: "",
      keyFilePath: "/k",
      port: 70000,
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join(".")).sort()).toEqual(["hostName", "port", "userName"]);
    expect(ConnectionSchema.safeParse({ kind: "ssh", hostName: "jump01", userName: "svc" }).success).toBe(false);
  });
});
