// What the provider sends to a Client Access server runs there on PowerShell 2.0 (Windows Server
// 2008 R2, LB-WIRING.md 0.1): every provider/ps/server/*.ps1 passes the lab's PowerShell 2.0 check,
// and the check finds each 3.0+ construct in a small sample (so a passing script means something).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../support/paths";
import { psq, resultOf, runPwsh } from "../support/pwsh";

const serverScripts = readdirSync(join(ROOT, "provider", "ps", "server"))
  .filter((name) => name.endsWith(".ps1"))
  .map((name) => join(ROOT, "provider", "ps", "server", name));

// Each sample and the construct the check must name (a substring of its finding).
const refused: [string, string][] = [
  ["$h = [ordered]@{ a = 1 }", "[ordered]"],
  ["$o = [pscustomobject]@{ a = 1 }", "[pscustomobject]"],
  ["if ('a' -in @('a', 'b')) { 1 }", "-in operator"],
  ["if ('a' -notin @('a', 'b')) { 1 }", "-notin operator"],
  ["$x = 1 -shl 2", "-shl operator"],
  ["$x = 8 -shr 1", "-shr operator"],
  ["Get-Service | ForEach-Object { $PSItem.Name }", "$PSItem"],
  ["@(1, 2).Where({ $_ -gt 1 })", ".Where() method"],
  ["@(1, 2).ForEach({ $_ * 2 })", ".ForEach() method"],
  ["$b = [System.Text.StringBuilder]::new()", "::new() constructor call"],
  ["class Port { [int]$Number }", "class or enum definition"],
  ["enum Kind { DWord; String }", "class or enum definition"],
  ["using namespace System.Text", "using statement"],
  ["$p = 1; Invoke-Command -ComputerName cas1 -ScriptBlock { $using:p }", "$using: variable"],
  ["Get-CimInstance -ClassName Win32_Service", "Get-CimInstance"],
  ["@{ a = 1 } | ConvertTo-Json", "ConvertTo-Json"],
  ["'{}' | ConvertFrom-Json", "ConvertFrom-Json"],
  ["Invoke-RestMethod -Uri 'http://cas1/'", "Invoke-RestMethod"],
  ["Invoke-WebRequest -Uri 'http://cas1/'", "Invoke-WebRequest"],
  ["function F { param([ValidateRange('Positive')][int]$Port) $Port }", "[ValidateRange('Positive')]"],
  ["$x = $true ? 1 : 2", "ternary operator"],
  ["$x = $null ?? 1", "null-coalescing operator ??"],
  ["$x = $null; $x ??= 1", "null-coalescing assignment ??="],
  ["$s = 'a'; ${s}?.Length", "null-conditional member access"],
  ["$a = @(1); ${a}?[0]", "null-conditional index"],
  ["Get-Service && Get-Date", "pipeline chain operator"],
  ["Get-Service || Get-Date", "pipeline chain operator"],
  ["Get-Service | Where-Object Status -eq 'Running'", "simplified syntax"],
  ["Get-Service | ForEach-Object Name", "simplified syntax"],
  ["function F { param([Parameter(Mandatory)][string]$Name) $Name }", "Mandatory without = $true"],
  ["Get-ChildItem -Path C:\\ -File", "Get-ChildItem -File"],
  ["$t = Get-Content -Path C:\\a.txt -Raw", "Get-Content -Raw"],
  ["Get-Service 3>&1", "redirection of the Warning stream"],
  ["Get-Service *> $null", "redirection of the All stream"],
  ["#requires -Version 3.0\nGet-Service", "#requires -Version 3.0"],
  ["Get-WindowsFeature -Name NLB", "module autoloading"],
  ["Get-NlbClusterNode", "module autoloading"],
  ["$n = 0b101", "binary number literal"],
  ["$n = 10u", "numeric type suffix"],
  ['$s = "`e[0m"', "escape `e"],
  ["Get-Date &", "background operator"],
  ["1..3 | ForEach-Object -Parallel { $_ }", "ForEach-Object -Parallel"],
  ["Resolve-DnsName -Name cas1", "Resolve-DnsName"],
  ["Test-NetConnection -ComputerName cas1 -Port 135", "Test-NetConnection"],
  ["$x = 'a'..'c'", "character range"],
  ["$x = 'a' -replace 'a', { 'b' }", "-replace with a script block"],
  ["if ($IsWindows) { 1 }", "$IsWindows"],
  ["Get-Service -PipelineVariable s", "-PipelineVariable"],
  ["Get-Service {", "parse error"],
  // .NET Framework 4 members and types: PowerShell 2.0 runs on .NET 2.0/3.5, where they do not exist.
  ["if ([string]::IsNullOrWhiteSpace($v)) { 1 }", "[System.String]::IsNullOrWhiteSpace (.NET Framework 4.0)"],
  ["$g = [guid]::Empty; [guid]::TryParse('x', [ref]$g)", "[System.Guid]::TryParse (.NET Framework 4.0)"],
  [
    "$k = [Microsoft.Win32.RegistryValueKind]::DWord; $k.HasFlag([Microsoft.Win32.RegistryValueKind]::DWord)",
    "Enum.HasFlag() (.NET Framework 4.0)",
  ],
  [
    "foreach ($l in [System.IO.File]::ReadLines('C:\\a.txt')) { $l }",
    "[System.IO.File]::ReadLines (.NET Framework 4.0)",
  ],
  [
    "if ([Environment]::Is64BitOperatingSystem) { 1 }",
    "[System.Environment]::Is64BitOperatingSystem (.NET Framework 4.0)",
  ],
  ["$t = [Tuple]::Create(135, 59532)", "[System.Tuple] (.NET Framework 4.0)"],
  ["$t = New-Object 'System.Tuple[int,int]' 135, 59532", "[System.Tuple] (.NET Framework 4.0)"],
  [
    "$l = New-Object -TypeName 'System.Collections.Generic.List[System.Tuple[int,string]]'",
    "[System.Tuple] (.NET Framework 4.0)",
  ],
  ["$p = [IO.Path]::Combine('C:', 'Program Files', 'Microsoft')", "[System.IO.Path]::Combine of more than two parts"],
  ["$v = [version]::Parse('14.3.123.4')", "[System.Version]::Parse (.NET Framework 4.0)"],
  ["[System.IO.Directory]::EnumerateFiles('C:\\')", "[System.IO.Directory]::EnumerateFiles (.NET Framework 4.0)"],
];

