// The lab's Windows DNS Server cmdlets: record shape, round robin, the remove-by-name pitfall,
// Set's Timestamp drop, and CimException errors with "WIN32 <code>,<cmdlet>" ids (DOMAIN.md section 3).
import { afterAll, describe, expect, it } from "vitest";
import { LabBatch } from "../support/lab";
import type { Captured } from "../support/pwsh";

// Every scenario below runs in one pwsh process, each against its own copy of the scenario.
const batch = new LabBatch();
afterAll(() => batch.cleanup());

const zone = "exchangeserverpro.net";
// Record objects as JSON-friendly values, with the .NET types the provider relies on.
const recordView = `function View { process { [ordered]@{
  HostName = $_.HostName; RecordType = $_.RecordType; RecordClass = $_.RecordClass
  Ttl = $_.TimeToLive.ToString(); TtlType = $_.TimeToLive.GetType().FullName
  Timestamp = $(if ($null -eq $_.Timestamp) { $null } else { $_.Timestamp.ToString('yyyy-MM-dd HH:mm:ss') })
  TimestampType = $(if ($null -eq $_.Timestamp) { $null } else { $_.Timestamp.GetType().FullName })
  Ip = $_.RecordData.IPv4Address.IPAddressToString; IpType = $_.RecordData.IPv4Address.GetType().FullName
  TypeName = $_.PSObject.TypeNames[0] } } }`;

interface RecordView {
  HostName: string;
  RecordType: string;
  RecordClass: string;
  Ttl: string;
  TtlType: string;
  Timestamp: string | null;
  TimestampType: string | null;
  Ip: string;
  IpType: string;
  TypeName: string;
}

describe("Get-DnsServerResourceRecord", () => {
  const s0 = batch.add<{ Dynamic: RecordView[]; Static: RecordView[]; All: number }>(
    `${recordView}
       Emit ([ordered]@{
         Dynamic = @(Get-DnsServerResourceRecord -ZoneName ${zone} -Name HO-EX2010-MB1 -RRType A -ComputerName DC01 | View)
         Static = @(Get-DnsServerResourceRecord ${zone} dc01 -ComputerName DC01.exchangeserverpro.net | View)
         All = @(Get-DnsServerResourceRecord -ZoneName ${zone} -RRType A -ComputerName DC01).Count })`,
  );
  it("returns one object per A record with the DnsServer shape", async () => {
    const result = await s0();
    expect(result.Dynamic).toEqual([
      {
        HostName: "HO-EX2010-MB1",
        RecordType: "A",
        RecordClass: "IN",
        Ttl: "00:20:00",
        TtlType: "System.TimeSpan",
        Timestamp: "2012-03-01 10:00:00",
        TimestampType: "System.DateTime",
        Ip: "10.1.0.11",
        IpType: "System.Net.IPAddress",
        TypeName: "Microsoft.Management.Infrastructure.CimInstance#root/Microsoft/Windows/DNS/DnsServerResourceRecord",
      },
    ]);
    expect(result.Static[0]).toMatchObject({ HostName: "DC01", Ttl: "01:00:00", Timestamp: null, Ip: "10.1.0.5" });
    expect(result.All).toBe(6);
  });

  const s1 = batch.add<{ Fqdn: string[]; Default: string[]; Branch: string[] }>(
    `Emit ([ordered]@{
         Fqdn = @(Get-DnsServerResourceRecord -ZoneName ${zone} -Name ho-dag01.exchangeserverpro.net. -ComputerName DC01 | ForEach-Object { $_.RecordData.IPv4Address.ToString() })
         Default = @(Get-DnsServerResourceRecord -ZoneName ${zone} -Name BR-EX2010-MB | ForEach-Object { $_.RecordData.IPv4Address.ToString() })
         Branch = @(Get-DnsServerResourceRecord -ZoneName branch.exchangeserverpro.net -ComputerName DC02 | ForEach-Object HostName) })`,
  );
  it("accepts an FQDN inside the zone, uses the default DNS server, and serves several servers and zones", async () => {
    const result = await s1();
    expect(result).toEqual({ Fqdn: ["10.1.0.20"], Default: ["10.2.0.11"], Branch: ["DC02", "BR-FILE01"] });
  });

  const s2 = batch.add<{ Name: Captured<unknown>; Zone: Captured<unknown>; Server: Captured<unknown>; After: string }>(
    `$name = Invoke-Captured { Get-DnsServerResourceRecord -ZoneName ${zone} -Name outlook-br -RRType A -ComputerName DC01 }
       $zone = Invoke-Captured { Get-DnsServerResourceRecord -ZoneName branch.exchangeserverpro.net -ComputerName DC01 }
       $server = Invoke-Captured { Get-DnsServerResourceRecord -ZoneName ${zone} -ComputerName DC09 }
       Emit ([ordered]@{ Name = $name; Zone = $zone; Server = $server; After = 'continued' })`,
  );
  it("reports a missing name (9714), a zone the server does not host (9601) and an unknown server as CIM errors", async () => {
    const result = await s2();
    expect(result.After).toBe("continued");
    expect(result.Name.Errors).toEqual([
      {
        Message: "Failed to get outlook-br record in exchangeserverpro.net zone on DC01 server.",
        Type: "Microsoft.Management.Infrastructure.CimException",
        Reason: "CimException",
        Category: "ObjectNotFound",
        Activity: "Get-DnsServerResourceRecord",
        Fqid: "WIN32 9714,Get-DnsServerResourceRecord",
        Target: "outlook-br",
      },
    ]);
    expect(result.Zone.Errors[0]).toMatchObject({
      Fqid: "WIN32 9601,Get-DnsServerResourceRecord",
      Category: "ObjectNotFound",
      Message: "Failed to get the zone information for branch.exchangeserverpro.net on server DC01.",
    });
    expect(result.Server.Errors[0]).toMatchObject({
      Fqid: "WIN32 1722,Get-DnsServerResourceRecord",
      Reason: "CimException",
    });
    expect(result.Server.Errors[0]?.Message).toContain('"DC09"');
  });
});

