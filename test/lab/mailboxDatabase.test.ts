// Mailbox databases in the lab: the article's listing, RpcClientAccessServer stored as a reference
// (legacyDN) and shown as the referenced object's current FQDN, and New-MailboxDatabase's default.
import { afterAll, describe, expect, it } from "vitest";
import { LabBatch, type JsonObject } from "../support/lab";
import { exchangeFqid, type Captured } from "../support/pwsh";

const legacyServers =
  "/o=ExchangeServerPro/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=";
const notFound = (id: string): string =>
  `The operation couldn't be performed because object '${id}' couldn't be found on 'DC01.exchangeserverpro.net'.`;
const createHeadOffice =
  "$null = New-ClientAccessArray -Name cas-headoffice -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice";
const rpcOf = (db: string): string => `(Get-MailboxDatabase ${db}).RpcClientAccessServer`;

// Every scenario below runs in one pwsh process, each against its own copy of the scenario.
const batch = new LabBatch();
afterAll(() => batch.cleanup());

function server(state: JsonObject, name: string): JsonObject {
  const found = (state.servers as JsonObject[]).find((s) => s.Name === name);
  if (found === undefined) throw new Error(`${name} missing from the scenario`);
  return found;
}

function addServer(state: JsonObject, name: string, site: string, roles: string[], rpc: boolean): void {
  (state.servers as JsonObject[]).push({
    Name: name,
    Fqdn: `${name}.exchangeserverpro.net`,
    Guid: `8c3f1a2b-4d5e-4f60-8a71-${Buffer.from(name).toString("hex").slice(0, 12).padEnd(12, "0")}`,
    Site: site,
    ServerRole: roles,
    RpcClientAccessEnabled: rpc,
    Edition: "Standard",
    AdminDisplayVersion: "Version 14.3 (Build 123.4)",
    ExchangeLegacyDN: `${legacyServers}${name}`,
    WhenCreated: "2012-03-01 10:00:00Z",
    WhenChanged: "2012-03-01 10:00:00Z",
  });
}

/** A test that the RpcClientAccessServer values a scenario emitted are exactly these, in order. */
const itSees = (name: string, scenario: () => Promise<string[]>, expected: string[]): void => {
  it(name, async () => {
    expect(await scenario()).toEqual(expected);
  });
};

