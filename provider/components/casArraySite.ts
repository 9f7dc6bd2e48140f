// CasArraySite: the whole of one AD site in one declaration: the DNS A record of the array's name,
// the CAS array, then every mailbox database of the site pointed at the array (each database
// waits for both, so Outlook is never sent to a name that does not resolve). With rpcPorts the
// static RPC ports come first; with loadBalancer (Windows NLB) the cluster comes after them and
// before the name, which points at its VIP: Outlook is never sent to a VIP that does not forward.
//
// All or nothing: the site is planned against Exchange first (planSite: every input against the
// resources' own rules, then the site's servers, databases and arrays), and every child's inputs
// come from that plan, so when the plan refuses the declaration no child is registered and
// nothing changes. The brownfield refusals need what the stack already manages, which only its
// state knows: they are the check of the first child, CasArraySiteClaim, which every other child
// waits for (runtime/siteClaim.ts), so they too come before anything of the site changes.
// Destroying the site removes the record and the array this stack created
// (the array puts its databases back first) and releases what it adopted; a database that leaves
// the declaration keeps its value.
import * as pulumi from "@pulumi/pulumi";
import { isExchangeCasError } from "../errors";
import { loadBalancerPorts, type LoadBalancer } from "../runtime/rules";
import { planAddresses, planSite, verifySettings, type SiteOptions, type SitePlanRequest } from "../plan/site";
import { ClientAccessArray } from "../resources/clientAccessArray";
import { DnsARecord } from "../resources/dnsARecord";
import { MailboxDatabaseRpcSetting } from "../resources/mailboxDatabaseRpcSetting";
import { MailboxDatabaseRpcSettings } from "../resources/mailboxDatabaseRpcSettings";
import { StaticRpcPorts, type StaticRpcPortsServer } from "../resources/staticRpcPorts";
import { CasArrayVerification, type Verification } from "../resources/casArrayVerification";
import { NlbCluster, type NlbClusterNode } from "../resources/nlbCluster";
import { CasArraySiteClaim } from "../resources/casArraySiteClaim";

/** A whole site: its names and DNS record here, its options (adopt, onDelete, connections, rpcPorts, loadBalancer, verify) in SiteOptions. */
export interface CasArraySiteArgs extends SiteOptions {
  /** The AD site, e.g. HeadOffice. */
  site: string;
  /** The array's name (default: the FQDN's host label). */
  arrayName?: string;
  /** The name Outlook connects to, e.g. outlook-ho.contoso.com: internal only, not a DAG or server name. */
  fqdn: string;
  dns: {
    zone: string;
    /** The DNS server (-ComputerName), e.g. DC01. */
    server: string;
    /**
     * One CAS server's IP, or the load balancer's VIP (often another resource's output). Left out
     * with `loadBalancer`: the name then points at the NLB cluster's VIP.
     */
    addresses?: pulumi.Input<pulumi.Input<string>[]>;
    ttl?: pulumi.Input<number>;
  };
  /** The databases to point at the array: names, or every non-recovery database of the site (default). */
  databases?: string[] | "all-in-site";
  /** Databases to leave alone (with "all-in-site"). */
  exclude?: string[];
  /**
   * How the databases are declared: "each" (default), one MailboxDatabaseRpcSetting per database,
   * so every database is its own line in a preview and its own entry in state; or "one", one
   * MailboxDatabaseRpcSettings for all of them, which the engine creates, reads and diffs in one
   * call each (a site of hundreds of databases refreshes and previews in a fraction of the time,
   * and its state is a fifth of the size), while a preview shows one line for them all: the
   * site's plan still warns, at every preview, about each database whose value changes.
   */
  databaseResources?: "each" | "one";
}

export interface ManagedDatabase {
  database: string;
  rpcClientAccessServer: string;
  /** Mailboxes on the database when the plan found its value changing (counted with -ResultSize Unlimited). */
  mailboxes?: number;
}

