// Get-Mailbox in the lab: the article's mailboxes by database and by server, the mailbox object as
// remote PowerShell shows it, and Exchange's result size: the first 1000 and a warning unless
// -ResultSize says otherwise.
import { afterAll, describe, expect, it } from "vitest";
import { LabBatch, type JsonObject } from "../support/lab";
import { exchangeFqid, type Captured } from "../support/pwsh";

const notFound = (id: string): string =>
  `The operation couldn't be performed because object '${id}' couldn't be found on 'DC01.exchangeserverpro.net'.`;
const DEFAULT_WARNING =
  'By default, only the first 1000 items are returned. Use the ResultSize parameter to specify the number of items returned. To return all items, specify "-ResultSize Unlimited". Be aware that, depending upon the actual number of items, returning all items can take a long time and consume a large amount of memory. Also, we don\'t recommend storing the results in a variable. Instead, pipe the results to another task or script to perform batch changes.';
const MB_HO_02 = "b7e4d2c1-9f8a-4b3c-a1d2-e3f4a5b6c702";

const batch = new LabBatch();
afterAll(() => batch.cleanup());

/** Adds `count` generated mailboxes, spread over the article's four mailbox (non-recovery) databases. */
function addMailboxes(count: number): (state: JsonObject) => void {
  return (state) => {
    const databases = (state.mailboxDatabases as JsonObject[])
      .filter((d) => d.Recovery === false)
      .map((d) => String(d.Guid));
    const mailboxes = state.mailboxes as JsonObject[];
    for (let i = 0; i < count; i++) {
      const n = String(i + 1).padStart(4, "0");
      mailboxes.push({
        Name: `User ${n}`,
        Alias: `User.${n}`,
        Database: databases[i % databases.length] ?? "",
        Guid: `e0000000-0000-4000-8000-${(i + 1).toString(16).padStart(12, "0")}`,
      });
    }
  };
}

/** Runs a Get-Mailbox command and returns its output names, warnings and errors apart. */
const capture = (command: string): string => `& {
  $all = @(${command} 2>&1 3>&1)
  [ordered]@{
    Names = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] -and $_ -isnot [System.Management.Automation.WarningRecord] } | ForEach-Object { [string]$_.Name })
    Warnings = @($all | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | ForEach-Object { $_.Message })
    Errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object { Get-ErrInfo $_ })
  } }`;

/** Emits each named Get-Mailbox command's listing (see capture), in the order given. */
const emitListings = (commands: Record<string, string>): string =>
  `Emit ([ordered]@{\n${Object.entries(commands)
    .map(([name, command]) => `       ${name} = ${capture(command)}`)
    .join("\n")} })`;

interface Listing {
  Names: string[];
  Warnings: string[];
  Errors: Captured<unknown>["Errors"];
}

