// The lab's Resolve-DnsName (lab/ExchangeLab.Resolver.ps1): what a client of one lab DNS server
// gets for a name, the real cmdlet's NXDOMAIN and timeout errors, and the provider's
// Resolve-ExcasDnsName (provider/ps/ExcasDns) on top of it, which turns NXDOMAIN into data.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LabBatch, makeLab } from "../support/lab";
import { ROOT } from "../support/paths";
import { psq, runLab, type Captured } from "../support/pwsh";

const batch = new LabBatch();
afterAll(() => batch.cleanup());

const resolverPath = join(ROOT, "lab", "ExchangeLab.Resolver.ps1");
const excasDns = join(ROOT, "provider", "ps", "ExcasDns", "ExcasDns.psd1");
const zone = "exchangeserverpro.net";

interface Answer {
  Name: string;
  Type: string;
  TTL: number;
  Section: string;
  IPAddress?: string;
  TypeName: string;
}

const answerView = `function View { process { $o = [ordered]@{ Name = $_.Name; Type = [string]$_.Type; TTL = $_.TTL; Section = [string]$_.Section; TypeName = $_.PSObject.TypeNames[0] }
  if ($null -ne $_.PSObject.Properties['IPAddress']) { $o.IPAddress = $_.IPAddress }
  $o } }`;

