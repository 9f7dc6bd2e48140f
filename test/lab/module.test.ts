// The lab module as a PowerShell artefact: Windows PowerShell 5.1-compatible syntax, explicit
// exports with help, a fast import (cached exception types), and the article scenario's content.
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LAB_ENDPOINT_COMMANDS } from "../support/sshd";
import { LabBatch, type JsonObject } from "../support/lab";
import { LAB_MODULE, ROOT, SCENARIO } from "../support/paths";
import { psq } from "../support/pwsh";

const modulePath = join(ROOT, "lab", "ExchangeLab.psm1");
// The module's files split out of the .psm1 by concern (dot-sourced by it), checked as the .psm1 is.
const splitPaths = [
  "Types",
  "State",
  "Faults",
  "Errors",
  "Directory",
  "Exchange",
  "Dns",
  "Admin",
  "Windows",
  "Registry",
  "Services",
  "RemoteHost",
  "WindowsAdmin",
  "Nlb",
  "NlbRemote",
].map((part) => join(ROOT, "lab", `ExchangeLab.${part}.ps1`));
// The PowerShell 2.0 check, a module of its own nested in the lab (its messages name the 7-only operators).
const windowsPath = join(ROOT, "lab", "Ps2Compat", "Ps2Compat.Checks.ps1");
const manifestPath = join(ROOT, "lab", "ExchangeLab.psd1");
const typesPath = join(ROOT, "lab", "types", "ExchangeLabTypes.cs");

// The lab's Exchange 2010 and DnsServer cmdlets (what the SSH fixture's endpoint shows), then its
// administration.
const exported = [
  ...LAB_ENDPOINT_COMMANDS,
  "Initialize-ExchangeLab",
  "Get-ExchangeLabState",
  "Get-ExchangeLabLatency",
  "Set-ExchangeLabLatency",
  "Add-ExchangeLabFault",
  "Get-ExchangeLabFault",
  "Clear-ExchangeLabFault",
  // The Windows side: WinRM to a lab server, the PowerShell 2.0 check, the admin at the console.
  "Invoke-Command",
  "Test-ExchangeLabPowerShell2Script",
  "Get-ExchangeLabServerWindows",
  "Set-ExchangeLabServerWindows",
  "Set-ExchangeLabRegistryValue",
  "Restart-ExchangeLabService",
  "Add-ExchangeLabServiceFault",
  "Update-ExchangeLabServer",
  "Get-ExchangeLabNlbCluster",
];

const batch = new LabBatch();
afterAll(() => batch.cleanup());

