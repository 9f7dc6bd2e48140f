// The site plan's sentences (provider/plan/messages.ts): each finding's code rendered to the exact
// words the plan has always given (the scenario tests assert the same words through the real
// host), and only the warnings shown as warnings, the errors as the refusal.
import { describe, expect, it } from "vitest";
import type { Finding } from "../../provider/plan/judge";
import { casUnreachable, render, sentences } from "../../provider/plan/messages";

const ZONE = "exchangeserverpro.net";
const FQDN = `outlook-ho.${ZONE}`;

const cases: { finding: Finding; text: string[] }[] = [
  {
    finding: {
      code: "no-site-servers",
      severity: "error",
      site: "Nowhere",
      sitesWithServers: ["HeadOffice", "BranchOffice"],
    },
    text: [
      "No Exchange server is in AD site 'Nowhere'; check the site name (sites with servers: HeadOffice, BranchOffice).",
    ],
  },
  {
    finding: {
      code: "no-client-access-server",
      severity: "error",
      site: "HeadOffice",
      servers: [
        { name: "HO-EX2010-HT", role: "HubTransport" },
        { name: "HO-EX2010-X", role: "" },
      ],
    },
    text: [
      "AD site 'HeadOffice' has no Client Access server (its servers: HO-EX2010-HT (HubTransport), HO-EX2010-X (no role)); a CAS array's members are the site's Client Access servers, so an array here would have none and Outlook could not connect. Install the Client Access role in the site first.",
    ],
  },
  {
    finding: {
      code: "fqdn-is-server",
      severity: "error",
      fqdn: `HO-EX2010-MB1.${ZONE}`,
      server: "HO-EX2010-MB1",
      zone: ZONE,
    },
    text: [
      "The array FQDN 'HO-EX2010-MB1.exchangeserverpro.net' is the name of Exchange server HO-EX2010-MB1; give the array a name of its own (such as outlook-ho.exchangeserverpro.net), so it can later point at a load balancer.",
    ],
  },
  {
    finding: { code: "fqdn-is-dag", severity: "error", fqdn: `dag-ho.${ZONE}`, dag: "DAG-HO" },
    text: [
      "The array FQDN 'dag-ho.exchangeserverpro.net' is the name of database availability group DAG-HO; the DAG's cluster name and the CAS array are separate and cannot share a name.",
    ],
  },
  {
    finding: { code: "fqdn-outside-zone", severity: "error", fqdn: "outlook-ho.contoso.com", zone: ZONE },
    text: [
      "The array FQDN 'outlook-ho.contoso.com' is outside DNS zone 'exchangeserverpro.net': give the array a name in that zone (such as outlook-ho.exchangeserverpro.net), or set the zone to the one that holds outlook-ho.contoso.com.",
    ],
  },
  {
    finding: {
      code: "array-taken-over",
      severity: "warning",
      array: { name: "cas-ho", fqdn: `casarray-ho.${ZONE}` },
      site: "HeadOffice",
      renamedTo: "outlook-ho",
      fqdnTo: FQDN,
    },
    text: [
      "CAS array 'cas-ho' (casarray-ho.exchangeserverpro.net) of site HeadOffice will be taken over (adopt) and renamed to 'outlook-ho' and its FQDN changed from casarray-ho.exchangeserverpro.net to outlook-ho.exchangeserverpro.net; on destroy it is released, not removed.",
    ],
  },
  {
    finding: {
      code: "array-taken-over",
      severity: "warning",
      array: { name: "cas-ho", fqdn: FQDN },
      site: "HeadOffice",
      renamedTo: "outlook-ho",
    },
    text: [
      "CAS array 'cas-ho' (outlook-ho.exchangeserverpro.net) of site HeadOffice will be taken over (adopt) and renamed to 'outlook-ho'; on destroy it is released, not removed.",
    ],
  },
  {
    finding: {
      code: "array-taken-over",
      severity: "warning",
      array: { name: "outlook-ho", fqdn: `casarray-ho.${ZONE}` },
      site: "HeadOffice",
      fqdnTo: FQDN,
    },
    text: [
      "CAS array 'outlook-ho' (casarray-ho.exchangeserverpro.net) of site HeadOffice will be taken over (adopt) and its FQDN changed from casarray-ho.exchangeserverpro.net to outlook-ho.exchangeserverpro.net; on destroy it is released, not removed.",
    ],
  },
  {
    finding: {
      code: "exclude-not-in-site",
      severity: "error",
      name: "MB-BR-01",
      site: "HeadOffice",
      inSite: "BranchOffice",
      siteDatabases: ["MB-HO-01", "MB-HO-02"],
    },
    text: [
      "'exclude' names 'MB-BR-01', which is not a mailbox database of site HeadOffice (it is in site BranchOffice); the site's databases are: MB-HO-01, MB-HO-02. Correct the name, or the database you meant to leave alone would be changed.",
    ],
  },
  {
    finding: { code: "exclude-not-in-site", severity: "error", name: "MB-X", site: "HeadOffice", siteDatabases: [] },
    text: [
      "'exclude' names 'MB-X', which is not a mailbox database of site HeadOffice; the site's databases are: none. Correct the name, or the database you meant to leave alone would be changed.",
    ],
  },
  {
    finding: {
      code: "db-missing",
      severity: "error",
      name: "MB-HO-09",
      site: "HeadOffice",
      siteDatabases: ["MB-HO-01"],
    },
    text: ["Mailbox database 'MB-HO-09' does not exist; the databases of site HeadOffice are: MB-HO-01."],
  },
  {
    finding: { code: "db-missing", severity: "error", name: "MB-HO-09", site: "HeadOffice", siteDatabases: [] },
    text: ["Mailbox database 'MB-HO-09' does not exist; the databases of site HeadOffice are: none."],
  },
  {
    finding: {
      code: "db-in-other-site",
      severity: "error",
      database: "MB-BR-01",
      homeSite: "BranchOffice",
      homeServer: "BR-EX2010-MB",
      site: "HeadOffice",
    },
    text: [
      "Mailbox database 'MB-BR-01' is in AD site BranchOffice (server BR-EX2010-MB), not HeadOffice; declare it in the BranchOffice stack.",
    ],
  },
  {
    finding: { code: "db-is-recovery", severity: "error", database: "RDB-HO" },
    text: [
      "Mailbox database 'RDB-HO' is a recovery database: Outlook clients never connect to a recovery database, so its RpcClientAccessServer is not managed; remove it from 'databases'.",
    ],
  },
  {
    finding: {
      code: "db-named-from-other-site",
      severity: "warning",
      database: "MB-BR-02",
      homeSite: "BranchOffice",
      homeServer: "BR-EX2010-MB",
      site: "HeadOffice",
      fqdn: FQDN,
    },
    text: [
      "Mailbox database 'MB-BR-02' belongs to AD site BranchOffice (its preferred copy, ActivationPreference 1, is on BR-EX2010-MB), not HeadOffice, where it has a copy; it is declared here by name, so its RpcClientAccessServer becomes outlook-ho.exchangeserverpro.net. Do not declare it in the BranchOffice stack as well, or the two stacks would fight over its value.",
    ],
  },
  {
    finding: {
      code: "db-active-elsewhere",
      severity: "warning",
      database: "MB-HO-03",
      activeSite: "BranchOffice",
      activeServer: "BR-EX2010-MB",
      site: "HeadOffice",
      homeServer: "HO-EX2010-MB1",
      fqdn: FQDN,
    },
    text: [
      "Mailbox database 'MB-HO-03' is active in AD site BranchOffice now (on BR-EX2010-MB, after a failover or switchover), but its home is HeadOffice (its preferred copy, ActivationPreference 1, is on HO-EX2010-MB1): it stays in this plan and its RpcClientAccessServer stays outlook-ho.exchangeserverpro.net; its Outlook clients connect across sites until it moves back. In a datacenter switchover repoint the DNS name outlook-ho.exchangeserverpro.net, not the database.",
    ],
  },
  {
    finding: {
      code: "db-stretched",
      severity: "warning",
      database: "MB-HO-04",
      sites: ["HeadOffice", "BranchOffice", "DR"],
      servers: ["HO-EX2010-MB2", "BR-EX2010-MB", "DR-EX"],
      otherSites: ["BranchOffice", "DR"],
      fqdn: FQDN,
    },
    text: [
      "Mailbox database 'MB-HO-04' has copies in AD sites HeadOffice and BranchOffice and DR (servers HO-EX2010-MB2, BR-EX2010-MB, DR-EX): after a failover to BranchOffice or DR its Outlook clients still connect to this site's array outlook-ho.exchangeserverpro.net, because Exchange 2010 does not change RpcClientAccessServer when the active copy moves; in a datacenter switchover repoint the DNS name outlook-ho.exchangeserverpro.net at a Client Access server or load balancer there instead of changing the database.",
    ],
  },
  {
    finding: {
      code: "db-visiting",
      severity: "warning",
      database: "MB-BR-03",
      site: "HeadOffice",
      activeServer: "HO-EX2010-MB1",
      homeServer: "BR-EX2010-MB",
      homeSite: "BranchOffice",
      rpcClientAccessServer: "",
    },
    text: [
      "Mailbox database 'MB-BR-03' is active in HeadOffice (on HO-EX2010-MB1) only because of a failover or switchover: its preferred copy (ActivationPreference 1) is on BR-EX2010-MB in BranchOffice, its home site, whose stack keeps it, so 'all-in-site' does not take it here and its RpcClientAccessServer ((empty)) is left alone. While BranchOffice is down, repoint BranchOffice's array name, not the database.",
    ],
  },
  {
    finding: {
      code: "dbs-passive-here",
      severity: "warning",
      site: "HeadOffice",
      databases: [
        { name: "MB-BR-04", homeSite: "BranchOffice", activeServer: "BR-EX2010-MB", rpcClientAccessServer: "" },
        {
          name: "MB-BR-05",
          homeSite: "BranchOffice",
          activeServer: "BR-EX2010-MB",
          rpcClientAccessServer: `outlook-br.${ZONE}`,
        },
      ],
    },
    text: [
      "Not in this plan, though they have a copy in HeadOffice: MB-BR-04 (home BranchOffice, active on BR-EX2010-MB, RpcClientAccessServer (empty)), MB-BR-05 (home BranchOffice, active on BR-EX2010-MB, RpcClientAccessServer outlook-br.exchangeserverpro.net). A database belongs to the site of its preferred copy (ActivationPreference 1); name it in 'databases' to manage it here instead.",
    ],
  },
  {
    finding: { code: "dns-round-robin", severity: "warning", fqdn: FQDN, addresses: ["10.1.0.11", "10.1.0.12"] },
    text: [
      "outlook-ho.exchangeserverpro.net has 2 A records (10.1.0.11, 10.1.0.12): DNS round robin is not load balancing; clients keep using an address whose server is down. Point the name at one load balancer VIP.",
    ],
  },
  {
    finding: {
      code: "address-is-server",
      severity: "warning",
      fqdn: FQDN,
      address: "10.1.0.11",
      server: "HO-EX2010-MB1",
    },
    text: [
      "outlook-ho.exchangeserverpro.net points at 10.1.0.11, the address of Client Access server HO-EX2010-MB1: this works, but gives no high availability; move it to a load balancer VIP later (an in-place change).",
    ],
  },
  {
    finding: { code: "address-unread", severity: "note", server: "HO-EX2010-MB2", cause: new Error("x") },
    text: [
      "The A records of Client Access server HO-EX2010-MB2 could not be read, so whether the array's address is its own was not checked.",
    ],
  },
  {
    finding: {
      code: "dbs-left-on-server",
      severity: "warning",
      site: "HeadOffice",
      databases: [
        { name: "MB-HO-01", rpcClientAccessServer: `HO-EX2010-MB1.${ZONE}` },
        { name: "MB-HO-02", rpcClientAccessServer: `HO-EX2010-MB2.${ZONE}` },
      ],
    },
    text: [
      "Databases of site HeadOffice left pointing at a single server: MB-HO-01 → HO-EX2010-MB1.exchangeserverpro.net, MB-HO-02 → HO-EX2010-MB2.exchangeserverpro.net. Their Outlook clients do not use the array.",
    ],
  },
  {
    finding: { code: "dbs-left-on-array", severity: "warning", fqdn: FQDN, databases: ["MB-HO-05", "MB-HO-06"] },
    text: [
      "Not declared, so left as they are: MB-HO-05, MB-HO-06 (RpcClientAccessServer outlook-ho.exchangeserverpro.net). A database that leaves the declaration keeps its value and is no longer managed; destroying the whole site puts it back with the others.",
    ],
  },
  {
    finding: { code: "nlb-refused", severity: "error", text: "The cluster is refused." },
    text: ["The cluster is refused."],
  },
  {
    finding: { code: "nlb-planned", severity: "warning", text: "Windows NLB cluster." },
    text: ["Windows NLB cluster."],
  },
  {
    finding: {
      code: "ports-refused",
      severity: "error",
      text: "No WSMan client.",
      cause: new Error("No WSMan client."),
    },
    text: ["No WSMan client."],
  },
  {
    finding: { code: "port-outside-range", severity: "warning", label: "Address Book", port: 6002 },
    text: [
      "Address Book port 6002 is outside 59531-60554, the range Exchange's Best Practices Analyzer recommends for static RPC ports: it lies above the dynamic range (6005-59530) that Exchange 2010 gives RPC, so no other service can take the port first.",
    ],
  },
  { finding: { code: "port-outside-range", severity: "warning", label: "Address Book", port: 59533 }, text: [] },
  {
    finding: {
      code: "cas-unreachable",
      severity: "warning",
      site: "HeadOffice",
      server: "HO-EX2010-MB2",
      reason: "WinRM cannot complete the operation",
    },
    text: [
      "Static RPC ports of site HeadOffice: HO-EX2010-MB2 cannot be reached with PowerShell remoting (WinRM cannot complete the operation). Its ports keep their last known state, and only changing them waits until it is back (a first apply of rpcPorts or new ports are refused meanwhile); the DNS record, the array and the databases go ahead.",
    ],
  },
  {
    finding: {
      code: "ports-published",
      severity: "warning",
      rpcClientAccess: 59532,
      addressBook: 59533,
      servers: ["HO-EX2010-MB1", "HO-EX2010-MB2"],
    },
    text: [
      "Static RPC ports 59532 (RPC Client Access) and 59533 (Address Book) on HO-EX2010-MB1 and HO-EX2010-MB2, one server restarted at a time: the load balancer must publish TCP 135, 59532 and 59533 to these servers, with client-IP affinity for the whole Outlook session.",
    ],
  },
  {
    finding: {
      code: "databases-change",
      severity: "warning",
      site: "HeadOffice",
      fqdn: FQDN,
      changes: [{ name: "MB-HO-01", from: `HO-EX2010-MB1.${ZONE}`, mailboxes: 3 }],
    },
    text: [
      "Mailbox database 'MB-HO-01' (3 mailboxes): RpcClientAccessServer changes from HO-EX2010-MB1.exchangeserverpro.net to outlook-ho.exchangeserverpro.net. Existing Outlook profiles keep connecting to HO-EX2010-MB1.exchangeserverpro.net until they are repaired or recreated; plan a profile repair, and keep the old name resolvable meanwhile.",
    ],
  },
  {
    finding: {
      code: "databases-change",
      severity: "warning",
      site: "HeadOffice",
      fqdn: FQDN,
      changes: [
        { name: "MB-HO-01", from: `HO-EX2010-MB1.${ZONE}`, mailboxes: 3 },
        { name: "MB-HO-02", from: "", mailboxes: 1 },
      ],
    },
    text: [
      "2 mailbox databases of site HeadOffice (4 mailboxes): RpcClientAccessServer changes to outlook-ho.exchangeserverpro.net. Existing Outlook profiles keep connecting to the old endpoint until they are repaired or recreated; plan a profile repair, and keep the old name resolvable meanwhile. The list is in the `databases` output.",
      "Mailbox database 'MB-HO-01' (3 mailboxes): RpcClientAccessServer changes from HO-EX2010-MB1.exchangeserverpro.net to outlook-ho.exchangeserverpro.net.",
      "Mailbox database 'MB-HO-02' (1 mailbox): RpcClientAccessServer changes from (empty) to outlook-ho.exchangeserverpro.net.",
    ],
  },
];

