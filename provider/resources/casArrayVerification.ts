// CasArrayVerification: `new CasArrayVerification("outlook-ho-check", { fqdn, dnsServer, dnsConnection,
// addresses, site, connection, ports })` checks, after the apply and on every refresh, that a CAS
// array is wired as declared: its FQDN resolves at the site's DNS server to exactly `addresses`,
// the array has members, and each address accepts TCP connections on `ports`. It changes nothing.
// Runtime logic lives in runtime/verification.ts.
import * as pulumi from "@pulumi/pulumi";
import type { Verification } from "../runtime/verification";
import type { ConnectionInput } from "../shell/connection";
import { DynamicResource, thinProvider } from "./serializedProvider";

const provider = thinProvider("casArrayVerification");

export type { Verification } from "../runtime/verification";

export interface CasArrayVerificationArgs {
  /** The array's FQDN, the name Outlook connects to, e.g. outlook-ho.contoso.com. */
  fqdn: pulumi.Input<string>;
  /** The site's DNS server, asked with Resolve-DnsName -Server (e.g. DC01). */
  dnsServer: pulumi.Input<string>;
  /**
   * Where Resolve-DnsName runs: a host that reaches the DNS server and has the DnsClient module
   * (Windows Server 2012+) and ExcasDns.
   */
  dnsConnection: pulumi.Input<ConnectionInput>;
  /** What the FQDN must resolve to, exactly: one Client Access server's address or the load balancer's VIP. */
  addresses: pulumi.Input<pulumi.Input<string>[]>;
  /** The AD site whose CAS array (Get-ClientAccessArray -Site) must have members. */
  site: pulumi.Input<string>;
  /** Where the Exchange cmdlets run. */
  connection: pulumi.Input<ConnectionInput>;
  /**
   * TCP ports each address must accept connections on, from the machine running Pulumi, e.g. [135,
   * 59532, 59533]; none: no TCP check.
   */
  ports?: pulumi.Input<pulumi.Input<number>[]>;
  /** "warn" (default): failures are warnings and in `verification`; "strict": create and update fail on any failure. */
  mode?: pulumi.Input<"warn" | "strict">;
  /** Milliseconds each TCP connect may take (default 3000). */
  tcpTimeoutMs?: pulumi.Input<number>;
}

export class CasArrayVerification extends DynamicResource {
  declare readonly fqdn: pulumi.Output<string>;
  declare readonly dnsServer: pulumi.Output<string>;
  declare readonly addresses: pulumi.Output<string[]>;
  declare readonly site: pulumi.Output<string>;
  declare readonly ports: pulumi.Output<number[] | undefined>;
  declare readonly mode: pulumi.Output<"warn" | "strict">;
  /** What the last apply or refresh found; `failures` holds one sentence per failed check. */
  declare readonly verification: pulumi.Output<Verification>;

  constructor(name: string, args: CasArrayVerificationArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, verification: undefined }, opts, "exchange-cas", "CasArrayVerification");
  }
}