describe("Add-DnsServerResourceRecordA", () => {
  const s3 = batch.add<{ Quiet: number; Passed: RecordView[]; Read: string[] }>(
    `${recordView}
       $quiet = @(Add-DnsServerResourceRecordA -ZoneName ${zone} -Name outlook-ho -IPv4Address 10.1.0.11 -ComputerName DC01)
       $passed = @(Add-DnsServerResourceRecordA -ZoneName ${zone} -Name outlook-ho -IPv4Address 10.1.0.12, 10.1.0.13 -TimeToLive 00:05:00 -ComputerName DC01 -PassThru | View)
       Emit ([ordered]@{ Quiet = $quiet.Count; Passed = $passed; Read = @(Get-DnsServerResourceRecord ${zone} outlook-ho -Node -RRType A -ComputerName DC01 | ForEach-Object { '{0} {1}' -f $_.RecordData.IPv4Address, $_.TimeToLive }) })`,
  );
  it("adds static records with a one-hour default TTL, several per name (round robin), and returns them with -PassThru", async () => {
    const result = await s3();
    expect(result.Quiet).toBe(0);
    expect(result.Passed.map((r) => [r.HostName, r.Ip, r.Ttl, r.Timestamp])).toEqual([
      ["outlook-ho", "10.1.0.12", "00:05:00", null],
      ["outlook-ho", "10.1.0.13", "00:05:00", null],
    ]);
    expect(result.Read).toEqual(["10.1.0.11 01:00:00", "10.1.0.12 00:05:00", "10.1.0.13 00:05:00"]);
  });

  const s4 = batch.add<RecordView>(
    `${recordView}
       Add-DnsServerResourceRecordA ${zone} outlook-br.exchangeserverpro.net 10.2.0.50 -AgeRecord -ComputerName DC01
       Emit (Get-DnsServerResourceRecord ${zone} outlook-br -ComputerName DC01 | View)`,
  );
  it("stamps the record with -AgeRecord and accepts an FQDN inside the zone", async () => {
    const record = await s4();
    expect(record.HostName).toBe("outlook-br");
    expect(record.TimestampType).toBe("System.DateTime");
    expect(record.Timestamp).toMatch(/:00:00$/);
  });

  const s5 = batch.add<{ Dup: Captured<unknown>; Ips: string[]; Zone: Captured<unknown>; BadIp: Captured<unknown> }>(
    `$dup = Invoke-Captured { Add-DnsServerResourceRecordA -ZoneName ${zone} -Name HO-EX2010-MB1 -IPv4Address 10.1.0.11, 10.1.0.99 -ComputerName DC01 }
       Emit ([ordered]@{ Dup = $dup
         Ips = @(Get-DnsServerResourceRecord ${zone} HO-EX2010-MB1 -ComputerName DC01 | ForEach-Object { $_.RecordData.IPv4Address.ToString() })
         Zone = Invoke-Captured { Add-DnsServerResourceRecordA -ZoneName contoso.com -Name x -IPv4Address 10.0.0.1 -ComputerName DC01 }
         BadIp = Invoke-Captured { Add-DnsServerResourceRecordA -ZoneName ${zone} -Name x -IPv4Address 10.0.0.300 -ComputerName DC01 } })`,
  );
  it("refuses a duplicate name and address with WIN32 9711, and the other addresses still go in", async () => {
    const result = await s5();
    expect(result.Dup.Errors).toEqual([
      {
        Message: 'Failed to create resource record "HO-EX2010-MB1" in zone "exchangeserverpro.net" on server "DC01".',
        Type: "Microsoft.Management.Infrastructure.CimException",
        Reason: "CimException",
        Category: "ResourceExists",
        Activity: "Add-DnsServerResourceRecordA",
        Fqid: "WIN32 9711,Add-DnsServerResourceRecordA",
        Target: "HO-EX2010-MB1",
      },
    ]);
    expect(result.Ips).toEqual(["10.1.0.11", "10.1.0.99"]);
    expect(result.Zone.Errors[0]?.Fqid).toBe("WIN32 9601,Add-DnsServerResourceRecordA");
    expect(result.BadIp.Errors[0]?.Message).toContain("An invalid IP address was specified.");
  });
});

