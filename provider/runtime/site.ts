// What a CasArraySite needs to know about its AD site before it declares anything, asked of
// Exchange when the program runs (preview included): which databases are the site's, whether the
// declaration breaks a rule (an error: nothing is declared, so nothing changes) or a best practice
// (a warning), and what the apply will do to Outlook (which databases change, with how many
// mailboxes). The resources re-check their own rules at apply time; this is the whole-site view
// no single resource has, and it runs every resource's own input rules first.
import { z } from "zod";
import { getARecords } from "../dns";
import {
  countMailboxesByDatabase,
  homeServer,
  listClientAccessArrays,
  listDatabaseAvailabilityGroups,
  listExchangeServers,
  listMailboxDatabases,
  type ExchangeServer,
  type MailboxDatabase,
} from "../exchange";
import { ConnectionSchema, ServerConnectionSchema, type Connection, type ConnectionInput, type ServerConnectionInput } from "../shell";
import { checkProperties } from "./check";
import { ArrayName, DnsServerName, DnsZoneName, ExchangeName, Fqdn, IPv4AddressSet, relativeRecordName, SiteName, StaticRpcPortPair, staticRpcPortAdvice, TimeToLiveSeconds } from "./rules";
import { surveyStaticRpcPorts } from "./staticRpcPorts";
import { LoadBalancerSchema, loadBalancerDeclarationErrors, planNlbSite, type LoadBalancerOption } from "./siteLoadBalancer";
import type { NlbMode } from "../windows/nlb";
import { ExchangeCasError } from "../errors";
import { notWhatWasWritten } from "../nearest";
import { arrayTakenOver, databaseChanges, fqdnOutsideZone } from "../messages";

/** What a site declares besides its names and its DNS record: CasArraySite's options, as the plan takes them. */
export interface SiteOptions {
  /** Take over the site's existing array and DNS name (brownfield) instead of failing. */
  adopt?: boolean;
  /**
   * What destroying the site does: "restore" (default) puts every database back to the value it
   * had before and removes the record and array this stack created (adopted ones are released);
   * "retain" leaves everything in Exchange and DNS as it is and only forgets it.
   */
  onDelete?: "restore" | "retain";
  connection: ConnectionInput;
  /** Where the DnsServer cmdlets run, when not on `connection`. */
  dnsConnection?: ConnectionInput;
  /**
   * The same static RPC ports on every Client Access server of the site, so a load balancer can
   * publish TCP 135 and these two ports (StaticRpcPorts): set before the DNS name moves, each
   * server restarted in turn. E.g. { rpcClientAccess: 59532, addressBook: 59533 }.
   */
  rpcPorts?: { rpcClientAccess: number; addressBook: number };
  /** How the site's servers are reached for rpcPorts (default: see StaticRpcPorts' serverConnection). */
  serverConnection?: ServerConnectionInput;
  /**
   * Off unless asked. After the apply (and at every refresh) check that the array's FQDN resolves
   * at the site's DNS server to exactly the declared addresses and that the array has members;
   * with `tcp: true` also that each address accepts TCP connections on 135 and the static ports,
   * from the machine running Pulumi. Failures are warnings and the `verification` output;
   * "strict" (or mode: "strict") fails the apply instead. true means "warn".
   */
  verify?: VerifyOption;
  /**
   * The load balancer itself, declared: { kind: "nlb", vip, subnetMask, interface, mode } puts
   * Windows NLB on the site's Client Access servers (NlbCluster) and points the array's name at
   * its VIP (leave dns.addresses out). Needs rpcPorts; refused on DAG members.
   */
  loadBalancer?: LoadBalancerOption;
}

export interface SitePlanRequest extends SiteOptions {
  site: string;
  fqdn: string;
  arrayName?: string;
  zone: string;
  dnsServer: string;
  addresses?: string[];
  /** The addresses come from another resource (a load balancer's VIP): checked with planAddresses once known. */
  addressesLater?: boolean;
  ttl?: number;
  databases: string[] | "all-in-site";
  exclude: string[];
}

/** CasArraySite's `verify`: true/"warn", "strict", or the full form. */
export type VerifyOption = boolean | "warn" | "strict" | { mode?: "warn" | "strict"; tcp?: boolean; tcpTimeoutMs?: number };

