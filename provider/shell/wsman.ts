// Whether this machine's PowerShell can speak WSMan (WinRM) at all. pwsh 7 on Linux and macOS
// ships no working WSMan client (PowerShell issues #17390, #20806, #25110), so an `exchange`
// connection's New-PSSession, and every Invoke-Command -ComputerName to a server of a `winrm`
// server connection, fail there with "This parameter set requires WSMan, and no supported WSMan
// client library was found": the fault is on this machine, not on Exchange or the server. So a
// session that needs WSMan is checked once, when it opens and before anything is asked of
// Exchange: on Windows WSMan is built in; elsewhere the community module PSWSMan (3.0 and later,
// which hooks PowerShell's WSMan transport in each process: Enable-PSWSMan) is enabled when it is
// installed; else the native client libpsrpclient must load (PSWSMan 2.x installs one). None of
// them: the session is refused with one sentence naming the three ways that work.
import { describeConnection, type SessionConnection } from "./connection";
import type { Envelope } from "./envelope";
import type { CommandSpec, PsErrorRecord } from "./types";
import { z } from "zod";

/** The connections whose session speaks WSMan from this machine. */
export function needsWsman(connection: SessionConnection): boolean {
  return connection.kind === "exchange" || connection.kind === "winrm";
}

/**
 * Reports how this PowerShell reaches WSMan (Windows, PSWSMan, libpsrpclient) or that it cannot.
 * Enabling PSWSMan is the one change it makes, and only to this process, as PSWSMan requires.
 * Windows PowerShell 5.1 and pwsh 7: no type literal that 5.1 lacks.
 */
export const WSMAN_CHECK: CommandSpec = {
  cmdlet: "WSMan client check",
  target: "",
  script: [
    "$excasWsman = New-Object PSObject -Property @{ Available = $true; " +
      "Via = 'Windows'; Version = [string]$PSVersionTable.PSVersion }",
    "if ($PSVersionTable.PSEdition -eq 'Core' -and " +
      "[System.Environment]::OSVersion.Platform -ne [System.PlatformID]::Win32NT) {",
    "    $excasPswsman = @(Get-Module -ListAvailable -Name PSWSMan | Where-Object { " +
      "$_.Version.Major -ge 3 -or $_.ExportedCommands.ContainsKey('Enable-PSWSMan') " +
      "} | Sort-Object Version -Descending)",
    `    if ($excasPswsman.Count -gt 0) {`,
    // Called through the imported module: the command exists only where PSWSMan does.
    `        $excasModule = Import-Module -ModuleInfo $excasPswsman[0] -PassThru -ErrorAction Stop`,
    `        & $excasModule.ExportedCommands['Enable-PSWSMan'] -Force -ErrorAction Stop`,
    `        $excasWsman.Via = 'PSWSMan ' + $excasPswsman[0].Version`,
    `    } else {`,
    // The library PowerShell's own WSMan transport loads (DllImport from System.Management.Automation).
    `        $excasHandle = [IntPtr]::Zero`,
    `        $excasNative = 'System.Runtime.InteropServices.NativeLibrary' -as [type]`,
    "        if ($null -ne $excasNative -and $excasNative::TryLoad('libpsrpclient', " +
      "[psobject].Assembly, $null, [ref]$excasHandle)) " +
      "{ $excasWsman.Via = 'libpsrpclient' }",
    `        else { $excasWsman.Available = $false; $excasWsman.Via = 'none' }`,
    `    }`,
    `}`,
    `$excasWsman`,
  ].join("\n"),
  select: ["Available", "Via", "Version"],
};

const Row = z.object({ Available: z.boolean(), Via: z.string(), Version: z.string() });

function platformName(platform: NodeJS.Platform): string {
  return platform === "darwin" ? "macOS" : platform === "linux" ? "Linux" : platform;
}

/** What needs WSMan, for the sentence: the Exchange endpoint or the servers. */
function needing(connection: SessionConnection): string {
  return connection.kind === "winrm"
    ? "PowerShell remoting (WinRM) to the Client Access servers"
    : `a remote session to ${describeConnection(connection)}`;
}

/** The one sentence for a machine whose PowerShell has no WSMan client. */
export function noWsmanMessage(
  connection: SessionConnection,
  version = "7",
  platform: NodeJS.Platform = process.platform,
): string {
  return (
    `This machine's PowerShell (pwsh ${version} on ${platformName(platform)}) ` +
    `has no working WSMan client, so it cannot open ${needing(connection)}: ` +
    "run Pulumi on Windows, reach Exchange through a Windows jump host (a 'kind: ssh' connection), " +
    "or install the PSWSMan module for this pwsh (Install-Module PSWSMan)."
  );
}

/** Why `connection` cannot be opened from this machine, read from the check's envelope, or undefined when it can. */
export function wsmanRefusal(
  connection: SessionConnection,
  envelope: Envelope,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (!envelope.ok) {
    const reason = envelope.errors.map((e) => e.message.replace(/\.?\s*$/, "")).join("; ");
    return (
      `${noWsmanMessage(connection, undefined, platform).replace(/\.$/, "")} ` +
      `(PSWSMan is installed but could not be enabled: ${reason}).`
    );
  }
  const row = Row.safeParse(envelope.data[0]);
  if (!row.success || row.data.Available) return undefined;
  return noWsmanMessage(connection, row.data.Version, platform);
}

/**
 * PowerShell's own error for a missing WSMan client (New-PSSession, Invoke-Command -ComputerName):
 * a PSRemotingTransportException whose id is the PSRemotingDataStructureException's, with
 * PowerShell's English text (pwsh ships its messages in English only).
 */
export function isNoWsmanError(error: Pick<PsErrorRecord, "type" | "fqid" | "message">): boolean {
  return (
    error.type === "PSRemotingTransportException" &&
    /PSRemotingDataStructureException/.test(error.fqid) &&
    /requires WSMan/.test(error.message)
  );
}
