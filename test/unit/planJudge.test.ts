// The site plan's judge (provider/plan/judge.ts) rule by rule, each with its own table of cases:
// pure functions from the facts and the declaration to coded findings, no pwsh. The sentences
// the findings become are test/unit/planMessages.test.ts's; the plan against the lab is
// test/scenario/sitePlan.test.ts's.
import { describe, expect, it } from "vitest";
import type { CasArray, ExchangeServer, MailboxDatabase } from "../../provider/exchange";
import type { NlbFacts, SiteFacts } from "../../provider/plan/facts";
import {
  addressRules,
  adoptRule,
  changingDatabases,
  chooseDatabases,
  databaseChangeRule,
  excludeRule,
  failoverRules,
  hasErrors,
  judgeSite,
  leftAloneRules,
  mailboxCountServers,
  nameRules,
  nlbRules,
  Placement,
  portRangeRules,
  portServers,
  portSurveyRules,
  siteServerRule,
  type Finding,
  type SiteDeclaration,
} from "../../provider/plan/judge";

const ZONE = "exchangeserverpro.net";
const FQDN = `outlook-ho.${ZONE}`;

function server(
  name: string,
  siteName: string,
  cas = true,
  serverRole = cas ? "Mailbox, ClientAccess" : "Mailbox",
): ExchangeServer {
  return {
    name,
    fqdn: `${name}.${ZONE}`,
    site: `${ZONE}/Configuration/Sites/${siteName}`,
    siteName,
    serverRole,
    isClientAccessServer: cas,
    isMailboxServer: true,
    exchangeLegacyDn: "",
    guid: name,
    adminDisplayVersion: "Version 14.3 (Build 123.4)",
  };
}

/** A database: its home (preferred copy) first in `copies`, active on `active`. */
function db(
  name: string,
  copies: string[],
  options: { active?: string; rpc?: string; recovery?: boolean } = {},
): MailboxDatabase {
  const active = options.active ?? copies[0] ?? "";
  return {
    name,
    guid: name,
    server: active,
    servers: copies,
    activationPreference: copies.map((s, i) => ({ server: s, preference: i + 1 })),
    rpcClientAccessServer: options.rpc ?? `${active}.${ZONE}`,
    recovery: options.recovery ?? false,
    exchangeLegacyDn: "",
    distinguishedName: "",
  };
}

function array(name: string, fqdn: string, siteName: string): CasArray {
  return { name, fqdn, site: siteName, siteName, members: [], guid: name, distinguishedName: "", exchangeLegacyDn: "" };
}

const MB1 = server("HO-EX2010-MB1", "HeadOffice");
const MB2 = server("HO-EX2010-MB2", "HeadOffice");
const HT = server("HO-EX2010-HT", "HeadOffice", false, "HubTransport");
const BR = server("BR-EX2010-MB", "BranchOffice");
const SERVERS = [MB1, MB2, HT, BR];

const HO1 = db("MB-HO-01", ["HO-EX2010-MB1"]);
const HO2 = db("MB-HO-02", ["HO-EX2010-MB2"]);
const RDB = db("RDB-HO", ["HO-EX2010-MB1"], { recovery: true });
const BR1 = db("MB-BR-01", ["BR-EX2010-MB"]);
const DATABASES = [HO1, HO2, RDB, BR1];

function declaration(over: Partial<SiteDeclaration> = {}): SiteDeclaration {
  return {
    site: "HeadOffice",
    declaredFqdn: FQDN,
    declaredZone: ZONE,
    fqdn: FQDN,
    zone: ZONE,
    arrayName: "outlook-ho",
    databases: "all-in-site",
    exclude: [],
    ...over,
  };
}

function facts(over: Partial<SiteFacts> = {}): SiteFacts {
  return { servers: SERVERS, databases: DATABASES, dags: [], arrays: [], ...over };
}

const codes = (findings: readonly Finding[]) => findings.map((f) => f.code);