const VerifyOptionSchema = z.union(
  [
    z.boolean(),
    z.enum(["warn", "strict"]),
    z
      .object({
        mode: z.enum(["warn", "strict"]).optional(),
        tcp: z.boolean().optional(),
        tcpTimeoutMs: z.number().int().min(100).max(60000).optional(),
      })
      .strict(),
  ],
  { error: (issue) => `must be true, "warn", "strict" or { mode, tcp, tcpTimeoutMs }${notWhatWasWritten(issue.input, ["warn", "strict"])}` },
);

/** What `verify` asks: nothing, or the mode, whether to connect, and the connect timeout. */
export function verifySettings(option: VerifyOption | undefined): { mode: "warn" | "strict"; tcp: boolean; tcpTimeoutMs?: number } | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true || option === "warn") return { mode: "warn", tcp: false };
  if (option === "strict") return { mode: "strict", tcp: false };
  return { mode: option.mode ?? "warn", tcp: option.tcp ?? false, ...(option.tcpTimeoutMs !== undefined ? { tcpTimeoutMs: option.tcpTimeoutMs } : {}) };
}

export interface PlannedDatabase {
  name: string;
  guid: string;
  server: string;
  /** What Exchange reports now. */
  rpcClientAccessServer: string;
  /** Whether the apply changes it (it does not point at the array's FQDN yet). */
  changes: boolean;
  /** Mailboxes on the database, counted when its value changes (-ResultSize Unlimited). */
  mailboxes?: number;
}

export interface SitePlan {
  /** The declaration, normalised by the resources' own rules (lower-case FQDN and zone, no trailing dot). */
  site: string;
  arrayName: string;
  fqdn: string;
  zone: string;
  dnsServer: string;
  addresses?: string[];
  /** Databases the site's array should serve, by name, sorted. */
  databases: PlannedDatabase[];
  /** The value each managed database had before it pointed at the array, where known: put back when the site is destroyed. */
  restore: { database: string; rpcClientAccessServer: string }[];
  /** The static RPC ports, checked, and the servers that will get them. */
  rpcPorts?: { rpcClientAccess: number; addressBook: number; servers: string[] };
  /** Windows NLB on the site's Client Access servers (the nodes), checked. */
  loadBalancer?: { kind: "nlb"; vip: string; subnetMask: string; interface: string; mode: NlbMode; nodes: string[]; drainTimeoutSeconds: number; convergenceTimeoutSeconds: number };
  warnings: string[];
}

function lower(s: string): string {
  return s.toLowerCase();
}

const OnDelete = z.enum(["restore", "retain"], {
  error: (issue) =>
    `must be 'restore' (destroying the site puts the databases back) or 'retain' (destroying the site leaves everything as it is)${notWhatWasWritten(issue.input, ["restore", "retain"])}`,
});

/** The whole declaration against the resources' own rules, every failure at once. */
function validate(request: SitePlanRequest): { failures: string[]; values: Record<string, unknown> } {
  const shape = {
    site: SiteName,
    fqdn: Fqdn,
    arrayName: ArrayName.optional(),
    zone: DnsZoneName,
    dnsServer: DnsServerName,
    // Later (another resource's output), or the NLB cluster's VIP (a load balancer declared).
    addresses: request.addressesLater === true || (request.loadBalancer !== undefined && request.addresses === undefined) ? z.undefined() : IPv4AddressSet,
    ttl: TimeToLiveSeconds.optional(),
    databases: z.union([z.literal("all-in-site"), z.array(ExchangeName)], {
      error: (issue) => `must be "all-in-site" or a list of mailbox database names${notWhatWasWritten(issue.input, ["all-in-site"])}`,
    }),
    exclude: z.array(ExchangeName, { error: "must be a list of mailbox database names" }),
    adopt: z.boolean({ error: "must be true or false" }).optional(),
    onDelete: OnDelete.optional(),
    connection: ConnectionSchema,
    dnsConnection: ConnectionSchema.optional(),
    rpcPorts: StaticRpcPortPair.optional(),
    serverConnection: ServerConnectionSchema.optional(),
    verify: VerifyOptionSchema.optional(),
    loadBalancer: LoadBalancerSchema.optional(),
  };
  const given: Record<string, unknown> = Object.fromEntries(Object.entries(request).filter(([k, v]) => v !== undefined && k !== "addressesLater"));
  const { inputs, failures } = checkProperties(shape, given);
  const messages = failures.map((f) => `${f.property} ${f.reason.replace(/\.$/, "")}.`);
  const balancer = LoadBalancerSchema.safeParse(request.loadBalancer);
  if (request.loadBalancer !== undefined && balancer.success) messages.push(...loadBalancerDeclarationErrors(balancer.data, request.rpcPorts, request.addresses));
  return { failures: messages, values: inputs };
}

