// Where commands run. A connection is plain data (it is stored in state as an input), so it never
// holds a password: the password is looked up when a session opens (see credentials.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { describeIssue } from "../runtime/check";
import { psQuote, psQuoteArray } from "./quote";

const timeouts = {
  /** Seconds one command may run before its session is killed and the command fails. */
  commandTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
};

export const LabConnectionSchema = z.object({
  kind: z.literal("lab"),
  /**
   * The lab's JSON state file (what EXCHANGE_LAB_STATE points at). A relative path (".lab/state.json")
   * is kept as given in inputs and state and resolved against the project root when a session opens
   * (see projectRoot), so a moved or re-cloned checkout has the same inputs; an absolute one is used as is.
   */
  statePath: z.string().min(1),
  /** The lab module (lab/ExchangeLab.psd1 or .psm1); relative paths as for statePath. */
  modulePath: z.string().min(1),
  ...timeouts,
});

export const ExchangeConnectionSchema = z.object({
  kind: z.literal("exchange"),
  /** Exchange 2010 remote PowerShell endpoint, e.g. http://ho-ex2010-mb1.contoso.com/PowerShell/ */
  connectionUri: z.url({ protocol: /^https?$/ }),
  authentication: z.enum(["Kerberos", "Negotiate", "Basic"]).default("Kerberos"),
  /** Account for -Credential; its password comes from stack config or the environment. */
  username: z.string().min(1).optional(),
  /** For https endpoints with a self-signed certificate. */
  skipCertificateChecks: z.boolean().optional(),
  ...timeouts,
});

export const SshConnectionSchema = z.object({
  kind: z.literal("ssh"),
  /** The host that serves the `powershell` SSH subsystem (for Exchange: a Windows jump host). */
  hostName: z.string().regex(/^[^\s@]+$/, "must be a host name or address, without spaces or a user@ part"),
  port: z.number().int().min(1).max(65535).optional(),
  userName: z.string().min(1),
  /** The private key for -KeyFilePath; SSH keys only, never a password. */
  keyFilePath: z.string().min(1),
  /** A known_hosts file that must hold the host's key (StrictHostKeyChecking=yes); else ~/.ssh/known_hosts. */
  knownHostsFile: z.string().min(1).optional(),
  /** The sshd_config Subsystem to start; PowerShell's default is `powershell`. */
  subsystem: z.string().min(1).optional(),
  ...timeouts,
});

/**
 * PowerShell remoting (WinRM) from this machine to each Exchange server, for what lives on the
 * server and not behind the Exchange endpoint (the static RPC ports in its registry). The
 * computer is each server's FQDN; these are the Invoke-Command settings. The remote side of a
 * Windows Server 2008 R2 server is PowerShell 2.0, and remoting must have been enabled there
 * (Enable-PSRemoting; on by default only from Windows Server 2012).
 */
export const WinrmConnectionSchema = z.object({
  kind: z.literal("winrm"),
  authentication: z.enum(["Default", "Kerberos", "Negotiate", "Basic", "CredSSP"]).default("Kerberos"),
  /** Account for -Credential; its password comes from stack config or the environment, as for exchange. */
  username: z.string().min(1).optional(),
  /** WinRM over HTTPS (5986) instead of HTTP (5985). */
  useSsl: z.boolean().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  /** For https listeners with a self-signed certificate. */
  skipCertificateChecks: z.boolean().optional(),
  ...timeouts,
});
export type WinrmConnection = z.infer<typeof WinrmConnectionSchema>;

const KINDS = "lab, exchange or ssh";

/** The error map of a union of connection kinds: one sentence naming the kinds to use. */
function kindErrors(kinds: string, what: string): z.core.$ZodErrorMap {
  return (issue) => {
    if (issue.code === "invalid_union") {
      const kind = (issue.input as { kind?: unknown } | undefined)?.kind;
      return kind === undefined ? `kind is missing: set kind to ${kinds}` : `kind ${JSON.stringify(kind)} is not a ${what} kind: use ${kinds}`;
    }
    if (issue.code === "invalid_type") return `must be a ${what}: an object whose kind is ${kinds}, with that kind's settings`;
    return undefined;
  };
}

export const ConnectionSchema = z.discriminatedUnion("kind", [LabConnectionSchema, ExchangeConnectionSchema, SshConnectionSchema], {
  error: kindErrors(KINDS, "connection"),
});
export type Connection = z.infer<typeof ConnectionSchema>;
export type ConnectionInput = z.input<typeof ConnectionSchema>;

const SERVER_KINDS = "lab, winrm or ssh";

/**
 * How the provider reaches each Client Access server itself: the lab's emulated servers, WinRM
 * from this machine, or WinRM from an SSH jump host (the ssh connection's host runs
 * Invoke-Command -ComputerName for each server).
 */
