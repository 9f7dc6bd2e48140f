// What a CasArraySite needs to know about its AD site before it declares anything, asked of
// Exchange when the program runs (preview included): which databases are the site's, whether the
// declaration breaks a rule (an error: nothing is declared, so nothing changes) or a best practice
// (a warning), and what the apply will do to Outlook (which databases change, with how many
// mailboxes). The resources re-check their own rules at apply time; this is the whole-site view
// no single resource has, and it runs every resource's own input rules first.
import { z } from "zod";
import {
  ConnectionSchema,
  ServerConnectionSchema,
  siteConnections,
  type ConnectionInput,
  type ServerConnectionInput,
} from "../shell";
import { checkProperties } from "../runtime/check";
import {
  ArrayName,
  DnsServerName,
  DnsZoneName,
  ExchangeName,
  Fqdn,
  IPv4AddressSet,
  SiteName,
  loadBalancerPorts,
  StaticRpcPortPair,
  TimeToLiveSeconds,
  OnDelete,
} from "../runtime/rules";
import {
  LoadBalancerSchema,
  loadBalancerDeclarationErrors,
  type LoadBalancerOption,
} from "../runtime/siteLoadBalancer";
import type { NlbMode } from "../windows/nlb";
import { causeOf, ExchangeCasError } from "../errors";
import { notWhatWasWritten } from "../nearest";
import { listExchangeServers } from "../exchange";
import {
  readAddressOwners,
  readExchangeFacts,
  readMailboxCounts,
  readNlbFacts,
  readPortFacts,
  type ServerAccess,
  type SiteFacts,
} from "./facts";
import {
  addressRules,
  changingDatabases,
  hasErrors,
  judgeSite,
  mailboxCountServers,
  portServers,
  siteServersOf,
  type Finding,
  type SiteDeclaration,
} from "./judge";
import { casUnreachable, sentences } from "./messages";

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
  rpcPorts?: StaticRpcPortPair;
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
export type VerifyOption =
  boolean | "warn" | "strict" | { mode?: "warn" | "strict"; tcp?: boolean; tcpTimeoutMs?: number };

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
  {
    error: (issue) =>
      `must be true, "warn", "strict" or { mode, tcp, ` +
      `tcpTimeoutMs }${notWhatWasWritten(issue.input, ["warn", "strict"])}`,
  },
);

/** What `verify` asks: nothing, or the mode, whether to connect, and the connect timeout. */
export function verifySettings(
  option: VerifyOption | undefined,
): { mode: "warn" | "strict"; tcp: boolean; tcpTimeoutMs?: number } | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true || option === "warn") return { mode: "warn", tcp: false };
  if (option === "strict") return { mode: "strict", tcp: false };
  return {
    mode: option.mode ?? "warn",
    tcp: option.tcp ?? false,
    ...(option.tcpTimeoutMs !== undefined ? { tcpTimeoutMs: option.tcpTimeoutMs } : {}),
  };
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
  /**
   * The value each managed database had before it pointed at the array, where known: put back when
   * the site is destroyed.
   */
  restore: { database: string; rpcClientAccessServer: string }[];
  /** The static RPC ports, checked, and the servers that will get them. */
  rpcPorts?: StaticRpcPortPair & { servers: string[] };
  /** Windows NLB on the site's Client Access servers (the nodes), checked. */
  loadBalancer?: {
    kind: "nlb";
    vip: string;
    subnetMask: string;
    interface: string;
    mode: NlbMode;
    nodes: string[];
    drainTimeoutSeconds: number;
    convergenceTimeoutSeconds: number;
  };
  warnings: string[];
}

const OnDeleteOption = OnDelete(
  "destroying the site puts the databases back",
  "destroying the site leaves everything as it is",
);

/**
 * The declaration's shape, by the resources' own rules; `addresses` absent when they come later or
 * from the load balancer's VIP.
 */
function declarationShape(request: SitePlanRequest) {
  return {
    site: SiteName,
    fqdn: Fqdn,
    arrayName: ArrayName.optional(),
    zone: DnsZoneName,
    dnsServer: DnsServerName,
    // Later (another resource's output), or the NLB cluster's VIP (a load balancer declared).
    addresses:
      request.addressesLater === true || (request.loadBalancer !== undefined && request.addresses === undefined)
        ? z.undefined()
        : IPv4AddressSet,
    ttl: TimeToLiveSeconds.optional(),
    databases: z.union([z.literal("all-in-site"), z.array(ExchangeName)], {
      error: (issue) =>
        `must be "all-in-site" or a list of mailbox database names${notWhatWasWritten(issue.input, ["all-in-site"])}`,
    }),
    exclude: z.array(ExchangeName, { error: "must be a list of mailbox database names" }),
    adopt: z.boolean({ error: "must be true or false" }).optional(),
    onDelete: OnDeleteOption.optional(),
    connection: ConnectionSchema,
    dnsConnection: ConnectionSchema.optional(),
    rpcPorts: StaticRpcPortPair.optional(),
    serverConnection: ServerConnectionSchema.optional(),
    verify: VerifyOptionSchema.optional(),
    loadBalancer: LoadBalancerSchema.optional(),
  };
}