interface AddressContext {
  site: string;
  fqdn: string;
  zone: string;
  dnsServer: string;
  connection: Connection;
  dnsConnection: Connection;
}

/**
 * What the record's addresses say about the site: round robin, or one Client Access server's own
 * address (no high availability). `siteServers` when the caller has them already.
 */
async function addressWarnings(at: AddressContext, addresses: string[], siteServers?: ExchangeServer[]): Promise<string[]> {
  const warnings: string[] = [];
  if (addresses.length > 1) {
    warnings.push(
      `${at.fqdn} has ${addresses.length} A records (${addresses.join(", ")}): DNS round robin is not load balancing; clients keep using an address whose server is down. Point the name at one load balancer VIP.`,
    );
  }
  if (addresses.length === 1) {
    const servers = siteServers ?? (await listExchangeServers(at.connection)).filter((s) => lower(s.siteName) === lower(at.site));
    const ips = await Promise.all(
      servers
        .filter((s) => s.isClientAccessServer)
        .map(async (s) => {
          const rel = relativeRecordName(lower(s.fqdn), at.zone);
          if ("error" in rel) return { server: s, addresses: [] as string[] };
          const records = await getARecords(at.dnsConnection, { dnsServer: at.dnsServer, zone: at.zone, name: rel.name }).catch(() => []);
          return { server: s, addresses: records.map((r) => r.address) };
        }),
    );
    const own = ips.find((i) => i.addresses.includes(addresses[0] ?? ""));
    if (own !== undefined) {
      warnings.push(
        `${at.fqdn} points at ${addresses[0]}, the address of Client Access server ${own.server.name}: this works, but gives no high availability; move it to a load balancer VIP later (an in-place change).`,
      );
    }
  }
  return warnings;
}

/**
 * The address checks of a site whose addresses came from another resource (known only once it
 * exists): the record's own rule, then the same warnings as planSite gives. Throws on an invalid
 * address list, as planSite would have.
 */
export async function planAddresses(
  plan: Pick<SitePlan, "site" | "fqdn" | "zone" | "dnsServer">,
  request: Pick<SitePlanRequest, "connection" | "dnsConnection">,
  addresses: unknown,
): Promise<string[]> {
  const parsed = IPv4AddressSet.safeParse(addresses);
  if (!parsed.success) {
    throw new ExchangeCasError("invalid-inputs", `CasArraySite ${plan.site}: addresses ${parsed.error.issues.map((i) => i.message).join("; ")}.`, { site: plan.site, property: "addresses" });
  }
  const connection = ConnectionSchema.parse(request.connection);
  const dnsConnection = ConnectionSchema.parse(request.dnsConnection ?? request.connection);
  return addressWarnings({ ...plan, connection, dnsConnection }, parsed.data);
}

/**
 * A Client Access server that cannot be read (its datacenter is down) blocks only the changes
 * that need it: the plan says so and goes on, so the DNS move that a site outage calls for
 * (DOMAIN.md §1.10) is never refused because of it. StaticRpcPorts refuses a first apply or new
 * ports while it is unreachable, and keeps its last known state otherwise.
 */
export function unreachablePortWarnings(site: string, unreachable: { server: { name: string }; reason: string }[]): string[] {
  return unreachable.map(
    ({ server, reason }) =>
      `Static RPC ports of site ${site}: ${server.name} cannot be reached with PowerShell remoting (${reason}). Its ports keep their last known state, and only changing them waits until it is back (a first apply of rpcPorts or new ports are refused meanwhile); the DNS record, the array and the databases go ahead.`,
  );
}