describe("Get-Mailbox on the article's organisation", () => {
  const shape = batch.add<Record<string, unknown>>(
    `$m = Get-Mailbox Alan.Reid
     Emit ([ordered]@{ Name = $m.Name; Alias = $m.Alias; DisplayName = $m.DisplayName; PrimarySmtpAddress = $m.PrimarySmtpAddress
       Database = $m.Database; ServerName = $m.ServerName; RecipientTypeDetails = $m.RecipientTypeDetails; Guid = $m.Guid.ToString()
       DistinguishedName = $m.DistinguishedName; TypeName = $m.PSObject.TypeNames[1] })`,
  );
  it("shows a mailbox as remote PowerShell does: Database as the database's name", async () => {
    expect(await shape()).toEqual({
      Name: "Alan Reid",
      Alias: "Alan.Reid",
      DisplayName: "Alan Reid",
      PrimarySmtpAddress: "Alan.Reid@exchangeserverpro.net",
      Database: "MB-HO-01",
      ServerName: "ho-ex2010-mb1",
      RecipientTypeDetails: "UserMailbox",
      Guid: "d2a8f6c4-7b1e-4e3a-9c5d-6f7a8b9c0d01",
      DistinguishedName: "CN=Alan Reid,CN=Users,DC=exchangeserverpro,DC=net",
      TypeName: "Microsoft.Exchange.Data.Directory.Management.Mailbox",
    });
  });

  const byDatabase = batch.add<{ ByName: Listing; ByGuid: Listing; Recovery: Listing; Missing: Listing }>(
    emitListings({
      ByName: "Get-Mailbox -Database MB-HO-01",
      ByGuid: `Get-Mailbox -Database ${MB_HO_02}`,
      Recovery: "Get-Mailbox -Database RDB-HO-01",
      Missing: "Get-Mailbox -Database MB-XX-01",
    }),
  );
  it("returns the mailboxes of one database, named or by GUID, and Exchange's not-found error for an unknown one", async () => {
    const r = await byDatabase();
    expect(r.ByName).toEqual({ Names: ["Alan Reid", "Peter Grant", "Sarah Jones"], Warnings: [], Errors: [] });
    expect(r.ByGuid.Names).toEqual(["David Chen", "Maria Lopez"]);
    expect(r.Recovery).toEqual({ Names: [], Warnings: [], Errors: [] });
    expect(r.Missing.Names).toEqual([]);
    expect(r.Missing.Errors).toHaveLength(1);
    expect(r.Missing.Errors[0]).toMatchObject({
      Message: notFound("MB-XX-01"),
      Reason: "ManagementObjectNotFoundException",
      Target: "",
    });
    expect(r.Missing.Errors[0]?.Fqid).toMatch(exchangeFqid("GetMailbox"));
  });

  const byServer = batch.add<{
    Mb1: Listing;
    Mb1Fqdn: Listing;
    Mb2: Listing;
    Branch: Listing;
    Missing: Listing;
    All: Listing;
  }>(
    emitListings({
      Mb1: "Get-Mailbox -Server HO-EX2010-MB1",
      Mb1Fqdn: "Get-Mailbox -Server ho-ex2010-mb1.exchangeserverpro.net",
      Mb2: "Get-Mailbox -Server HO-EX2010-MB2",
      Branch: "Get-Mailbox -Server BR-EX2010-MB",
      Missing: "Get-Mailbox -Server HO-EX2010-MB9",
      All: "Get-Mailbox",
    }),
  );
  it("returns the mailboxes of a server's databases with -Server, and every mailbox without a filter", async () => {
    const r = await byServer();
    expect(r.Mb1.Names).toEqual(["Alan Reid", "Peter Grant", "Sarah Jones", "David Chen", "Maria Lopez", "Helpdesk"]);
    expect(r.Mb1Fqdn.Names).toEqual(r.Mb1.Names);
    expect(r.Mb2).toEqual({ Names: [], Warnings: [], Errors: [] });
    expect(r.Branch.Names).toEqual(["Tom Baker", "Emma Watts"]);
    expect(r.Missing.Errors.map((e) => e.Message)).toEqual([notFound("HO-EX2010-MB9")]);
    expect(r.All.Names).toHaveLength(8);
    expect(r.All.Warnings).toEqual([]);
  });

  const identities = batch.add<{ Alias: string; Smtp: string; Guid: string; Dn: string; Missing: Listing }>(
    `Emit ([ordered]@{
       Alias = (Get-Mailbox Tom.Baker).Name
       Smtp = (Get-Mailbox -Identity maria.lopez@exchangeserverpro.net).Name
       Guid = (Get-Mailbox d2a8f6c4-7b1e-4e3a-9c5d-6f7a8b9c0d06).Name
       Dn = (Get-Mailbox 'CN=Sarah Jones,CN=Users,DC=exchangeserverpro,DC=net').Name
       Missing = ${capture("Get-Mailbox Nobody.Here")} })`,
  );
  it("finds a mailbox by alias, SMTP address, GUID or DN", async () => {
    const r = await identities();
    expect(r).toMatchObject({ Alias: "Tom Baker", Smtp: "Maria Lopez", Guid: "Helpdesk", Dn: "Sarah Jones" });
    expect(r.Missing.Errors.map((e) => e.Message)).toEqual([notFound("Nobody.Here")]);
  });

  const noSection = batch.add<{ All: Listing; Database: Listing }>(
    emitListings({ All: "Get-Mailbox", Database: "Get-Mailbox -Database MB-HO-01" }),
    { edit: (state) => void delete state.mailboxes },
  );
  it("reads a state without a mailboxes section as an organisation without mailboxes", async () => {
    expect(await noSection()).toEqual({
      All: { Names: [], Warnings: [], Errors: [] },
      Database: { Names: [], Warnings: [], Errors: [] },
    });
  });
});

