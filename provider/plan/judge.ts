// The site plan's judgement: a pure function from what Exchange, DNS and the servers said (the
// facts, plan/facts.ts) and the validated declaration to findings, each with a code and a
// severity. Each rule is a small pure function with its own table of cases
// (test/unit/planJudge.test.ts); the sentences an admin reads are rendered in plan/messages.ts.
// An error refuses the whole site (nothing is declared); a warning is shown; a note is kept for
// whoever reads the findings and never shown.
import {
  homeServer,
  type CasArray,
  type DatabaseAvailabilityGroup,
  type ExchangeServer,
  type MailboxDatabase,
} from "../exchange";
import { portsOutsideRange, relativeRecordName, type StaticRpcPortPair } from "../runtime/rules";
import type { DatabaseChange } from "../messages";
import type { SiteFacts, AddressOwner, NlbFacts, PortFacts } from "./facts";

export type Severity = "error" | "warning" | "note";

/** A database in a finding: its name and what the sentence says about it. */
export interface DatabaseOnServer {
  name: string;
  rpcClientAccessServer: string;
}

/** Everything the plan can find, by code; each carries what its sentence needs. */
export type Finding =
  | { code: "no-site-servers"; severity: "error"; site: string; sitesWithServers: string[] }
  | { code: "no-client-access-server"; severity: "error"; site: string; servers: { name: string; role: string }[] }
  | { code: "fqdn-is-server"; severity: "error"; fqdn: string; server: string; zone: string }
  | { code: "fqdn-is-dag"; severity: "error"; fqdn: string; dag: string }
  | { code: "fqdn-outside-zone"; severity: "error"; fqdn: string; zone: string }
  | {
      code: "array-taken-over";
      severity: "warning";
      array: { name: string; fqdn: string };
      site: string;
      renamedTo?: string;
      fqdnTo?: string;
    }
  | {
      code: "exclude-not-in-site";
      severity: "error";
      name: string;
      site: string;
      inSite?: string;
      siteDatabases: string[];
    }
  | { code: "db-missing"; severity: "error"; name: string; site: string; siteDatabases: string[] }
  | {
      code: "db-in-other-site";
      severity: "error";
      database: string;
      homeSite: string;
      homeServer: string;
      site: string;
    }
  | { code: "db-is-recovery"; severity: "error"; database: string }
  | {
      code: "db-named-from-other-site";
      severity: "warning";
      database: string;
      homeSite: string;
      homeServer: string;
      site: string;
      fqdn: string;
    }
  | {
      code: "db-active-elsewhere";
      severity: "warning";
      database: string;
      activeSite: string;
      activeServer: string;
      site: string;
      homeServer: string;
      fqdn: string;
    }
  | {
      code: "db-stretched";
      severity: "warning";
      database: string;
      sites: string[];
      servers: string[];
      otherSites: string[];
      fqdn: string;
    }
  | {
      code: "db-visiting";
      severity: "warning";
      database: string;
      site: string;
      activeServer: string;
      homeServer: string;
      homeSite: string;
      rpcClientAccessServer: string;
    }
  | {
      code: "dbs-passive-here";
      severity: "warning";
      site: string;
      databases: { name: string; homeSite: string; activeServer: string; rpcClientAccessServer: string }[];
    }
  | { code: "dns-round-robin"; severity: "warning"; fqdn: string; addresses: string[] }
  | { code: "address-is-server"; severity: "warning"; fqdn: string; address: string; server: string }
  | { code: "address-unread"; severity: "note"; server: string; cause: unknown }
  | { code: "dbs-left-on-server"; severity: "warning"; site: string; databases: DatabaseOnServer[] }
  | { code: "dbs-left-on-array"; severity: "warning"; fqdn: string; databases: string[] }
  | { code: "nlb-refused"; severity: "error"; text: string; cause?: unknown }
  | { code: "nlb-planned"; severity: "warning"; text: string }
  | { code: "port-outside-range"; severity: "warning"; label: string; port: number }
  | { code: "cas-unreachable"; severity: "warning"; site: string; server: string; reason: string; cause?: unknown }
  | { code: "ports-published"; severity: "warning"; rpcClientAccess: number; addressBook: number; servers: string[] }
  | { code: "ports-refused"; severity: "error"; text: string; cause: unknown }
  | { code: "databases-change"; severity: "warning"; site: string; fqdn: string; changes: DatabaseChange[] };