export class CasArraySite extends pulumi.ComponentResource {
  /**
   * Settles once the site is planned; rejects (with the plan's refusal) when the declaration is
   * refused, in which case no child is registered. Pulumi reports an unawaited rejection once.
   */
  readonly ready: Promise<void>;
  /** The site's children, registered once the plan has accepted the whole declaration. */
  readonly array: pulumi.Output<ClientAccessArray | undefined>;
  readonly record: pulumi.Output<DnsARecord | undefined>;
  /** One per database (databaseResources "each"); empty with "one". */
  readonly settings: pulumi.Output<MailboxDatabaseRpcSetting[]>;
  /** All the databases as one resource (databaseResources "one"; undefined with "each" or no database). */
  readonly databaseSet: pulumi.Output<MailboxDatabaseRpcSettings | undefined>;
  /** The array's FQDN and computed members. */
  readonly fqdn: pulumi.Output<string>;
  readonly members: pulumi.Output<string[]>;
  /** The A records at the array's name. */
  readonly addresses: pulumi.Output<string[]>;
  /** Each managed database and the RpcClientAccessServer Exchange reports for it. */
  readonly databases: pulumi.Output<ManagedDatabase[]>;
  /** Best practices the declaration does not follow and what the apply changes (also logged as warnings). */
  readonly warnings: pulumi.Output<string[]>;
  /** With rpcPorts: the site's StaticRpcPorts child. */
  readonly rpcPorts: pulumi.Output<StaticRpcPorts | undefined>;
  /** With rpcPorts: per server, the configured and the listening ports (undefined without rpcPorts). */
  readonly rpcPortServers: pulumi.Output<StaticRpcPortsServer[] | undefined>;
  /** With verify: what the last apply or refresh found (ok, dns, members, tcp, failures). */
  readonly verification: pulumi.Output<Verification | undefined>;
  /**
   * With rpcPorts: what the load balancer must publish, TCP 135 and the static ports with client-IP
   * affinity (undefined without rpcPorts: it does not apply).
   */
  readonly loadBalancer: pulumi.Output<LoadBalancer | undefined>;
  /** With loadBalancer: the site's NlbCluster child. */
  readonly nlbCluster: pulumi.Output<NlbCluster | undefined>;
  /** With loadBalancer: the cluster's nodes and their states (Converged, Stopped, ...); undefined without it. */
  readonly nlbNodes: pulumi.Output<NlbClusterNode[] | undefined>;