describe("Get-Mailbox -ResultSize on 1,408 mailboxes", () => {
  const sized = batch.add<{
    Default: Listing;
    Unlimited: Listing;
    Five: Listing;
    Server: Listing;
    ServerUnlimited: Listing;
    Bad: Listing;
  }>(
    emitListings({
      Default: "Get-Mailbox",
      Unlimited: "Get-Mailbox -ResultSize Unlimited",
      Five: "Get-Mailbox -ResultSize 5",
      Server: "Get-Mailbox -Server HO-EX2010-MB1",
      ServerUnlimited: "Get-Mailbox -Server HO-EX2010-MB1 -ResultSize unlimited",
      Bad: "Get-Mailbox -ResultSize lots",
    }),
    { edit: addMailboxes(1400) },
  );

  it("returns only the first 1000 without -ResultSize, then writes Exchange's warning", async () => {
    const r = await sized();
    expect(r.Default.Names).toHaveLength(1000);
    expect(r.Default.Names.slice(0, 2)).toEqual(["Alan Reid", "Peter Grant"]);
    expect(r.Default.Warnings).toEqual([DEFAULT_WARNING]);
    expect(r.Default.Errors).toEqual([]);
  });

  it("returns every mailbox with -ResultSize Unlimited, without a warning", async () => {
    const r = await sized();
    expect(r.Unlimited.Names).toHaveLength(1408);
    expect(new Set(r.Unlimited.Names).size).toBe(1408);
    expect(r.Unlimited.Warnings).toEqual([]);
  });

  it("returns the first N with -ResultSize N, and says there were more", async () => {
    const r = await sized();
    expect(r.Five.Names).toEqual(["Alan Reid", "Peter Grant", "Sarah Jones", "David Chen", "Maria Lopez"]);
    expect(r.Five.Warnings).toHaveLength(1);
    expect(r.Five.Warnings[0]).toMatch(/^Only the first 5 items are returned/);
  });

  it("counts the limit after the -Server filter: 6 + 1050 on HO-EX2010-MB1 are cut at 1000 unless Unlimited", async () => {
    const r = await sized();
    expect(r.Server.Names).toHaveLength(1000);
    expect(r.Server.Warnings).toEqual([DEFAULT_WARNING]);
    expect(r.ServerUnlimited.Names).toHaveLength(1056);
    expect(r.ServerUnlimited.Warnings).toEqual([]);
  });

  it("refuses a -ResultSize that is neither a number nor Unlimited", async () => {
    const r = await sized();
    expect(r.Bad.Names).toEqual([]);
    expect(r.Bad.Errors).toHaveLength(1);
    expect(r.Bad.Errors[0]?.Message).toMatch(
      /^Cannot process argument transformation on parameter 'ResultSize'\. Cannot convert value "lots"/,
    );
  });
});

describe("Get-Mailbox and the lab's faults", () => {
  const faulted = batch.add<{ First: Listing; Second: Listing }>(
    `$null = Add-ExchangeLabFault -Command Get-Mailbox -Kind Error -Times 1
     Emit ([ordered]@{ First = ${capture("Get-Mailbox -ResultSize Unlimited")}; Second = ${capture("Get-Mailbox -ResultSize Unlimited")} })`,
  );
  it("fails one invocation with an AD error for an Error fault, then works again", async () => {
    const r = await faulted();
    expect(r.First.Names).toEqual([]);
    expect(r.First.Errors.map((e) => e.Reason)).toEqual(["ADTransientException"]);
    expect(r.Second.Names).toHaveLength(8);
  });
});
