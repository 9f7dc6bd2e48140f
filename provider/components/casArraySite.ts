// CasArraySite: the whole of one AD site in one declaration, in the order the article gives:
// the CAS array, its DNS A record, then every mailbox database of the site pointed at the array
// (each database waits for both, so Outlook is never sent to a name that does not resolve).
import * as pulumi from "@pulumi/pulumi";
import { planSite, type SitePlan, type SitePlanRequest } from "../runtime/site";
import type { ConnectionInput } from "../shell/connection";
import { ClientAccessArray } from "../resources/clientAccessArray";
import { DnsARecord } from "../resources/dnsARecord";
import { MailboxDatabaseRpcSetting } from "../resources/mailboxDatabaseRpcSetting";

export interface CasArraySiteArgs {
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
    /** One CAS server's IP, or the load balancer's VIP. */
    addresses: string[];
    ttl?: number;
  };
  /** The databases to point at the array: names, or every non-recovery database of the site (default). */
  databases?: string[] | "all-in-site";
  /** Databases to leave alone (with "all-in-site"). */
  exclude?: string[];
  /** Take over the site's existing array and DNS name (brownfield) instead of failing. */
  adopt?: boolean;
  /** What to do with each database's value on destroy (default: restore the previous value). */
  onDelete?: "restore" | "retain";
  connection: ConnectionInput;
  /** Where the DnsServer cmdlets run, when not on `connection`. */
  dnsConnection?: ConnectionInput;
}

export interface ManagedDatabase {
  database: string;
  rpcClientAccessServer: string;
}

export class CasArraySite extends pulumi.ComponentResource {
  readonly array: ClientAccessArray;
  readonly record: DnsARecord;
  /** The array's FQDN and computed members. */
  readonly fqdn: pulumi.Output<string>;
  readonly members: pulumi.Output<string[]>;
  /** The A records at the array's name. */
  readonly addresses: pulumi.Output<string[]>;
  /** Each managed database and the RpcClientAccessServer Exchange reports for it. */
  readonly databases: pulumi.Output<ManagedDatabase[]>;
  /** Best practices the declaration does not follow (also logged as warnings). */
  readonly warnings: pulumi.Output<string[]>;

  constructor(name: string, args: CasArraySiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("exchange-cas:index:CasArraySite", name, {}, opts);
    const request: SitePlanRequest = {
      site: args.site,
      fqdn: args.fqdn,
      ...(args.arrayName !== undefined ? { arrayName: args.arrayName } : {}),
      zone: args.dns.zone,
      dnsServer: args.dns.server,
      addresses: args.dns.addresses,
      databases: args.databases ?? "all-in-site",
      exclude: args.exclude ?? [],
      connection: args.connection,
      ...(args.dnsConnection !== undefined ? { dnsConnection: args.dnsConnection } : {}),
    };
    // Asked of Exchange while the program runs (preview included), through the same runtime the
    // provider uses; an error here stops the program before anything is changed.
    const plan: Promise<SitePlan> = planSite(request);
    const planned = pulumi.output(plan);

    this.array = new ClientAccessArray(
      `${name}-array`,
      { name: args.arrayName, fqdn: args.fqdn, site: args.site, adopt: args.adopt, connection: args.connection },
      { parent: this },
    );
    this.record = new DnsARecord(
      `${name}-dns`,
      {
        zone: args.dns.zone,
        name: args.fqdn,
        addresses: args.dns.addresses,
        ttl: args.dns.ttl,
        adopt: args.adopt,
        dnsServer: args.dns.server,
        connection: args.dnsConnection ?? args.connection,
      },
      { parent: this },
    );
    const settings = planned.apply((p) =>
      p.databases.map(
        (db) =>
          new MailboxDatabaseRpcSetting(
            `${name}-${db.name.toLowerCase()}`,
            { database: db.name, rpcClientAccessServer: this.array.fqdn, onDelete: args.onDelete, connection: args.connection },
            { parent: this, dependsOn: [this.array, this.record] },
          ),
      ),
    );

    this.fqdn = this.array.fqdn;
    this.members = this.array.members;
    this.addresses = this.record.addresses;
    this.databases = settings.apply((list) =>
      pulumi.all(list.map((s) => pulumi.all([s.database, s.rpcClientAccessServer]))).apply((pairs) =>
        pairs.map(([database, rpcClientAccessServer]) => ({ database, rpcClientAccessServer })),
      ),
    );
    this.warnings = planned.apply((p) => {
      for (const w of p.warnings) pulumi.log.warn(w, this);
      return p.warnings;
    });
    this.registerOutputs({ fqdn: this.fqdn, members: this.members, addresses: this.addresses, databases: this.databases, warnings: this.warnings });
  }
}