describe("Windows PowerShell 5.1 compatibility", () => {
  // The code of each file without its strings and comments (the PowerShell 2.0 check names the
  // 7-only operators in its messages), from pwsh's tokenizer.
  const code = batch.add<Record<string, string>>(
    `$r = [ordered]@{}
     foreach ($path in ${psq(modulePath)}, ${psq(windowsPath)}) {
       $tokens = $null; $errors = $null
       $null = [System.Management.Automation.Language.Parser]::ParseFile($path, [ref]$tokens, [ref]$errors)
       $r[[IO.Path]::GetFileName($path)] = @($tokens | Where-Object { [string]$_.Kind -notmatch '^(StringLiteral|StringExpandable|HereStringLiteral|HereStringExpandable|Comment)$' } | ForEach-Object { $_.Text }) -join ' '
     }
     Emit $r`,
  );
  it("uses none of the PowerShell 7 operators or parameters 5.1 lacks", async () => {
    const tokens = await code();
    for (const [name, source] of [
      ...[modulePath, ...splitPaths].map((path) => [basename(path), readFileSync(path, "utf8")] as const),
      ["Ps2Compat.Checks.ps1", tokens["Ps2Compat.Checks.ps1"] ?? ""],
    ] as const) {
      expect(source.length, name).toBeGreaterThan(1000);
      for (const token of [
        "??",
        "?.",
        "&&",
        "||",
        "-AsArray",
        "-AsHashtable",
        "-Parallel",
        "ForEach-Object -Parallel",
        "-SkipNull",
      ]) {
        expect(source.includes(token), `${name} contains ${token}`).toBe(false);
      }
      expect(source).not.toMatch(/\s\?\s[^\s]+\s:\s/); // ternary
      expect(source).not.toMatch(/ConvertFrom-Json[^\n]*-Depth/);
      expect(source).not.toMatch(/\[System\.IO\.File\]::Move\([^)]*,[^)]*,[^)]*\)/); // Move with overwrite is .NET Core only
    }
  });

  it("has C# the 5.1 compiler (C# 5) accepts: no interpolation, expression bodies, nameof or exception filters", () => {
    const source = readFileSync(typesPath, "utf8");
    expect(source).not.toMatch(/\$"/);
    expect(source).not.toMatch(/\)\s*=>/);
    expect(source).not.toMatch(/\bnameof\(/);
    expect(source).not.toMatch(/catch\s*\([^)]*\)\s*when\b/);
    expect(source).not.toMatch(/\?\./);
  });

  const ast = batch.add<{ Errors: string[]; Ps7Nodes: string[] }>(
    `$errors = @(); $ps7 = @()
     foreach ($path in @(${[modulePath, ...splitPaths, windowsPath].map(psq).join(", ")})) {
     $tokens = $null; $fileErrors = $null
     $tree = [System.Management.Automation.Language.Parser]::ParseFile($path, [ref]$tokens, [ref]$fileErrors)
     $errors += @($fileErrors)
     $ps7 += @($tree.FindAll({ param($node)
       $node.GetType().Name -in 'TernaryExpressionAst', 'PipelineChainAst' -or
       ($node -is [System.Management.Automation.Language.BinaryExpressionAst] -and [string]$node.Operator -eq 'QuestionQuestion') -or
       ($node -is [System.Management.Automation.Language.AssignmentStatementAst] -and [string]$node.Operator -eq 'QuestionQuestionEquals') -or
       ($node -is [System.Management.Automation.Language.MemberExpressionAst] -and $node.NullConditional) -or
       ($node -is [System.Management.Automation.Language.IndexExpressionAst] -and $node.NullConditional)
     }, $true) | ForEach-Object { $_.Extent.Text })
     }
     Emit ([ordered]@{ Errors = @($errors | ForEach-Object Message); Ps7Nodes = $ps7 })`,
  );
  it("parses cleanly and has no PowerShell 7-only syntax nodes", async () => {
    expect(await ast()).toEqual({ Errors: [], Ps7Nodes: [] });
  });
});

describe("files", () => {
  it("keeps every lab file under 700 lines, one concern a file", () => {
    const files = [
      ...readdirSync(join(ROOT, "lab"))
        .filter((f) => /\.ps(d?1|m1)$/.test(f))
        .map((f) => join(ROOT, "lab", f)),
      ...readdirSync(join(ROOT, "lab", "Ps2Compat")).map((f) => join(ROOT, "lab", "Ps2Compat", f)),
    ];
    expect(files.length).toBeGreaterThan(15);
    for (const file of files)
      expect(readFileSync(file, "utf8").split("\n").length, basename(file)).toBeLessThanOrEqual(700);
  });
});