// PowerShell 2.0 code the check must let through.
const accepted = [
  "Get-Service | Where-Object { $_.Status -eq 'Running' } | ForEach-Object { $_.Name }",
  "Get-Service | Where-Object -FilterScript { $_.Status -eq 'Running' } -ErrorAction SilentlyContinue",
  "foreach ($p in @(1, 2)) { if (@(1, 2) -contains $p) { $p } }",
  "New-Object PSObject -Property @{ Kind = 'DWord'; Value = [string]59532 }",
  "Import-Module ServerManager; Get-WindowsFeature -Name NLB",
  "function F { param([Parameter(Mandatory = $true)][ValidateRange(1, 65535)][int]$Port) $Port }",
  "$n = 10l + 5mb; $m = [regex]::Match('a', 'a'); Get-Service 2>&1 | Out-Null",
  // What .NET 2.0 has: the 2.0 members of the same types.
  "if ([string]::IsNullOrEmpty($v)) { [IO.Path]::Combine('C:', 'a') }; $g = New-Object Guid 'c0a8b3e2-1f4d-4e5a-9b6c-7d8e9f0a1b2c'; [System.IO.File]::ReadAllLines('C:\\a.txt'); [Environment]::MachineName; $v = New-Object Version '14.3'",
];

const script = `
$result = [ordered]@{ Scripts = [ordered]@{}; Refused = @(); Accepted = @() }
foreach ($path in @(${serverScripts.map(psq).join(", ")})) {
  $result.Scripts[[IO.Path]::GetFileName($path)] = @(Test-ExchangeLabPowerShell2Script -Path $path | ForEach-Object { [string]$_.Line + ': ' + $_.Construct })
}
foreach ($sample in @(${refused.map(([s]) => psq(s)).join(", ")})) {
  $result.Refused += , @(Test-ExchangeLabPowerShell2Script -ScriptText $sample | ForEach-Object { $_.Construct })
}
foreach ($sample in @(${accepted.map(psq).join(", ")})) {
  $result.Accepted += , @(Test-ExchangeLabPowerShell2Script -ScriptText $sample | ForEach-Object { $_.Construct })
}
Emit $result`;

interface Checked {
  Scripts: Record<string, string[]>;
  Refused: string[][];
  Accepted: string[][];
}

describe("the PowerShell 2.0 check (Test-ExchangeLabPowerShell2Script)", () => {
  let result: Checked;
  beforeAll(async () => {
    result = resultOf<Checked>(await runPwsh(script));
  });

  it("finds nothing in the scripts the provider sends to Client Access servers", () => {
    expect(serverScripts.length).toBeGreaterThan(0);
    for (const path of serverScripts) {
      const name = path.split(/[/\\]/).pop() ?? path;
      expect(result.Scripts[name], name).toEqual([]);
    }
  });

  it.each(refused.map(([sample, construct], i) => [construct, sample, i] as const))(
    "finds %s",
    (construct, sample, i) => {
      const found = result.Refused[i] ?? [];
      expect(
        found.some((f) => f.includes(construct)),
        `${sample} gave ${JSON.stringify(found)}`,
      ).toBe(true);
    },
  );

  it("lets PowerShell 2.0 code through", () => {
    expect(result.Accepted).toEqual(accepted.map(() => []));
  });
});