describe("Resolve-DnsName in the lab", () => {
  const answers = batch.add<{
    Ho: Answer[];
    Fqdn: Answer[];
    Default: Answer[];
    ByAddress: Answer[];
    RoundRobin: string[];
    Branch: Answer[];
  }>(
    `${answerView}
     Add-DnsServerResourceRecordA -ZoneName ${zone} -Name outlook-ho -IPv4Address 10.1.0.12, 10.1.0.11 -TimeToLive 00:05:00 -ComputerName DC01
     Emit ([ordered]@{
       Ho = @(Resolve-DnsName -Name HO-EX2010-MB1.${zone} -Type A -Server DC01 -DnsOnly -NoHostsFile | View)
       Fqdn = @(Resolve-DnsName ho-ex2010-mb1.${zone}. A -Server DC01.exchangeserverpro.net | View)
       Default = @(Resolve-DnsName -Name HO-DAG01.${zone} -Type A | View)
       ByAddress = @(Resolve-DnsName -Name DC02.branch.${zone} -Type A -Server 10.2.0.5 | View)
       RoundRobin = @(Resolve-DnsName -Name outlook-ho.${zone} -Type A -Server DC01 | ForEach-Object { $_.IPAddress + '/' + $_.TTL } | Sort-Object)
       Branch = @(Resolve-DnsName -Name BR-FILE01.branch.${zone} -Server DC02 | View) })`,
  );
  it("answers a name's A records from the zones of the server asked, as DnsRecord_A answers with the TTL in seconds", async () => {
    const r = await answers();
    const ho = {
      Name: `HO-EX2010-MB1.${zone}`,
      Type: "A",
      TTL: 1200,
      Section: "Answer",
      IPAddress: "10.1.0.11",
      TypeName: "Microsoft.DnsClient.Commands.DnsRecord_A",
    };
    expect(r.Ho).toEqual([ho]);
    // By FQDN (server) and with a trailing dot (name); the name as asked.
    expect(r.Fqdn).toEqual([{ ...ho, Name: `ho-ex2010-mb1.${zone}` }]);
    // No -Server: the lab's default DNS server (DC01).
    expect(r.Default).toEqual([{ ...ho, Name: `HO-DAG01.${zone}`, IPAddress: "10.1.0.20" }]);
    // -Server by address; DC02 hosts branch.exchangeserverpro.net.
    expect(r.ByAddress).toEqual([{ ...ho, Name: `DC02.branch.${zone}`, TTL: 3600, IPAddress: "10.2.0.5" }]);
    expect(r.RoundRobin).toEqual(["10.1.0.11/300", "10.1.0.12/300"]);
    // The default type (A_AAAA) answers the A records: the lab has no AAAA.
    expect(r.Branch).toEqual([{ ...ho, Name: `BR-FILE01.branch.${zone}`, TTL: 3600, IPAddress: "10.2.0.21" }]);
  });

  const changes = batch.add<{ Before: string[]; After: string[]; Moved: string[] }>(
    `$q = { @(Resolve-DnsName -Name outlook-ho.${zone} -Type A -Server DC01 -ErrorAction SilentlyContinue | Where-Object { [string]$_.Type -eq 'A' } | ForEach-Object { $_.IPAddress }) }
     $before = @(& $q)
     Add-DnsServerResourceRecordA -ZoneName ${zone} -Name outlook-ho -IPv4Address 10.1.0.11 -ComputerName DC01
     $after = @(& $q)
     Add-DnsServerResourceRecordA -ZoneName ${zone} -Name outlook-ho -IPv4Address 10.1.0.100 -ComputerName DC01
     Remove-DnsServerResourceRecord -ZoneName ${zone} -Name outlook-ho -RRType A -RecordData 10.1.0.11 -Force -ComputerName DC01
     Emit ([ordered]@{ Before = $before; After = $after; Moved = @(& $q) })`,
  );
  it("answers what the zone holds now: a record added or moved by the DnsServer cmdlets is what the next query gets", async () => {
    expect(await changes()).toEqual({ Before: [], After: ["10.1.0.11"], Moved: ["10.1.0.100"] });
  });

  const nx = batch.add<{
    Missing: Captured<unknown>;
    OtherZone: Captured<unknown>;
    Stop: { Fqid: string; Message: string; Code: number };
    After: string;
  }>(
    `$missing = Invoke-Captured { Resolve-DnsName -Name nothing-here.${zone} -Type A -Server DC01 -DnsOnly -NoHostsFile }
     $other = Invoke-Captured { Resolve-DnsName -Name BR-FILE01.branch.${zone} -Type A -Server DC01 }
     $stop = $null
     try { Resolve-DnsName -Name nothing-here.${zone} -Type A -Server DC01 -ErrorAction Stop }
     catch { $stop = [ordered]@{ Fqid = $_.FullyQualifiedErrorId; Message = $_.Exception.Message; Code = $_.Exception.NativeErrorCode } }
     Emit ([ordered]@{ Missing = $missing; OtherZone = $other; Stop = $stop; After = 'continued' })`,
  );
  it("writes the real NXDOMAIN error for a name without records, and for a name in a zone the server does not host (no recursion)", async () => {
    const r = await nx();
    const error = {
      Message: `nothing-here.${zone} : DNS name does not exist`,
      Type: "System.ComponentModel.Win32Exception",
      Reason: "Win32Exception",
      Category: "ResourceUnavailable",
      Activity: "Resolve-DnsName",
      Fqid: "DNS_ERROR_RCODE_NAME_ERROR,Microsoft.DnsClient.Commands.ResolveDnsName",
      Target: `nothing-here.${zone}`,
    };
    expect(r.Missing).toEqual({ Out: [], Errors: [error] });
    expect(r.OtherZone).toEqual({
      Out: [],
      Errors: [
        { ...error, Message: `BR-FILE01.branch.${zone} : DNS name does not exist`, Target: `BR-FILE01.branch.${zone}` },
      ],
    });
    // Non-terminating, as the real cmdlet's; -ErrorAction Stop makes it catchable with the same id.
    expect(r.After).toBe("continued");
    expect(r.Stop).toEqual({ Fqid: error.Fqid, Message: error.Message, Code: 9003 });
  });

  const nodata = batch.add<Captured<Answer>>(
    `${answerView}
     Emit (Invoke-Captured { Resolve-DnsName -Name outlook-ho.${zone} -Type A -Server DC01 | View })`,
  );
  it("gives a name that exists only through names below it (outlook-ho above legacy.outlook-ho) a NODATA answer: the zone's SOA, no A", async () => {
    const r = await nodata();
    expect(r.Errors).toEqual([]);
    expect(r.Out).toEqual([
      {
        Name: zone,
        Type: "SOA",
        TTL: 3600,
        Section: "Authority",
        TypeName: "Microsoft.DnsClient.Commands.DnsRecord_SOA",
      },
    ]);
  });

  const unreachable = batch.add<Captured<unknown>>(
    `Emit (Invoke-Captured { Resolve-DnsName -Name HO-EX2010-MB1.${zone} -Type A -Server DC09 -QuickTimeout })`,
  );
  it("times out, as a real client does, on a DNS server the lab does not know", async () => {
    expect(await unreachable()).toEqual({
      Out: [],
      Errors: [
        {
          Message: `HO-EX2010-MB1.${zone} : This operation returned because the timeout period expired`,
          Type: "System.ComponentModel.Win32Exception",
          Reason: "Win32Exception",
          Category: "OperationTimeout",
          Activity: "Resolve-DnsName",
          Fqid: "ERROR_TIMEOUT,Microsoft.DnsClient.Commands.ResolveDnsName",
          Target: `HO-EX2010-MB1.${zone}`,
        },
      ],
    });
  });

  const latency = batch.add<{ Ms: number; Fault: Captured<unknown>; Next: number }>(
    `Set-ExchangeLabLatency -DnsCommandMs 300 | Out-Null
     $watch = [Diagnostics.Stopwatch]::StartNew()
     $null = Resolve-DnsName -Name DC01.${zone} -Type A -Server DC01
     $ms = $watch.ElapsedMilliseconds
     Set-ExchangeLabLatency -DnsCommandMs 0 | Out-Null
     Add-ExchangeLabFault -Command Resolve-DnsName -Kind Error | Out-Null
     $fault = Invoke-Captured { Resolve-DnsName -Name DC01.${zone} -Type A -Server DC01 }
     Emit ([ordered]@{ Ms = $ms; Fault = $fault; Next = @(Resolve-DnsName -Name DC01.${zone} -Type A -Server DC01).Count })`,
  );
  it("pays the DNS latency and takes faults like the lab's DNS cmdlets", async () => {
    const r = await latency();
    expect(r.Ms).toBeGreaterThanOrEqual(300);
    expect(r.Fault.Out).toEqual([]);
    expect(r.Fault.Errors.map((e) => e.Fqid)).toEqual(["WIN32 1722,Resolve-DnsName"]);
    expect(r.Next).toBe(1);
  });
});