export type FindingCode = Finding["code"];

/** The declaration as the judge takes it: validated, the FQDN and zone normalised (lower case, no trailing dot). */
export interface SiteDeclaration {
  site: string;
  /** The FQDN and zone as written, for the sentences that quote them. */
  declaredFqdn: string;
  declaredZone: string;
  fqdn: string;
  zone: string;
  arrayName: string;
  addresses?: string[];
  databases: string[] | "all-in-site";
  exclude: string[];
  adopt?: boolean;
  rpcPorts?: StaticRpcPortPair;
}

/** What the judge decided: the findings, in the order an admin reads them, and the databases the site manages. */
export interface Judgement {
  findings: Finding[];
  /** The databases of the plan, in the order they were chosen. */
  chosen: MailboxDatabase[];
}

function lower(s: string): string {
  return s.toLowerCase();
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === "error");
}

/** The site's servers, by their AD site. */
export function siteServersOf(site: string, servers: readonly ExchangeServer[]): ExchangeServer[] {
  return servers.filter((s) => lower(s.siteName) === lower(site));
}

/** The site must have servers, and one of them a Client Access server. */
export function siteServerRule(site: string, servers: readonly ExchangeServer[]): Finding[] {
  const siteServers = siteServersOf(site, servers);
  if (siteServers.length === 0)
    return [
      {
        code: "no-site-servers",
        severity: "error",
        site,
        sitesWithServers: [...new Set(servers.map((s) => s.siteName))],
      },
    ];
  if (!siteServers.some((s) => s.isClientAccessServer)) {
    return [
      {
        code: "no-client-access-server",
        severity: "error",
        site,
        servers: siteServers.map((s) => ({ name: s.name, role: s.serverRole })),
      },
    ];
  }
  return [];
}

/** The array's name must be its own: not a server's FQDN, not a DAG's cluster name, and in the zone. */
export function nameRules(
  d: Pick<SiteDeclaration, "declaredFqdn" | "declaredZone" | "fqdn" | "zone">,
  servers: readonly ExchangeServer[],
  dags: readonly DatabaseAvailabilityGroup[],
): Finding[] {
  const findings: Finding[] = [];
  const label = d.fqdn.split(".")[0] ?? d.fqdn;
  const clashServer = servers.find((s) => lower(s.fqdn) === d.fqdn || lower(s.name) === label);
  if (clashServer !== undefined)
    findings.push({
      code: "fqdn-is-server",
      severity: "error",
      fqdn: d.declaredFqdn,
      server: clashServer.name,
      zone: d.zone,
    });
  const clashDag = dags.find((g) => lower(g.name) === label);
  if (clashDag !== undefined)
    findings.push({ code: "fqdn-is-dag", severity: "error", fqdn: d.declaredFqdn, dag: clashDag.name });
  if ("error" in relativeRecordName(d.fqdn, d.zone))
    findings.push({ code: "fqdn-outside-zone", severity: "error", fqdn: d.declaredFqdn, zone: d.declaredZone });
  return findings;
}

/**
 * The site's existing array: the same as declared (an earlier apply of this stack, perhaps
 * interrupted) is fine; another one is taken over only with adopt, and the preview says how.
 */