describe("Remove-DnsServerResourceRecord", () => {
  const s6 = batch.add<{ Before: number; After: Captured<unknown>; Others: number }>(
    `Add-DnsServerResourceRecordA -ZoneName ${zone} -Name outlook-ho -IPv4Address 10.1.0.11, 10.1.0.12 -ComputerName DC01
       $before = @(Get-DnsServerResourceRecord ${zone} outlook-ho -Node -ComputerName DC01).Count
       Remove-DnsServerResourceRecord -ZoneName ${zone} -RRType A -Name outlook-ho -Force -ComputerName DC01
       Emit ([ordered]@{ Before = $before; After = Invoke-Captured { Get-DnsServerResourceRecord ${zone} outlook-ho -Node -ComputerName DC01 }
         Others = @(Get-DnsServerResourceRecord ${zone} -ComputerName DC01).Count })`,
  );
  it("without -RecordData removes every record of the name and type, siblings included", async () => {
    const result = await s6();
    expect(result.Before).toBe(2);
    expect(result.After.Errors[0]?.Fqid).toBe("WIN32 9714,Get-DnsServerResourceRecord");
    // The scenario's five names and legacy.outlook-ho below outlook-ho: a remove by name stays at the name.
    expect(result.Others).toBe(6);
  });

  const s7 = batch.add<{ Left: string[]; Passed: string[]; Data: Captured<unknown>; Name: Captured<unknown> }>(
    `Add-DnsServerResourceRecordA -ZoneName ${zone} -Name outlook-ho -IPv4Address 10.1.0.11, 10.1.0.12 -ComputerName DC01
       $passed = @(Remove-DnsServerResourceRecord -ZoneName ${zone} -RRType A -Name outlook-ho -RecordData 10.1.0.12 -Force -PassThru -ComputerName DC01 | ForEach-Object { $_.RecordData.IPv4Address.ToString() })
       Emit ([ordered]@{ Passed = $passed
         Left = @(Get-DnsServerResourceRecord ${zone} outlook-ho -Node -ComputerName DC01 | ForEach-Object { $_.RecordData.IPv4Address.ToString() })
         Data = Invoke-Captured { Remove-DnsServerResourceRecord -ZoneName ${zone} -RRType A -Name outlook-ho -RecordData 10.1.0.77 -Force -ComputerName DC01 }
         Name = Invoke-Captured { Remove-DnsServerResourceRecord -ZoneName ${zone} -RRType A -Name outlook-xx -Force -ComputerName DC01 } })`,
  );
  it("with -RecordData removes only those records; unknown data gives 9701 and an unknown name 9714", async () => {
    const result = await s7();
    expect(result.Passed).toEqual(["10.1.0.12"]);
    expect(result.Left).toEqual(["10.1.0.11"]);
    expect(result.Data.Errors[0]).toMatchObject({
      Fqid: "WIN32 9701,Remove-DnsServerResourceRecord",
      Reason: "CimException",
      Category: "ObjectNotFound",
    });
    expect(result.Name.Errors[0]).toMatchObject({
      Fqid: "WIN32 9714,Remove-DnsServerResourceRecord",
      Message: "Failed to get outlook-xx record in exchangeserverpro.net zone on DC01 server.",
    });
  });

  const s8 = batch.add<string[]>(
    `Add-DnsServerResourceRecordA -ZoneName ${zone} -Name outlook-ho -IPv4Address 10.1.0.11, 10.1.0.12 -ComputerName DC01
       Get-DnsServerResourceRecord ${zone} outlook-ho -Node -ComputerName DC01 | Where-Object { $_.RecordData.IPv4Address.ToString() -eq '10.1.0.11' } |
         Remove-DnsServerResourceRecord -ZoneName ${zone} -Force -ComputerName DC01
       Emit @(Get-DnsServerResourceRecord ${zone} outlook-ho -Node -ComputerName DC01 | ForEach-Object { $_.RecordData.IPv4Address.ToString() })`,
  );
  it("removes exactly the piped record objects", async () => {
    const left = await s8();
    expect(left).toEqual(["10.1.0.12"]);
  });
});