describe("Get-MailboxDatabase", () => {
  const s0 = batch.add<
    { Name: string; Rpc: string; Server: string; Master: string; Recovery: boolean; Guid: string; TypeName: string }[]
  >(
    `Emit @(Get-MailboxDatabase | ForEach-Object { [ordered]@{ Name = $_.Name; Rpc = $_.RpcClientAccessServer; Server = $_.Server
         Master = $_.MasterServerOrAvailabilityGroup; Recovery = $_.Recovery; Guid = $_.Guid.ToString(); TypeName = $_.PSObject.TypeNames[1] } })`,
  );
  it("lists the article's databases with their RpcClientAccessServer values", async () => {
    const dbs = await s0();
    expect(dbs.map((d) => [d.Name, d.Rpc])).toEqual([
      ["MB-HO-01", "HO-EX2010-MB1.exchangeserverpro.net"],
      ["MB-HO-02", "HO-EX2010-MB1.exchangeserverpro.net"],
      ["MB-BR-01", "BR-EX2010-MB.exchangeserverpro.net"],
      ["MB-HO-03", "HO-EX2010-MB1.exchangeserverpro.net"],
      ["RDB-HO-01", "HO-EX2010-MB1.exchangeserverpro.net"],
    ]);
    expect(dbs.find((d) => d.Name === "MB-HO-01")).toMatchObject({
      Server: "HO-EX2010-MB1",
      Master: "HO-DAG01",
      Recovery: false,
    });
    expect(dbs.find((d) => d.Name === "MB-BR-01")).toMatchObject({ Server: "BR-EX2010-MB", Master: "BR-EX2010-MB" });
    expect(dbs.find((d) => d.Name === "RDB-HO-01")?.Recovery).toBe(true);
    expect(dbs[0]?.Guid).toBe("b7e4d2c1-9f8a-4b3c-a1d2-e3f4a5b6c701");
    expect(dbs[0]?.TypeName).toBe("Microsoft.Exchange.Data.Directory.SystemConfiguration.MailboxDatabase");
  });

  const s1 = batch.add<{
    Branch: string[];
    ByFqdn: string[];
    ByGuid: string;
    ByDn: string;
    Plain: null;
    Status: boolean;
    MountedOn: string;
    Missing: Captured<unknown>;
    BadServer: Captured<unknown>;
  }>(
    `$dn = (Get-MailboxDatabase MB-HO-02).DistinguishedName
       Emit ([ordered]@{
         Branch = @(Get-MailboxDatabase -Server BR-EX2010-MB | ForEach-Object Name)
         ByFqdn = @(Get-MailboxDatabase -Server HO-EX2010-MB1.exchangeserverpro.net | ForEach-Object Name)
         ByGuid = (Get-MailboxDatabase b7e4d2c1-9f8a-4b3c-a1d2-e3f4a5b6c703).Name
         ByDn = (Get-MailboxDatabase $dn).Name
         Plain = (Get-MailboxDatabase MB-HO-01).Mounted
         Status = (Get-MailboxDatabase MB-HO-01 -Status).Mounted
         MountedOn = (Get-MailboxDatabase MB-HO-01 -Status).MountedOnServer
         Missing = Invoke-Captured { Get-MailboxDatabase MB-XX-01 }
         BadServer = Invoke-Captured { Get-MailboxDatabase -Server HO-EX2010-MB9 } })`,
  );
  it("filters by -Server, resolves by name, GUID and DN, and shows Mounted only with -Status", async () => {
    const result = await s1();
    expect(result.Branch).toEqual(["MB-BR-01"]);
    expect(result.ByFqdn).toEqual(["MB-HO-01", "MB-HO-02", "MB-HO-03", "RDB-HO-01"]);
    expect(result.ByGuid).toBe("MB-BR-01");
    expect(result.ByDn).toBe("MB-HO-02");
    expect(result.Plain).toBeNull();
    expect(result.Status).toBe(true);
    expect(result.MountedOn).toBe("HO-EX2010-MB1.exchangeserverpro.net");
    expect(result.Missing.Errors[0]).toMatchObject({
      Message: notFound("MB-XX-01"),
      Reason: "ManagementObjectNotFoundException",
    });
    expect(result.Missing.Errors[0]?.Fqid).toMatch(exchangeFqid("GetMailboxDatabase"));
    expect(result.BadServer.Errors[0]?.Message).toBe(notFound("HO-EX2010-MB9"));
  });

  const s2 = batch.add<{ Found: string[]; Set: Captured<unknown> }>(
    `Emit ([ordered]@{
         Found = @(Get-MailboxDatabase MB-HO-01 | ForEach-Object { $_.Guid.ToString() })
         Set = Invoke-Captured { Set-MailboxDatabase MB-HO-01 -RpcClientAccessServer HO-EX2010-MB2 } })`,
    {
      edit: (state) => {
        const dbs = state.mailboxDatabases as JsonObject[];
        dbs.push({ ...(dbs[2] as JsonObject), Name: "MB-HO-01", Guid: "b7e4d2c1-9f8a-4b3c-a1d2-e3f4a5b6c799" });
      },
    },
  );
  it("returns every database of a duplicated name, and Set refuses the ambiguous identity", async () => {
    const result = await s2();
    expect(result.Found).toEqual(["b7e4d2c1-9f8a-4b3c-a1d2-e3f4a5b6c701", "b7e4d2c1-9f8a-4b3c-a1d2-e3f4a5b6c799"]);
    expect(result.Set.Errors[0]).toMatchObject({
      Message: "The operation couldn't be performed because 'MB-HO-01' matches multiple entries.",
      Type: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException",
      Reason: "ManagementObjectAmbiguousException",
    });
  });
});