export function adoptRule(
  d: Pick<SiteDeclaration, "site" | "arrayName" | "fqdn" | "adopt">,
  arrays: readonly CasArray[],
): Finding[] {
  const siteArray = arrays.find((a) => lower(a.siteName) === lower(d.site));
  if (siteArray === undefined || d.adopt !== true) return [];
  const renamed = siteArray.name !== d.arrayName;
  const moved = lower(siteArray.fqdn) !== d.fqdn;
  if (!renamed && !moved) return [];
  return [
    {
      code: "array-taken-over",
      severity: "warning",
      array: { name: siteArray.name, fqdn: siteArray.fqdn },
      site: d.site,
      ...(renamed ? { renamedTo: d.arrayName } : {}),
      ...(moved ? { fqdnTo: d.fqdn } : {}),
    },
  ];
}

/**
 * Placement: a database belongs to the site of its PREFERRED copy (ActivationPreference 1), its
 * home, not to the site of its active copy (`Server`, which Active Manager rewrites on every
 * failover or switchover, into another AD site in a stretched DAG). A failover is temporary, and
 * during a switchover the array's DNS name moves, not the databases' values (DOMAIN.md §1.10):
 * were the active copy's site to take the database, its Outlook clients would be moved to that
 * site's array, and after the switch back the two stacks would fight over it. A database whose
 * home is elsewhere belongs to another site's plan unless the declaration names it.
 */
export class Placement {
  private readonly siteServerNames: Set<string>;
  private readonly serverSite: Map<string, string>;
  /** The site's databases (home here), recovery ones included. */
  readonly siteDbs: MailboxDatabase[];

  constructor(
    readonly site: string,
    readonly facts: Pick<SiteFacts, "servers" | "databases">,
  ) {
    this.siteServerNames = new Set(siteServersOf(site, facts.servers).map((s) => lower(s.name)));
    this.serverSite = new Map(facts.servers.map((s) => [lower(s.name), s.siteName]));
    this.siteDbs = facts.databases.filter((d) => this.inSite(d));
  }

  inSite(d: MailboxDatabase): boolean {
    return this.siteServerNames.has(lower(homeServer(d)));
  }
  activeHere(d: MailboxDatabase): boolean {
    return this.siteServerNames.has(lower(d.server));
  }
  hasCopyHere(d: MailboxDatabase): boolean {
    return d.servers.some((n) => this.siteServerNames.has(lower(n)));
  }
  siteOfServer(server: string): string {
    return this.serverSite.get(lower(server)) ?? "an unknown site";
  }
  /** The database's home site: its preferred copy's. */
  siteOf(d: MailboxDatabase): string {
    return this.siteOfServer(homeServer(d));
  }
  /** The AD sites of a database's copies, its home first. */
  copySites(d: MailboxDatabase): string[] {
    return [...new Set([homeServer(d), ...d.servers].map((s) => this.siteOfServer(s)))];
  }
  siteDatabaseNames(): string[] {
    return this.siteDbs.map((d) => d.name).sort();
  }
}

/** Every excluded name must be one of the site's databases, or the one meant would be changed. */
export function excludeRule(d: Pick<SiteDeclaration, "site" | "exclude">, at: Placement): Finding[] {
  const byName = new Map(at.facts.databases.map((db) => [lower(db.name), db]));
  const findings: Finding[] = [];
  for (const name of d.exclude) {
    const db = byName.get(lower(name));
    if (db === undefined || (!at.inSite(db) && !at.hasCopyHere(db))) {
      findings.push({
        code: "exclude-not-in-site",
        severity: "error",
        name,
        site: d.site,
        ...(db !== undefined ? { inSite: at.siteOf(db) } : {}),
        siteDatabases: at.siteDatabaseNames(),
      });
    }
  }
  return findings;
}

