// The lab's Exchange servers and Client Access arrays: shapes, identities, Members, rules and the
// exact messages and error records of Exchange 2010 (DOMAIN.md section 1).
import { afterAll, describe, expect, it } from "vitest";
import { LabBatch, type JsonObject } from "../support/lab";
import { exchangeFqid, psq, type Captured } from "../support/pwsh";

const agDn =
  "CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=ExchangeServerPro,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=exchangeserverpro,DC=net";
const legacyPrefix =
  "/o=ExchangeServerPro/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=";
const notFound = (id: string): string =>
  `The operation couldn't be performed because object '${id}' couldn't be found on 'DC01.exchangeserverpro.net'.`;
const casNotFound = (id: string): string =>
  `Client Access array "${id}" wasn't found. Please make sure you have typed it correctly.`;
const oneArrayPerSite = (site: string): string =>
  `The Client Access array already exists in site ${site}. At most, one Client Access array can exist per site.`;
const nameTaken = (name: string): string =>
  `A Client Access array or an Exchange server "${name}" already exists. Please specify a new unique value.`;
const siteNotFound = (site: string): string =>
  `Exchange can't find Active Directory site ${site}. Make sure the site exists.`;

const createHeadOffice =
  "$null = New-ClientAccessArray -Name cas-headoffice -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice";

interface ArrayView {
  Name: string;
  Fqdn: string;
  Site: string;
  SiteName: string;
  Members: string[];
  ExchangeLegacyDN: string;
  DistinguishedName: string;
  Identity: string;
  Guid: string;
  ExchangeVersion: string;
  ObjectClass: string[];
  IsValid: boolean;
  TypeNames: string[];
  WhenCreated: string;
}

// Selects the array properties as JSON-friendly values (Guid as string, the type names alongside).
const arrayView = `function View { process { [ordered]@{
  Name = $_.Name; Fqdn = $_.Fqdn; Site = $_.Site; SiteName = $_.SiteName; Members = $_.Members
  MembersIsArray = ($_.Members -is [array]); ExchangeLegacyDN = $_.ExchangeLegacyDN; DistinguishedName = $_.DistinguishedName
  Identity = $_.Identity; Guid = $_.Guid.ToString(); ExchangeVersion = $_.ExchangeVersion; ObjectClass = $_.ObjectClass
  IsValid = $_.IsValid; TypeNames = @($_.PSObject.TypeNames); WhenCreated = $_.WhenCreated } } }`;

// Every scenario below runs in one pwsh process, each against its own copy of the scenario.
const batch = new LabBatch();
afterAll(() => batch.cleanup());

