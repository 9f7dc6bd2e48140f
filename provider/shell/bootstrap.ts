// What a fresh session runs to reach its connection (bootstrapScript) and what closes its remote
// side (teardownScript), with the commands a remote session imports. The connections themselves
// (schemas, key, description) are in connection.ts.
import { psAsset } from "./assets";
import { resolveLabPath, type SessionConnection } from "./connection";
import { missingPasswordError } from "./errors";
import { psQuote, psQuoteArray } from "./quote";

/** The Exchange cmdlets the provider uses: the only ones a remote session imports. */
export const EXCHANGE_CMDLETS = [
  "Get-ExchangeServer",
  "Get-ClientAccessArray",
  "New-ClientAccessArray",
  "Set-ClientAccessArray",
  "Remove-ClientAccessArray",
  "Get-MailboxDatabase",
  "Set-MailboxDatabase",
  "Get-DatabaseAvailabilityGroup",
  "Get-Mailbox",
] as const;

/**
 * The DNS commands the provider uses: the ExcasDns module (ps/ExcasDns), which runs the Windows
 * DnsServer cmdlets on the host that has them and sends back primitives only. (The cmdlets' own
 * records and errors are CimInstances, which a Linux/macOS pwsh cannot rebuild: no libmi.) An SSH
 * jump host must have ExcasDns installed; imported from it with the Exchange commands.
 */
export const DNS_CMDLETS = [
  "Get-ExcasDnsARecord",
  "Add-ExcasDnsARecord",
  "Remove-ExcasDnsARecord",
  "Set-ExcasDnsARecordTtl",
  "Resolve-ExcasDnsName",
] as const;

/**
 * The command that runs a provider script on an Exchange server with PowerShell remoting: the
 * ExcasServer module (ps/ExcasServer), imported into lab and winrm sessions; an SSH jump host
 * must have it installed, and it is imported from there with the other commands.
 */
export const SERVER_CMDLETS = ["Invoke-ExcasServerScript"] as const;

/**
 * The commands of a module the servers themselves have, which a ps/server script calls there after
 * Import-Module (NetworkLoadBalancingClusters, Windows Server 2008 R2): they run on the server,
 * never in a session of this machine, so they are not Windows PowerShell 5.1's (tools that check
 * the provider's scripts read this list; test/unit/nlbScript.test.ts keeps it complete).
 */
export const SERVER_MODULE_CMDLETS = [
  "New-NlbCluster",
  "Get-NlbCluster",
  "Set-NlbCluster",
  "Remove-NlbCluster",
  "Get-NlbClusterNode",
  "Add-NlbClusterNode",
  "Remove-NlbClusterNode",
  "Start-NlbClusterNode",
  "Stop-NlbClusterNode",
  "Resume-NlbClusterNode",
  "Get-NlbClusterPortRule",
  "Add-NlbClusterPortRule",
  "Remove-NlbClusterPortRule",
  "Get-NlbClusterNodeNetworkInterface",
] as const;

/** The manifest of a module of ps/ (ExcasDns, ExcasServer). */
function psModulePath(name: string): string {
  return psAsset(`${name}/${name}.psd1`);
}

/** ps/ExcasDns. */
export function excasDnsModulePath(): string {
  return psModulePath("ExcasDns");
}

/** ps/ExcasServer. */
export function excasServerModulePath(): string {
  return psModulePath("ExcasServer");
}

/** The line that imports the module at `path` into the session's global scope, afresh. */
function importGlobal(path: string): string {
  return `Import-Module -Name ${psQuote(path)} -Global -Force -DisableNameChecking -ErrorAction Stop`;
}

/** A PSCredential built in the script from quoted literals (the password is in no argument or environment). */
function psCredential(username: string, password: string): string {
  return (
    `New-Object System.Management.Automation.PSCredential(${psQuote(username)}, ` +
    `(ConvertTo-SecureString -String ${psQuote(password)} -AsPlainText -Force))`
  );
}

/**
 * The PowerShell that prepares a fresh session for `connection`. `password`, when given, is put
 * into a SecureString inside pwsh; the script travels over stdin, never on a command line.
 */