describe("siteServerRule: the site has servers, one of them a Client Access server", () => {
  it.each([
    { site: "HeadOffice", servers: SERVERS, want: [] },
    { site: "headoffice", servers: SERVERS, want: [] },
    {
      site: "Nowhere",
      servers: SERVERS,
      want: [
        {
          code: "no-site-servers",
          severity: "error",
          site: "Nowhere",
          sitesWithServers: ["HeadOffice", "BranchOffice"],
        },
      ],
    },
    {
      site: "HeadOffice",
      servers: [HT, server("HO-EX2010-MBX", "HeadOffice", false, "")],
      want: [
        {
          code: "no-client-access-server",
          severity: "error",
          site: "HeadOffice",
          servers: [
            { name: "HO-EX2010-HT", role: "HubTransport" },
            { name: "HO-EX2010-MBX", role: "" },
          ],
        },
      ],
    },
  ])("$site among $servers.length servers", ({ site, servers, want }) => {
    expect(siteServerRule(site, servers)).toEqual(want);
  });
});

describe("nameRules: the array's name is its own and in the zone", () => {
  const dags = [{ name: "DAG-HO", servers: ["HO-EX2010-MB1", "HO-EX2010-MB2"] }];
  // The FQDN and zone as written (quoted by the findings) and as normalised (compared).
  it.each([
    { declaredFqdn: FQDN, declaredZone: ZONE, want: [] },
    {
      declaredFqdn: `HO-EX2010-MB1.${ZONE}`,
      declaredZone: ZONE,
      want: [
        {
          code: "fqdn-is-server",
          severity: "error",
          fqdn: `HO-EX2010-MB1.${ZONE}`,
          server: "HO-EX2010-MB1",
          zone: ZONE,
        },
      ],
    },
    {
      declaredFqdn: `HO-EX2010-MB2.other.${ZONE}`,
      declaredZone: `${ZONE}.`,
      want: [
        {
          code: "fqdn-is-server",
          severity: "error",
          fqdn: `HO-EX2010-MB2.other.${ZONE}`,
          server: "HO-EX2010-MB2",
          zone: ZONE,
        },
      ],
    },
    {
      declaredFqdn: `DAG-HO.${ZONE}`,
      declaredZone: ZONE,
      want: [{ code: "fqdn-is-dag", severity: "error", fqdn: `DAG-HO.${ZONE}`, dag: "DAG-HO" }],
    },
    { declaredFqdn: `ho-ex2010-mb1x.${ZONE}`, declaredZone: ZONE, want: [] },
    { declaredFqdn: `dag-ho-array.${ZONE}`, declaredZone: ZONE, want: [] },
    {
      declaredFqdn: "Outlook-HO.contoso.com",
      declaredZone: "Exchangeserverpro.NET.",
      want: [
        {
          code: "fqdn-outside-zone",
          severity: "error",
          fqdn: "Outlook-HO.contoso.com",
          zone: "Exchangeserverpro.NET.",
        },
      ],
    },
  ])("$declaredFqdn in $declaredZone", ({ declaredFqdn, declaredZone, want }) => {
    const d = { declaredFqdn, declaredZone, fqdn: declaredFqdn.toLowerCase(), zone: ZONE };
    expect(nameRules(d, SERVERS, dags)).toEqual(want);
  });
});

describe("adoptRule: taking over the site's existing array says what changes", () => {
  const same = array("outlook-ho", FQDN, "HeadOffice");
  const other = array("cas-ho", `casarray-ho.${ZONE}`, "HeadOffice");
  it.each([
    {
      name: "no array in the site",
      arrays: [array("cas-br", `outlook-br.${ZONE}`, "BranchOffice")],
      adopt: true,
      want: [],
    },
    { name: "another array, not adopted (siteClaim refuses it)", arrays: [other], adopt: false, want: [] },
    { name: "the declared array itself", arrays: [same], adopt: true, want: [] },
    {
      name: "the declared array, FQDN in another case",
      arrays: [array("outlook-ho", FQDN.toUpperCase(), "HeadOffice")],
      adopt: true,
      want: [],
    },
    {
      name: "another array: renamed and moved",
      arrays: [other],
      adopt: true,
      want: [
        {
          code: "array-taken-over",
          severity: "warning",
          array: { name: "cas-ho", fqdn: `casarray-ho.${ZONE}` },
          site: "HeadOffice",
          renamedTo: "outlook-ho",
          fqdnTo: FQDN,
        },
      ],
    },
    {
      name: "same FQDN, another name",
      arrays: [array("cas-ho", FQDN, "headoffice")],
      adopt: true,
      want: [
        {
          code: "array-taken-over",
          severity: "warning",
          array: { name: "cas-ho", fqdn: FQDN },
          site: "HeadOffice",
          renamedTo: "outlook-ho",
        },
      ],
    },
    {
      name: "same name, another FQDN",
      arrays: [array("outlook-ho", `casarray-ho.${ZONE}`, "HeadOffice")],
      adopt: true,
      want: [
        {
          code: "array-taken-over",
          severity: "warning",
          array: { name: "outlook-ho", fqdn: `casarray-ho.${ZONE}` },
          site: "HeadOffice",
          fqdnTo: FQDN,
        },
      ],
    },
  ])("$name", ({ arrays, adopt, want }) => {
    expect(adoptRule(declaration({ adopt }), arrays)).toEqual(want);
  });
});