describe("exports and help", () => {
  it("lists every exported function explicitly in the manifest", () => {
    const manifest = readFileSync(manifestPath, "utf8");
    for (const name of exported) expect(manifest).toContain(`'${name}'`);
    expect(manifest).not.toMatch(/FunctionsToExport\s*=\s*'\*'/);
  });

  const commands = batch.add<{ Name: string; Advanced: boolean; Synopsis: string }[]>(
    `Emit @(Get-Command -Module ExchangeLab | Sort-Object Name | ForEach-Object { [ordered]@{
       Name = $_.Name; Advanced = $_.CmdletBinding; Synopsis = [string](Get-Help -Name $_.Name -Category Function).Synopsis } })`,
  );
  it("exports exactly the lab's cmdlets, each an advanced function with comment-based help", async () => {
    const found = await commands();
    expect(found.map((c) => c.Name)).toEqual([...exported].sort((a, b) => a.localeCompare(b)));
    for (const command of found) {
      expect(command.Advanced, command.Name).toBe(true);
      expect(command.Synopsis.length, command.Name).toBeGreaterThan(10);
      expect(command.Synopsis, command.Name).not.toContain(command.Name); // not the syntax fallback
    }
  });

  const parameters = batch.add<Record<string, string[]>>(
    `$r = [ordered]@{}
     foreach ($c in 'New-ClientAccessArray', 'Set-ClientAccessArray', 'Remove-ClientAccessArray', 'Get-ClientAccessArray', 'Set-MailboxDatabase', 'Add-DnsServerResourceRecordA', 'Get-DnsServerResourceRecord', 'Set-DnsServerResourceRecord') {
       $meta = (Get-Command $c).Parameters.Values | Where-Object { $_.Name -notin [System.Management.Automation.PSCmdlet]::CommonParameters }
       $r[$c] = @($meta | ForEach-Object {
         $positions = @($_.ParameterSets.Values | ForEach-Object Position | Where-Object { $_ -ge 0 } | Sort-Object -Unique)
         '{0}:{1}:{2}' -f $_.Name, $_.ParameterType.Name, ($(if ($positions.Count) { $positions[0] } else { 'named' }))
       } | Sort-Object)
     }
     Emit $r`,
  );
  it("has Exchange's and DnsServer's parameters and positions", async () => {
    const p = await parameters();
    expect(p["New-ClientAccessArray"]).toEqual([
      "Confirm:SwitchParameter:named",
      "DomainController:String:named",
      "Fqdn:String:named",
      "Name:String:0",
      "Site:String:named",
      "WhatIf:SwitchParameter:named",
    ]);
    expect(p["Set-ClientAccessArray"]).toContain("Identity:String:0");
    expect(p["Remove-ClientAccessArray"]).toContain("Identity:String:0");
    expect(p["Get-ClientAccessArray"]).toEqual([
      "DomainController:String:named",
      "Identity:String:0",
      "Site:String:named",
    ]);
    expect(p["Set-MailboxDatabase"]).toContain("RpcClientAccessServer:String:named");
    expect(p["Add-DnsServerResourceRecordA"]).toEqual(
      expect.arrayContaining([
        "ZoneName:String:0",
        "Name:String:1",
        "IPv4Address:String[]:2",
        "TimeToLive:TimeSpan:named",
        "PassThru:SwitchParameter:named",
      ]),
    );
    expect(p["Get-DnsServerResourceRecord"]).toEqual(
      expect.arrayContaining([
        "ZoneName:String:0",
        "Name:String:1",
        "RRType:String:named",
        "ComputerName:String:named",
      ]),
    );
    expect(p["Set-DnsServerResourceRecord"]).toEqual(
      expect.arrayContaining(["ZoneName:String:0", "OldInputObject:Object:1", "NewInputObject:Object:2"]),
    );
  });
});

describe("import", () => {
  const timing = batch.add<{ Dll: string; Loaded: boolean; Rewritten: boolean }>(
    `$dll = [Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException].Assembly.Location
     $written = (Get-Item -LiteralPath $dll).LastWriteTimeUtc.Ticks
     Remove-Module ExchangeLab
     Import-Module ${psq(LAB_MODULE)}
     $type = [Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException]
     Emit ([ordered]@{ Dll = $type.Assembly.Location; Loaded = $null -ne $type; Rewritten = (Get-Item -LiteralPath $type.Assembly.Location).LastWriteTimeUtc.Ticks -ne $written })`,
  );
  it("loads the exception types from a DLL cached in the temp folder, and a re-import compiles nothing", async () => {
    const result = await timing();
    expect(result.Loaded).toBe(true);
    expect(result.Dll).toMatch(/ExchangeLab-types-[^/\\]+[/\\]ExchangeLabTypes-[0-9A-F]{20}\.dll$/);
    // The cached DLL is loaded as it is, not compiled again (how long an import takes is for
    // npm run bench, not for a test on a busy machine).
    expect(result.Rewritten).toBe(false);
  });
});

