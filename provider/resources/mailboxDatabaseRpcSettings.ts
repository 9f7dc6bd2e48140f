// MailboxDatabaseRpcSettings: `new MailboxDatabaseRpcSettings("ho-databases", { databases,
// rpcClientAccessServer, connection })` points several existing mailbox databases at one Client
// Access server or CAS array, as ONE resource: each database is handled as a
// MailboxDatabaseRpcSetting handles its own, but the engine asks about all of them at once (one
// Read, one Diff), and their Sets share round trips. Runtime logic lives in
// runtime/mailboxDatabaseRpcSettings.ts.
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionInput } from "../shell/connection";
import { DynamicResource, thinProvider } from "./serializedProvider";

const provider = thinProvider("mailboxDatabaseRpcSettings");

export interface MailboxDatabaseRpcSettingsArgs {
  /**
   * The databases (names or Guids); each must exist. Adding one points it; one left out is released
   * as onDelete says.
   */
  databases: pulumi.Input<pulumi.Input<string>[]>;
  /** A Client Access server or CAS array, by name or FQDN (typically the array's fqdn). */
  rpcClientAccessServer: pulumi.Input<string>;
  /**
   * On delete, or for a database left out: put back the value it had before ("restore", default) or
   * leave it ("retain").
   */
  onDelete?: pulumi.Input<"restore" | "retain">;
  /** Where the Exchange cmdlets run. */
  connection: pulumi.Input<ConnectionInput>;
  /** Set by CasArraySite, whose plan already warned of the Outlook profiles: no warning per database. */
  plannedBySite?: pulumi.Input<boolean>;
}

/** One database of the set, as a MailboxDatabaseRpcSetting's outputs show it. */
export interface MailboxDatabaseRpcSettingsEntry {
  /** The database as declared (a name or a Guid). */
  declared: string;
  /** The database's name as Exchange reports it. */
  database: string;
  guid: string;
  server: string;
  recovery: boolean;
  /** What Exchange reports: the FQDN of the referenced Client Access server or array. */
  rpcClientAccessServer: string;
  /** The value this database was last set to, as given. */
  wantedRpcClientAccessServer: string;
  /** What Exchange shows once the wanted value is set: the FQDN of the array or server it names. */
  appliedRpcClientAccessServer: string;
  /** The value before this resource took the database over; restored on delete unless onDelete is "retain". */
  previousRpcClientAccessServer: string;
}

export class MailboxDatabaseRpcSettings extends DynamicResource {
  /** The databases as declared. */
  declare readonly declaredDatabases: pulumi.Output<string[]>;
  /** Each database's setting, in the declared order (undefined in a preview of its creation). */
  declare readonly settings: pulumi.Output<MailboxDatabaseRpcSettingsEntry[] | undefined>;
  /** The value as given in the program. */
  declare readonly wantedRpcClientAccessServer: pulumi.Output<string>;
  declare readonly onDelete: pulumi.Output<"restore" | "retain">;

  constructor(name: string, args: MailboxDatabaseRpcSettingsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        ...args,
        onDelete: args.onDelete,
        declaredDatabases: undefined,
        settings: undefined,
        wantedRpcClientAccessServer: undefined,
      },
      opts,
      "exchange-cas",
      "MailboxDatabaseRpcSettings",
    );
  }
}