describe("Get-ExchangeServer", () => {
  interface ServerView {
    Name: string;
    Fqdn: string;
    Site: string;
    ServerRole: string;
    IsClientAccessServer: boolean;
    IsMailboxServer: boolean;
    Guid: string;
    DistinguishedName: string;
    ExchangeLegacyDN: string;
    AdminDisplayVersion: string;
    HasIp: boolean;
  }
  const s0 = batch.add<ServerView[]>(
    `Emit @(Get-ExchangeServer | ForEach-Object { [ordered]@{ Name = $_.Name; Fqdn = $_.Fqdn; Site = $_.Site; ServerRole = $_.ServerRole
        IsClientAccessServer = $_.IsClientAccessServer; IsMailboxServer = $_.IsMailboxServer; Guid = $_.Guid.ToString()
        DistinguishedName = $_.DistinguishedName; ExchangeLegacyDN = $_.ExchangeLegacyDN; AdminDisplayVersion = $_.AdminDisplayVersion
        HasIp = [bool]($_.PSObject.Properties.Name -match 'IPv4') } })`,
  );
  it("returns the article's three servers with Site as the deserialized string path", async () => {
    const servers = await s0();
    expect(servers.map((s) => s.Name)).toEqual(["HO-EX2010-MB1", "HO-EX2010-MB2", "BR-EX2010-MB"]);
    const [mb1, , br] = servers;
    expect(mb1).toMatchObject({
      Fqdn: "HO-EX2010-MB1.exchangeserverpro.net",
      Site: "exchangeserverpro.net/Configuration/Sites/HeadOffice",
      ServerRole: "Mailbox, ClientAccess, HubTransport",
      IsClientAccessServer: true,
      IsMailboxServer: true,
      Guid: "8c3f1a2b-4d5e-4f60-8a71-b2c3d4e5f601",
      DistinguishedName: `CN=HO-EX2010-MB1,CN=Servers,${agDn}`,
      ExchangeLegacyDN: `${legacyPrefix}HO-EX2010-MB1`,
      HasIp: false,
    });
    expect(mb1?.AdminDisplayVersion).toMatch(/^Version 14\.3 /);
    expect(br).toMatchObject({
      Site: "exchangeserverpro.net/Configuration/Sites/BranchOffice",
      ServerRole: "Mailbox, ClientAccess",
    });
  });

  const serverIds = [
    "ho-ex2010-mb2",
    "HO-EX2010-MB2.EXCHANGESERVERPRO.NET",
    "8c3f1a2b-4d5e-4f60-8a71-b2c3d4e5f602",
    `CN=HO-EX2010-MB2,CN=Servers,${agDn}`,
    `${legacyPrefix}HO-EX2010-MB2`,
  ];
  const s1 = batch.add<{ Names: string[]; Missing: Captured<unknown> }>(
    `$ids = ${psq(JSON.stringify(serverIds))} | ConvertFrom-Json
       Emit ([ordered]@{ Names = @($ids | ForEach-Object { (Get-ExchangeServer -Identity $_).Name }); Missing = Invoke-Captured { Get-ExchangeServer NOPE-01 } })`,
  );
  it("resolves a server by name, FQDN, GUID, DN and legacyDN, case-insensitively, and reports unknown ones", async () => {
    const result = await s1();
    expect(result.Names).toEqual(Array(5).fill("HO-EX2010-MB2"));
    expect(result.Missing.Errors).toHaveLength(1);
    expect(result.Missing.Errors[0]).toMatchObject({
      Message: notFound("NOPE-01"),
      Reason: "ManagementObjectNotFoundException",
    });
    expect(result.Missing.Errors[0]?.Fqid).toMatch(exchangeFqid("GetExchangeServer"));
  });
});