describe("the article scenario", () => {
  const state = JSON.parse(readFileSync(SCENARIO, "utf8")) as JsonObject;
  const list = (key: string): JsonObject[] => state[key] as JsonObject[];

  it("seeds the ExchangeServerPro organisation of the article", () => {
    expect(state.organization).toMatchObject({
      Name: "ExchangeServerPro",
      Domain: "exchangeserverpro.net",
      DomainController: "DC01.exchangeserverpro.net",
    });
    expect(list("sites").map((s) => s.Name)).toEqual(["HeadOffice", "BranchOffice"]);
    expect(list("servers").map((s) => [s.Name, s.Site, s.Fqdn])).toEqual([
      ["HO-EX2010-MB1", "HeadOffice", "HO-EX2010-MB1.exchangeserverpro.net"],
      ["HO-EX2010-MB2", "HeadOffice", "HO-EX2010-MB2.exchangeserverpro.net"],
      ["BR-EX2010-MB", "BranchOffice", "BR-EX2010-MB.exchangeserverpro.net"],
    ]);
    expect(list("databaseAvailabilityGroups")).toEqual([
      expect.objectContaining({ Name: "HO-DAG01", Servers: ["HO-EX2010-MB1", "HO-EX2010-MB2"] }),
    ]);
    expect(list("clientAccessArrays")).toEqual([]);
    expect(list("mailboxDatabases").map((d) => [d.Name, d.Server, d.Recovery])).toEqual([
      ["MB-HO-01", "HO-EX2010-MB1", false],
      ["MB-HO-02", "HO-EX2010-MB1", false],
      ["MB-BR-01", "BR-EX2010-MB", false],
      ["MB-HO-03", "HO-EX2010-MB1", false],
      ["RDB-HO-01", "HO-EX2010-MB1", true],
    ]);
  });

  it("has a few mailboxes on each mailbox database and none on the recovery database", () => {
    const nameOf = new Map(list("mailboxDatabases").map((d) => [String(d.Guid), String(d.Name)]));
    const perDatabase: Record<string, number> = {};
    for (const m of list("mailboxes")) {
      const db = nameOf.get(String(m.Database)) ?? `unknown database ${String(m.Database)}`;
      perDatabase[db] = (perDatabase[db] ?? 0) + 1;
    }
    expect(perDatabase).toEqual({ "MB-HO-01": 3, "MB-HO-02": 2, "MB-HO-03": 1, "MB-BR-01": 2 });
    for (const m of list("mailboxes")) expect(Object.keys(m).sort()).toEqual(["Alias", "Database", "Guid", "Name"]);
  });

  it("has fixed GUIDs, unique across the scenario", () => {
    const guids = [
      state.organization as JsonObject,
      ...list("sites"),
      ...list("servers"),
      ...list("databaseAvailabilityGroups"),
      ...list("mailboxDatabases"),
      ...list("mailboxes"),
    ].map((o) => String(o.Guid));
    for (const guid of guids) expect(guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set(guids).size).toBe(guids.length);
  });

  it("has DNS on DC01 (servers, DAG, DC01, a name below outlook-ho) and a second server DC02 with the branch zone", () => {
    const servers = (state.dns as JsonObject).servers as JsonObject[];
    expect(servers.map((s) => [s.Name, s.Fqdn])).toEqual([
      ["DC01", "DC01.exchangeserverpro.net"],
      ["DC02", "DC02.exchangeserverpro.net"],
    ]);
    const zoneOf = (i: number): JsonObject[] => (servers[i]?.Zones ?? []) as JsonObject[];
    expect(zoneOf(0).map((z) => z.Name)).toEqual(["exchangeserverpro.net"]);
    expect(zoneOf(1).map((z) => z.Name)).toEqual(["branch.exchangeserverpro.net"]);
    const records = (zoneOf(0)[0]?.Records ?? []) as JsonObject[];
    expect(Object.fromEntries(records.map((r) => [r.HostName, r.IPv4Address]))).toEqual({
      DC01: "10.1.0.5",
      "HO-EX2010-MB1": "10.1.0.11",
      "HO-EX2010-MB2": "10.1.0.12",
      "BR-EX2010-MB": "10.2.0.11",
      "HO-DAG01": "10.1.0.20",
      // A name below outlook-ho (the array's name): Get-DnsServerResourceRecord -Name outlook-ho returns it too.
      "legacy.outlook-ho": "10.1.0.30",
    });
    expect(state.lab).toEqual({ latency: { SessionOpenMs: 0, ExchangeCommandMs: 0, DnsCommandMs: 0 }, faults: [] });
  });
});