describe("Placement: a database belongs to the site of its preferred copy", () => {
  const failedOver = db("MB-HO-03", ["HO-EX2010-MB1", "BR-EX2010-MB"], { active: "BR-EX2010-MB" });
  const at = new Placement("HeadOffice", { servers: SERVERS, databases: [...DATABASES, failedOver] });
  it.each([
    { d: HO1, inSite: true, activeHere: true, hasCopyHere: true, siteOf: "HeadOffice", copySites: ["HeadOffice"] },
    {
      d: BR1,
      inSite: false,
      activeHere: false,
      hasCopyHere: false,
      siteOf: "BranchOffice",
      copySites: ["BranchOffice"],
    },
    {
      d: failedOver,
      inSite: true,
      activeHere: false,
      hasCopyHere: true,
      siteOf: "HeadOffice",
      copySites: ["HeadOffice", "BranchOffice"],
    },
    {
      d: db("MB-X", ["GONE-EX"]),
      inSite: false,
      activeHere: false,
      hasCopyHere: false,
      siteOf: "an unknown site",
      copySites: ["an unknown site"],
    },
  ])("$d.name", ({ d, inSite, activeHere, hasCopyHere, siteOf, copySites }) => {
    expect({
      inSite: at.inSite(d),
      activeHere: at.activeHere(d),
      hasCopyHere: at.hasCopyHere(d),
      siteOf: at.siteOf(d),
      copySites: at.copySites(d),
    }).toEqual({
      inSite,
      activeHere,
      hasCopyHere,
      siteOf,
      copySites,
    });
  });
  it("lists the site's databases by name, sorted, the recovery database included", () => {
    expect(at.siteDatabaseNames()).toEqual(["MB-HO-01", "MB-HO-02", "MB-HO-03", "RDB-HO"]);
    expect(new Placement("Nowhere", { servers: SERVERS, databases: DATABASES }).siteDatabaseNames()).toEqual([]);
  });
});

describe("excludeRule: every excluded name is one of the site's databases", () => {
  const copyHere = db("MB-BR-02", ["BR-EX2010-MB", "HO-EX2010-MB2"]);
  const at = new Placement("HeadOffice", { servers: SERVERS, databases: [...DATABASES, copyHere] });
  const siteDatabases = ["MB-HO-01", "MB-HO-02", "RDB-HO"];
  it.each([
    { exclude: [], want: [] },
    { exclude: ["mb-ho-02", "RDB-HO"], want: [] },
    { exclude: ["MB-BR-02"], want: [] },
    {
      exclude: ["MB-HO-99"],
      want: [{ code: "exclude-not-in-site", severity: "error", name: "MB-HO-99", site: "HeadOffice", siteDatabases }],
    },
    {
      exclude: ["MB-BR-01"],
      want: [
        {
          code: "exclude-not-in-site",
          severity: "error",
          name: "MB-BR-01",
          site: "HeadOffice",
          inSite: "BranchOffice",
          siteDatabases,
        },
      ],
    },
  ])("exclude $exclude", ({ exclude, want }) => {
    expect(excludeRule({ site: "HeadOffice", exclude }, at)).toEqual(want);
  });
});