describe("New-ClientAccessArray", () => {
  const s2 = batch.add<ArrayView & { MembersIsArray: boolean }>(
    `${arrayView}
       Emit (New-ClientAccessArray -Name cas-headoffice -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice | View)`,
  );
  it("creates the article's array with Exchange's output shape and computed Members", async () => {
    const created = await s2();
    expect(created).toMatchObject({
      Name: "cas-headoffice",
      Fqdn: "outlook-ho.exchangeserverpro.net",
      Site: "exchangeserverpro.net/Configuration/Sites/HeadOffice",
      SiteName: "HeadOffice",
      Members: ["HO-EX2010-MB1", "HO-EX2010-MB2"],
      MembersIsArray: true,
      ExchangeLegacyDN: `${legacyPrefix}cas-headoffice`,
      DistinguishedName: `CN=cas-headoffice,CN=Arrays,${agDn}`,
      Identity: "cas-headoffice",
      ExchangeVersion: "0.10 (14.0.100.0)",
      IsValid: true,
    });
    expect(created.ObjectClass).toContain("msExchClientAccessArray");
    expect(created.TypeNames).toContain("Microsoft.Exchange.Data.Directory.SystemConfiguration.ClientAccessArray");
    expect(created.Guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(created.WhenCreated).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  });

  const s3 = batch.add<{ Name: string; Members: string[]; IsArray: boolean }>(
    `$a = New-ClientAccessArray -Fqdn outlook-br.exchangeserverpro.net -Site BranchOffice
       Emit ([ordered]@{ Name = $a.Name; Members = $a.Members; IsArray = ($a.Members -is [array]) })`,
  );
  it("defaults the name to the FQDN's host label and keeps Members an array with a single member", async () => {
    const created = await s3();
    expect(created).toEqual({ Name: "outlook-br", Members: ["BR-EX2010-MB"], IsArray: true });
  });

  const s4 = batch.add<string[]>(
    `$ids = 'headoffice', '5a1e3c7b-0d2f-4b8a-9c6e-2f4a6b8c0d11', 'CN=HeadOffice,CN=Sites,CN=Configuration,DC=exchangeserverpro,DC=net', 'exchangeserverpro.net/Configuration/Sites/HeadOffice'
       Emit @($ids | ForEach-Object { $a = New-ClientAccessArray -Fqdn outlook-ho.exchangeserverpro.net -Site $_; $a.SiteName; Remove-ClientAccessArray $a.Guid.ToString() -Confirm:$false })`,
  );
  it("accepts the site by name, GUID, DN or canonical path", async () => {
    const sites = await s4();
    expect(sites).toEqual(["HeadOffice", "HeadOffice", "HeadOffice", "HeadOffice"]);
  });

  const s5 = batch.add<{ Second: Captured<unknown>; After: string; Count: number }>(
    `${createHeadOffice}
       $second = Invoke-Captured { New-ClientAccessArray -Name cas-ho-2 -Fqdn outlook-ho2.exchangeserverpro.net -Site HeadOffice }
       $after = 'still running'
       Emit ([ordered]@{ Second = $second; After = $after; Count = @(Get-ClientAccessArray).Count })`,
  );
  it("allows one array per site, with Exchange's message, as a non-terminating error the script survives", async () => {
    const result = await s5();
    expect(result.After).toBe("still running");
    expect(result.Count).toBe(1);
    expect(result.Second.Out).toEqual([]);
    expect(result.Second.Errors).toEqual([
      {
        Message: oneArrayPerSite("HeadOffice"),
        Type: "System.InvalidOperationException",
        Reason: "InvalidOperationException",
        Category: "InvalidOperation",
        Activity: "New-ClientAccessArray",
        Fqid: expect.stringMatching(exchangeFqid("NewClientAccessArray")) as string,
        Target: "cas-ho-2",
      },
    ]);
  });

  const s6 = batch.add<{ Server: Captured<unknown>; Array: Captured<unknown> }>(
    `${createHeadOffice}
       Emit ([ordered]@{
         Server = Invoke-Captured { New-ClientAccessArray -Name ho-ex2010-mb1 -Fqdn outlook-x.exchangeserverpro.net -Site BranchOffice }
         Array = Invoke-Captured { New-ClientAccessArray -Name CAS-HEADOFFICE -Fqdn outlook-br.exchangeserverpro.net -Site BranchOffice } })`,
  );
  it("keeps names unique among arrays and servers", async () => {
    const result = await s6();
    expect(result.Server.Errors[0]).toMatchObject({
      Message: nameTaken("ho-ex2010-mb1"),
      Reason: "InvalidOperationException",
    });
    expect(result.Array.Errors[0]).toMatchObject({
      Message: nameTaken("CAS-HEADOFFICE"),
      Reason: "InvalidOperationException",
    });
    expect(result.Array.Errors[0]?.Fqid).toMatch(exchangeFqid("NewClientAccessArray"));
  });

  const s7 = batch.add<{
    Site: Captured<unknown>;
    Long: Captured<unknown>;
    Ok64: string;
    Fqdn: Captured<unknown>;
    Count: number;
  }>(
    `Emit ([ordered]@{
         Site = Invoke-Captured { New-ClientAccessArray -Fqdn outlook-x.exchangeserverpro.net -Site Paris }
         Long = Invoke-Captured { New-ClientAccessArray -Name ('a' * 65) -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice }
         Fqdn = Invoke-Captured { New-ClientAccessArray -Fqdn 'outlook ho!.exchangeserverpro.net' -Site HeadOffice }
         Ok64 = (New-ClientAccessArray -Name ('b' * 64) -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice).Name
         Count = @(Get-ClientAccessArray).Count })`,
  );
  it("rejects an unknown site, a name over 64 characters and an invalid FQDN", async () => {
    const result = await s7();
    expect(result.Site.Errors[0]).toMatchObject({
      Message: siteNotFound("Paris"),
      Reason: "ManagementObjectNotFoundException",
      Category: "NotSpecified",
    });
    expect(result.Long.Errors[0]).toMatchObject({
      Message:
        "The length of the property is too long. The maximum length is 64 and the length of the value provided is 65.",
      Reason: "DataValidationException",
    });
    expect(result.Fqdn.Errors[0]?.Message).toContain(
      'Cannot convert value "outlook ho!.exchangeserverpro.net" to type "Microsoft.Exchange.Data.Fqdn"',
    );
    expect(result.Fqdn.Errors[0]).toMatchObject({
      Category: "InvalidData",
      Fqid: "ParameterArgumentTransformationError,New-ClientAccessArray",
    });
    expect(result.Ok64).toBe("b".repeat(64));
    expect(result.Count).toBe(1);
  });

  const s8 = batch.add<number>(
    `$null = New-ClientAccessArray -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice -WhatIf
       Emit @(Get-ClientAccessArray).Count`,
  );
  it("changes nothing with -WhatIf", async () => {
    const count = await s8();
    expect(count).toBe(0);
  });
});

describe("Get-ClientAccessArray", () => {
  const s9 = batch.add<string[]>(
    `$a = New-ClientAccessArray -Name cas-headoffice -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice
       $ids = 'CAS-HEADOFFICE', $a.Guid.ToString(), $a.DistinguishedName.ToLower(), $a.ExchangeLegacyDN, 'OUTLOOK-HO.exchangeserverpro.net'
       Emit @($ids | ForEach-Object { (Get-ClientAccessArray -Identity $_).Name })`,
  );
  it("resolves an array by name, GUID, DN, legacyDN and FQDN, case-insensitively", async () => {
    const names = await s9();
    expect(names).toEqual(Array(5).fill("cas-headoffice"));
  });

  const s10 = batch.add<{ ByName: Captured<unknown>; ByFqdn: string }>(
    `$null = New-ClientAccessArray -Name 'China CAS Array' -Fqdn casarrayap.exchangeserverpro.net -Site BranchOffice
       Emit ([ordered]@{ ByName = Invoke-Captured { try { Get-ClientAccessArray 'China CAS Array' } catch { $_ } }; ByFqdn = (Get-ClientAccessArray casarrayap.exchangeserverpro.net).Name })`,
  );
  it("refuses a name with spaces as an identity (a parameter-binding error, not 'not found'), but finds the array by its FQDN", async () => {
    const result = await s10();
    expect(result.ByFqdn).toBe("China CAS Array");
    expect(result.ByName.Errors[0]).toMatchObject({
      Reason: "ParameterBindingArgumentTransformationException",
      Category: "InvalidData",
      Fqid: "ParameterArgumentTransformationError,Get-ClientAccessArray",
    });
  });

  const s11 = batch.add<{
    All: string[];
    Branch: string[];
    Missing: Captured<unknown>;
    OtherDc: Captured<unknown>;
    BadSite: Captured<unknown>;
  }>(
    `${createHeadOffice}
       $null = New-ClientAccessArray -Fqdn outlook-br.exchangeserverpro.net -Site BranchOffice
       Emit ([ordered]@{
         All = @(Get-ClientAccessArray | ForEach-Object Name)
         Branch = @(Get-ClientAccessArray -Site BranchOffice | ForEach-Object Name)
         Missing = Invoke-Captured { Get-ClientAccessArray outlook.exchangeserverpro.net }
         OtherDc = Invoke-Captured { Get-ClientAccessArray nope -DomainController DC02.exchangeserverpro.net }
         BadSite = Invoke-Captured { Get-ClientAccessArray -Site Atlantis } })`,
  );
  it("lists all arrays or those of a site, and reports unknown identities and sites", async () => {
    const result = await s11();
    expect(result.All).toEqual(["cas-headoffice", "outlook-br"]);
    expect(result.Branch).toEqual(["outlook-br"]);
    expect(result.Missing.Errors[0]).toMatchObject({
      Message: notFound("outlook.exchangeserverpro.net"),
      Type: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
      Reason: "ManagementObjectNotFoundException",
      Category: "NotSpecified",
      // Exchange's not-found errors carry no TargetObject; the identity is only in the message.
      Target: "",
    });
    expect(result.Missing.Errors[0]?.Fqid).toMatch(exchangeFqid("GetClientAccessArray"));
    expect(result.OtherDc.Errors[0]?.Message).toBe(
      "The operation couldn't be performed because object 'nope' couldn't be found on 'DC02.exchangeserverpro.net'.",
    );
    expect(result.BadSite.Errors[0]?.Message).toBe(siteNotFound("Atlantis"));
  });

  // A Hub Transport-only server in the site: never a member.
  const addHubTransport = (state: JsonObject): void => {
    (state.servers as JsonObject[]).push({
      Name: "HO-EX2010-HT1",
      Fqdn: "HO-EX2010-HT1.exchangeserverpro.net",
      Guid: "8c3f1a2b-4d5e-4f60-8a71-b2c3d4e5f6aa",
      Site: "HeadOffice",
      ServerRole: ["HubTransport"],
      RpcClientAccessEnabled: false,
      Edition: "Standard",
      AdminDisplayVersion: "Version 14.3 (Build 123.4)",
      ExchangeLegacyDN: `${legacyPrefix}HO-EX2010-HT1`,
      WhenCreated: "2012-02-20 09:15:00Z",
      WhenChanged: "2012-02-20 09:15:00Z",
    });
  };
  const s12 = batch.add<{ Before: string[]; After: string[]; IsArray: boolean }>(
    `${createHeadOffice}
     $before = @((Get-ClientAccessArray cas-headoffice).Members)
     # Like Remove-RPCClientAccess -Server HO-EX2010-MB2: the server drops out of Members.
     Edit-LabState { param($s) ($s.servers | Where-Object Name -eq 'HO-EX2010-MB2').RpcClientAccessEnabled = $false }
     $a = Get-ClientAccessArray cas-headoffice
     Emit ([ordered]@{ Before = $before; After = $a.Members; IsArray = ($a.Members -is [array]) })`,
    { edit: addHubTransport },
  );
  it("computes Members at read time from the site's servers that run RPC Client Access", async () => {
    const result = await s12();
    expect(result.Before).toEqual(["HO-EX2010-MB1", "HO-EX2010-MB2"]);
    expect(result).toMatchObject({ After: ["HO-EX2010-MB1"], IsArray: true });
  });
});

describe("Set-ClientAccessArray and Remove-ClientAccessArray", () => {
  const s13 = batch.add<{ Out: number; Guid: boolean; Name: string; Fqdn: string; Site: string; Members: string[] }>(
    `$a = New-ClientAccessArray -Name cas-headoffice -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice
       $out = @(Set-ClientAccessArray cas-headoffice -Name cas-branch -Fqdn outlook-br.exchangeserverpro.net -Site BranchOffice)
       $b = Get-ClientAccessArray $a.Guid.ToString()
       Emit ([ordered]@{ Out = $out.Count; Guid = ($a.Guid -eq $b.Guid); Name = $b.Name; Fqdn = $b.Fqdn; Site = $b.Site; Members = $b.Members })`,
  );
  it("changes Name, Fqdn and Site in place and returns nothing", async () => {
    const result = await s13();
    expect(result).toEqual({
      Out: 0,
      Guid: true,
      Name: "cas-branch",
      Fqdn: "outlook-br.exchangeserverpro.net",
      Site: "exchangeserverpro.net/Configuration/Sites/BranchOffice",
      Members: ["BR-EX2010-MB"],
    });
  });

  const s14 = batch.add<{
    Site: Captured<unknown>;
    Name: Captured<unknown>;
    ServerName: Captured<unknown>;
    Missing: Captured<unknown>;
    BadSite: Captured<unknown>;
    Fqdn: string;
  }>(
    `${createHeadOffice}
       $null = New-ClientAccessArray -Fqdn outlook-br.exchangeserverpro.net -Site BranchOffice
       Emit ([ordered]@{
         Site = Invoke-Captured { Set-ClientAccessArray outlook-br -Site HeadOffice }
         Name = Invoke-Captured { Set-ClientAccessArray outlook-br -Name cas-headoffice }
         ServerName = Invoke-Captured { Set-ClientAccessArray outlook-br -Name BR-EX2010-MB }
         Missing = Invoke-Captured { Set-ClientAccessArray outlook-xx -Fqdn a.exchangeserverpro.net }
         BadSite = Invoke-Captured { Set-ClientAccessArray outlook-br -Site Mars }
         Fqdn = (Get-ClientAccessArray outlook-br).SiteName })`,
  );
  it("enforces one array per site and unique names on Set, and reports unknown arrays with the 2010 message", async () => {
    const result = await s14();
    expect(result.Site.Errors[0]).toMatchObject({
      Message: oneArrayPerSite("HeadOffice"),
      Reason: "InvalidOperationException",
    });
    expect(result.Site.Errors[0]?.Fqid).toMatch(exchangeFqid("SetClientAccessArray"));
    expect(result.Name.Errors[0]?.Message).toBe(nameTaken("cas-headoffice"));
    expect(result.ServerName.Errors[0]?.Message).toBe(nameTaken("BR-EX2010-MB"));
    expect(result.Missing.Errors[0]).toMatchObject({
      Message: casNotFound("outlook-xx"),
      Reason: "ManagementObjectNotFoundException",
      Target: "",
    });
    expect(result.BadSite.Errors[0]?.Message).toBe(siteNotFound("Mars"));
    expect(result.Fqdn).toBe("BranchOffice");
  });

  const s15 = batch.add<{ Errors: number; Warning: string }>(
    `${createHeadOffice}
       $errors = @(Set-ClientAccessArray cas-headoffice -Name cas-headoffice -Site HeadOffice -WarningVariable w -WarningAction SilentlyContinue 2>&1)
       Emit ([ordered]@{ Errors = $errors.Count; Warning = [string]$w[0] })`,
  );
  it("may keep its own name and site, and warns when nothing changes", async () => {
    const result = await s15();
    expect(result).toEqual({
      Errors: 0,
      Warning: "The command completed successfully but no settings of 'cas-headoffice' have been modified.",
    });
  });

  const s16 = batch.add<{ Missing: Captured<unknown>; AfterOne: number; AfterAll: number }>(
    `${createHeadOffice}
       $null = New-ClientAccessArray -Fqdn outlook-br.exchangeserverpro.net -Site BranchOffice
       $missing = Invoke-Captured { Remove-ClientAccessArray outlook-zz -Confirm:$false }
       Remove-ClientAccessArray cas-headoffice -Confirm:$false
       $one = @(Get-ClientAccessArray).Count
       Get-ClientAccessArray | Remove-ClientAccessArray -Confirm:$false
       Emit ([ordered]@{ Missing = $missing; AfterOne = $one; AfterAll = @(Get-ClientAccessArray).Count })`,
  );
  it("removes an array without prompting, from the pipeline too, and reports unknown ones", async () => {
    const result = await s16();
    expect(result.Missing.Errors[0]).toMatchObject({
      Message: casNotFound("outlook-zz"),
      Reason: "ManagementObjectNotFoundException",
    });
    expect(result.Missing.Errors[0]?.Fqid).toMatch(exchangeFqid("RemoveClientAccessArray"));
    expect(result.AfterOne).toBe(1);
    expect(result.AfterAll).toBe(0);
  });

  const s17 = batch.add<{ Caught: string; Reason: string }>(
    `try { Get-ClientAccessArray nope -ErrorAction Stop; $caught = 'no' } catch { $caught = $_.FullyQualifiedErrorId; $reason = $_.CategoryInfo.Reason }
       Emit ([ordered]@{ Caught = $caught; Reason = $reason })`,
  );
  it("turns an error into an exception only when the caller asks with -ErrorAction Stop", async () => {
    const result = await s17();
    expect(result.Caught).toMatch(exchangeFqid("GetClientAccessArray"));
    expect(result.Reason).toBe("ManagementObjectNotFoundException");
  });
});

describe("AD site names with a space or an apostrophe", () => {
  // The article's sites renamed "Head Office" and "O'Brien Site" (legal in AD): servers and sites list.
  const renamed: Record<string, string> = { HeadOffice: "Head Office", BranchOffice: "O'Brien Site" };
  const renameSites = (state: JsonObject): void => {
    for (const key of ["sites", "servers"] as const) {
      for (const item of state[key] as JsonObject[]) {
        const field = key === "sites" ? "Name" : "Site";
        item[field] = renamed[item[field] as string] ?? (item[field] as string);
      }
    }
  };
  const ho = psq("Head Office");
  const br = psq("O'Brien Site");
  const s18 = batch.add<{
    Servers: { Name: string; Site: string }[];
    Created: string;
    ByDn: string;
    ByPath: string;
    ByCase: string;
    InHo: string[];
    AfterSet: string;
    InBr: string[];
    LeftInHo: number;
    Members: string[];
    Quoted: Captured<unknown>;
  }>(
    `$servers = @(Get-ExchangeServer | ForEach-Object { [ordered]@{ Name = $_.Name; Site = [string]$_.Site } })
       $a = New-ClientAccessArray -Name cas-headoffice -Fqdn outlook-ho.exchangeserverpro.net -Site ${ho}
       $byDn = @(Get-ClientAccessArray -Site ${psq("CN=Head Office,CN=Sites,CN=Configuration,DC=exchangeserverpro,DC=net")})[0].Name
       $byPath = @(Get-ClientAccessArray -Site ${psq("exchangeserverpro.net/Configuration/Sites/Head Office")})[0].Name
       $byCase = @(Get-ClientAccessArray -Site 'HEAD OFFICE')[0].Name
       $inHo = @(Get-ClientAccessArray -Site ${ho} | ForEach-Object { $_.Name })
       Set-ClientAccessArray $a.Guid.ToString() -Site ${br}
       $b = Get-ClientAccessArray $a.Guid.ToString()
       Emit ([ordered]@{
         Servers = $servers; Created = $a.SiteName; ByDn = $byDn; ByPath = $byPath; ByCase = $byCase; InHo = $inHo
         AfterSet = [string]$b.Site; InBr = @(Get-ClientAccessArray -Site ${br} | ForEach-Object { $_.Name })
         LeftInHo = @(Get-ClientAccessArray -Site ${ho}).Count; Members = $b.Members
         Quoted = Invoke-Captured { Get-ClientAccessArray -Site "'Head Office'" } })`,
    { edit: renameSites },
  );
  it("renders the site path on Get-ExchangeServer and resolves the name on -Site of New, Get and Set-ClientAccessArray", async () => {
    const result = await s18();
    expect(result.Servers).toEqual([
      { Name: "HO-EX2010-MB1", Site: "exchangeserverpro.net/Configuration/Sites/Head Office" },
      { Name: "HO-EX2010-MB2", Site: "exchangeserverpro.net/Configuration/Sites/Head Office" },
      { Name: "BR-EX2010-MB", Site: "exchangeserverpro.net/Configuration/Sites/O'Brien Site" },
    ]);
    expect(result).toMatchObject({
      Created: "Head Office",
      ByDn: "cas-headoffice",
      ByPath: "cas-headoffice",
      ByCase: "cas-headoffice",
      InHo: ["cas-headoffice"],
      AfterSet: "exchangeserverpro.net/Configuration/Sites/O'Brien Site",
      InBr: ["cas-headoffice"],
      LeftInHo: 0,
      Members: ["BR-EX2010-MB"],
    });
    // The quotes are part of the value, not of the syntax: no site of that name.
    expect(result.Quoted.Errors[0]?.Message).toBe(siteNotFound("'Head Office'"));
  });
});