/** The databases the declaration chooses, and what is wrong with the names it gives. */
export function chooseDatabases(
  d: Pick<SiteDeclaration, "site" | "fqdn" | "databases" | "exclude">,
  at: Placement,
): Judgement {
  const exclude = new Set(d.exclude.map(lower));
  if (d.databases === "all-in-site")
    return { findings: [], chosen: at.siteDbs.filter((db) => !db.recovery && !exclude.has(lower(db.name))) };
  const byName = new Map(at.facts.databases.map((db) => [lower(db.name), db]));
  const findings: Finding[] = [];
  const chosen: MailboxDatabase[] = [];
  for (const name of d.databases) {
    const db = byName.get(lower(name));
    if (db === undefined) {
      findings.push({
        code: "db-missing",
        severity: "error",
        name,
        site: d.site,
        siteDatabases: at.siteDatabaseNames(),
      });
    } else if (!at.inSite(db) && !at.hasCopyHere(db)) {
      findings.push({
        code: "db-in-other-site",
        severity: "error",
        database: db.name,
        homeSite: at.siteOf(db),
        homeServer: homeServer(db),
        site: d.site,
      });
    } else if (db.recovery) {
      findings.push({ code: "db-is-recovery", severity: "error", database: db.name });
    } else if (!exclude.has(lower(db.name))) {
      if (!at.inSite(db)) {
        // Named, with a copy here, its home elsewhere: the declaration decides.
        findings.push({
          code: "db-named-from-other-site",
          severity: "warning",
          database: db.name,
          homeSite: at.siteOf(db),
          homeServer: homeServer(db),
          site: d.site,
          fqdn: d.fqdn,
        });
      }
      chosen.push(db);
    }
  }
  return { findings, chosen };
}

/** What failovers, switchovers and stretched DAGs mean for the chosen databases and the site's others. */
export function failoverRules(
  d: Pick<SiteDeclaration, "site" | "fqdn" | "exclude">,
  at: Placement,
  chosen: readonly MailboxDatabase[],
): Finding[] {
  const findings: Finding[] = [];
  // Home here, active in another site now: a failover or switchover. It stays this site's.
  for (const db of chosen.filter((x) => at.inSite(x) && !at.activeHere(x))) {
    findings.push({
      code: "db-active-elsewhere",
      severity: "warning",
      database: db.name,
      activeSite: at.siteOfServer(db.server),
      activeServer: db.server,
      site: d.site,
      homeServer: homeServer(db),
      fqdn: d.fqdn,
    });
  }
  // Copies in several sites (a stretched DAG): the value does not follow the active copy.
  for (const db of chosen.filter((x) => at.inSite(x) && at.activeHere(x))) {
    const sites = at.copySites(db);
    if (sites.length < 2) continue;
    findings.push({
      code: "db-stretched",
      severity: "warning",
      database: db.name,
      sites,
      servers: db.servers,
      otherSites: sites.filter((s) => lower(s) !== lower(d.site)),
      fqdn: d.fqdn,
    });
  }
  const exclude = new Set(d.exclude.map(lower));
  const chosenNames = new Set(chosen.map((db) => lower(db.name)));
  const others = at.facts.databases.filter(
    (db) => !db.recovery && !at.inSite(db) && !chosenNames.has(lower(db.name)) && !exclude.has(lower(db.name)),
  );
  // Active here, home elsewhere, not declared by name: here only because of a failover or
  // switchover; its home site's stack keeps it.
  for (const db of others.filter((x) => at.activeHere(x))) {
    findings.push({
      code: "db-visiting",
      severity: "warning",
      database: db.name,
      site: d.site,
      activeServer: db.server,
      homeServer: homeServer(db),
      homeSite: at.siteOf(db),
      rpcClientAccessServer: db.rpcClientAccessServer,
    });
  }
  // Copies here, home and active copy elsewhere, not declared by name: another site's plan.
  const passiveHere = others.filter((x) => !at.activeHere(x) && at.hasCopyHere(x));
  if (passiveHere.length > 0) {
    findings.push({
      code: "dbs-passive-here",
      severity: "warning",
      site: d.site,
      databases: passiveHere.map((db) => ({
        name: db.name,
        homeSite: at.siteOf(db),
        activeServer: db.server,
        rpcClientAccessServer: db.rpcClientAccessServer,
      })),
    });
  }
  return findings;
}