describe("chooseDatabases: what the declaration takes, and what is wrong with its names", () => {
  const copyHere = db("MB-BR-02", ["BR-EX2010-MB", "HO-EX2010-MB2"]);
  const at = new Placement("HeadOffice", { servers: SERVERS, databases: [...DATABASES, copyHere] });
  it.each([
    { databases: "all-in-site" as const, exclude: [], chosen: ["MB-HO-01", "MB-HO-02"], want: [] },
    { databases: "all-in-site" as const, exclude: ["mb-ho-02"], chosen: ["MB-HO-01"], want: [] },
    { databases: ["mb-ho-02", "MB-HO-01"], exclude: [], chosen: ["MB-HO-02", "MB-HO-01"], want: [] },
    { databases: ["MB-HO-01", "MB-HO-02"], exclude: ["MB-HO-02"], chosen: ["MB-HO-01"], want: [] },
    {
      databases: ["MB-HO-09"],
      exclude: [],
      chosen: [],
      want: [
        {
          code: "db-missing",
          severity: "error",
          name: "MB-HO-09",
          site: "HeadOffice",
          siteDatabases: ["MB-HO-01", "MB-HO-02", "RDB-HO"],
        },
      ],
    },
    {
      databases: ["MB-BR-01"],
      exclude: [],
      chosen: [],
      want: [
        {
          code: "db-in-other-site",
          severity: "error",
          database: "MB-BR-01",
          homeSite: "BranchOffice",
          homeServer: "BR-EX2010-MB",
          site: "HeadOffice",
        },
      ],
    },
    {
      databases: ["RDB-HO"],
      exclude: [],
      chosen: [],
      want: [{ code: "db-is-recovery", severity: "error", database: "RDB-HO" }],
    },
    {
      databases: ["MB-BR-02"],
      exclude: [],
      chosen: ["MB-BR-02"],
      want: [
        {
          code: "db-named-from-other-site",
          severity: "warning",
          database: "MB-BR-02",
          homeSite: "BranchOffice",
          homeServer: "BR-EX2010-MB",
          site: "HeadOffice",
          fqdn: FQDN,
        },
      ],
    },
  ])("databases $databases, exclude $exclude", ({ databases, exclude, chosen, want }) => {
    const judged = chooseDatabases({ site: "HeadOffice", fqdn: FQDN, databases, exclude }, at);
    expect(judged.findings).toEqual(want);
    expect(judged.chosen.map((d) => d.name)).toEqual(chosen);
  });
});

describe("failoverRules: failovers, switchovers and stretched DAGs", () => {
  const away = db("MB-HO-03", ["HO-EX2010-MB1", "BR-EX2010-MB"], { active: "BR-EX2010-MB" });
  const stretched = db("MB-HO-04", ["HO-EX2010-MB2", "BR-EX2010-MB"]);
  const visiting = db("MB-BR-03", ["BR-EX2010-MB", "HO-EX2010-MB1"], { active: "HO-EX2010-MB1", rpc: "" });
  const passive = db("MB-BR-04", ["BR-EX2010-MB", "HO-EX2010-MB2"], { rpc: "" });
  const passiveRecovery = db("RDB-BR", ["BR-EX2010-MB", "HO-EX2010-MB2"], { recovery: true });
  const all = [HO1, away, stretched, visiting, passive, passiveRecovery, BR1];
  const at = new Placement("HeadOffice", { servers: SERVERS, databases: all });
  const activeElsewhere: Finding = {
    code: "db-active-elsewhere",
    severity: "warning",
    database: "MB-HO-03",
    activeSite: "BranchOffice",
    activeServer: "BR-EX2010-MB",
    site: "HeadOffice",
    homeServer: "HO-EX2010-MB1",
    fqdn: FQDN,
  };
  const stretchedFinding: Finding = {
    code: "db-stretched",
    severity: "warning",
    database: "MB-HO-04",
    sites: ["HeadOffice", "BranchOffice"],
    servers: ["HO-EX2010-MB2", "BR-EX2010-MB"],
    otherSites: ["BranchOffice"],
    fqdn: FQDN,
  };
  const visitingFinding: Finding = {
    code: "db-visiting",
    severity: "warning",
    database: "MB-BR-03",
    site: "HeadOffice",
    activeServer: "HO-EX2010-MB1",
    homeServer: "BR-EX2010-MB",
    homeSite: "BranchOffice",
    rpcClientAccessServer: "",
  };
  const passiveFinding: Finding = {
    code: "dbs-passive-here",
    severity: "warning",
    site: "HeadOffice",
    databases: [
      { name: "MB-BR-04", homeSite: "BranchOffice", activeServer: "BR-EX2010-MB", rpcClientAccessServer: "" },
    ],
  };
  it.each([
    { name: "nothing moved, one site each", chosen: [HO1], exclude: [], want: [visitingFinding, passiveFinding] },
    {
      name: "every case",
      chosen: [HO1, away, stretched],
      exclude: [],
      want: [activeElsewhere, stretchedFinding, visitingFinding, passiveFinding],
    },
    { name: "the visitors excluded", chosen: [HO1], exclude: ["mb-br-03", "MB-BR-04"], want: [] },
    { name: "the visitors chosen by name", chosen: [HO1, visiting, passive], exclude: [], want: [] },
  ])("$name", ({ chosen, exclude, want }) => {
    expect(failoverRules({ site: "HeadOffice", fqdn: FQDN, exclude }, at, chosen)).toEqual(want);
  });
});