describe("Set-MailboxDatabase -RpcClientAccessServer", () => {
  const s3 = batch.add<{ Out: number; Values: string[]; Stored: string }>(
    `$a = New-ClientAccessArray -Name cas-headoffice -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice
       $out = @(Set-MailboxDatabase MB-HO-01 -RpcClientAccessServer outlook-ho.exchangeserverpro.net)
       Set-MailboxDatabase MB-HO-02 -RpcClientAccessServer cas-headoffice
       Set-MailboxDatabase MB-HO-03 -RpcClientAccessServer $a.ExchangeLegacyDN
       Set-MailboxDatabase RDB-HO-01 -RpcClientAccessServer $a.Guid.ToString()
       Set-MailboxDatabase MB-BR-01 -RpcClientAccessServer ho-ex2010-mb2
       Emit ([ordered]@{ Out = $out.Count; Values = @('MB-HO-01', 'MB-HO-02', 'MB-HO-03', 'RDB-HO-01', 'MB-BR-01' | ForEach-Object { (Get-MailboxDatabase $_).RpcClientAccessServer })
         Stored = (Get-ExchangeLabState).mailboxDatabases[0].RpcClientAccessServerLegacyDN })`,
  );
  it("accepts an array by name, FQDN, legacyDN or GUID and a Client Access server, and returns nothing", async () => {
    const result = await s3();
    expect(result.Out).toBe(0);
    expect(result.Values).toEqual([
      "outlook-ho.exchangeserverpro.net",
      "outlook-ho.exchangeserverpro.net",
      "outlook-ho.exchangeserverpro.net",
      "outlook-ho.exchangeserverpro.net",
      "HO-EX2010-MB2.exchangeserverpro.net",
    ]);
    expect(result.Stored).toBe(`${legacyServers}cas-headoffice`);
  });

  const s4 = batch.add<string[]>(
    `${createHeadOffice}
       Set-MailboxDatabase MB-HO-01 -RpcClientAccessServer cas-headoffice
       $seen = @(${rpcOf("MB-HO-01")})
       Set-ClientAccessArray cas-headoffice -Fqdn outlook.exchangeserverpro.net
       $seen += ${rpcOf("MB-HO-01")}
       Set-ClientAccessArray cas-headoffice -Name cas-ho
       $seen += ${rpcOf("MB-HO-01")}
       Set-ClientAccessArray cas-ho -Fqdn mapi.exchangeserverpro.net
       $seen += ${rpcOf("MB-HO-01")}
       Emit $seen`,
  );
  itSees("follows the referenced array: a new Fqdn or Name shows through without touching the database", s4, [
    "outlook-ho.exchangeserverpro.net",
    "outlook.exchangeserverpro.net",
    "outlook.exchangeserverpro.net",
    "mapi.exchangeserverpro.net",
  ]);

  const s5 = batch.add<string[]>(
    `${createHeadOffice}
       Set-MailboxDatabase MB-HO-01 -RpcClientAccessServer cas-headoffice
       Remove-ClientAccessArray cas-headoffice -Confirm:$false
       $seen = @(${rpcOf("MB-HO-01")})
       $null = New-ClientAccessArray -Name cas-headoffice -Fqdn outlook2-ho.exchangeserverpro.net -Site HeadOffice
       $seen += ${rpcOf("MB-HO-01")}
       Emit $seen`,
  );
  itSees(
    "shows '' once the array is removed (the reference names nothing: Exchange's CalculateRpcClientAccessServer), and follows a new array of the same name",
    s5,
    ["", "outlook2-ho.exchangeserverpro.net"],
  );

  const s5b = batch.add<string[]>(
    `Set-MailboxDatabase MB-HO-01 -RpcClientAccessServer HO-EX2010-MB2
       Edit-LabState { param($s) $s.servers = @($s.servers | Where-Object { $_.Name -ne 'HO-EX2010-MB2' }) }
       Emit @(${rpcOf("MB-HO-01")}, ${rpcOf("MB-HO-02")})`,
  );
  itSees("shows '' when the referenced server is removed; other databases keep their FQDN", s5b, [
    "",
    "HO-EX2010-MB1.exchangeserverpro.net",
  ]);

  const s6 = batch.add<{ Lb: Captured<unknown>; MailboxOnly: Captured<unknown>; Db: Captured<unknown>; Value: string }>(
    `Emit ([ordered]@{
         Lb = Invoke-Captured { Set-MailboxDatabase MB-HO-01 -RpcClientAccessServer lb-vip.exchangeserverpro.net }
         MailboxOnly = Invoke-Captured { Set-MailboxDatabase MB-HO-01 -RpcClientAccessServer HO-EX2010-MBX }
         Db = Invoke-Captured { Set-MailboxDatabase MB-NOPE -RpcClientAccessServer HO-EX2010-MB2 }
         Value = ${rpcOf("MB-HO-01")} })`,
    { edit: (state) => addServer(state, "HO-EX2010-MBX", "HeadOffice", ["Mailbox"], false) },
  );
  it("rejects a name that is neither a Client Access server nor an array, e.g. a bare load-balancer name", async () => {
    const result = await s6();
    expect(result.Lb.Errors).toHaveLength(1);
    expect(result.Lb.Errors[0]).toMatchObject({
      Message: notFound("lb-vip.exchangeserverpro.net"),
      Type: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
      Reason: "ManagementObjectNotFoundException",
      Category: "NotSpecified",
      // No TargetObject, as for every Exchange not-found (inferred for -RpcClientAccessServer: LAB-FIDELITY X1).
      Target: "",
    });
    expect(result.Lb.Errors[0]?.Fqid).toMatch(exchangeFqid("SetMailboxDatabase"));
    expect(result.MailboxOnly.Errors[0]?.Message).toBe(notFound("HO-EX2010-MBX"));
    expect(result.Db.Errors[0]?.Message).toBe(notFound("MB-NOPE"));
    expect(result.Value).toBe("HO-EX2010-MB1.exchangeserverpro.net");
  });

  const s7 = batch.add<string[]>(
    `${createHeadOffice}
       Get-MailboxDatabase -Server HO-EX2010-MB1 | Set-MailboxDatabase -RpcClientAccessServer outlook-ho.exchangeserverpro.net
       Emit @(Get-MailboxDatabase | ForEach-Object RpcClientAccessServer)`,
  );
  itSees("fixes every database through the pipeline, as Get-MailboxDatabase | Set-MailboxDatabase does", s7, [
    "outlook-ho.exchangeserverpro.net",
    "outlook-ho.exchangeserverpro.net",
    "BR-EX2010-MB.exchangeserverpro.net",
    "outlook-ho.exchangeserverpro.net",
    "outlook-ho.exchangeserverpro.net",
  ]);
});