describe("the site plan's sentences, by finding", () => {
  it.each(cases.map((c) => ({ ...c, code: c.finding.code })))("$code", ({ finding, text }) => {
    expect(render(finding)).toEqual(text);
  });

  it("covers every code the judge gives", () => {
    expect(new Set(cases.map((c) => c.finding.code)).size).toBe(27);
  });

  it("says a Client Access server that cannot be reached as StaticRpcPorts does", () => {
    expect(casUnreachable("BranchOffice", "BR-EX2010-MB", "down")).toBe(
      "Static RPC ports of site BranchOffice: BR-EX2010-MB cannot be reached with PowerShell remoting (down). Its ports keep their last known state, and only changing them waits until it is back (a first apply of rpcPorts or new ports are refused meanwhile); the DNS record, the array and the databases go ahead.",
    );
  });
});

describe("sentences: the findings of one severity, in order", () => {
  const findings: Finding[] = [
    { code: "nlb-planned", severity: "warning", text: "first." },
    { code: "nlb-refused", severity: "error", text: "refused." },
    { code: "address-unread", severity: "note", server: "S", cause: undefined },
    { code: "nlb-planned", severity: "warning", text: "second." },
  ];
  it.each([
    { severity: "warning" as const, want: ["first.", "second."] },
    { severity: "error" as const, want: ["refused."] },
    {
      severity: "note" as const,
      want: [
        "The A records of Client Access server S could not be read, so whether the array's address is its own was not checked.",
      ],
    },
  ])("$severity", ({ severity, want }) => {
    expect(sentences(findings, severity)).toEqual(want);
  });
});
