// A stretched DAG (LAB-FIDELITY E6): a database's Server is its ACTIVE copy's host and moves with
// a failover or switchover, possibly into another AD site. CasArraySite places a database in the
// site of its PREFERRED copy (ActivationPreference 1, its home), which a failover does not change:
// the home site keeps it and says it is active elsewhere, the other site's all-in-site does not
// take it and says why; it warns when the copies span sites (the value does not follow the active
// copy: DOMAIN.md §1.7, §1.10), and keeps a database the declaration names while it is active in
// another site, if it has a copy in the declared site (a switchover); without one it is refused.
// Site programs run under mocks and previewed, applied through the real dynamic-provider host
// against a private copy of the article's lab.
import { describe, expect } from "vitest";
import { applyAll, preview, type Applied } from "../support/apply";
import { labTest as it } from "../support/fixtures";
import type { JsonObject, Lab } from "../support/lab";
import { declareSite, HO_FQDN, type Declared, type SiteArgs } from "../support/site";

const HO = HO_FQDN;
const BR = "outlook-br.exchangeserverpro.net";
const declare = (lab: Lab, args: SiteArgs = {}): Promise<Declared> => declareSite(lab.connection, args, "site");
const branch: SiteArgs = {
  site: "BranchOffice",
  arrayName: "cas-branchoffice",
  fqdn: BR,
  dns: { addresses: ["10.2.0.100"] },
};
const names = (d: Declared) => d.databases.map((x) => x.database);

/** HO-DAG01 stretched into BranchOffice: MB-HO-01 gets a copy on BR-EX2010-MB. */
function stretch(json: JsonObject): void {
  type State = {
    databaseAvailabilityGroups: { Servers: string[] }[];
    mailboxDatabases: { Name: string; Copies?: string[] }[];
  };
  const state = json as unknown as State;
  (state.databaseAvailabilityGroups[0] as { Servers: string[] }).Servers = [
    "HO-EX2010-MB1",
    "HO-EX2010-MB2",
    "BR-EX2010-MB",
  ];
  for (const d of state.mailboxDatabases)
    if (d.Name === "MB-HO-01") d.Copies = ["HO-EX2010-MB1", "HO-EX2010-MB2", "BR-EX2010-MB"];
}
async function failover(lab: Lab, to: string): Promise<void> {
  await lab.pwsh(`$null = Move-ActiveMailboxDatabase -Identity MB-HO-01 -ActivateOnServer ${to} -Confirm:$false`);
}

