// DnsARecord: `new DnsARecord("outlook-ho", { zone, name, addresses, dnsServer, connection })`
// declares every A record at one name on a Windows DNS server: one Client Access server's
// address or the load balancer's VIP. Runtime logic lives in runtime/dnsARecord.ts.
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionInput } from "../shell/connection";
import { DynamicResource, thinProvider } from "./serializedProvider";

const provider = thinProvider("dnsARecord");

export interface DnsARecordArgs {
  /** The zone, e.g. exchangeserverpro.net. Changing it replaces the record. */
  zone: pulumi.Input<string>;
  /** The name, relative to the zone (outlook-ho) or as an FQDN inside it. Changing it replaces the record. */
  name: pulumi.Input<string>;
  /** Every A record at the name (IPv4). More than one is DNS round robin, which is allowed with a warning. */
  addresses: pulumi.Input<pulumi.Input<string>[]>;
  /** Time to live in seconds (default 3600). */
  ttl?: pulumi.Input<number>;
  /** Take over a name that already has A records not in `addresses` (they are removed) instead of failing. */
  adopt?: pulumi.Input<boolean>;
  /**
   * On delete: "restore" (default) removes the records this resource created and releases a name it
   * adopted; "retain" leaves them.
   */
  onDelete?: pulumi.Input<"restore" | "retain">;
  /** The DNS server the DnsServer cmdlets address (-ComputerName), e.g. DC01. Changing it replaces the record. */
  dnsServer: pulumi.Input<string>;
  /** Where the DnsServer cmdlets run. */
  connection: pulumi.Input<ConnectionInput>;
  /** Set by CasArraySite, whose plan warns about round robin at preview and up: the record then does not warn again. */
  plannedBySite?: pulumi.Input<boolean>;
}

export class DnsARecord extends DynamicResource {
  declare readonly zone: pulumi.Output<string>;
  /** Relative to the zone. */
  declare readonly name: pulumi.Output<string>;
  declare readonly fqdn: pulumi.Output<string>;
  /** The A records at the name as the DNS server lists them, sorted. */
  declare readonly addresses: pulumi.Output<string[]>;
  /** The records' TTL (the smallest, should someone have given them different ones). */
  declare readonly ttl: pulumi.Output<number>;
  /** Each A record with its own TTL, sorted by address. */
  declare readonly records: pulumi.Output<{ address: string; ttl: number }[]>;
  declare readonly dnsServer: pulumi.Output<string>;
  /** Whether the name had A records when this resource took it over (released, not removed, on delete). */
  declare readonly adopted: pulumi.Output<boolean | undefined>;

  constructor(name: string, args: DnsARecordArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        ...args,
        ttl: args.ttl,
        adopt: args.adopt,
        onDelete: args.onDelete,
        fqdn: undefined,
        records: undefined,
        adopted: undefined,
      },
      opts,
      "exchange-cas",
      "DnsARecord",
    );
  }
}