describe("addressRules: round robin, or a Client Access server's own address", () => {
  const owners = [
    { server: "HO-EX2010-MB1", addresses: ["10.1.0.11"] },
    { server: "HO-EX2010-MB2", addresses: [], unreadable: new Error("DNS server unavailable") },
  ];
  it.each([
    { addresses: ["10.1.0.50"], owners: [{ server: "HO-EX2010-MB1", addresses: ["10.1.0.11"] }], want: [] },
    {
      addresses: ["10.1.0.11"],
      owners: [{ server: "HO-EX2010-MB1", addresses: ["10.1.0.11"] }],
      want: ["address-is-server"],
    },
    { addresses: ["10.1.0.11", "10.1.0.12"], owners: [], want: ["dns-round-robin"] },
    { addresses: ["10.1.0.11"], owners, want: ["address-unread", "address-is-server"] },
    { addresses: [], owners, want: [] },
  ])("$addresses", ({ addresses, owners, want }) => {
    expect(codes(addressRules(FQDN, addresses, owners))).toEqual(want);
  });
  it("names the server and the address, the addresses of round robin, and keeps the unread record's error", () => {
    const error = new Error("DNS server unavailable");
    expect(
      addressRules(
        FQDN,
        ["10.1.0.12"],
        [
          { server: "HO-EX2010-MB1", addresses: [], unreadable: error },
          { server: "HO-EX2010-MB2", addresses: ["10.1.0.12"] },
        ],
      ),
    ).toEqual([
      { code: "address-unread", severity: "note", server: "HO-EX2010-MB1", cause: error },
      { code: "address-is-server", severity: "warning", fqdn: FQDN, address: "10.1.0.12", server: "HO-EX2010-MB2" },
    ]);
    expect(addressRules(FQDN, ["10.1.0.11", "10.1.0.12"], [])).toEqual([
      { code: "dns-round-robin", severity: "warning", fqdn: FQDN, addresses: ["10.1.0.11", "10.1.0.12"] },
    ]);
  });
});

describe("leftAloneRules: the site's databases the declaration leaves alone", () => {
  const onArray = db("MB-HO-05", ["HO-EX2010-MB1"], { rpc: FQDN.toUpperCase() });
  const onOtherName = db("MB-HO-06", ["HO-EX2010-MB2"], { rpc: `casarray-ho.${ZONE}` });
  const at = new Placement("HeadOffice", { servers: SERVERS, databases: [HO1, HO2, RDB, onArray, onOtherName, BR1] });
  it.each([
    { name: "all declared", chosen: [HO1, HO2, onArray, onOtherName], want: [] },
    {
      name: "two left on their servers (never the recovery database)",
      chosen: [onArray],
      want: [
        {
          code: "dbs-left-on-server",
          severity: "warning",
          site: "HeadOffice",
          databases: [
            { name: "MB-HO-01", rpcClientAccessServer: `HO-EX2010-MB1.${ZONE}` },
            { name: "MB-HO-02", rpcClientAccessServer: `HO-EX2010-MB2.${ZONE}` },
          ],
        },
      ],
    },
    {
      name: "one left on the array",
      chosen: [HO1, HO2],
      want: [{ code: "dbs-left-on-array", severity: "warning", fqdn: FQDN, databases: ["MB-HO-05"] }],
    },
  ])("$name", ({ chosen, want }) => {
    expect(leftAloneRules({ site: "HeadOffice", fqdn: FQDN }, at, chosen)).toEqual(want);
  });
});