export async function planSite(request: SitePlanRequest): Promise<SitePlan> {
  const checked = validate(request);
  if (checked.failures.length > 0) {
    throw new ExchangeCasError("invalid-inputs", `CasArraySite ${request.site}: ${checked.failures.join(" ")}`, { site: request.site, failures: checked.failures });
  }
  const connection = ConnectionSchema.parse(request.connection);
  const dnsConnection = ConnectionSchema.parse(request.dnsConnection ?? request.connection);
  const fqdn = checked.values.fqdn as string;
  const zone = checked.values.zone as string;
  const dnsServer = checked.values.dnsServer as string;
  const addresses = checked.values.addresses as string[] | undefined;
  const arrayName = (checked.values.arrayName as string | undefined) ?? fqdn.split(".")[0] ?? fqdn;
  const errors: string[] = [];
  const warnings: string[] = [];

  const [servers, dbs, dags, arrays] = await Promise.all([
    listExchangeServers(connection),
    listMailboxDatabases(connection),
    listDatabaseAvailabilityGroups(connection),
    listClientAccessArrays(connection),
  ]);
  const siteServers = servers.filter((s) => lower(s.siteName) === lower(request.site));
  if (siteServers.length === 0) {
    errors.push(`No Exchange server is in AD site '${request.site}'; check the site name (sites with servers: ${[...new Set(servers.map((s) => s.siteName))].join(", ")}).`);
  } else if (!siteServers.some((s) => s.isClientAccessServer)) {
    errors.push(
      `AD site '${request.site}' has no Client Access server (its servers: ${siteServers.map((s) => `${s.name} (${s.serverRole || "no role"})`).join(", ")}); a CAS array's members are the site's Client Access servers, so an array here would have none and Outlook could not connect. Install the Client Access role in the site first.`,
    );
  }

  // The array's name must be its own: not a server's FQDN, not a DAG's cluster name.
  const label = fqdn.split(".")[0] ?? fqdn;
  const clashServer = servers.find((s) => lower(s.fqdn) === fqdn || lower(s.name) === label);
  if (clashServer !== undefined) {
    errors.push(
      `The array FQDN '${request.fqdn}' is the name of Exchange server ${clashServer.name}; give the array a name of its own (such as outlook-ho.${zone}), so it can later point at a load balancer.`,
    );
  }
  const clashDag = dags.find((d) => lower(d.name) === label);
  if (clashDag !== undefined) {
    errors.push(`The array FQDN '${request.fqdn}' is the name of database availability group ${clashDag.name}; the DAG's cluster name and the CAS array are separate and cannot share a name.`);
  }
  const relative = relativeRecordName(fqdn, zone);
  if ("error" in relative) errors.push(fqdnOutsideZone(request.fqdn, request.zone));

  // The site's existing array: the same as declared (an earlier apply of this stack, perhaps
  // interrupted) is fine; another one is taken over only with adopt, and the preview says how.
  const siteArray = arrays.find((a) => lower(a.siteName) === lower(request.site));
  if (siteArray !== undefined && request.adopt === true) {
    const changes: string[] = [];
    if (siteArray.name !== arrayName) changes.push(`renamed to '${arrayName}'`);
    if (lower(siteArray.fqdn) !== fqdn) changes.push(`its FQDN changed from ${siteArray.fqdn} to ${fqdn}`);
    if (changes.length > 0) {
      warnings.push(arrayTakenOver(siteArray, request.site, changes.join(" and ")));
    }
  }

  // Placement: a database belongs to the site of its PREFERRED copy (ActivationPreference 1), its
  // home, not to the site of its active copy (`Server`, which Active Manager rewrites on every
  // failover or switchover, into another AD site in a stretched DAG). A failover is temporary, and
  // during a switchover the array's DNS name moves, not the databases' values (DOMAIN.md §1.10):
  // were the active copy's site to take the database, its Outlook clients would be moved to that
  // site's array, and after the switch back the two stacks would fight over it. A database whose
  // home is elsewhere belongs to another site's plan unless the declaration names it.
  const byName = new Map(dbs.map((d) => [lower(d.name), d]));
  const siteServerNames = new Set(siteServers.map((s) => lower(s.name)));
  const inSite = (d: MailboxDatabase) => siteServerNames.has(lower(homeServer(d)));
  const activeHere = (d: MailboxDatabase) => siteServerNames.has(lower(d.server));
  const hasCopyHere = (d: MailboxDatabase) => d.servers.some((n) => siteServerNames.has(lower(n)));
  const siteDbs = dbs.filter(inSite);
  const listSite = () =>
    siteDbs.length > 0
      ? siteDbs
          .map((d) => d.name)
          .sort()
          .join(", ")
      : "none";
  const serverSite = new Map(servers.map((s) => [lower(s.name), s.siteName]));
  const siteOfServer = (server: string) => serverSite.get(lower(server)) ?? "an unknown site";
  /** The database's home site: its preferred copy's. */
  const siteOf = (db: MailboxDatabase) => siteOfServer(homeServer(db));
  /** The AD sites of a database's copies, its home first. */
  const copySites = (db: MailboxDatabase) => [...new Set([homeServer(db), ...db.servers].map(siteOfServer))];
  const exclude = new Set(request.exclude.map(lower));
  for (const name of request.exclude) {
    const db = byName.get(lower(name));
    if (db === undefined || (!inSite(db) && !hasCopyHere(db))) {
      errors.push(
        `'exclude' names '${name}', which is not a mailbox database of site ${request.site}${db !== undefined ? ` (it is in site ${siteOf(db)})` : ""}; the site's databases are: ${listSite()}. Correct the name, or the database you meant to leave alone would be changed.`,
      );
    }
  }
  let chosen: MailboxDatabase[];
  if (request.databases === "all-in-site") {
    chosen = siteDbs.filter((d) => !d.recovery && !exclude.has(lower(d.name)));
  } else {
    chosen = [];
    for (const name of request.databases) {
      const db = byName.get(lower(name));
      if (db === undefined) {
        errors.push(`Mailbox database '${name}' does not exist; the databases of site ${request.site} are: ${listSite()}.`);
      } else if (!inSite(db) && !hasCopyHere(db)) {
        const site = siteOf(db);
        errors.push(`Mailbox database '${db.name}' is in AD site ${site} (server ${homeServer(db)}), not ${request.site}; declare it in the ${site} stack.`);
      } else if (db.recovery) {
        errors.push(
          `Mailbox database '${db.name}' is a recovery database: Outlook clients never connect to a recovery database, so its RpcClientAccessServer is not managed; remove it from 'databases'.`,
        );
      } else if (!exclude.has(lower(db.name))) {
        if (!inSite(db)) {
          // Named, with a copy here, its home elsewhere: the declaration decides.
          const site = siteOf(db);
          warnings.push(
            `Mailbox database '${db.name}' belongs to AD site ${site} (its preferred copy, ActivationPreference 1, is on ${homeServer(db)}), not ${request.site}, where it has a copy; it is declared here by name, so its RpcClientAccessServer becomes ${fqdn}. Do not declare it in the ${site} stack as well, or the two stacks would fight over its value.`,
          );
        }
        chosen.push(db);
      }
    }
  }

  // Home here, active in another site now: a failover or switchover. It stays this site's.
  for (const d of chosen.filter((x) => inSite(x) && !activeHere(x))) {
    const site = siteOfServer(d.server);
    warnings.push(
      `Mailbox database '${d.name}' is active in AD site ${site} now (on ${d.server}, after a failover or switchover), but its home is ${request.site} (its preferred copy, ActivationPreference 1, is on ${homeServer(d)}): it stays in this plan and its RpcClientAccessServer stays ${fqdn}; its Outlook clients connect across sites until it moves back. In a datacenter switchover repoint the DNS name ${fqdn}, not the database.`,
    );
  }
  // Copies in several sites (a stretched DAG): the value does not follow the active copy.
  for (const d of chosen.filter((x) => inSite(x) && activeHere(x))) {
    const sites = copySites(d);
    if (sites.length < 2) continue;
    const others = sites.filter((s) => lower(s) !== lower(request.site));
    warnings.push(
      `Mailbox database '${d.name}' has copies in AD sites ${sites.join(" and ")} (servers ${d.servers.join(", ")}): after a failover to ${others.join(" or ")} its Outlook clients still connect to this site's array ${fqdn}, because Exchange 2010 does not change RpcClientAccessServer when the active copy moves; in a datacenter switchover repoint the DNS name ${fqdn} at a Client Access server or load balancer there instead of changing the database.`,
    );
  }
  // Active here, home elsewhere, not declared by name: here only because of a failover or
  // switchover; its home site's stack keeps it.
  const chosenNames = new Set(chosen.map((d) => lower(d.name)));
  const visiting = dbs.filter((d) => !d.recovery && !inSite(d) && activeHere(d) && !chosenNames.has(lower(d.name)) && !exclude.has(lower(d.name)));
  for (const d of visiting) {
    const home = siteOf(d);
    warnings.push(
      `Mailbox database '${d.name}' is active in ${request.site} (on ${d.server}) only because of a failover or switchover: its preferred copy (ActivationPreference 1) is on ${homeServer(d)} in ${home}, its home site, whose stack keeps it, so 'all-in-site' does not take it here and its RpcClientAccessServer (${d.rpcClientAccessServer || "(empty)"}) is left alone. While ${home} is down, repoint ${home}'s array name, not the database.`,
    );
  }
  // Copies here, home and active copy elsewhere, not declared by name: another site's plan.
  const passiveHere = dbs.filter((d) => !d.recovery && !inSite(d) && !activeHere(d) && hasCopyHere(d) && !chosenNames.has(lower(d.name)) && !exclude.has(lower(d.name)));
  if (passiveHere.length > 0) {
    warnings.push(
      `Not in this plan, though they have a copy in ${request.site}: ${passiveHere.map((d) => `${d.name} (home ${siteOf(d)}, active on ${d.server}, RpcClientAccessServer ${d.rpcClientAccessServer || "(empty)"})`).join(", ")}. A database belongs to the site of its preferred copy (ActivationPreference 1); name it in 'databases' to manage it here instead.`,
    );
  }

  if (addresses !== undefined && errors.length === 0) {
    warnings.push(...(await addressWarnings({ site: request.site, fqdn, zone, dnsServer, connection, dnsConnection }, addresses, siteServers)));
  }

  const managed = new Set(chosen.map((d) => lower(d.name)));
  const serverFqdns = new Set(servers.map((s) => lower(s.fqdn)));
  const leftOnServer = siteDbs.filter((d) => !d.recovery && !managed.has(lower(d.name)) && serverFqdns.has(lower(d.rpcClientAccessServer)));
  if (leftOnServer.length > 0) {
    warnings.push(
      `Databases of site ${request.site} left pointing at a single server: ${leftOnServer.map((d) => `${d.name} → ${d.rpcClientAccessServer}`).join(", ")}. Their Outlook clients do not use the array.`,
    );
  }
  // A database that is not (or no longer) declared keeps whatever it has: the stack does not
  // point it back at a single server; destroying the whole site still puts it back.
  const leftOnArray = siteDbs.filter((d) => !managed.has(lower(d.name)) && lower(d.rpcClientAccessServer) === fqdn);
  if (leftOnArray.length > 0) {
    warnings.push(
      `Not declared, so left as they are: ${leftOnArray.map((d) => d.name).join(", ")} (RpcClientAccessServer ${fqdn}). A database that leaves the declaration keeps its value and is no longer managed; destroying the whole site puts it back with the others.`,
    );
  }

  // The load balancer itself (Windows NLB): refused on DAG members (asked of Exchange before any
  // server is contacted), then read from every Client Access server of the site.
  const rpcPorts = checked.values.rpcPorts as { rpcClientAccess: number; addressBook: number } | undefined;
  const balancer = checked.values.loadBalancer as LoadBalancerOption | undefined;
  let loadBalancer: SitePlan["loadBalancer"];
  if (balancer !== undefined && rpcPorts !== undefined && errors.length === 0) {
    const nlb = await planNlbSite(
      { site: request.site, fqdn, connection, ...(request.serverConnection !== undefined ? { serverConnection: ServerConnectionSchema.parse(request.serverConnection) } : {}) },
      balancer,
      [135, rpcPorts.rpcClientAccess, rpcPorts.addressBook],
    );
    if ("errors" in nlb) errors.push(...nlb.errors);
    else {
      warnings.push(...nlb.warnings);
      const { warnings: _warnings, ...rest } = nlb;
      loadBalancer = { kind: "nlb", vip: balancer.vip, subnetMask: balancer.subnetMask, interface: balancer.interface, ...rest };
    }
  }

  // Static RPC ports: every Client Access server of the site must take them (Exchange 2010 SP1+,
  // reachable with PowerShell remoting) before anything of the site is declared.
  let portServers: string[] = [];
  if (rpcPorts !== undefined && errors.length === 0) {
    for (const [label, port] of [
      ["RPC Client Access", rpcPorts.rpcClientAccess],
      ["Address Book", rpcPorts.addressBook],
    ] as const) {
      const advice = staticRpcPortAdvice(label, port);
      if (advice !== undefined) warnings.push(advice);
    }
    try {
      const surveyed = await surveyStaticRpcPorts({
        site: request.site,
        ...rpcPorts,
        connection,
        ...(request.serverConnection !== undefined ? { serverConnection: ServerConnectionSchema.parse(request.serverConnection) } : {}),
      });
      portServers = [...surveyed.servers.map((s) => s.server.name), ...surveyed.unreachable.map((u) => u.server.name)].sort((a, b) => a.localeCompare(b));
      warnings.push(...unreachablePortWarnings(request.site, surveyed.unreachable));
      warnings.push(
        `Static RPC ports ${rpcPorts.rpcClientAccess} (RPC Client Access) and ${rpcPorts.addressBook} (Address Book) on ${portServers.join(" and ")}, one server restarted at a time: the load balancer must publish TCP 135, ${rpcPorts.rpcClientAccess} and ${rpcPorts.addressBook} to these servers, with client-IP affinity for the whole Outlook session.`,
      );
    } catch (e) {
      errors.push((e as Error).message);
    }
  }

  if (errors.length > 0) throw new ExchangeCasError("refused", `CasArraySite ${request.site}: ${errors.join(" ")}`, { site: request.site, refusals: errors });

  // What the apply does to Outlook: each database whose value changes, with its mailboxes counted
  // (one query for the site's servers, and only when something changes).
  const changing = chosen.filter((d) => lower(d.rpcClientAccessServer) !== fqdn);
  // A database active in another site is counted on its active server.
  const countOn = [...new Set([...siteServers.map((s) => s.name), ...changing.filter((d) => !activeHere(d)).map((d) => d.server)])];
  const counts = changing.length > 0 ? await countMailboxesByDatabase(connection, countOn) : new Map<string, number>();
  // One warning for the site, then a line per database up to a readable number (the full list is
  // the `databases` output); the databases' own resources do not warn again (plannedBySite).
  const sorted = [...changing].sort((a, b) => a.name.localeCompare(b.name));
  warnings.push(
    ...databaseChanges(
      request.site,
      sorted.map((d) => ({ name: d.name, from: d.rpcClientAccessServer, mailboxes: counts.get(lower(d.name)) ?? 0 })),
      fqdn,
    ),
  );

  return {
    site: request.site,
    arrayName,
    fqdn,
    zone,
    dnsServer,
    ...(addresses !== undefined ? { addresses } : {}),
    databases: chosen
      .map((d) => {
        const changes = lower(d.rpcClientAccessServer) !== fqdn;
        return {
          name: d.name,
          guid: d.guid,
          server: d.server,
          rpcClientAccessServer: d.rpcClientAccessServer,
          changes,
          ...(changes ? { mailboxes: counts.get(lower(d.name)) ?? 0 } : {}),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name)),
    // Never the array's own FQDN: a database already pointing at it (an interrupted apply) has no
    // earlier value we know; the array puts such a database back on its own server when removed.
    restore: chosen
      .filter((d) => d.rpcClientAccessServer !== "" && lower(d.rpcClientAccessServer) !== fqdn)
      .map((d) => ({ database: d.name, rpcClientAccessServer: d.rpcClientAccessServer }))
      .sort((a, b) => a.database.localeCompare(b.database)),
    ...(rpcPorts !== undefined ? { rpcPorts: { ...rpcPorts, servers: portServers } } : {}),
    ...(loadBalancer !== undefined ? { loadBalancer } : {}),
    warnings,
  };
}