describe("Set-DnsServerResourceRecord", () => {
  const s9 = batch.add<{ Old: string; Passed: RecordView; Read: RecordView[] }>(
    `${recordView}
       $old = Get-DnsServerResourceRecord -ZoneName ${zone} -Name HO-DAG01 -RRType A -ComputerName DC01
       $new = $old.Clone()
       $new.TimeToLive = [TimeSpan]::FromHours(2)
       $new.RecordData.IPv4Address = [System.Net.IPAddress]::Parse('10.1.0.21')
       $passed = Set-DnsServerResourceRecord -NewInputObject $new -OldInputObject $old -ZoneName ${zone} -ComputerName DC01 -PassThru | View
       Emit ([ordered]@{ Old = $old.RecordData.IPv4Address.ToString(); Passed = $passed; Read = @(Get-DnsServerResourceRecord ${zone} HO-DAG01 -ComputerName DC01 | View) })`,
  );
  it("changes TTL and address of the matched record in place and drops its Timestamp; the clone is independent", async () => {
    const result = await s9();
    expect(result.Old).toBe("10.1.0.20");
    expect(result.Passed).toMatchObject({ HostName: "HO-DAG01", Ip: "10.1.0.21", Ttl: "02:00:00", Timestamp: null });
    expect(result.Read).toHaveLength(1);
    expect(result.Read[0]).toMatchObject({ Ip: "10.1.0.21", Ttl: "02:00:00", Timestamp: null });
  });

  const s10 = batch.add<{ Taken: Captured<unknown>; Stale: Captured<unknown>; Renamed: Captured<unknown> }>(
    `Add-DnsServerResourceRecordA -ZoneName ${zone} -Name outlook-ho -IPv4Address 10.1.0.11, 10.1.0.12 -ComputerName DC01
       $records = @(Get-DnsServerResourceRecord ${zone} outlook-ho -Node -ComputerName DC01)
       $new = $records[0].Clone(); $new.RecordData.IPv4Address = [System.Net.IPAddress]::Parse('10.1.0.12')
       $taken = Invoke-Captured { Set-DnsServerResourceRecord -NewInputObject $new -OldInputObject $records[0] -ZoneName ${zone} -ComputerName DC01 }
       $stale = $records[0].Clone(); $stale.RecordData.IPv4Address = [System.Net.IPAddress]::Parse('10.1.0.99')
       $renamed = $records[1].Clone(); $renamed.HostName = 'outlook-br'
       Emit ([ordered]@{ Taken = $taken
         Stale = Invoke-Captured { Set-DnsServerResourceRecord -NewInputObject $records[1] -OldInputObject $stale -ZoneName ${zone} -ComputerName DC01 }
         Renamed = Invoke-Captured { Set-DnsServerResourceRecord -NewInputObject $renamed -OldInputObject $records[1] -ZoneName ${zone} -ComputerName DC01 } })`,
  );
  it("refuses an address another record of the name has (9711), a stale old record (9701) and a renamed record", async () => {
    const result = await s10();
    expect(result.Taken.Errors[0]).toMatchObject({
      Fqid: "WIN32 9711,Set-DnsServerResourceRecord",
      Category: "ResourceExists",
    });
    expect(result.Stale.Errors[0]).toMatchObject({
      Fqid: "WIN32 9701,Set-DnsServerResourceRecord",
      Category: "ObjectNotFound",
    });
    expect(result.Renamed.Errors[0]?.Fqid).toBe("WIN32 87,Set-DnsServerResourceRecord");
  });
});