describe("a database's site is its preferred copy's (ActivationPreference 1), not its active copy's", () => {
  it("warns, naming both sites, when a planned database has copies in another site; that site's plan leaves it out and says so", async ({
    lab,
  }) => {
    lab.edit(stretch);
    const ho = await declare(lab);
    expect(ho.error).toBeUndefined();
    expect(names(ho)).toEqual(["MB-HO-01", "MB-HO-02", "MB-HO-03"]);
    expect(ho.warnings).toContainEqual(
      expect.stringMatching(
        /^Mailbox database 'MB-HO-01' has copies in AD sites HeadOffice and BranchOffice \(servers HO-EX2010-MB1, HO-EX2010-MB2, BR-EX2010-MB\): after a failover to BranchOffice its Outlook clients still connect to this site's array outlook-ho\.exchangeserverpro\.net, because Exchange 2010 does not change RpcClientAccessServer when the active copy moves/,
      ),
    );
    expect(ho.warnings.filter((w) => w.includes("has copies in AD sites"))).toHaveLength(1);
    const br = await declare(lab, branch);
    expect(br.error).toBeUndefined();
    expect(names(br)).toEqual(["MB-BR-01"]);
    expect(br.warnings).toContain(
      "Not in this plan, though they have a copy in BranchOffice: MB-HO-01 (home HeadOffice, active on HO-EX2010-MB1, RpcClientAccessServer HO-EX2010-MB1.exchangeserverpro.net). A database belongs to the site of its preferred copy (ActivationPreference 1); name it in 'databases' to manage it here instead.",
    );
  });

  it("a failover into the other site leaves the database in its home site's plan, which says it is active elsewhere; the other site's plan does not take it and says why; its Exchange value is untouched", async ({
    lab,
    host,
  }) => {
    lab.edit(stretch);
    const state = new Map<string, Applied>();
    const first = await applyAll(host, (await declare(lab)).regs, state);
    expect(first.failed).toEqual([]);
    await failover(lab, "BR-EX2010-MB");
    expect(await lab.json<string[]>("@((Get-MailboxDatabase MB-HO-01).RpcClientAccessServer)")).toEqual([HO]);

    // Its home site keeps it, says why, and has nothing to change.
    const ho = await declare(lab);
    expect(ho.error).toBeUndefined();
    expect(names(ho)).toEqual(["MB-HO-01", "MB-HO-02", "MB-HO-03"]);
    expect(ho.warnings).toContain(
      "Mailbox database 'MB-HO-01' is active in AD site BranchOffice now (on BR-EX2010-MB, after a failover or switchover), but its home is HeadOffice (its preferred copy, ActivationPreference 1, is on HO-EX2010-MB1): it stays in this plan and its RpcClientAccessServer stays outlook-ho.exchangeserverpro.net; its Outlook clients connect across sites until it moves back. In a datacenter switchover repoint the DNS name outlook-ho.exchangeserverpro.net, not the database.",
    );
    expect(
      ho.warnings.filter((w) => w.startsWith("Not in this plan") || w.includes("RpcClientAccessServer changes")),
    ).toEqual([]);
    expect(await preview(host, ho.regs, state)).toMatchObject({ failures: [], creates: [], updates: [], deletes: [] });

    // The site it is active in does not take it, and says whose it is.
    const br = await declare(lab, branch);
    expect(br.error).toBeUndefined();
    expect(names(br)).toEqual(["MB-BR-01"]);
    expect(br.warnings).toContain(
      "Mailbox database 'MB-HO-01' is active in BranchOffice (on BR-EX2010-MB) only because of a failover or switchover: its preferred copy (ActivationPreference 1) is on HO-EX2010-MB1 in HeadOffice, its home site, whose stack keeps it, so 'all-in-site' does not take it here and its RpcClientAccessServer (outlook-ho.exchangeserverpro.net) is left alone. While HeadOffice is down, repoint HeadOffice's array name, not the database.",
    );
    expect(
      br.warnings.filter(
        (w) =>
          w.includes("MB-HO-01") &&
          (w.includes("RpcClientAccessServer changes") || w.includes("has copies in AD sites")),
      ),
    ).toEqual([]);
    // Excluding it there is accepted (it has a copy there), and that plan then says nothing of it.
    const excluded = await declare(lab, { ...branch, exclude: ["MB-HO-01"] });
    expect(excluded.error).toBeUndefined();
    expect(names(excluded)).toEqual(["MB-BR-01"]);
    expect(excluded.warnings.filter((w) => w.includes("MB-HO-01"))).toEqual([]);

    // Switched back: both plans as before the failover, and the value never moved.
    await failover(lab, "HO-EX2010-MB2");
    expect(names(await declare(lab))).toEqual(["MB-HO-01", "MB-HO-02", "MB-HO-03"]);
    expect(names(await declare(lab, branch))).toEqual(["MB-BR-01"]);
    expect(await lab.json<string[]>("@((Get-MailboxDatabase MB-HO-01).RpcClientAccessServer)")).toEqual([HO]);
  });

  it("keeps a database the declaration names while it is active in another site where it has a copy here, with a warning; refuses one with no copy here", async ({
    lab,
    host,
  }) => {
    lab.edit(stretch);
    await failover(lab, "BR-EX2010-MB");
    const named = await declare(lab, { databases: ["MB-HO-01", "MB-HO-02"] });
    expect(named.error).toBeUndefined();
    expect(names(named)).toEqual(["MB-HO-01", "MB-HO-02"]);
    expect(named.warnings).toContain(
      "Mailbox database 'MB-HO-01' is active in AD site BranchOffice now (on BR-EX2010-MB, after a failover or switchover), but its home is HeadOffice (its preferred copy, ActivationPreference 1, is on HO-EX2010-MB1): it stays in this plan and its RpcClientAccessServer stays outlook-ho.exchangeserverpro.net; its Outlook clients connect across sites until it moves back. In a datacenter switchover repoint the DNS name outlook-ho.exchangeserverpro.net, not the database.",
    );
    expect(named.warnings.filter((w) => w.includes("has copies in AD sites"))).toEqual([]);
    // Counted on its active server, in the other site.
    expect(named.databases.find((d) => d.database === "MB-HO-01")?.mailboxes).toBe(3);
    const state = new Map<string, Applied>();
    const outcome = await applyAll(host, named.regs, state);
    expect(outcome.failed).toEqual([]);
    expect(await lab.json<string[]>("@((Get-MailboxDatabase MB-HO-01).RpcClientAccessServer)")).toEqual([HO]);

    const refused = await declare(lab, { databases: ["MB-HO-01", "MB-BR-01"] });
    expect(refused.error).toMatch(
      /Mailbox database 'MB-BR-01' is in AD site BranchOffice \(server BR-EX2010-MB\), not HeadOffice; declare it in the BranchOffice stack/,
    );
    expect(refused.regs).toEqual([]);
  });
});
