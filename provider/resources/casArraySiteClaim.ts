// CasArraySiteClaim: registered first by every CasArraySite, the stack's record that it manages
// the site's array name; its check refuses a brownfield site before anything else of the site is
// registered. Runtime logic (and why it exists): runtime/siteClaim.ts.
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionInput } from "../shell/connection";
import { DynamicResource, thinProvider } from "./serializedProvider";

const provider = thinProvider("siteClaim");

export interface CasArraySiteClaimArgs {
  site: pulumi.Input<string>;
  arrayName: pulumi.Input<string>;
  fqdn: pulumi.Input<string>;
  zone: pulumi.Input<string>;
  dnsServer: pulumi.Input<string>;
  /** Take over the site's existing array and A records instead of refusing them. */
  adopt?: pulumi.Input<boolean>;
  /** The declared addresses, when known: only for what a refusal says. */
  addresses?: pulumi.Input<pulumi.Input<string>[]>;
  connection: pulumi.Input<ConnectionInput>;
  dnsConnection: pulumi.Input<ConnectionInput>;
}

export class CasArraySiteClaim extends DynamicResource {
  declare readonly site: pulumi.Output<string>;
  declare readonly fqdn: pulumi.Output<string>;

  constructor(name: string, args: CasArraySiteClaimArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args }, opts, "exchange-cas", "CasArraySiteClaim");
  }
}
