// The site planner's own sentences (CasArraySite's plan, asked of a private copy of the article's
// lab while the program runs): each refusal, word for word, with no child registered; each warning
// word for word, only when it applies; and the order the children wait for each other in, as the
// engine receives it (each registration's dependencies). Plan only: nothing is applied, so no
// provider host is started. Refusals and warnings already pinned elsewhere are not repeated here:
// siteSafety.test.ts (an FQDN outside the zone, a database of another site, an unknown or recovery
// database, no servers or no Client Access server in the site, a misspelt 'exclude', an existing
// array without adopt, the rename on adopt, "Not declared, so left as they are", the mailbox
// counts), stretchedDag.test.ts (copies in two sites, a database active elsewhere) and
// loadBalancer.test.ts (the static ports).
import { describe, expect } from "vitest";
import { resourceType } from "../support/apply";
import type { Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import type { Lab } from "../support/lab";
import { declareSite, HO_FQDN, type Declared, type SiteArgs } from "../support/site";

const declare = (lab: Lab, args: SiteArgs = {}): Promise<Declared> => declareSite(lab.connection, args);

/** A refusal: the plan's sentence, and nothing registered (nothing would change). */
async function refused(lab: Lab, args: SiteArgs, code = "refused"): Promise<string> {
  const declared = await declare(lab, args);
  expect(declared.regs).toEqual([]);
  expect(declared.error).toBeDefined();
  expect(declared.code).toBe(code);
  return declared.error ?? "";
}

/** An accepted plan: its warnings (and it registered the site's children). */
async function accepted(lab: Lab, args: SiteArgs = {}): Promise<Declared> {
  const declared = await declare(lab, args);
  expect(declared.error).toBeUndefined();
  expect(declared.regs.map(resourceType)).toContain("ClientAccessArray");
  return declared;
}

const SITE_DATABASES = "MB-HO-01, MB-HO-02, MB-HO-03, RDB-HO-01";

describe("the array's name must be its own", () => {
  it("refuses an FQDN that is an Exchange server's FQDN, naming the server and suggesting a name of its own", async ({
    lab,
  }) => {
    expect(await refused(lab, { fqdn: "ho-ex2010-mb1.exchangeserverpro.net" })).toBe(
      "CasArraySite HeadOffice: The array FQDN 'ho-ex2010-mb1.exchangeserverpro.net' is the name of Exchange server HO-EX2010-MB1; give the array a name of its own (such as outlook-ho.exchangeserverpro.net), so it can later point at a load balancer.",
    );
  });

  it("refuses an FQDN whose host label is a server's name, in another zone than the server's", async ({ lab }) => {
    const error = await refused(lab, {
      fqdn: "br-ex2010-mb.branch.exchangeserverpro.net",
      dns: { zone: "branch.exchangeserverpro.net", server: "DC02" },
    });
    expect(error).toBe(
      "CasArraySite HeadOffice: The array FQDN 'br-ex2010-mb.branch.exchangeserverpro.net' is the name of Exchange server BR-EX2010-MB; give the array a name of its own (such as outlook-ho.branch.exchangeserverpro.net), so it can later point at a load balancer.",
    );
  });

  it("refuses the DAG's name (HO-DAG01) as the array's FQDN: the cluster name and the array cannot share a name", async ({
    lab,
  }) => {
    expect(await refused(lab, { fqdn: "ho-dag01.exchangeserverpro.net" })).toBe(
      "CasArraySite HeadOffice: The array FQDN 'ho-dag01.exchangeserverpro.net' is the name of database availability group HO-DAG01; the DAG's cluster name and the CAS array are separate and cannot share a name.",
    );
  });

  it("says every refusal at once: the DAG's name, written in capitals, outside the zone", async ({ lab }) => {
    const error = await refused(lab, { fqdn: "HO-DAG01.contoso.com" });
    expect(error).toMatch(
      /^CasArraySite HeadOffice: The array FQDN 'HO-DAG01\.contoso\.com' is the name of database availability group HO-DAG01; the DAG's cluster name and the CAS array are separate and cannot share a name\. The array FQDN 'HO-DAG01\.contoso\.com' is outside DNS zone 'exchangeserverpro\.net': \S/,
    );
  });

  it("accepts a name that only begins like a server's or the DAG's", async ({ lab }) => {
    for (const fqdn of ["ho-ex2010-mb1-array.exchangeserverpro.net", "ho-dag01x.exchangeserverpro.net"]) {
      const declared = await declare(lab, { fqdn });
      expect([fqdn, declared.error]).toEqual([fqdn, undefined]);
    }
  });
});

describe("databases", () => {
  it("refuses an 'exclude' entry that is another site's database, naming its site and listing this site's", async ({
    lab,
  }) => {
    expect(await refused(lab, { exclude: ["MB-BR-01"] })).toBe(
      `CasArraySite HeadOffice: 'exclude' names 'MB-BR-01', which is not a mailbox database of site HeadOffice (it is in site BranchOffice); the site's databases are: ${SITE_DATABASES}. Correct the name, or the database you meant to leave alone would be changed.`,
    );
  });

  it("warns that an excluded database stays on a single server, and registers no setting for it", async ({ lab }) => {
    const declared = await accepted(lab, { exclude: ["MB-HO-03"] });
    expect(declared.warnings).toContain(
      "Databases of site HeadOffice left pointing at a single server: MB-HO-03 → HO-EX2010-MB1.exchangeserverpro.net. Their Outlook clients do not use the array.",
    );
    expect(
      declared.regs.filter((r) => resourceType(r) === "MailboxDatabaseRpcSetting").map((r) => r.inputs.database),
    ).toEqual(["MB-HO-01", "MB-HO-02"]);
  });

  it("lists every database of the site a named list leaves on a server, never the recovery database; none when all are declared", async ({
    lab,
  }) => {
    await lab.pwsh("Set-MailboxDatabase -Identity MB-HO-02 -RpcClientAccessServer HO-EX2010-MB2");
    const named = await accepted(lab, { databases: ["MB-HO-01"] });
    expect(named.warnings.filter((w) => w.includes("left pointing at a single server"))).toEqual([
      "Databases of site HeadOffice left pointing at a single server: MB-HO-02 → HO-EX2010-MB2.exchangeserverpro.net, MB-HO-03 → HO-EX2010-MB1.exchangeserverpro.net. Their Outlook clients do not use the array.",
    ]);
    const all = await accepted(lab);
    expect(all.warnings.filter((w) => w.includes("single server"))).toEqual([]);
  });
});

describe("the record's addresses", () => {
  it("warns that two addresses are DNS round robin, not load balancing (and not that one is a server's own)", async ({
    lab,
  }) => {
    const declared = await accepted(lab, { dns: { addresses: ["10.1.0.12", "10.1.0.11"] } });
    expect(declared.warnings).toContain(
      "outlook-ho.exchangeserverpro.net has 2 A records (10.1.0.11, 10.1.0.12): DNS round robin is not load balancing; clients keep using an address whose server is down. Point the name at one load balancer VIP.",
    );
    expect(declared.warnings.filter((w) => w.includes("the address of Client Access server"))).toEqual([]);
  });

  it("warns when the one address is a Client Access server's own, naming the server", async ({ lab }) => {
    const declared = await accepted(lab, { dns: { addresses: ["10.1.0.12"] } });
    expect(declared.warnings).toContain(
      "outlook-ho.exchangeserverpro.net points at 10.1.0.12, the address of Client Access server HO-EX2010-MB2: this works, but gives no high availability; move it to a load balancer VIP later (an in-place change).",
    );
    expect(declared.warnings.filter((w) => w.includes("round robin"))).toEqual([]);
  });

  it("gives no address warning for a VIP, nor for the address of a server of another site", async ({ lab }) => {
    for (const address of ["10.1.0.100", "10.2.0.11"]) {
      const declared = await accepted(lab, { dns: { addresses: [address] } });
      expect([address, declared.warnings.filter((w) => w.startsWith(HO_FQDN))]).toEqual([address, []]);
    }
  });
});

describe("an array already in the site", () => {
  it("with adopt, says it will be taken over, renamed and moved to the declared FQDN", async ({ lab }) => {
    await lab.pwsh(
      "New-ClientAccessArray -Name legacy-ho -Fqdn legacy.exchangeserverpro.net -Site HeadOffice | Out-Null",
    );
    const declared = await accepted(lab, { adopt: true });
    expect(declared.warnings).toContain(
      "CAS array 'legacy-ho' (legacy.exchangeserverpro.net) of site HeadOffice will be taken over (adopt) and renamed to 'cas-headoffice' and its FQDN changed from legacy.exchangeserverpro.net to outlook-ho.exchangeserverpro.net; on destroy it is released, not removed.",
    );
    expect(declared.regs.find((r) => resourceType(r) === "ClientAccessArray")?.inputs.adopt).toBe(true);
  });

  it("with adopt, says only what changes (the FQDN), and nothing for an array exactly as declared", async ({ lab }) => {
    await lab.pwsh(
      "New-ClientAccessArray -Name cas-headoffice -Fqdn legacy.exchangeserverpro.net -Site HeadOffice | Out-Null",
    );
    const moved = await accepted(lab, { adopt: true });
    expect(moved.warnings.filter((w) => w.includes("taken over"))).toEqual([
      "CAS array 'cas-headoffice' (legacy.exchangeserverpro.net) of site HeadOffice will be taken over (adopt) and its FQDN changed from legacy.exchangeserverpro.net to outlook-ho.exchangeserverpro.net; on destroy it is released, not removed.",
    ]);
    await lab.pwsh("Set-ClientAccessArray -Identity cas-headoffice -Fqdn outlook-ho.exchangeserverpro.net | Out-Null");
    const same = await accepted(lab, { adopt: true });
    expect(same.warnings.filter((w) => w.includes("taken over"))).toEqual([]);
  });

  it("without adopt, says nothing of taking over: the array's own check refuses it at preview (siteSafety.test.ts)", async ({
    lab,
  }) => {
    await lab.pwsh(
      "New-ClientAccessArray -Name legacy-ho -Fqdn legacy.exchangeserverpro.net -Site HeadOffice | Out-Null",
    );
    const declared = await accepted(lab);
    expect(declared.warnings.filter((w) => w.includes("taken over"))).toEqual([]);
  });
});

describe("the order the engine applies a site's children in (each registration's dependencies)", () => {
  const byType = (regs: Registration[], type: string) => regs.filter((r) => resourceType(r) === type);
  const one = (regs: Registration[], type: string): Registration => {
    const found = byType(regs, type);
    expect(found).toHaveLength(1);
    return found[0] as Registration;
  };
  const sorted = (urns: string[]) => [...urns].sort();

  it("the site's claim first, then the record, then the array, then each database setting, which waits for both the array and the record", async ({
    lab,
  }) => {
    const { regs } = await accepted(lab);
    const claim = one(regs, "CasArraySiteClaim");
    const record = one(regs, "DnsARecord");
    const array = one(regs, "ClientAccessArray");
    const settings = byType(regs, "MailboxDatabaseRpcSetting");
    expect(settings).toHaveLength(3);
    for (const r of regs) expect(r.urn).toMatch(/^urn:pulumi:/);
    // The claim is registered first and waits for nothing; everything else waits for it (the
    // array and the settings through the record).
    expect(regs[0]).toBe(claim);
    expect(claim.dependencies).toEqual([]);
    expect(record.dependencies).toEqual([claim.urn]);
    expect(array.dependencies).toEqual([record.urn]);
    for (const s of settings)
      expect([s.name, sorted(s.dependencies)]).toEqual([s.name, sorted([array.urn, record.urn])]);
  });

  it("with rpcPorts and verify: the static ports wait for the claim, the record for both, and the verification for every other child", async ({
    lab,
  }) => {
    const { regs } = await accepted(lab, { rpcPorts: { rpcClientAccess: 59532, addressBook: 59533 }, verify: true });
    const claim = one(regs, "CasArraySiteClaim");
    const ports = one(regs, "StaticRpcPorts");
    const record = one(regs, "DnsARecord");
    const array = one(regs, "ClientAccessArray");
    const settings = byType(regs, "MailboxDatabaseRpcSetting");
    const verification = one(regs, "CasArrayVerification");
    expect(regs[0]).toBe(claim);
    expect(claim.dependencies).toEqual([]);
    expect(ports.dependencies).toEqual([claim.urn]);
    expect(sorted(record.dependencies)).toEqual(sorted([claim.urn, ports.urn]));
    expect(array.dependencies).toEqual([record.urn]);
    for (const s of settings)
      expect([s.name, sorted(s.dependencies)]).toEqual([s.name, sorted([array.urn, record.urn])]);
    expect(sorted(verification.dependencies)).toEqual(
      sorted([ports.urn, record.urn, array.urn, ...settings.map((s) => s.urn)]),
    );
    expect(regs).toHaveLength(8);
  });
});