/**
 * What the record's addresses say about the site: round robin, or one Client Access server's own
 * address (no high availability). `owners`: the site's Client Access servers' own A records.
 */
export function addressRules(fqdn: string, addresses: readonly string[], owners: readonly AddressOwner[]): Finding[] {
  const findings: Finding[] = [];
  if (addresses.length > 1)
    findings.push({ code: "dns-round-robin", severity: "warning", fqdn, addresses: [...addresses] });
  if (addresses.length === 1) {
    for (const o of owners)
      if (o.unreadable !== undefined)
        findings.push({ code: "address-unread", severity: "note", server: o.server, cause: o.unreadable });
    const own = owners.find((o) => o.addresses.includes(addresses[0] ?? ""));
    if (own !== undefined)
      findings.push({
        code: "address-is-server",
        severity: "warning",
        fqdn,
        address: addresses[0] ?? "",
        server: own.server,
      });
  }
  return findings;
}

/** The site's databases the declaration leaves alone: on a single server, or on the array already. */
export function leftAloneRules(
  d: Pick<SiteDeclaration, "site" | "fqdn">,
  at: Placement,
  chosen: readonly MailboxDatabase[],
): Finding[] {
  const findings: Finding[] = [];
  const managed = new Set(chosen.map((db) => lower(db.name)));
  const serverFqdns = new Set(at.facts.servers.map((s) => lower(s.fqdn)));
  const leftOnServer = at.siteDbs.filter(
    (db) => !db.recovery && !managed.has(lower(db.name)) && serverFqdns.has(lower(db.rpcClientAccessServer)),
  );
  if (leftOnServer.length > 0) {
    findings.push({
      code: "dbs-left-on-server",
      severity: "warning",
      site: d.site,
      databases: leftOnServer.map((db) => ({ name: db.name, rpcClientAccessServer: db.rpcClientAccessServer })),
    });
  }
  // A database that is not (or no longer) declared keeps whatever it has: the stack does not
  // point it back at a single server; destroying the whole site still puts it back.
  const leftOnArray = at.siteDbs.filter(
    (db) => !managed.has(lower(db.name)) && lower(db.rpcClientAccessServer) === d.fqdn,
  );
  if (leftOnArray.length > 0)
    findings.push({
      code: "dbs-left-on-array",
      severity: "warning",
      fqdn: d.fqdn,
      databases: leftOnArray.map((db) => db.name),
    });
  return findings;
}

/** The load balancer's own plan (runtime/siteLoadBalancer.ts words its refusals and warnings). */
export function nlbRules(nlb: NlbFacts): Finding[] {
  if ("errors" in nlb) {
    return nlb.errors.map((text) => ({
      code: "nlb-refused",
      severity: "error",
      text,
      ...(nlb.cause !== undefined ? { cause: nlb.cause } : {}),
    }));
  }
  return nlb.warnings.map((text) => ({ code: "nlb-planned", severity: "warning", text }));
}

/** The recommended range of each static port (the rule is rules.ts' portsOutsideRange). */
export function portRangeRules(rpcPorts: StaticRpcPortPair): Finding[] {
  return portsOutsideRange(rpcPorts).map(({ label, port }) => ({
    code: "port-outside-range",
    severity: "warning",
    label,
    port,
  }));
}

/**
 * Static RPC ports: every Client Access server of the site must take them (Exchange 2010 SP1+,
 * reachable with PowerShell remoting) before anything of the site is declared. A Client Access
 * server that cannot be read (its datacenter is down) blocks only the changes that need it: the
 * plan says so and goes on, so the DNS move that a site outage calls for (DOMAIN.md §1.10) is
 * never refused because of it.
 */