describe("nlbRules: the load balancer's own plan, its refusals with their cause", () => {
  const cause = new Error("refused");
  it.each<{ nlb: NlbFacts; want: Finding[] }>([
    {
      nlb: { errors: ["a.", "b."], cause },
      want: [
        { code: "nlb-refused", severity: "error", text: "a.", cause },
        { code: "nlb-refused", severity: "error", text: "b.", cause },
      ],
    },
    { nlb: { errors: ["a."] }, want: [{ code: "nlb-refused", severity: "error", text: "a." }] },
    {
      nlb: {
        nodes: ["HO-EX2010-MB1"],
        mode: "Unicast" as const,
        drainTimeoutSeconds: 1,
        convergenceTimeoutSeconds: 2,
        warnings: ["w."],
      },
      want: [{ code: "nlb-planned", severity: "warning", text: "w." }],
    },
  ])("$want.0.code", ({ nlb, want }) => {
    expect(nlbRules(nlb)).toEqual(want);
  });
});

describe("portRangeRules: each static port in the recommended range", () => {
  it.each([
    { rpcClientAccess: 59532, addressBook: 59533, want: [] },
    { rpcClientAccess: 59531, addressBook: 60554, want: [] },
    {
      rpcClientAccess: 59530,
      addressBook: 59533,
      want: [{ code: "port-outside-range", severity: "warning", label: "RPC Client Access", port: 59530 }],
    },
    {
      rpcClientAccess: 59532,
      addressBook: 60555,
      want: [{ code: "port-outside-range", severity: "warning", label: "Address Book", port: 60555 }],
    },
    {
      rpcClientAccess: 6001,
      addressBook: 6002,
      want: [
        { code: "port-outside-range", severity: "warning", label: "RPC Client Access", port: 6001 },
        { code: "port-outside-range", severity: "warning", label: "Address Book", port: 6002 },
      ],
    },
  ])("$rpcClientAccess and $addressBook", ({ rpcClientAccess, addressBook, want }) => {
    expect(portRangeRules({ rpcClientAccess, addressBook })).toEqual(want);
  });
});

describe("portSurveyRules: the survey's refusal with its cause, the unreachable servers, the ports to publish", () => {
  const ports = { rpcClientAccess: 59532, addressBook: 59533 };
  const error = new Error("WinRM cannot complete the operation");
  it.each([
    {
      name: "every server read",
      facts: { servers: ["HO-EX2010-MB2", "HO-EX2010-MB1"], unreachable: [] },
      want: [{ code: "ports-published", severity: "warning", ...ports, servers: ["HO-EX2010-MB1", "HO-EX2010-MB2"] }],
    },
    {
      name: "one unreachable",
      facts: { servers: ["HO-EX2010-MB2"], unreachable: [{ server: "HO-EX2010-MB1", reason: "down", error }] },
      want: [
        {
          code: "cas-unreachable",
          severity: "warning",
          site: "HeadOffice",
          server: "HO-EX2010-MB1",
          reason: "down",
          cause: error,
        },
        { code: "ports-published", severity: "warning", ...ports, servers: ["HO-EX2010-MB1", "HO-EX2010-MB2"] },
      ],
    },
    {
      name: "the survey failed",
      facts: { failed: error, message: "no WSMan" },
      want: [{ code: "ports-refused", severity: "error", text: "no WSMan", cause: error }],
    },
  ])("$name", ({ facts, want }) => {
    expect(portSurveyRules("HeadOffice", ports, facts)).toEqual(want);
  });
  it("sorts the servers that get the ports, reachable or not", () => {
    expect(
      portServers({
        servers: ["b", "D"],
        unreachable: [
          { server: "a", reason: "", error: undefined },
          { server: "C", reason: "", error: undefined },
        ],
      }),
    ).toEqual(["a", "b", "C", "D"]);
  });
});