export function bootstrapScript(connection: SessionConnection, password?: string): string {
  switch (connection.kind) {
    case "lab":
      return [
        `$env:EXCHANGE_LAB_STATE = ${psQuote(resolveLabPath(connection.statePath))}`,
        importGlobal(resolveLabPath(connection.modulePath)),
        // The lab's DNS cmdlets run in this process; the provider reaches them as it does a jump host's.
        importGlobal(excasDnsModulePath()),
        importGlobal(excasServerModulePath()),
        // The lab runs on this machine: the server the session is on is named by its host name.
        `$global:ExcasEndpointName = [System.Net.Dns]::GetHostName()`,
        // Its servers are reached through the lab's Invoke-Command -ComputerName, without options.
        `$global:ExcasServerOptions = @{}`,
      ].join("\n");
    case "winrm": {
      // A local session: each server command is Invoke-Command -ComputerName <server> @ExcasServerOptions.
      const lines = [
        importGlobal(excasServerModulePath()),
        `$global:ExcasServerOptions = @{ Authentication = ${psQuote(connection.authentication)} }`,
      ];
      if (connection.useSsl === true) lines.push(`$global:ExcasServerOptions.UseSSL = $true`);
      if (connection.port !== undefined) lines.push(`$global:ExcasServerOptions.Port = ${connection.port}`);
      if (connection.skipCertificateChecks === true) {
        lines.push(`$global:ExcasServerOptions.SessionOption = New-PSSessionOption -SkipCACheck -SkipCNCheck`);
      }
      if (connection.username !== undefined) {
        if (password === undefined) throw missingPasswordError(connection);
        lines.push(`$global:ExcasServerOptions.Credential = ${psCredential(connection.username, password)}`);
      }
      return lines.join("\n");
    }
    case "exchange": {
      const lines = [
        "$excasOptions = @{ ConfigurationName = 'Microsoft.Exchange'; " +
          `ConnectionUri = ${psQuote(connection.connectionUri)}; ` +
          `Authentication = ${psQuote(connection.authentication)}; ErrorAction = 'Stop' }`,
      ];
      if (connection.username !== undefined) {
        if (password === undefined) throw missingPasswordError(connection);
        lines.push(`$excasOptions.Credential = ${psCredential(connection.username, password)}`);
      }
      if (connection.skipCertificateChecks === true) {
        // pwsh on Linux/macOS has no -SkipRevocationCheck; Windows PowerShell does.
        lines.push(
          `$excasSkip = @{ SkipCACheck = $true; SkipCNCheck = $true }`,
          "if ((Get-Command New-PSSessionOption).Parameters.ContainsKey('SkipRevocationCheck')) " +
            "{ $excasSkip.SkipRevocationCheck = $true }",
          `$excasOptions.SessionOption = New-PSSessionOption @excasSkip`,
        );
      }
      return remoteSessionScript(lines, EXCHANGE_CMDLETS);
    }
    case "ssh": {
      // PowerShell remoting over SSH (PowerShell 6+); -Options needs 7.3+. Key authentication
      // only: the connection never carries a password, and a non-interactive ssh cannot prompt.
      const lines = [
        "if (-not (Get-Command New-PSSession).Parameters.ContainsKey('HostName')) " +
          "{ throw ('PowerShell remoting over SSH needs PowerShell 7 (pwsh); " +
          "this is PowerShell ' + $PSVersionTable.PSVersion + '.') }",
        `$excasOptions = @{ HostName = ${psQuote(connection.hostName)}; ` +
          `UserName = ${psQuote(connection.userName)}; ` +
          `KeyFilePath = ${psQuote(connection.keyFilePath)}; ErrorAction = 'Stop' }`,
      ];
      if (connection.port !== undefined) lines.push(`$excasOptions.Port = ${connection.port}`);
      if (connection.subsystem !== undefined) lines.push(`$excasOptions.Subsystem = ${psQuote(connection.subsystem)}`);
      if (connection.knownHostsFile !== undefined) {
        lines.push(
          "if (-not (Get-Command New-PSSession).Parameters.ContainsKey('Options')) " +
            "{ throw ('knownHostsFile needs New-PSSession -Options, " +
            "which PowerShell 7.3 added; this is PowerShell ' + $PSVersionTable.PSVersion + " +
            "'.') }",
          "$excasOptions.Options = @{ UserKnownHostsFile = " +
            `${psQuote(connection.knownHostsFile)}; StrictHostKeyChecking = 'yes' }`,
        );
      }
      return remoteSessionScript(lines, [...EXCHANGE_CMDLETS, ...DNS_CMDLETS, ...SERVER_CMDLETS]);
    }
  }
}

/**
 * The one path for every remote kind: `options` builds the $excasOptions splat for New-PSSession
 * (the only part that differs between kinds); then the session is opened and ONLY `commands` are
 * imported from it (implicit remoting), into the global scope so every later command sees them.
 */
function remoteSessionScript(options: readonly string[], commands: readonly string[]): string {
  return [
    ...options,
    `$global:ExcasRemoteSession = New-PSSession @excasOptions`,
    `Remove-Variable -Name excasOptions`,
    "$excasModule = Import-PSSession -Session $global:ExcasRemoteSession " +
      `-CommandName ${psQuoteArray(commands)} -AllowClobber -DisableNameChecking ` +
      "-ErrorAction Stop",
    `Import-Module -ModuleInfo $excasModule -Global -DisableNameChecking`,
    // The server the session runs on, for the endpoint version check (endpoint.ts).
    `$global:ExcasEndpointName = $global:ExcasRemoteSession.ComputerName`,
  ].join("\n");
}

/** What closes the session's remote side, so Exchange's 18-shells-per-user quota is not used up. */
export function teardownScript(connection: SessionConnection): string | undefined {
  return connection.kind === "exchange" || connection.kind === "ssh"
    ? `if ($global:ExcasRemoteSession) { Remove-PSSession -Session $global:ExcasRemoteSession }`
    : undefined;
}