export const ServerConnectionSchema = z.discriminatedUnion("kind", [LabConnectionSchema, WinrmConnectionSchema, SshConnectionSchema], {
  error: kindErrors(SERVER_KINDS, "server connection"),
});
export type ServerConnection = z.infer<typeof ServerConnectionSchema>;
export type ServerConnectionInput = z.input<typeof ServerConnectionSchema>;

/** Anything a session can be opened for. */
export type SessionConnection = Connection | WinrmConnection;

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
export const DNS_CMDLETS = ["Get-ExcasDnsARecord", "Add-ExcasDnsARecord", "Remove-ExcasDnsARecord", "Set-ExcasDnsARecordTtl", "Resolve-ExcasDnsName"] as const;

/**
 * The command that runs a provider script on an Exchange server with PowerShell remoting: the
 * ExcasServer module (ps/ExcasServer), imported into lab and winrm sessions; an SSH jump host
 * must have it installed, and it is imported from there with the other commands.
 */
export const SERVER_CMDLETS = ["Invoke-ExcasServerScript"] as const;

/** A module of ps/ (ExcasDns, ExcasServer), seen from provider/shell (source) or provider/dist/shell (compiled). */
function psModulePath(name: string): string {
  const candidates = [path.resolve(__dirname, `../ps/${name}/${name}.psd1`), path.resolve(__dirname, `../../ps/${name}/${name}.psd1`)];
  const found = candidates.find((p) => fs.existsSync(p));
  if (found === undefined) throw new Error(`exchange-cas is incomplete: ps/${name} is missing from the package.`);
  return found;
}

/** ps/ExcasDns. */
export function excasDnsModulePath(): string {
  return psModulePath("ExcasDns");
}

/** ps/ExcasServer. */
export function excasServerModulePath(): string {
  return psModulePath("ExcasServer");
}

/**
 * `value` as a connection, or one readable Error (never a ZodError's JSON dump), e.g. "Invalid
 * connection of CasArraySite HeadOffice: kind \"lba\" is not a connection kind: use lab, exchange or ssh."
 * `property` names the setting (connection, dnsConnection); `owner` what it belongs to.
 */
export function parseConnection(value: unknown, property: string, owner?: string): Connection {
  const parsed = ConnectionSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const reasons = parsed.error.issues.map((issue) => describeIssue(issue, property, value));
  throw new Error(`Invalid ${property}${owner !== undefined ? ` of ${owner}` : ""}: ${reasons.join("; ").replace(/\.$/, "")}.`);
}

/**
 * Registry key: two resources with equal connections share one session. A lab's paths count as
 * resolved now, so the same relative paths under another project root are another lab.
 */
export function connectionKey(connection: SessionConnection): string {
  const resolved =
    connection.kind === "lab"
      ? { ...connection, statePath: resolveLabPath(connection.statePath), modulePath: resolveLabPath(connection.modulePath) }
      : connection;
  const entries = Object.entries(resolved).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify(entries);
}

/**
 * The project root, against which a lab connection's relative paths are resolved: the program's
 * root directory where the language host says so (PULUMI_NODEJS_ROOT_DIRECTORY), else the working
 * directory, which is the project root (where Pulumi.yaml is) for both the program and the
 * dynamic-provider host the engine starts.
 */
export function projectRoot(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.PULUMI_NODEJS_ROOT_DIRECTORY;
  return root !== undefined && path.isAbsolute(root) ? root : process.cwd();
}

/** A lab connection's path as the session uses it: absolute, relative ones against `root`. */
export function resolveLabPath(file: string, root: string = projectRoot()): string {
  return path.resolve(root, file);
}

/** A short, secret-free description for error messages. */
export function describeConnection(connection: SessionConnection): string {
  switch (connection.kind) {
    case "lab":
      return `the lab (state ${resolveLabPath(connection.statePath)})`;
    case "exchange":
      return `Exchange at ${connection.connectionUri}`;
    case "ssh":
      return `PowerShell over SSH at ${connection.userName}@${connection.hostName}:${connection.port ?? 22}`;
    case "winrm":
      return `PowerShell remoting (WinRM${connection.useSsl === true ? " over HTTPS" : ""}) from this machine`;
  }
}