describe("databaseChangeRule: what the apply does to Outlook", () => {
  const onArray = db("MB-HO-00", ["HO-EX2010-MB1"], { rpc: FQDN.toUpperCase() });
  const counts = new Map([
    ["mb-ho-01", 3],
    ["mb-ho-02", 2],
  ]);
  it.each([
    { name: "nothing changes", chosen: [onArray], want: [] },
    {
      name: "two change, sorted by name, counted by lower-case name",
      chosen: [HO2, onArray, HO1, db("MB-HO-03", ["HO-EX2010-MB1"], { rpc: "" })],
      want: [
        {
          code: "databases-change",
          severity: "warning",
          site: "HeadOffice",
          fqdn: FQDN,
          changes: [
            { name: "MB-HO-01", from: `HO-EX2010-MB1.${ZONE}`, mailboxes: 3 },
            { name: "MB-HO-02", from: `HO-EX2010-MB2.${ZONE}`, mailboxes: 2 },
            { name: "MB-HO-03", from: "", mailboxes: 0 },
          ],
        },
      ],
    },
  ])("$name", ({ chosen, want }) => {
    expect(databaseChangeRule({ site: "HeadOffice", fqdn: FQDN }, chosen, counts)).toEqual(want);
  });
  it("changes what does not point at the array yet, whatever its case", () => {
    expect(
      changingDatabases(FQDN, [HO1, db("X", ["HO-EX2010-MB1"], { rpc: FQDN.toUpperCase() })]).map((d) => d.name),
    ).toEqual(["MB-HO-01"]);
  });
  it("counts on the site's servers, and on the active server of a database active in another site", () => {
    const away = db("MB-HO-03", ["HO-EX2010-MB1", "BR-EX2010-MB"], { active: "BR-EX2010-MB" });
    const all = { servers: SERVERS, databases: [HO1, away] };
    expect(mailboxCountServers("HeadOffice", all, [HO1])).toEqual(["HO-EX2010-MB1", "HO-EX2010-MB2", "HO-EX2010-HT"]);
    expect(mailboxCountServers("HeadOffice", all, [HO1, away])).toEqual([
      "HO-EX2010-MB1",
      "HO-EX2010-MB2",
      "HO-EX2010-HT",
      "BR-EX2010-MB",
    ]);
  });
});

describe("judgeSite: the rules in the order an admin reads them, the later facts judged when present", () => {
  it("judges the Exchange facts alone: no address, load balancer, port or count finding", () => {
    const judged = judgeSite(
      declaration({ addresses: ["10.1.0.11", "10.1.0.12"], rpcPorts: { rpcClientAccess: 6001, addressBook: 59533 } }),
      facts(),
    );
    expect(judged.findings).toEqual([]);
    expect(judged.chosen.map((d) => d.name)).toEqual(["MB-HO-01", "MB-HO-02"]);
    expect(hasErrors(judged.findings)).toBe(false);
  });
  it("puts every finding in its place once the facts are in", () => {
    const judged = judgeSite(
      declaration({
        addresses: ["10.1.0.11", "10.1.0.12"],
        databases: ["MB-HO-01"],
        rpcPorts: { rpcClientAccess: 6001, addressBook: 59533 },
      }),
      facts({
        addressOwners: [],
        nlb: {
          nodes: ["HO-EX2010-MB1"],
          mode: "Unicast",
          drainTimeoutSeconds: 1,
          convergenceTimeoutSeconds: 2,
          warnings: ["nlb."],
        },
        ports: {
          servers: ["HO-EX2010-MB1"],
          unreachable: [{ server: "HO-EX2010-MB2", reason: "down", error: undefined }],
        },
        mailboxCounts: new Map([["mb-ho-01", 3]]),
      }),
    );
    expect(codes(judged.findings)).toEqual([
      "dns-round-robin",
      "dbs-left-on-server",
      "nlb-planned",
      "port-outside-range",
      "cas-unreachable",
      "ports-published",
      "databases-change",
    ]);
  });
  it("refuses with every error, in order, warnings among them", () => {
    const judged = judgeSite(
      declaration({
        site: "Nowhere",
        declaredFqdn: `HO-EX2010-MB1.${ZONE}`,
        fqdn: `ho-ex2010-mb1.${ZONE}`,
        databases: ["MB-BR-01"],
        exclude: ["MB-X"],
        adopt: true,
      }),
      facts({ arrays: [array("cas", `x.${ZONE}`, "Nowhere")] }),
    );
    expect(codes(judged.findings)).toEqual([
      "no-site-servers",
      "fqdn-is-server",
      "array-taken-over",
      "exclude-not-in-site",
      "db-in-other-site",
    ]);
    expect(hasErrors(judged.findings)).toBe(true);
    expect(hasErrors(judged.findings.filter((f) => f.severity !== "error"))).toBe(false);
  });
});