type Shape = ReturnType<typeof declarationShape>;
type Declared = Omit<z.output<z.ZodObject<Shape>>, "addresses"> & { addresses?: string[] | undefined };

/**
 * The whole declaration against the resources' own rules, every failure at once; the values typed
 * when there is none.
 */
function validate(request: SitePlanRequest): { failures: string[] } | { failures: []; values: Declared } {
  const shape = declarationShape(request);
  const given: Record<string, unknown> = Object.fromEntries(
    Object.entries(request).filter(([k, v]) => v !== undefined && k !== "addressesLater"),
  );
  const { failures } = checkProperties(shape, given);
  const messages = failures.map((f) => `${f.property} ${f.reason.replace(/\.$/, "")}.`);
  const balancer = LoadBalancerSchema.safeParse(request.loadBalancer);
  if (request.loadBalancer !== undefined && balancer.success)
    messages.push(...loadBalancerDeclarationErrors(balancer.data, request.rpcPorts, request.addresses));
  if (messages.length > 0) return { failures: messages };
  // Typed once checked: `addresses` may be absent (later, or the VIP) whatever its rule.
  return { failures: [], values: z.object({ ...shape, addresses: shape.addresses.optional() }).parse(given) };
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
    throw new ExchangeCasError(
      "invalid-inputs",
      `CasArraySite ${plan.site}: addresses ${parsed.error.issues.map((i) => i.message).join("; ")}.`,
      { site: plan.site, property: "addresses" },
    );
  }
  const { connection, dnsConnection } = siteConnections(request, `CasArraySite ${plan.site}`);
  const siteServers = parsed.data.length === 1 ? siteServersOf(plan.site, await listExchangeServers(connection)) : [];
  const owners = await readAddressOwners(
    { zone: plan.zone, dnsServer: plan.dnsServer, dnsConnection },
    parsed.data,
    siteServers,
  );
  return sentences(addressRules(plan.fqdn, parsed.data, owners), "warning");
}

/**
 * A Client Access server that cannot be read (its datacenter is down) blocks only the changes
 * that need it: the plan says so and goes on, so the DNS move that a site outage calls for
 * (DOMAIN.md §1.10) is never refused because of it. StaticRpcPorts refuses a first apply or new
 * ports while it is unreachable, and keeps its last known state otherwise.
 */
export function unreachablePortWarnings(
  site: string,
  unreachable: { server: { name: string }; reason: string }[],
): string[] {
  return unreachable.map(({ server, reason }) => casUnreachable(site, server.name, reason));
}

/** The refusal of the whole site: every error finding, with the errors that caused them. */
export function siteRefusal(site: string, findings: readonly Finding[]): ExchangeCasError {
  const errors = sentences(findings, "error");
  const caught = findings.flatMap((f) =>
    (f.code === "nlb-refused" || f.code === "ports-refused") && f.cause !== undefined ? [f.cause] : [],
  );
  return new ExchangeCasError(
    "refused",
    `CasArraySite ${site}: ${errors.join(" ")}`,
    { site, refusals: errors },
    causeOf([...new Set(caught)], `CasArraySite ${site}: what refused the plan`),
  );
}

/**
 * The site plan: the facts (plan/facts.ts) gathered, judged (plan/judge.ts) and said
 * (plan/messages.ts). The later reads are made only while nothing is refused, as before: the
 * addresses' owners, then the load balancer (refused on DAG members, asked of Exchange before any
 * server is contacted), then the static RPC ports survey; the mailboxes are counted only for an
 * accepted plan in which something changes.
 */
