// A stretched DAG (LAB-FIDELITY E6): a database's Server is its ACTIVE copy's host and moves with
// a failover or switchover, possibly into another AD site. CasArraySite places a database in the
// site of its active copy, warns when its copies span sites (its value does not follow the active
// copy: DOMAIN.md §1.7, §1.10), and keeps a database the declaration names while it is active in
// another site, if it has a copy in the declared site (a switchover); without one it is refused.
// Site programs run under mocks and previewed, applied through the real dynamic-provider host
// against a private copy of the article's lab.
import { describe, expect } from "vitest";
import { applyAll, type Applied } from "../support/apply";
import { labTest as it } from "../support/fixtures";
import type { JsonObject, Lab } from "../support/lab";
import { declareSite, HO_FQDN, type Declared, type SiteArgs } from "../support/site";

const HO = HO_FQDN;
const BR = "outlook-br.exchangeserverpro.net";
const declare = (lab: Lab, args: SiteArgs = {}): Promise<Declared> => declareSite(lab.connection, args, "site");
const branch: SiteArgs = { site: "BranchOffice", arrayName: "cas-branchoffice", fqdn: BR, dns: { addresses: ["10.2.0.100"] } };
const names = (d: Declared) => d.databases.map((x) => x.database);

/** HO-DAG01 stretched into BranchOffice: MB-HO-01 gets a copy on BR-EX2010-MB. */
function stretch(json: JsonObject): void {
  type State = { databaseAvailabilityGroups: { Servers: string[] }[]; mailboxDatabases: { Name: string; Copies?: string[] }[] };
  const state = json as unknown as State;
  (state.databaseAvailabilityGroups[0] as { Servers: string[] }).Servers = ["HO-EX2010-MB1", "HO-EX2010-MB2", "BR-EX2010-MB"];
  for (const d of state.mailboxDatabases) if (d.Name === "MB-HO-01") d.Copies = ["HO-EX2010-MB1", "HO-EX2010-MB2", "BR-EX2010-MB"];
}
async function failover(lab: Lab, to: string): Promise<void> {
  await lab.pwsh(`$null = Move-ActiveMailboxDatabase -Identity MB-HO-01 -ActivateOnServer ${to} -Confirm:$false`);
}

describe("a database's site is its active copy's", () => {
  it("warns, naming both sites, when a planned database has copies in another site; that site's plan leaves it out and says so", async ({ lab }) => {
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
    expect(br.warnings).toContainEqual(expect.stringMatching(/^Not in this plan, though they have a copy in BranchOffice: MB-HO-01 \(active in HeadOffice on HO-EX2010-MB1, /));
  });

  it("a failover into the other site moves the database into that site's plan, with the warning, and its Exchange value is untouched", async ({ lab, host }) => {
    lab.edit(stretch);
    const state = new Map<string, Applied>();
    const first = await applyAll(host, (await declare(lab)).regs, state);
    expect(first.failed).toEqual([]);
    await failover(lab, "BR-EX2010-MB");
    expect(await lab.json<string[]>("@((Get-MailboxDatabase MB-HO-01).RpcClientAccessServer)")).toEqual([HO]);

    const ho = await declare(lab);
    expect(ho.error).toBeUndefined();
    expect(names(ho)).toEqual(["MB-HO-02", "MB-HO-03"]);
    expect(ho.warnings).toContainEqual(
      expect.stringMatching(/^Not in this plan, though they have a copy in HeadOffice: MB-HO-01 \(active in BranchOffice on BR-EX2010-MB, RpcClientAccessServer outlook-ho\.exchangeserverpro\.net\)/),
    );

    const br = await declare(lab, branch);
    expect(br.error).toBeUndefined();
    expect(names(br)).toEqual(["MB-BR-01", "MB-HO-01"]);
    expect(br.warnings).toContainEqual(
      expect.stringMatching(
        /^Mailbox database 'MB-HO-01' has copies in AD sites BranchOffice and HeadOffice .*after a failover to HeadOffice its Outlook clients still connect to this site's array outlook-br\.exchangeserverpro\.net.* Its RpcClientAccessServer is now outlook-ho\.exchangeserverpro\.net, the array of site HeadOffice: if it is active here only for a failover, exclude it here/,
      ),
    );
    expect(br.warnings).toContainEqual(expect.stringMatching(/^Mailbox database 'MB-HO-01' \(3 mailboxes\): RpcClientAccessServer changes from outlook-ho\.exchangeserverpro\.net to outlook-br/));
    // Excluding it is accepted (it is active here), and the plan then leaves it alone.
    const excluded = await declare(lab, { ...branch, exclude: ["MB-HO-01"] });
    expect(excluded.error).toBeUndefined();
    expect(names(excluded)).toEqual(["MB-BR-01"]);

    // Switched back: HeadOffice's plan has it again, BranchOffice's does not.
    await failover(lab, "HO-EX2010-MB2");
    expect(names(await declare(lab))).toEqual(["MB-HO-01", "MB-HO-02", "MB-HO-03"]);
    expect(names(await declare(lab, branch))).toEqual(["MB-BR-01"]);
  });

  it("keeps a database the declaration names while it is active in another site where it has a copy here, with a warning; refuses one with no copy here", async ({ lab, host }) => {
    lab.edit(stretch);
    await failover(lab, "BR-EX2010-MB");
    const named = await declare(lab, { databases: ["MB-HO-01", "MB-HO-02"] });
    expect(named.error).toBeUndefined();
    expect(names(named)).toEqual(["MB-HO-01", "MB-HO-02"]);
    expect(named.warnings).toContainEqual(
      expect.stringMatching(
        /^Mailbox database 'MB-HO-01' is active in AD site BranchOffice now \(server BR-EX2010-MB\), not HeadOffice, where it has a copy; it stays declared here, so its RpcClientAccessServer stays outlook-ho\.exchangeserverpro\.net/,
      ),
    );
    expect(named.warnings.filter((w) => w.includes("has copies in AD sites"))).toEqual([]);
    // Counted on its active server, in the other site.
    expect(named.databases.find((d) => d.database === "MB-HO-01")?.mailboxes).toBe(3);
    const state = new Map<string, Applied>();
    const outcome = await applyAll(host, named.regs, state);
    expect(outcome.failed).toEqual([]);
    expect(await lab.json<string[]>("@((Get-MailboxDatabase MB-HO-01).RpcClientAccessServer)")).toEqual([HO]);

    const refused = await declare(lab, { databases: ["MB-HO-01", "MB-BR-01"] });
    expect(refused.error).toMatch(/Mailbox database 'MB-BR-01' is in AD site BranchOffice \(server BR-EX2010-MB\), not HeadOffice; declare it in the BranchOffice stack/);
    expect(refused.regs).toEqual([]);
  });
});