export function commandTimeoutMs(connection: SessionConnection): number {
  return (connection.commandTimeoutSeconds ?? 120) * 1000;
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
        `Import-Module -Name ${psQuote(resolveLabPath(connection.modulePath))} -Global -Force -DisableNameChecking -ErrorAction Stop`,
        // The lab's DNS cmdlets run in this process; the provider reaches them as it does a jump host's.
        `Import-Module -Name ${psQuote(excasDnsModulePath())} -Global -Force -DisableNameChecking -ErrorAction Stop`,
        `Import-Module -Name ${psQuote(excasServerModulePath())} -Global -Force -DisableNameChecking -ErrorAction Stop`,
        // The lab runs on this machine: the server the session is on is named by its host name.
        `$global:ExcasEndpointName = [System.Net.Dns]::GetHostName()`,
        // Its servers are reached through the lab's Invoke-Command -ComputerName, without options.
        `$global:ExcasServerOptions = @{}`,
      ].join("\n");
    case "winrm": {
      // A local session: each server command is Invoke-Command -ComputerName <server> @ExcasServerOptions.
      const lines = [
        `Import-Module -Name ${psQuote(excasServerModulePath())} -Global -Force -DisableNameChecking -ErrorAction Stop`,
        `$global:ExcasServerOptions = @{ Authentication = ${psQuote(connection.authentication)} }`,
      ];
      if (connection.useSsl === true) lines.push(`$global:ExcasServerOptions.UseSSL = $true`);
      if (connection.port !== undefined) lines.push(`$global:ExcasServerOptions.Port = ${connection.port}`);
      if (connection.skipCertificateChecks === true) {
        lines.push(`$global:ExcasServerOptions.SessionOption = New-PSSessionOption -SkipCACheck -SkipCNCheck`);
      }
      if (connection.username !== undefined) {
        if (password === undefined) {
          throw new Error(
            `A username is set for ${describeConnection(connection)} but no password was found; set it with 'pulumi config set --secret exchange-cas:password' or the EXCHANGE_CAS_PASSWORD environment variable.`,
          );
        }
        lines.push(
          `$global:ExcasServerOptions.Credential = New-Object System.Management.Automation.PSCredential(${psQuote(connection.username)}, (ConvertTo-SecureString -String ${psQuote(password)} -AsPlainText -Force))`,
        );
      }
      return lines.join("\n");
    }
    case "exchange": {
      const lines = [
        `$excasOptions = @{ ConfigurationName = 'Microsoft.Exchange'; ConnectionUri = ${psQuote(connection.connectionUri)}; Authentication = ${psQuote(connection.authentication)}; ErrorAction = 'Stop' }`,
      ];
      if (connection.username !== undefined) {
        if (password === undefined) {
          throw new Error(
            `A username is set for ${describeConnection(connection)} but no password was found; set it with 'pulumi config set --secret exchange-cas:password' or the EXCHANGE_CAS_PASSWORD environment variable.`,
          );
        }
        lines.push(
          `$excasOptions.Credential = New-Object System.Management.Automation.PSCredential(${psQuote(connection.username)}, (ConvertTo-SecureString -String ${psQuote(password)} -AsPlainText -Force))`,
        );
      }
      if (connection.skipCertificateChecks === true) {
        // pwsh on Linux/macOS has no -SkipRevocationCheck; Windows PowerShell does.
        lines.push(
          `$excasSkip = @{ SkipCACheck = $true; SkipCNCheck = $true }`,
          `if ((Get-Command New-PSSessionOption).Parameters.ContainsKey('SkipRevocationCheck')) { $excasSkip.SkipRevocationCheck = $true }`,
          `$excasOptions.SessionOption = New-PSSessionOption @excasSkip`,
        );
      }
      return remoteSessionScript(lines, EXCHANGE_CMDLETS);
    }
    case "ssh": {
      // PowerShell remoting over SSH (PowerShell 6+); -Options needs 7.3+. Key authentication
      // only: the connection never carries a password, and a non-interactive ssh cannot prompt.
      const lines = [
        `if (-not (Get-Command New-PSSession).Parameters.ContainsKey('HostName')) { throw ('PowerShell remoting over SSH needs PowerShell 7 (pwsh); this is PowerShell ' + $PSVersionTable.PSVersion + '.') }`,
        `$excasOptions = @{ HostName = ${psQuote(connection.hostName)}; UserName = ${psQuote(connection.userName)}; KeyFilePath = ${psQuote(connection.keyFilePath)}; ErrorAction = 'Stop' }`,
      ];
      if (connection.port !== undefined) lines.push(`$excasOptions.Port = ${connection.port}`);
      if (connection.subsystem !== undefined) lines.push(`$excasOptions.Subsystem = ${psQuote(connection.subsystem)}`);
      if (connection.knownHostsFile !== undefined) {
        lines.push(
          `if (-not (Get-Command New-PSSession).Parameters.ContainsKey('Options')) { throw ('knownHostsFile needs New-PSSession -Options, which PowerShell 7.3 added; this is PowerShell ' + $PSVersionTable.PSVersion + '.') }`,
          `$excasOptions.Options = @{ UserKnownHostsFile = ${psQuote(connection.knownHostsFile)}; StrictHostKeyChecking = 'yes' }`,
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
    `$excasModule = Import-PSSession -Session $global:ExcasRemoteSession -CommandName ${psQuoteArray(commands)} -AllowClobber -DisableNameChecking -ErrorAction Stop`,
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