export async function planSite(request: SitePlanRequest): Promise<SitePlan> {
  const checked = validate(request);
  if (!("values" in checked)) {
    throw new ExchangeCasError("invalid-inputs", `CasArraySite ${request.site}: ${checked.failures.join(" ")}`, {
      site: request.site,
      failures: checked.failures,
    });
  }
  const values = checked.values;
  const { connection, dnsConnection, serverConnection } = siteConnections(
    {
      connection: request.connection,
      dnsConnection: request.dnsConnection,
      serverConnection: request.serverConnection,
    },
    `CasArraySite ${request.site}`,
  );
  const fqdn = values.fqdn;
  const declaration: SiteDeclaration = {
    site: request.site,
    declaredFqdn: request.fqdn,
    declaredZone: request.zone,
    fqdn,
    zone: values.zone,
    arrayName: values.arrayName ?? fqdn.split(".")[0] ?? fqdn,
    ...(values.addresses !== undefined ? { addresses: values.addresses } : {}),
    databases: values.databases,
    exclude: request.exclude,
    ...(values.adopt !== undefined ? { adopt: values.adopt } : {}),
    ...(values.rpcPorts !== undefined ? { rpcPorts: values.rpcPorts } : {}),
  };
  const servers: ServerAccess = {
    site: request.site,
    fqdn,
    connection,
    ...(request.serverConnection !== undefined ? { serverConnection } : {}),
  };

  const facts: SiteFacts = await readExchangeFacts(connection);
  const refused = () => hasErrors(judgeSite(declaration, facts).findings);
  if (declaration.addresses !== undefined && !refused()) {
    facts.addressOwners = await readAddressOwners(
      { zone: declaration.zone, dnsServer: values.dnsServer, dnsConnection },
      declaration.addresses,
      siteServersOf(request.site, facts.servers),
    );
  }
  const rpcPorts = declaration.rpcPorts;
  const balancer = values.loadBalancer;
  if (balancer !== undefined && rpcPorts !== undefined && !refused())
    facts.nlb = await readNlbFacts(servers, balancer, loadBalancerPorts(rpcPorts));
  if (rpcPorts !== undefined && !refused()) facts.ports = await readPortFacts(servers, rpcPorts);
  const judged = judgeSite(declaration, facts);
  if (hasErrors(judged.findings)) throw siteRefusal(request.site, judged.findings);

  // What the apply does to Outlook: each database whose value changes, with its mailboxes counted
  // (one query for the site's servers, and only when something changes). A database active in
  // another site is counted on its active server. One warning for the site, then a line per
  // database up to a readable number (the full list is the `databases` output); the databases'
  // own resources do not warn again (plannedBySite).
  const changing = changingDatabases(fqdn, judged.chosen);
  const counts = await readMailboxCounts(
    connection,
    mailboxCountServers(request.site, facts, changing),
    changing.length > 0,
  );
  facts.mailboxCounts = counts;
  const { findings, chosen } = judgeSite(declaration, facts);
  const nlb = facts.nlb !== undefined && !("errors" in facts.nlb) ? facts.nlb : undefined;
  const ports = facts.ports !== undefined && !("failed" in facts.ports) ? facts.ports : undefined;

  return {
    site: request.site,
    arrayName: declaration.arrayName,
    fqdn,
    zone: declaration.zone,
    dnsServer: values.dnsServer,
    ...(declaration.addresses !== undefined ? { addresses: declaration.addresses } : {}),
    databases: chosen
      .map((d) => {
        const changes = d.rpcClientAccessServer.toLowerCase() !== fqdn;
        return {
          name: d.name,
          guid: d.guid,
          server: d.server,
          rpcClientAccessServer: d.rpcClientAccessServer,
          changes,
          ...(changes ? { mailboxes: counts.get(d.name.toLowerCase()) ?? 0 } : {}),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name)),
    // Never the array's own FQDN: a database already pointing at it (an interrupted apply) has no
    // earlier value we know; the array puts such a database back on its own server when removed.
    restore: chosen
      .filter((d) => d.rpcClientAccessServer !== "" && d.rpcClientAccessServer.toLowerCase() !== fqdn)
      .map((d) => ({ database: d.name, rpcClientAccessServer: d.rpcClientAccessServer }))
      .sort((a, b) => a.database.localeCompare(b.database)),
    ...(rpcPorts !== undefined
      ? { rpcPorts: { ...rpcPorts, servers: ports !== undefined ? portServers(ports) : [] } }
      : {}),
    ...(balancer !== undefined && nlb !== undefined
      ? {
          loadBalancer: {
            kind: "nlb" as const,
            vip: balancer.vip,
            subnetMask: balancer.subnetMask,
            interface: balancer.interface,
            nodes: nlb.nodes,
            mode: nlb.mode,
            drainTimeoutSeconds: nlb.drainTimeoutSeconds,
            convergenceTimeoutSeconds: nlb.convergenceTimeoutSeconds,
          },
        }
      : {}),
    warnings: sentences(findings, "warning"),
  };
}