export function portSurveyRules(site: string, rpcPorts: StaticRpcPortPair, ports: PortFacts): Finding[] {
  if ("failed" in ports)
    return [{ code: "ports-refused", severity: "error", text: ports.message, cause: ports.failed }];
  return [
    ...ports.unreachable.map((u): Finding => ({
      code: "cas-unreachable",
      severity: "warning",
      site,
      server: u.server,
      reason: u.reason,
      cause: u.error,
    })),
    {
      code: "ports-published",
      severity: "warning",
      rpcClientAccess: rpcPorts.rpcClientAccess,
      addressBook: rpcPorts.addressBook,
      servers: portServers(ports),
    },
  ];
}

/** The servers that get the static ports, reachable or not, sorted. */
export function portServers(ports: Exclude<PortFacts, { failed: unknown }>): string[] {
  return [...ports.servers, ...ports.unreachable.map((u) => u.server)].sort((a, b) => a.localeCompare(b));
}

/** The chosen databases whose value changes: not pointing at the array's FQDN yet. */
export function changingDatabases(fqdn: string, chosen: readonly MailboxDatabase[]): MailboxDatabase[] {
  return chosen.filter((db) => lower(db.rpcClientAccessServer) !== fqdn);
}

/**
 * Where the changing databases' mailboxes are counted: the site's servers, and the active server of
 * a database active in another site.
 */
export function mailboxCountServers(
  site: string,
  facts: Pick<SiteFacts, "servers" | "databases">,
  changing: readonly MailboxDatabase[],
): string[] {
  const at = new Placement(site, facts);
  return [
    ...new Set([
      ...siteServersOf(site, facts.servers).map((s) => s.name),
      ...changing.filter((db) => !at.activeHere(db)).map((db) => db.server),
    ]),
  ];
}

/** What the apply does to Outlook: each database whose value changes, with its mailboxes, by name. */
export function databaseChangeRule(
  d: Pick<SiteDeclaration, "site" | "fqdn">,
  chosen: readonly MailboxDatabase[],
  counts: ReadonlyMap<string, number>,
): Finding[] {
  const changing = [...changingDatabases(d.fqdn, chosen)].sort((a, b) => a.name.localeCompare(b.name));
  if (changing.length === 0) return [];
  return [
    {
      code: "databases-change",
      severity: "warning",
      site: d.site,
      fqdn: d.fqdn,
      changes: changing.map((db) => ({
        name: db.name,
        from: db.rpcClientAccessServer,
        mailboxes: counts.get(lower(db.name)) ?? 0,
      })),
    },
  ];
}

/**
 * The whole site, judged: the rules in the order an admin reads them. The later facts (the
 * addresses' owners, the load balancer, the ports survey, the mailbox counts) are gathered only
 * while nothing is refused, and judged when present.
 */
export function judgeSite(d: SiteDeclaration, facts: SiteFacts): Judgement {
  const at = new Placement(d.site, facts);
  const findings: Finding[] = [
    ...siteServerRule(d.site, facts.servers),
    ...nameRules(d, facts.servers, facts.dags),
    ...adoptRule(d, facts.arrays),
    ...excludeRule(d, at),
  ];
  const chosen = chooseDatabases(d, at);
  findings.push(...chosen.findings, ...failoverRules(d, at, chosen.chosen));
  if (d.addresses !== undefined && facts.addressOwners !== undefined)
    findings.push(...addressRules(d.fqdn, d.addresses, facts.addressOwners));
  findings.push(...leftAloneRules(d, at, chosen.chosen));
  if (facts.nlb !== undefined) findings.push(...nlbRules(facts.nlb));
  if (d.rpcPorts !== undefined && facts.ports !== undefined)
    findings.push(...portRangeRules(d.rpcPorts), ...portSurveyRules(d.site, d.rpcPorts, facts.ports));
  if (facts.mailboxCounts !== undefined) findings.push(...databaseChangeRule(d, chosen.chosen, facts.mailboxCounts));
  return { findings, chosen: chosen.chosen };
}