describe("Resolve-ExcasDnsName over the lab's Resolve-DnsName", () => {
  interface Resolution {
    Name: string;
    Server: string;
    Exists: boolean;
    IPAddress: string[];
    TTL: number[];
  }
  const excas = batch.add<{ Found: Resolution; Missing: Resolution; NoData: Resolution; Timeout: Captured<unknown> }>(
    `Import-Module ${psq(excasDns)} -Force
     Add-DnsServerResourceRecordA -ZoneName ${zone} -Name outlook-ho -IPv4Address 10.1.0.100 -TimeToLive 00:10:00 -ComputerName DC01
     $one = { param($n, $s) $r = Resolve-ExcasDnsName -Name $n -Server $s; [ordered]@{ Name = $r.Name; Server = $r.Server; Exists = $r.Exists; IPAddress = @($r.IPAddress); TTL = @($r.TTL) } }
     Emit ([ordered]@{
       Found = (& $one 'outlook-ho.${zone}' 'DC01')
       Missing = (& $one 'nothing-here.${zone}' 'DC01')
       NoData = (& $one 'legacy-parent.${zone}' 'DC01')
       Timeout = (Invoke-Captured { Resolve-ExcasDnsName -Name 'outlook-ho.${zone}' -Server 'DC09' }) })`,
    {
      edit: (state) => {
        const dns = state.dns as { servers: { Zones: { Records: Record<string, unknown>[] }[] }[] };
        dns.servers[0]?.Zones[0]?.Records.push({
          HostName: "x.legacy-parent",
          RecordType: "A",
          TimeToLive: "01:00:00",
          Timestamp: null,
          IPv4Address: "10.1.0.31",
        });
      },
    },
  );
  it("returns the A addresses and TTLs as primitives, NXDOMAIN and NODATA as data, and any other failure as the cmdlet's error", async () => {
    const r = await excas();
    expect(r.Found).toEqual({
      Name: `outlook-ho.${zone}`,
      Server: "DC01",
      Exists: true,
      IPAddress: ["10.1.0.100"],
      TTL: [600],
    });
    expect(r.Missing).toEqual({ Name: `nothing-here.${zone}`, Server: "DC01", Exists: false, IPAddress: [], TTL: [] });
    expect(r.NoData).toEqual({ Name: `legacy-parent.${zone}`, Server: "DC01", Exists: true, IPAddress: [], TTL: [] });
    expect(r.Timeout.Out).toEqual([]);
    expect(r.Timeout.Errors.map((e) => [e.Fqid, e.Category, e.Message])).toEqual([
      [
        "ERROR_TIMEOUT,Microsoft.DnsClient.Commands.ResolveDnsName",
        "OperationTimeout",
        `outlook-ho.${zone} : This operation returned because the timeout period expired`,
      ],
    ]);
  });
});

