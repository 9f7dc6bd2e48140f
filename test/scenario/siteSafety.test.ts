// A site apply is all or nothing, and its preview says what the apply will do: CasArraySite
// programs under mocks, previewed (Check and Diff for every registration) and applied through the
// real dynamic-provider host against a private copy of the article's lab, as `pulumi up` would.
import { describe, expect } from "vitest";
import { applyAll, destroy, preview, resourceType, type Applied } from "../support/apply";
import { register, settleSite, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import type { Host } from "../support/host";
import { ARTICLE_DATABASES, labDatabases, labRecord, type Lab } from "../support/lab";
import { declareSite, HO_FQDN, type Declared, type SiteArgs } from "../support/site";

const FQDN = HO_FQDN;
const declare = (lab: Lab, args: SiteArgs = {}): Promise<Declared> => declareSite(lab.connection, args);

function labArrays(lab: Lab): Promise<{ Name: string; Fqdn: string }[]> {
  return lab.json<{ Name: string; Fqdn: string }[]>("Get-ClientAccessArray | Select-Object Name,Fqdn");
}

const ORIGINAL = ARTICLE_DATABASES;

/** A preview's failures by resource name (the checks run concurrently, so they come in any order). */
function byName<T extends { name: string }>(failures: T[]): T[] {
  return [...failures].sort((a, b) => a.name.localeCompare(b.name));
}

/** Applies and expects no failure. */
async function apply(host: Host, regs: Registration[], state: Map<string, Applied>) {
  const outcome = await applyAll(host, regs, state);
  expect(outcome.failed).toEqual([]);
  return outcome;
}

describe("nothing changes unless the whole declaration is valid", () => {
  const refusals: [string, SiteArgs, RegExp][] = [
    ["an FQDN outside the zone", { fqdn: "outlook-ho.contoso.com" }, /outside DNS zone 'exchangeserverpro\.net'/],
    ["a database of another site", { databases: ["MB-HO-01", "MB-BR-01"] }, /'MB-BR-01' is in AD site BranchOffice/],
    [
      "an unknown database, listing the site's",
      { databases: ["MB-HO-01", "MB-HO-09"] },
      /'MB-HO-09' does not exist; the databases of site HeadOffice are: MB-HO-01, MB-HO-02, MB-HO-03, RDB-HO-01/,
    ],
    ["a site without servers", { site: "NoSuchSite" }, /No Exchange server is in AD site 'NoSuchSite'/],
    [
      "an invalid address (the record's own rule)",
      { dns: { addresses: ["10.1.0.300"] } },
      /addresses 10\.1\.0\.300 is not an IPv4 address/,
    ],
    ["an invalid site name (the array's own rule)", { site: "Head;Office" }, /site must not contain ';'/],
    [
      "an invalid array name (the array's own rule)",
      { arrayName: "cas head office" },
      /arrayName must not contain spaces/,
    ],
  ];
  for (const [what, args, message] of refusals) {
    it(`refuses ${what} before registering any child, and the organisation is unchanged`, async ({ lab }) => {
      const declared = await declare(lab, args);
      expect(declared.error).toMatch(message);
      expect(declared.regs).toEqual([]);
      expect(await labArrays(lab)).toEqual([]);
      expect(await labRecord(lab)).toEqual([]);
      expect(await labDatabases(lab)).toEqual(ORIGINAL);
    });
  }

  it("refuses a site whose servers include no Client Access server, naming its servers and their roles", async ({
    lab,
  }) => {
    lab.edit((state) => {
      for (const s of (state as { servers: { Name: string; ServerRole: string[] }[] }).servers)
        if (s.Name === "BR-EX2010-MB") s.ServerRole = ["Mailbox", "HubTransport"];
    });
    const declared = await declare(lab, {
      site: "BranchOffice",
      arrayName: "cas-branchoffice",
      fqdn: "outlook-br.exchangeserverpro.net",
      dns: { addresses: ["10.2.0.100"] },
    });
    expect(declared.error).toMatch(
      /AD site 'BranchOffice' has no Client Access server \(its servers: BR-EX2010-MB \(Mailbox, HubTransport\)\)/,
    );
    expect(declared.regs).toEqual([]);
    expect(await labArrays(lab)).toEqual([]);
  });

  it("refuses a recovery database named in 'databases': clients never connect to one", async ({ lab }) => {
    const declared = await declare(lab, { databases: ["MB-HO-01", "RDB-HO-01"] });
    expect(declared.error).toMatch(
      /'RDB-HO-01' is a recovery database: Outlook clients never connect to a recovery database/,
    );
    expect(declared.regs).toEqual([]);
  });

  it("refuses a standalone MailboxDatabaseRpcSetting of a recovery database, leaving its value", async ({
    lab,
    host,
  }) => {
    const regs = await register(
      (lib) =>
        new lib.MailboxDatabaseRpcSetting("rdb", {
          database: "RDB-HO-01",
          rpcClientAccessServer: "HO-EX2010-MB2",
          connection: lab.connection,
        }),
    );
    const outcome = await applyAll(host, regs, new Map());
    expect(outcome.failed.map((f) => f.error).join("\n")).toMatch(
      /'RDB-HO-01' is a recovery database: Outlook clients never connect to a recovery database/,
    );
    expect((await labDatabases(lab))["RDB-HO-01"]).toBe(ORIGINAL["RDB-HO-01"]);
  });

  it("refuses a misspelt 'exclude' entry, listing the site's databases, instead of changing the database meant to be left alone", async ({
    lab,
  }) => {
    const declared = await declare(lab, { exclude: ["MB-HO-3"] });
    expect(declared.error).toMatch(
      /'exclude' names 'MB-HO-3', which is not a mailbox database of site HeadOffice; the site's databases are: MB-HO-01, MB-HO-02, MB-HO-03, RDB-HO-01/,
    );
    expect(declared.regs).toEqual([]);
  });

  it("normalises a zone and FQDN written with a trailing dot, as DnsARecord does, and a second apply is a no-op", async ({
    lab,
    host,
  }) => {
    const dotted: SiteArgs = { fqdn: `${FQDN}.`, dns: { zone: "exchangeserverpro.net." } };
    const declared = await declare(lab, dotted);
    expect(declared.error).toBeUndefined();
    const state = new Map<string, Applied>();
    await apply(host, declared.regs, state);
    expect(await labArrays(lab)).toEqual([{ Name: "cas-headoffice", Fqdn: FQDN }]);
    expect(await labRecord(lab)).toEqual(["10.1.0.11"]);
    const again = await apply(host, (await declare(lab, dotted)).regs, state);
    expect(again.created).toEqual([]);
    expect(again.updated).toEqual([]);
    expect(again.unchanged).toHaveLength(6);
    // The site's claim holds the names as normalised too.
    expect(state.get("headoffice-claim")?.outputs).toMatchObject({ fqdn: FQDN, zone: "exchangeserverpro.net" });
  });
});

describe("an interrupted apply", () => {
  it("recognises the declared array as this stack's, refuses the record it cannot tell from a hand-made one (remove it, or adopt), converges once it is removed, and never records the array as a database's previous value", async ({
    lab,
    host,
  }) => {
    const declared = await declare(lab);
    // The first apply got as far as the record, the array and MB-HO-01, then the process was
    // killed: Exchange has them, the stack recorded nothing.
    const lost = new Map<string, Applied>();
    await apply(
      host,
      declared.regs.filter((r) => resourceType(r) !== "MailboxDatabaseRpcSetting" || r.name === "headoffice-mb-ho-01"),
      lost,
    );
    expect((await labDatabases(lab))["MB-HO-01"]).toBe(FQDN);

    const state = new Map<string, Applied>();
    const again = await declare(lab);
    // An A record the stack did not create is never taken, even at a declared address: it cannot
    // be told from one made by hand. The array, exactly as declared, is not refused.
    const refused = await preview(host, again.regs, state);
    expect(refused.failures).toEqual([
      {
        name: "headoffice-dns",
        property: "addresses",
        reason:
          "outlook-ho.exchangeserverpro.net on DNS server 'DC01' already has A record 10.1.0.11 that this stack does not own (10.1.0.11 is a declared address, but a record this stack did not create is not its own: one made by hand, or by an apply of this stack that was interrupted before it could record it). Remove it from DNS and run again, or set 'adopt: true' to take the name over as it is: records not in 'addresses' are then removed, and on destroy the name is released, never deleted.",
      },
    ]);
    // What the sentence says to do; then the preview finds nothing to refuse.
    await lab.pwsh(
      "Remove-DnsServerResourceRecord -ZoneName exchangeserverpro.net -RRType A -Name outlook-ho -RecordData 10.1.0.11 -ComputerName DC01 -Force",
    );
    const { result: seen, printed } = await host.printedBy(() => preview(host, again.regs, state));
    expect(seen.failures).toEqual([]);
    expect(seen.creates).toHaveLength(6);
    expect(printed).toMatch(
      /CAS array 'cas-headoffice' \(outlook-ho\.exchangeserverpro\.net\) already exists in site HeadOffice, exactly as declared \(an earlier apply was probably interrupted\)/,
    );

    const outcome = await apply(host, again.regs, state);
    expect(outcome.created).toHaveLength(6);
    expect(await labRecord(lab)).toEqual(["10.1.0.11"]);
    expect(await labArrays(lab)).toEqual([{ Name: "cas-headoffice", Fqdn: FQDN }]);
    for (const [name, s] of state) {
      if (name.includes("-mb-")) expect(String(s.outputs.previousRpcClientAccessServer).toLowerCase()).not.toBe(FQDN);
    }
    expect(state.get("headoffice-mb-ho-01")?.outputs.previousRpcClientAccessServer).toBe("");
    const noop = await apply(host, (await declare(lab)).regs, state);
    expect(noop.created.concat(noop.updated)).toEqual([]);

    // Destroyed, the site is as it was: MB-HO-01's earlier value was never recorded, so removing
    // the array puts it on its own Client Access server rather than stranding it.
    await destroy(host, state);
    expect(await labDatabases(lab)).toEqual(ORIGINAL);
    expect(await labArrays(lab)).toEqual([]);
    expect(await labRecord(lab)).toEqual([]);
  });
});

describe("the preview tells the truth", () => {
  it("warns for every database whose value changes, with its mailboxes counted, and puts the count in the databases output", async ({
    lab,
    host,
  }) => {
    const declared = await declare(lab);
    const warnings = declared.warnings.join("\n");
    expect(warnings).toMatch(
      /Mailbox database 'MB-HO-01' \(3 mailboxes\): RpcClientAccessServer changes from HO-EX2010-MB1\.exchangeserverpro\.net to outlook-ho\.exchangeserverpro\.net\.$/m,
    );
    expect(warnings).toMatch(/Mailbox database 'MB-HO-02' \(2 mailboxes\)/);
    expect(warnings).toMatch(/Mailbox database 'MB-HO-03' \(1 mailbox\)/);
    expect(warnings).not.toMatch(/RDB-HO-01|MB-BR-01/);
    const state = new Map<string, Applied>();
    await apply(host, declared.regs, state);
    expect((await declare(lab)).databases).toEqual([
      { database: "MB-HO-01", rpcClientAccessServer: FQDN },
      { database: "MB-HO-02", rpcClientAccessServer: FQDN },
      { database: "MB-HO-03", rpcClientAccessServer: FQDN },
    ]);
    // Only a database whose value changes is counted and warned about.
    await lab.pwsh("Set-MailboxDatabase -Identity MB-HO-02 -RpcClientAccessServer HO-EX2010-MB2");
    const drifted = await declare(lab);
    expect(drifted.warnings.filter((w) => w.startsWith("Mailbox database"))).toEqual([
      expect.stringMatching(
        /^Mailbox database 'MB-HO-02' \(2 mailboxes\): RpcClientAccessServer changes from HO-EX2010-MB2/,
      ),
    ]);
    expect(drifted.databases.find((d) => d.database === "MB-HO-02")?.mailboxes).toBe(2);
    expect(drifted.databases.find((d) => d.database === "MB-HO-01")?.mailboxes).toBeUndefined();
  });

  it("without adopt, refuses at preview a site that already has an array, naming it and suggesting adopt", async ({
    lab,
    host,
  }) => {
    await lab.pwsh(
      "New-ClientAccessArray -Name CASArray-HO -Fqdn casarray-ho.exchangeserverpro.net -Site HeadOffice | Out-Null",
    );
    const seen = await preview(host, (await declare(lab)).regs, new Map());
    // The site's claim refuses it first (everything else waits for the claim); the array's own check says the same.
    const reason = expect.stringMatching(
      /^Site HeadOffice already has CAS array 'CASArray-HO' \(casarray-ho\.exchangeserverpro\.net\), which this stack does not manage.*Set adopt: true to take it over \(it will be renamed to 'cas-headoffice' and its FQDN changed/,
    );
    expect(byName(seen.failures)).toEqual([
      { name: "headoffice-array", property: "site", reason },
      { name: "headoffice-claim", property: "site", reason },
    ]);
  });

  it("without adopt, refuses at preview A records at the name that the stack does not own", async ({ lab, host }) => {
    await lab.pwsh(
      "Add-DnsServerResourceRecordA -ZoneName exchangeserverpro.net -Name outlook-ho -IPv4Address 10.1.0.12 -ComputerName DC01",
    );
    const seen = await preview(host, (await declare(lab)).regs, new Map());
    // The site's claim refuses it first (everything else waits for the claim); the record's own check says the same.
    const reason = expect.stringMatching(
      /already has A record 10\.1\.0\.12 that this stack does not own.*'adopt: true'/,
    );
    expect(byName(seen.failures)).toEqual([
      { name: "headoffice-claim", property: "fqdn", reason },
      { name: "headoffice-dns", property: "addresses", reason },
    ]);
  });

  it("with adopt, says what it takes over and changes; destroying the site releases what was adopted and puts the databases back", async ({
    lab,
    host,
  }) => {
    await lab.pwsh(
      "New-ClientAccessArray -Name CASArray-HO -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice | Out-Null",
    );
    await lab.pwsh(
      "Add-DnsServerResourceRecordA -ZoneName exchangeserverpro.net -Name outlook-ho -IPv4Address 10.1.0.12 -ComputerName DC01",
    );
    const declared = await declare(lab, { adopt: true, dns: { addresses: ["10.1.0.100"] } });
    expect(declared.warnings.join("\n")).toMatch(
      /CAS array 'CASArray-HO' \(outlook-ho\.exchangeserverpro\.net\) of site HeadOffice will be taken over \(adopt\) and renamed to 'cas-headoffice'/,
    );
    const { result: seen, printed } = await host.printedBy(() => preview(host, declared.regs, new Map()));
    expect(seen.failures).toEqual([]);
    expect(printed).toMatch(/A record 10\.1\.0\.12 will be removed, leaving 10\.1\.0\.100/);
    // One fact, one warning: the plan said the array's takeover (above); the preview does not repeat it.
    expect(printed).not.toMatch(/CAS array 'CASArray-HO' .* will be taken over/);

    const state = new Map<string, Applied>();
    await apply(host, declared.regs, state);
    expect(await labArrays(lab)).toEqual([{ Name: "cas-headoffice", Fqdn: FQDN }]);
    expect(await labRecord(lab)).toEqual(["10.1.0.100"]);

    const destroyed = await host.printedBy(() => destroy(host, state));
    expect(await labArrays(lab)).toEqual([{ Name: "cas-headoffice", Fqdn: FQDN }]);
    expect(await labRecord(lab)).toEqual(["10.1.0.100"]);
    expect(await labDatabases(lab)).toEqual(ORIGINAL);
    expect(destroyed.printed).toMatch(
      /CAS array 'cas-headoffice' \(outlook-ho\.exchangeserverpro\.net\) is released, not removed/,
    );
  });
});

describe("leaving management", () => {
  it("a database that leaves the declaration keeps its value, and the preview says so; destroying the site puts every database back", async ({
    lab,
    host,
  }) => {
    const state = new Map<string, Applied>();
    await apply(host, (await declare(lab)).regs, state);
    const excluded = await declare(lab, { exclude: ["MB-HO-03"] });
    expect(excluded.warnings.join("\n")).toMatch(
      /Not declared, so left as they are: MB-HO-03 \(RpcClientAccessServer outlook-ho\.exchangeserverpro\.net\)\. A database that leaves the declaration keeps its value/,
    );
    const seen = await preview(host, excluded.regs, state);
    expect(seen.deletes).toEqual(["headoffice-mb-ho-03"]);
    await destroy(host, state, seen.deletes);
    expect((await labDatabases(lab))["MB-HO-03"]).toBe(FQDN);

    await destroy(host, state);
    expect(await labDatabases(lab)).toEqual(ORIGINAL);
    expect(await labArrays(lab)).toEqual([]);
  });

  it("onDelete: retain leaves the array, the record and the databases as they are when the site is destroyed", async ({
    lab,
    host,
  }) => {
    const state = new Map<string, Applied>();
    const declared = await declare(lab, { onDelete: "retain" });
    // The site's claim has no onDelete: deleting it only forgets it.
    expect(
      declared.regs
        .filter((r) => resourceType(r) !== "MailboxDatabaseRpcSetting")
        .map((r) => [resourceType(r), r.inputs.onDelete]),
    ).toEqual([
      ["CasArraySiteClaim", undefined],
      ["DnsARecord", "retain"],
      ["ClientAccessArray", "retain"],
    ]);
    await apply(host, declared.regs, state);
    await destroy(host, state);
    expect(await labArrays(lab)).toEqual([{ Name: "cas-headoffice", Fqdn: FQDN }]);
    expect(await labRecord(lab)).toEqual(["10.1.0.11"]);
    expect((await labDatabases(lab))["MB-HO-01"]).toBe(FQDN);
  });
});

describe("Pulumi inputs", () => {
  it("takes the addresses and the TTL from another resource's outputs: the record gets them, and the address warnings follow once they are known", async ({
    lab,
    host,
  }) => {
    let warnings: string[] = [];
    const regs = await register(async (lib, pulumi) => {
      // As a load balancer resource's VIP output would arrive.
      const vip = pulumi.output(["10.1.0.11"]);
      const site = new lib.CasArraySite("headoffice", {
        site: "HeadOffice",
        arrayName: "cas-headoffice",
        fqdn: FQDN,
        connection: lab.connection,
        dns: { zone: "exchangeserverpro.net", server: "DC01", addresses: vip, ttl: pulumi.output(600) },
      });
      warnings = await settleSite(site);
      return [];
    });
    const record = regs.find((r) => resourceType(r) === "DnsARecord");
    expect(record?.inputs).toMatchObject({ addresses: ["10.1.0.11"], ttl: 600 });
    expect(regs).toHaveLength(6);
    expect(warnings.join("\n")).toMatch(/points at 10\.1\.0\.11, the address of Client Access server HO-EX2010-MB1/);
    const state = new Map<string, Applied>();
    await apply(host, regs, state);
    expect(await labRecord(lab)).toEqual(["10.1.0.11"]);
  });
});
