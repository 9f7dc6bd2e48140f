// MailboxDatabaseRpcSetting: `new MailboxDatabaseRpcSetting("mb-ho-01", { database,
// rpcClientAccessServer, connection })` points an existing mailbox database's Outlook endpoint at
// a Client Access server or CAS array. Runtime logic lives in runtime/mailboxDatabaseRpcSetting.ts.
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionInput } from "../shell/connection";
import { DynamicResource, thinProvider } from "./serializedProvider";

const provider = thinProvider("mailboxDatabaseRpcSetting");

export interface MailboxDatabaseRpcSettingArgs {
  /** The database (name or Guid); it must exist. Changing it replaces the setting. */
  database: pulumi.Input<string>;
  /** A Client Access server or CAS array, by name or FQDN (typically the array's fqdn). */
  rpcClientAccessServer: pulumi.Input<string>;
  /** On delete, put back the value the database had before ("restore", default) or leave it ("retain"). */
  onDelete?: pulumi.Input<"restore" | "retain">;
  /** Where the Exchange cmdlets run. */
  connection: pulumi.Input<ConnectionInput>;
  /**
   * Set by CasArraySite, whose plan warns about the change (with the mailboxes) at preview and up:
   * the apply then does not warn again.
   */
  plannedBySite?: pulumi.Input<boolean>;
}

export class MailboxDatabaseRpcSetting extends DynamicResource {
  /** The database's name as Exchange reports it. */
  declare readonly database: pulumi.Output<string>;
  declare readonly guid: pulumi.Output<string>;
  /** The Mailbox server that owns the database. */
  declare readonly server: pulumi.Output<string>;
  declare readonly recovery: pulumi.Output<boolean>;
  /** What Exchange reports: the FQDN of the referenced Client Access server or array. */
  declare readonly rpcClientAccessServer: pulumi.Output<string>;
  /** The value as given in the program. */
  declare readonly wantedRpcClientAccessServer: pulumi.Output<string>;
  /** What Exchange reported right after the wanted value was set. */
  declare readonly appliedRpcClientAccessServer: pulumi.Output<string>;
  /** The value before this resource took the database over; restored on delete unless onDelete is "retain". */
  declare readonly previousRpcClientAccessServer: pulumi.Output<string>;
  declare readonly onDelete: pulumi.Output<"restore" | "retain">;

  constructor(name: string, args: MailboxDatabaseRpcSettingArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        ...args,
        onDelete: args.onDelete,
        guid: undefined,
        server: undefined,
        recovery: undefined,
        wantedRpcClientAccessServer: undefined,
        appliedRpcClientAccessServer: undefined,
        previousRpcClientAccessServer: undefined,
      },
      opts,
      "exchange-cas",
      "MailboxDatabaseRpcSetting",
    );
  }
}