describe("Resolve-ExcasDnsName over a Windows-shaped answer", () => {
  // Its own pwsh: a stand-in Resolve-DnsName (what Windows answers for an alias) replaces the lab's.
  it("keeps only the answer section's A records: not the CNAME that leads to them, not additional records", async () => {
    const lab = makeLab();
    try {
      const r = await runLab<{ IPAddress: string[]; TTL: number[]; Exists: boolean }>(
        `Import-Module ${psq(excasDns)} -Force
         function global:Resolve-DnsName {
           param($Name, $Type, $Server, [switch]$DnsOnly, [switch]$NoHostsFile)
           [pscustomobject]@{ Name = $Name; Type = 'CNAME'; TTL = 300; Section = 'Answer'; NameHost = 'vip.${zone}' }
           [pscustomobject]@{ Name = 'vip.${zone}'; Type = 'A'; TTL = 120; Section = 'Answer'; IPAddress = '10.1.0.100' }
           [pscustomobject]@{ Name = 'ns.${zone}'; Type = 'A'; TTL = 3600; Section = 'Additional'; IPAddress = '10.1.0.5' }
         }
         $r = Resolve-ExcasDnsName -Name 'outlook-ho.${zone}' -Server 'DC01'
         Emit ([ordered]@{ Exists = $r.Exists; IPAddress = @($r.IPAddress); TTL = @($r.TTL) })`,
        lab.statePath,
      );
      expect(r).toEqual({ Exists: true, IPAddress: ["10.1.0.100"], TTL: [120] });
    } finally {
      lab.remove();
    }
  });
});

describe("the resolver file", () => {
  it("uses none of the PowerShell 7 operators Windows PowerShell 5.1 lacks", () => {
    const source = readFileSync(resolverPath, "utf8");
    for (const token of ["??", "?.", "&&", "||", "-AsArray", "-AsHashtable", "-Parallel"])
      expect(source.includes(token), token).toBe(false);
    expect(source).not.toMatch(/\s\?\s[^\s]+\s:\s/);
  });

  const ast = batch.add<{ Errors: string[]; Ps7Nodes: string[] }>(
    `$tokens = $null; $errors = $null
     $tree = [System.Management.Automation.Language.Parser]::ParseFile(${psq(resolverPath)}, [ref]$tokens, [ref]$errors)
     $ps7 = @($tree.FindAll({ param($node)
       $node.GetType().Name -in 'TernaryExpressionAst', 'PipelineChainAst' -or
       ($node -is [System.Management.Automation.Language.BinaryExpressionAst] -and [string]$node.Operator -eq 'QuestionQuestion') -or
       ($node -is [System.Management.Automation.Language.MemberExpressionAst] -and $node.NullConditional)
     }, $true) | ForEach-Object { $_.Extent.Text })
     Emit ([ordered]@{ Errors = @($errors | ForEach-Object Message); Ps7Nodes = $ps7 })`,
  );
  it("parses cleanly, without PowerShell 7-only syntax", async () => {
    expect(await ast()).toEqual({ Errors: [], Ps7Nodes: [] });
  });
});
