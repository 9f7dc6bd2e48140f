// AD site names with a space or an apostrophe ("Head Office", "O'Brien Site") are legal in Active
// Directory and Exchange takes them on -Site. The article's lab with its two sites renamed so, each
// site declared whole with CasArraySite and applied through the real host, as in headOffice.test.ts:
// the component's planning and every resource's check must agree, and a second apply is a no-op.
import { describe, expect } from "vitest";
import { psQuote } from "../../provider/shell/quote";
import { applyAll, declaredDatabases, type Applied } from "../support/apply";
import { register, settleSite, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { urnOf, type Host } from "../support/host";
import { labDatabases, type JsonObject, type Lab } from "../support/lab";

const RENAMED: Record<string, string> = { HeadOffice: "Head Office", BranchOffice: "O'Brien Site" };

interface LabState {
  sites: { Name: string }[];
  servers: { Name: string; Site: string }[];
  dns: unknown;
}

/** Renames the article's sites everywhere the state names them: the sites list and each server's Site. DNS is left as it is. */
function renameSites(state: JsonObject): void {
  const labState = state as unknown as LabState;
  const dnsBefore = JSON.stringify(labState.dns);
  for (const site of labState.sites) site.Name = RENAMED[site.Name] ?? site.Name;
  for (const server of labState.servers) server.Site = RENAMED[server.Site] ?? server.Site;
  expect(JSON.stringify(labState.dns)).toBe(dnsBefore);
}

interface SiteCase {
  key: string;
  site: string;
  arrayName: string;
  fqdn: string;
  addresses: string[];
  databases: string[];
  members: string[];
}

const SITES: SiteCase[] = [
  {
    key: "headoffice",
    site: "Head Office",
    arrayName: "cas-headoffice",
    fqdn: "outlook-ho.exchangeserverpro.net",
    addresses: ["10.1.0.100"],
    databases: ["MB-HO-01", "MB-HO-02", "MB-HO-03"],
    members: ["HO-EX2010-MB1", "HO-EX2010-MB2"],
  },
  {
    key: "obrien",
    site: "O'Brien Site",
    arrayName: "cas-obrien",
    fqdn: "outlook-br.exchangeserverpro.net",
    addresses: ["10.2.0.100"],
    databases: ["MB-BR-01"],
    members: ["BR-EX2010-MB"],
  },
];

async function declareSite(lab: Lab, c: SiteCase): Promise<Registration[]> {
  return register(async (lib) => {
    const site = new lib.CasArraySite(c.key, {
      site: c.site,
      arrayName: c.arrayName,
      fqdn: c.fqdn,
      dns: { zone: "exchangeserverpro.net", server: "DC01", addresses: c.addresses },
      connection: lab.connection,
    });
    await settleSite(site);
    return [];
  });
}

/** Applies site `c` into `state`, expecting every resource created. */
async function applySite(lab: Lab, host: Host, c: SiteCase, state: Map<string, Applied>): Promise<void> {
  const outcome = await applyAll(host, await declareSite(lab, c), state);
  expect(outcome.failed).toEqual([]);
  // The site's claim, its record, its array and one setting per database.
  expect(outcome.created).toHaveLength(3 + c.databases.length);
}

describe("AD site names with a space or an apostrophe, through the host", () => {
  it("the lab renders the renamed sites on Get-ExchangeServer and resolves them on -Site", async ({ lab }) => {
    lab.reset(renameSites);
    const servers = await lab.json<{ Name: string; Site: string }[]>("Get-ExchangeServer | Select-Object Name,Site");
    expect(Object.fromEntries(servers.map((s) => [s.Name, s.Site]))).toEqual({
      "HO-EX2010-MB1": "exchangeserverpro.net/Configuration/Sites/Head Office",
      "HO-EX2010-MB2": "exchangeserverpro.net/Configuration/Sites/Head Office",
      "BR-EX2010-MB": "exchangeserverpro.net/Configuration/Sites/O'Brien Site",
    });
    expect(await lab.json<unknown[]>(`Get-ClientAccessArray -Site ${psQuote("O'Brien Site")}`)).toEqual([]);
    expect(
      await lab.json<unknown[]>(
        `Get-ClientAccessArray -Site ${psQuote("exchangeserverpro.net/Configuration/Sites/Head Office")}`,
      ),
    ).toEqual([]);
  });

  it('ClientAccessArray\'s check accepts "Head Office" and "O\'Brien Site" and keeps them as given', async ({
    lab,
    host,
  }) => {
    lab.reset(renameSites);
    for (const site of ["Head Office", "O'Brien Site"]) {
      const regs = await register(
        (lib) =>
          new lib.ClientAccessArray("cas", {
            fqdn: "outlook-x.exchangeserverpro.net",
            site,
            connection: lab.connection,
          }),
      );
      const reg = regs[0] as Registration;
      const checked = await host.check(urnOf("ClientAccessArray", reg.name), {}, reg.inputs);
      expect(checked.failures).toEqual([]);
      expect(checked.inputs.site).toBe(site);
    }
  });

  for (const c of SITES) {
    describe(`site ${c.site}`, () => {
      it(`applies: array ${c.arrayName} in site ${c.site}, its record, ${c.databases.join(", ")} pointed at the array`, async ({
        lab,
        host,
      }) => {
        lab.reset(renameSites);
        const state = new Map<string, Applied>();
        // The sites before this one are applied first, as a second stack would find the organisation.
        for (const other of SITES.slice(0, SITES.indexOf(c))) await applySite(lab, host, other, state);
        const regs = await declareSite(lab, c);
        expect(declaredDatabases(regs)).toEqual(c.databases);
        const before = await labDatabases(lab);
        const outcome = await applyAll(host, regs, state);
        expect(outcome.failed).toEqual([]);
        expect(outcome.created).toEqual(
          [
            `${c.key}-array`,
            `${c.key}-claim`,
            `${c.key}-dns`,
            ...c.databases.map((d) => `${c.key}-${d.toLowerCase()}`),
          ].sort(),
        );
        // The claim's check read the site's array and records by the name as given.
        expect(state.get(`${c.key}-claim`)?.outputs).toMatchObject({
          site: c.site,
          arrayName: c.arrayName,
          fqdn: c.fqdn,
        });
        expect(state.get(`${c.key}-array`)?.outputs).toMatchObject({
          arrayName: c.arrayName,
          fqdn: c.fqdn,
          siteName: c.site,
          site: `exchangeserverpro.net/Configuration/Sites/${c.site}`,
          members: c.members,
        });
        const arrays = await lab.json<{ Name: string; SiteName: string; Fqdn: string; Members: string[] }[]>(
          `Get-ClientAccessArray -Site ${psQuote(c.site)} | Select-Object Name,SiteName,Fqdn,Members`,
        );
        expect(arrays).toEqual([{ Name: c.arrayName, SiteName: c.site, Fqdn: c.fqdn, Members: c.members }]);
        expect(await labDatabases(lab)).toEqual({
          ...before,
          ...Object.fromEntries(c.databases.map((d) => [d, c.fqdn])),
        });
      });

      it("applies again: every resource unchanged", async ({ lab, host }) => {
        lab.reset(renameSites);
        const state = new Map<string, Applied>();
        await applySite(lab, host, c, state);
        const outcome = await applyAll(host, await declareSite(lab, c), state);
        expect(outcome.failed).toEqual([]);
        expect(outcome.created).toEqual([]);
        expect(outcome.updated).toEqual([]);
        expect(outcome.unchanged).toHaveLength(3 + c.databases.length);
        expect(outcome.unchanged).toEqual(
          [
            `${c.key}-array`,
            `${c.key}-claim`,
            `${c.key}-dns`,
            ...c.databases.map((d) => `${c.key}-${d.toLowerCase()}`),
          ].sort(),
        );
      });
    });
  }
});