describe("New-MailboxDatabase", () => {
  interface NewDb {
    Name: string;
    Rpc: string;
    Server: string;
    Master: string;
    Recovery: boolean;
  }
  const newDb = (args: string): string =>
    `$($d = New-MailboxDatabase ${args}; [ordered]@{ Name = $d.Name; Rpc = $d.RpcClientAccessServer; Server = $d.Server; Master = $d.MasterServerOrAvailabilityGroup; Recovery = $d.Recovery })`;
  const s8 = batch.add<{ Db: NewDb; Again: string }>(
    `${createHeadOffice}
       $db = ${newDb("MB-HO-04 -Server HO-EX2010-MB2")}
       Set-ClientAccessArray cas-headoffice -Fqdn outlook.exchangeserverpro.net
       Emit ([ordered]@{ Db = $db; Again = ${rpcOf("MB-HO-04")} })`,
  );
  it("points a new database at the site's array when there is one", async () => {
    const result = await s8();
    expect(result.Db).toEqual({
      Name: "MB-HO-04",
      Rpc: "outlook-ho.exchangeserverpro.net",
      Server: "HO-EX2010-MB2",
      Master: "HO-DAG01",
      Recovery: false,
    });
    expect(result.Again).toBe("outlook.exchangeserverpro.net");
  });

  const s9 = batch.add<NewDb>(`Emit (${newDb("MB-BR-02 -Server BR-EX2010-MB -Recovery")})`);
  it("uses the owning server when its site has no array and it runs RPC Client Access", async () => {
    const db = await s9();
    expect(db).toEqual({
      Name: "MB-BR-02",
      Rpc: "BR-EX2010-MB.exchangeserverpro.net",
      Server: "BR-EX2010-MB",
      Master: "BR-EX2010-MB",
      Recovery: true,
    });
  });

  const s10 = batch.add<NewDb>(`Emit (${newDb("MB-HO-05 -Server HO-EX2010-MB2")})`, {
    edit: (state) => {
      server(state, "HO-EX2010-MB2").RpcClientAccessEnabled = false;
    },
  });
  it("falls back to an RPC Client Access server of the site when the owner does not run it", async () => {
    const db = await s10();
    expect(db.Rpc).toBe("HO-EX2010-MB1.exchangeserverpro.net");
  });

  const s11 = batch.add<NewDb>(`Emit (${newDb("MB-BR-03 -Server BR-EX2010-MB2")})`, {
    edit: (state) => {
      addServer(state, "BR-EX2010-MB2", "BranchOffice", ["Mailbox"], false);
      server(state, "BR-EX2010-MB").RpcClientAccessEnabled = false;
    },
  });
  it("falls back to the owning Mailbox server when its site has no RPC Client Access server", async () => {
    const db = await s11();
    expect(db.Rpc).toBe("BR-EX2010-MB2.exchangeserverpro.net");
  });

  const s12 = batch.add<NewDb>(`${createHeadOffice}; Emit (${newDb("MB-BR-04 -Server BR-EX2010-MB")})`);
  it("never looks at another site's array", async () => {
    const db = await s12();
    expect(db.Rpc).toBe("BR-EX2010-MB.exchangeserverpro.net");
  });

  const s13 = batch.add<{ Dup: Captured<unknown>; NoServer: Captured<unknown>; Default: string; Count: number }>(
    `Emit ([ordered]@{
         Dup = Invoke-Captured { New-MailboxDatabase MB-HO-01 -Server HO-EX2010-MB2 }
         NoServer = Invoke-Captured { New-MailboxDatabase MB-HO-09 -Server HO-EX2010-MB7 }
         Default = (New-MailboxDatabase -Server HO-EX2010-MB1).Name
         Count = @(Get-MailboxDatabase).Count })`,
  );
  it("rejects a duplicate name and an unknown server, and names a database when -Name is omitted", async () => {
    const result = await s13();
    expect(result.Dup.Errors[0]).toMatchObject({
      Reason: "ADObjectAlreadyExistsException",
      Message:
        "Active Directory operation failed on DC01.exchangeserverpro.net. The object 'CN=MB-HO-01,CN=Databases,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=ExchangeServerPro,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=exchangeserverpro,DC=net' already exists.",
    });
    expect(result.Dup.Errors[0]?.Fqid).toMatch(exchangeFqid("NewMailboxDatabase"));
    expect(result.NoServer.Errors[0]?.Message).toBe(notFound("HO-EX2010-MB7"));
    expect(result.Default).toMatch(/^Mailbox Database \d{10}$/);
    expect(result.Count).toBe(6);
  });
});