  constructor(name: string, args: CasArraySiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("exchange-cas:index:CasArraySite", name, {}, opts);
    // Addresses and TTL may come from other resources (a load balancer's VIP): plain values are
    // checked with the plan; values still to come are checked by the record, and the address
    // warnings follow once they are known.
    const given = args.dns.addresses as unknown;
    const plainAddresses = Array.isArray(given) && given.every((a) => typeof a === "string") ? given : undefined;
    const addressesLater =
      plainAddresses === undefined && given !== undefined && given !== null && typeof given === "object";
    // With a load balancer declared and no addresses, the name points at its VIP.
    const addressesGiven = given !== undefined;
    // The DNS connection's default (siteConnections' rule), kept on the raw inputs for the children:
    // a connection may hold a secret that parsing would turn into plain text.
    const dnsConnection = args.dnsConnection ?? args.connection;
    const request: SitePlanRequest = {
      site: args.site,
      fqdn: args.fqdn,
      ...(args.arrayName !== undefined ? { arrayName: args.arrayName } : {}),
      zone: args.dns.zone,
      dnsServer: args.dns.server,
      ...(addressesLater ? { addressesLater } : addressesGiven ? { addresses: given as string[] } : {}),
      ...(typeof args.dns.ttl === "number" ? { ttl: args.dns.ttl } : {}),
      databases: args.databases ?? "all-in-site",
      exclude: args.exclude ?? [],
      ...(args.adopt !== undefined ? { adopt: args.adopt } : {}),
      ...(args.onDelete !== undefined ? { onDelete: args.onDelete } : {}),
      connection: args.connection,
      ...(args.dnsConnection !== undefined ? { dnsConnection: args.dnsConnection } : {}),
      ...(args.rpcPorts !== undefined ? { rpcPorts: args.rpcPorts } : {}),
      ...(args.serverConnection !== undefined ? { serverConnection: args.serverConnection } : {}),
      ...(args.verify !== undefined ? { verify: args.verify } : {}),
      ...(args.loadBalancer !== undefined ? { loadBalancer: args.loadBalancer } : {}),
    };
    // Asked of Exchange while the program runs (preview included), through the same runtime the
    // provider uses. The children are registered only once the plan accepts the whole
    // declaration: a refusal registers none of them (nothing changes) and fails the program with
    // one error on this component (`ready` rejects, and Pulumi reports it once).
    const outcome = planSite(request).then(
      (plan) => ({ plan }),
      (error: unknown) => ({ error: siteError(error, this) }),
    );
    this.ready = outcome.then((o) => {
      if ("error" in o) throw o.error;
    });
    const onDelete = args.onDelete ?? "restore";
    const children = pulumi.output(outcome).apply((o) => {
      if ("error" in o) return undefined;
      const p = o.plan;
      // The claim first, every other child after it: its check refuses a brownfield site (another
      // array, A records the stack did not create) before anything of the site is registered,
      // knowing from the stack's state what the stack already manages (runtime/siteClaim.ts).
      const claim = new CasArraySiteClaim(
        `${name}-claim`,
        {
          site: p.site,
          arrayName: p.arrayName,
          fqdn: p.fqdn,
          zone: p.zone,
          dnsServer: p.dnsServer,
          adopt: args.adopt,
          // The declared addresses (the NLB's VIP when the cluster is declared), for what a refusal says.
          ...(p.loadBalancer !== undefined
            ? { addresses: [p.loadBalancer.vip] }
            : p.addresses !== undefined
              ? { addresses: p.addresses }
              : {}),
          connection: args.connection,
          dnsConnection,
        },
        { parent: this },
      );
      // The load balancer's prerequisite first: every server on its static ports before the name
      // moves to the VIP. (Destroy: after the name is gone, the servers go back to dynamic ports.)
      const ports =
        p.rpcPorts === undefined
          ? undefined
          : new StaticRpcPorts(
              `${name}-rpc-ports`,
              {
                site: p.site,
                rpcClientAccess: p.rpcPorts.rpcClientAccess,
                addressBook: p.rpcPorts.addressBook,
                onDelete,
                connection: args.connection,
                ...(args.serverConnection !== undefined ? { serverConnection: args.serverConnection } : {}),
                plannedBySite: true,
              },
              { parent: this, dependsOn: [claim] },
            );
      // Then the load balancer itself (Windows NLB on the same servers): its port rules are the
      // static ports, so it comes after them, and the name moves to its VIP only once it forwards.
      // (Destroy: the name leaves the VIP first; the cluster refuses to go while it still points there.)
      const lb = p.loadBalancer;
      const nlb =
        lb === undefined || p.rpcPorts === undefined
          ? undefined
          : new NlbCluster(
              `${name}-nlb`,
              {
                site: p.site,
                vip: lb.vip,
                subnetMask: lb.subnetMask,
                interface: lb.interface,
                ...(args.loadBalancer?.mode !== undefined ? { mode: args.loadBalancer.mode } : {}),
                ports: loadBalancerPorts(p.rpcPorts),
                clusterName: p.fqdn,
                drainTimeoutSeconds: lb.drainTimeoutSeconds,
                convergenceTimeoutSeconds: lb.convergenceTimeoutSeconds,
                dns: {
                  fqdn: p.fqdn,
                  zone: p.zone,
                  dnsServer: p.dnsServer,
                  connection: dnsConnection,
                },
                onDelete,
                connection: args.connection,
                ...(args.serverConnection !== undefined ? { serverConnection: args.serverConnection } : {}),
              },
              { parent: this, dependsOn: ports === undefined ? [claim] : [claim, ports] },
            );
      const addresses = nlb !== undefined ? nlb.vip.apply((vip) => [vip]) : (p.addresses ?? args.dns.addresses ?? []);
      const record = new DnsARecord(
        `${name}-dns`,
        {
          zone: p.zone,
          name: p.fqdn,
          addresses,
          ttl: args.dns.ttl,
          adopt: args.adopt,
          onDelete,
          dnsServer: p.dnsServer,
          connection: dnsConnection,
          plannedBySite: true,
        },
        {
          parent: this,
          dependsOn: [claim, ...(ports === undefined ? [] : [ports]), ...(nlb === undefined ? [] : [nlb])],
        },
      );
      // After its record (the name resolves before anything points at it); on destroy before it,
      // so the databases are put back while the name still resolves.
      const array = new ClientAccessArray(
        `${name}-array`,
        {
          name: p.arrayName,
          fqdn: p.fqdn,
          site: p.site,
          adopt: args.adopt,
          restore: p.restore,
          onDelete,
          connection: args.connection,
          plannedBySite: true,
        },
        { parent: this, dependsOn: [record] },
      );
      // The databases never restore on their own delete: a database that leaves the declaration
      // keeps its value; destroying the whole site puts them all back through the array.
      const one = args.databaseResources === "one";
      const settings = one
        ? []
        : p.databases.map(
            (db) =>
              new MailboxDatabaseRpcSetting(
                `${name}-${db.name.toLowerCase()}`,
                {
                  database: db.name,
                  rpcClientAccessServer: array.fqdn,
                  onDelete: "retain",
                  connection: args.connection,
                  plannedBySite: true,
                },
                { parent: this, dependsOn: [array, record] },
              ),
          );
      const databaseSet =
        one && p.databases.length > 0
          ? new MailboxDatabaseRpcSettings(
              `${name}-databases`,
              {
                databases: p.databases.map((db) => db.name),
                rpcClientAccessServer: array.fqdn,
                onDelete: "retain",
                connection: args.connection,
                plannedBySite: true,
              },
              { parent: this, dependsOn: [array, record] },
            )
          : undefined;
      // Last, once everything it checks exists: read-only, it changes nothing.
      const checks = verifySettings(args.verify);
      const verification =
        checks === undefined
          ? undefined
          : new CasArrayVerification(
              `${name}-verify`,
              {
                fqdn: array.fqdn,
                dnsServer: p.dnsServer,
                dnsConnection,
                addresses,
                site: p.site,
                connection: args.connection,
                ...(checks.tcp ? { ports: loadBalancerPorts(p.rpcPorts) } : {}),
                mode: checks.mode,
                ...(checks.tcpTimeoutMs !== undefined ? { tcpTimeoutMs: checks.tcpTimeoutMs } : {}),
              },
              {
                parent: this,
                dependsOn: [
                  record,
                  array,
                  ...settings,
                  ...(databaseSet === undefined ? [] : [databaseSet]),
                  ...(ports === undefined ? [] : [ports]),
                  ...(nlb === undefined ? [] : [nlb]),
                ],
              },
            );
      for (const w of p.warnings) void pulumi.log.warn(w, this);
      return { plan: p, claim, ports, nlb, record, array, settings, databaseSet, verification };
    });
    const later: pulumi.Output<string[]> = addressesLater
      ? pulumi.all([pulumi.output(outcome), pulumi.output(args.dns.addresses)]).apply(async ([o, addresses]) => {
          if ("error" in o) return [];
          const warnings = await planAddresses(o.plan, request, addresses);
          for (const w of warnings) void pulumi.log.warn(w, this);
          return warnings;
        })
      : pulumi.output([]);

    // When the plan refused the declaration these stay empty: the program fails through `ready`.
    this.array = children.apply((c) => c?.array);
    this.record = children.apply((c) => c?.record);
    this.settings = children.apply((c) => c?.settings ?? []);
    this.databaseSet = children.apply((c) => c?.databaseSet);
    this.fqdn = children.apply((c) => (c === undefined ? pulumi.output("") : c.array.fqdn));
    this.members = children.apply((c) => (c === undefined ? pulumi.output<string[]>([]) : c.array.members));
    this.addresses = children.apply((c) => (c === undefined ? pulumi.output<string[]>([]) : c.record.addresses));
    this.databases = children.apply((c) => {
      const pairs =
        c?.databaseSet !== undefined
          ? c.databaseSet.settings.apply((entries) =>
              (entries ?? []).map((e): [string, string] => [e.database, e.rpcClientAccessServer]),
            )
          : pulumi.all((c?.settings ?? []).map((s) => pulumi.all([s.database, s.rpcClientAccessServer])));
      return pairs.apply((list) =>
        list.map(([database, rpcClientAccessServer]) => {
          const mailboxes = c?.plan.databases.find((d) => d.name.toLowerCase() === database.toLowerCase())?.mailboxes;
          return { database, rpcClientAccessServer, ...(mailboxes !== undefined ? { mailboxes } : {}) };
        }),
      );
    });
    this.rpcPorts = children.apply((c) => c?.ports);
    this.verification = children.apply((c) =>
      c?.verification === undefined ? pulumi.output<Verification | undefined>(undefined) : c.verification.verification,
    );
    // Outputs that do not apply are absent, not empty shells.
    this.rpcPortServers = children.apply((c) =>
      c?.ports === undefined ? pulumi.output<StaticRpcPortsServer[] | undefined>(undefined) : c.ports.servers,
    );
    this.loadBalancer = children.apply((c) =>
      c?.ports === undefined ? pulumi.output(undefined) : c.ports.loadBalancer,
    );
    this.nlbCluster = children.apply((c) => c?.nlb);
    this.nlbNodes = children.apply((c) =>
      c?.nlb === undefined ? pulumi.output<NlbClusterNode[] | undefined>(undefined) : c.nlb.nodes,
    );
    this.warnings = pulumi.all([children, later]).apply(([c, l]) => [...(c?.plan.warnings ?? []), ...l]);
    this.registerOutputs({
      fqdn: this.fqdn,
      members: this.members,
      addresses: this.addresses,
      databases: this.databases,
      warnings: this.warnings,
      rpcPortServers: this.rpcPortServers,
      loadBalancer: this.loadBalancer,
      verification: this.verification,
      nlbNodes: this.nlbNodes,
    });
  }
}

/**
 * A refusal as Pulumi reports it (one error on the component, no stack), keeping the
 * ExchangeCasError's code and facts for programs and tests that branch on them.
 */
function siteError(error: unknown, site: pulumi.Resource): pulumi.ResourceError {
  const reported = new pulumi.ResourceError(error instanceof Error ? error.message : String(error), site, true);
  return isExchangeCasError(error) ? Object.assign(reported, { code: error.code, details: error.details }) : reported;
}
