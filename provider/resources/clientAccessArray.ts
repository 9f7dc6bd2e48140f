// ClientAccessArray: `new ClientAccessArray("ho", { fqdn, site, connection })` declares the CAS
// array of one AD site. Runtime logic lives in runtime/clientAccessArray.ts.
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionInput } from "../shell/connection";
import { DynamicResource, thinProvider } from "./serializedProvider";

const provider = thinProvider("clientAccessArray");

export interface ClientAccessArrayArgs {
  /** Array name (default: the FQDN's host label). At most 64 characters, no spaces. */
  name?: pulumi.Input<string>;
  /** The name Outlook connects to, e.g. outlook-ho.contoso.com. Internal only. */
  fqdn: pulumi.Input<string>;
  /** The AD site; one array per site. */
  site: pulumi.Input<string>;
  /** Take over the site's existing array (brownfield) instead of failing. */
  adopt?: pulumi.Input<boolean>;
  /**
   * The values databases had before they pointed at this array: put back when the array is removed
   * (otherwise its databases go to a Client Access server of their site).
   */
  restore?: pulumi.Input<pulumi.Input<{ database: string; rpcClientAccessServer: string }>[]>;
  /**
   * On delete: "restore" (default) removes an array this resource created, putting its databases
   * back first, and releases an adopted one; "retain" leaves it.
   */
  onDelete?: pulumi.Input<"restore" | "retain">;
  /** Where the Exchange cmdlets run. */
  connection: pulumi.Input<ConnectionInput>;
  /**
   * Set by CasArraySite, whose plan says at preview and up what adopting the site's array changes:
   * the resource then does not say it again.
   */
  plannedBySite?: pulumi.Input<boolean>;
}

export class ClientAccessArray extends DynamicResource {
  declare readonly arrayName: pulumi.Output<string>;
  declare readonly fqdn: pulumi.Output<string>;
  /** The site as Exchange renders it: contoso.com/Configuration/Sites/HeadOffice. */
  declare readonly site: pulumi.Output<string>;
  declare readonly siteName: pulumi.Output<string>;
  declare readonly members: pulumi.Output<string[]>;
  declare readonly guid: pulumi.Output<string>;
  declare readonly distinguishedName: pulumi.Output<string>;
  declare readonly exchangeLegacyDn: pulumi.Output<string>;
  /** Whether this resource took over an array that existed before it (released, not removed, on delete). */
  declare readonly adopted: pulumi.Output<boolean | undefined>;

  constructor(name: string, args: ClientAccessArrayArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        ...args,
        arrayName: undefined,
        siteName: undefined,
        members: undefined,
        guid: undefined,
        distinguishedName: undefined,
        exchangeLegacyDn: undefined,
        adopted: undefined,
      },
      opts,
      "exchange-cas",
      "ClientAccessArray",
    );
  }
}
