// MailboxDatabaseRpcSetting: the RpcClientAccessServer of one existing mailbox database (what
// Outlook connects to). There is nothing to create: create adopts the database, records the value
// it had, and sets the wanted one; delete puts the recorded value back (or leaves the value).
// Identity is the database's Guid. Exchange reports the value as the FQDN of the server or array
// it references, so the wanted value (as given) and what it resolved to are kept apart in state.
import { z } from "zod";
import { getMailboxDatabase, setRpcClientAccessServer, type MailboxDatabase } from "../exchange";
import { ConnectionSchema, PowerShellError, type Connection } from "../shell";
import { checkProperties, containsUnknown, parseChecked, plain } from "./check";
import type { ResourceDefinition } from "./contract";
import { sameName, type DiffRules } from "./diff";
import { warn } from "./log";
import { ExchangeName, OnDelete, OnDeleteState, RpcClientAccessServerName, PlannedBySite } from "./rules";
import { ExchangeCasError } from "../errors";

const shape = {
  database: ExchangeName,
  rpcClientAccessServer: RpcClientAccessServerName,
  onDelete: OnDelete("put the previous value back", "leave the value").default("restore"),
  connection: ConnectionSchema,
  /** Set by CasArraySite: its plan has warned about this change, so the apply does not warn again. */
  plannedBySite: PlannedBySite,
};
const InputsSchema = z.object(shape);
export type MailboxDatabaseRpcSettingInputs = z.infer<typeof InputsSchema>;

export const MailboxDatabaseRpcSettingOutputsSchema = z.object({
  /** The database's name as Exchange reports it. */
  database: z.string(),
  guid: z.string(),
  /** The Mailbox server that owns the database. */
  server: z.string(),
  recovery: z.boolean(),
  /** What Exchange reports now: the FQDN of the referenced Client Access server or array. */
  rpcClientAccessServer: z.string(),
  /** The input as given (a name or an FQDN). */
  wantedRpcClientAccessServer: z.string(),
  /** What Exchange reported right after the wanted value was set; a different `rpcClientAccessServer` is drift. */
  appliedRpcClientAccessServer: z.string(),
  /** The value the database had before this resource took it over; delete restores it. */
  previousRpcClientAccessServer: z.string(),
  onDelete: OnDeleteState,
  connection: ConnectionSchema,
});
const OutputsSchema = MailboxDatabaseRpcSettingOutputsSchema;
export type MailboxDatabaseRpcSettingOutputs = z.infer<typeof OutputsSchema>;

/**
 * How diff compares each input with state. Another database is another resource (it may be
 * named by its name or its Guid); the wanted value is compared with the one given last time.
 */
export const mailboxDatabaseRpcSettingDiffRules: DiffRules<MailboxDatabaseRpcSettingOutputs> = {
  database: { compare: "name", alsoState: "guid", replaces: true },
  rpcClientAccessServer: { compare: "name", state: "wantedRpcClientAccessServer" },
  onDelete: { compare: "value", default: "restore" },
  connection: { compare: "value" },
  plannedBySite: { compare: "ignored" },
};

function outputs(
  db: MailboxDatabase,
  kept: Pick<
    MailboxDatabaseRpcSettingOutputs,
    | "wantedRpcClientAccessServer"
    | "appliedRpcClientAccessServer"
    | "previousRpcClientAccessServer"
    | "onDelete"
    | "connection"
  >,
): MailboxDatabaseRpcSettingOutputs {
  return plain({
    database: db.name,
    guid: db.guid,
    server: db.server,
    recovery: db.recovery,
    rpcClientAccessServer: db.rpcClientAccessServer,
    ...kept,
  });
}

/** DOMAIN.md §1.10 (P9): Outlook keeps a profile's endpoint when the database's value changes. */
function warnProfiles(database: string, from: string, to: string): void {
  warn(
    `Mailbox database '${database}': RpcClientAccessServer changes from ` +
      `${from || "(empty)"} to ${to}. Existing Outlook profiles keep connecting to ` +
      `${from || "the old endpoint"} until they are repaired or recreated (or that ` +
      "endpoint goes offline); plan a profile repair, " +
      "and keep the old name resolvable meanwhile.",
  );
}

/**
 * Exchange shows RpcClientAccessServer as '' when the legacyExchangeDN it holds names no object any
 * more: the array or server it pointed at was removed (LAB-FIDELITY E4).
 */
const DANGLING = "its RpcClientAccessServer names an object that no longer exists (a removed CAS array or server)";

function dangles(db: MailboxDatabase): boolean {
  return db.rpcClientAccessServer === "";
}

async function readBack(connection: Connection, guid: string, name: string): Promise<MailboxDatabase> {
  const db = await getMailboxDatabase(connection, guid);
  if (db === undefined)
    throw new ExchangeCasError(
      "gone-after-write",
      `Mailbox database '${name}' (${guid}) was updated but Exchange no longer finds it.`,
      { database: name, guid },
    );
  return db;
}

/** Outlook never connects to a recovery database: its value is not this resource's to manage. */
function refuseRecovery(db: MailboxDatabase): void {
  if (db.recovery) {
    throw new ExchangeCasError(
      "not-managed",
      `Mailbox database '${db.name}' is a recovery database: ` +
        "Outlook clients never connect to a recovery database, " +
        "so its RpcClientAccessServer is not managed. " +
        "Remove this MailboxDatabaseRpcSetting.",
      { database: db.name },
    );
  }
}

/**
 * Sets the wanted value and reads it back; warns when what Exchange reports changed, unless the
 * site's plan warned about it already (one warning per fact: the site says it once, at preview
 * and up, with the mailboxes, for all its databases).
 */
async function apply(
  connection: Connection,
  db: MailboxDatabase,
  wanted: string,
  plannedBySite: boolean | undefined,
): Promise<MailboxDatabase> {
  await setRpcClientAccessServer(connection, db.guid, wanted, db.name);
  const after = await readBack(connection, db.guid, db.name);
  if (plannedBySite !== true && !sameName(db.rpcClientAccessServer, after.rpcClientAccessServer))
    warnProfiles(db.name, db.rpcClientAccessServer, after.rpcClientAccessServer);
  return after;
}

/** Whether Exchange's value (an FQDN) is the wanted one, given as an FQDN or a name. */
function pointsAt(reported: string, wanted: string): boolean {
  return sameName(reported, wanted) || sameName(reported.split(".")[0] ?? reported, wanted);
}

/** Said at preview (and at create) for a database already pointing where it is to point. */
function alreadyPointing(database: string, value: string): string {
  return (
    `Mailbox database '${database}' already points at ${value} (an earlier apply was ` +
    "probably interrupted after setting it); its earlier value is not known to this " +
    "setting, so deleting the setting leaves it as it is (in a CasArraySite the " +
    "array, which recorded it first, puts it back when the site is destroyed)."
  );
}

export const mailboxDatabaseRpcSetting = {
  kind: "MailboxDatabaseRpcSetting",
  inputs: shape,
  outputs: OutputsSchema,
  diffRules: mailboxDatabaseRpcSettingDiffRules,
  /** A value Exchange reports other than the one applied. */
  drift: (olds) => !sameName(olds.rpcClientAccessServer, olds.appliedRpcClientAccessServer),

  async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    const checked = checkProperties(shape, news);
    // A create: say at preview what the database has now when it already points at the wanted
    // value, the trace of an apply interrupted after its Set.
    const isCreate = olds.database === undefined;
    if (isCreate && checked.failures.length === 0 && !containsUnknown(checked.inputs)) {
      const inputs = parseChecked(InputsSchema, checked.inputs, "MailboxDatabaseRpcSetting");
      const db = await getMailboxDatabase(inputs.connection, inputs.database).catch(() => undefined);
      if (db !== undefined && pointsAt(db.rpcClientAccessServer, inputs.rpcClientAccessServer))
        warn(alreadyPointing(db.name, db.rpcClientAccessServer));
    }
    return checked;
  },

  async create(raw: Record<string, unknown>) {
    const inputs = parseChecked(InputsSchema, raw, "MailboxDatabaseRpcSetting");
    const { connection } = inputs;
    // Its check read the database a moment ago, in the same burst: that answer may be given again.
    const db = await getMailboxDatabase(connection, inputs.database, { again: true });
    if (db === undefined) {
      throw new ExchangeCasError(
        "not-found",
        `Mailbox database '${inputs.database}' does not exist in Exchange ` +
          "(Get-MailboxDatabase found nothing); check the name, " +
          "or create the database first.",
        {
          database: inputs.database,
        },
      );
    }
    refuseRecovery(db);
    const after = await apply(connection, db, inputs.rpcClientAccessServer, inputs.plannedBySite);
    if (dangles(db)) {
      warn(
        `Mailbox database '${db.name}': ${DANGLING}, ` +
          "so there is no previous value to put back; deleting this setting leaves it at " +
          `${after.rpcClientAccessServer}.`,
      );
    }
    // Already pointing at the wanted endpoint (an earlier apply was interrupted after its Set):
    // the value it had before is not known, and the endpoint itself is never recorded as it.
    let previous = db.rpcClientAccessServer;
    if (sameName(previous, after.rpcClientAccessServer)) {
      previous = "";
      warn(alreadyPointing(db.name, after.rpcClientAccessServer));
    }
    return {
      id: db.guid,
      outs: outputs(after, {
        wantedRpcClientAccessServer: inputs.rpcClientAccessServer,
        appliedRpcClientAccessServer: after.rpcClientAccessServer,
        previousRpcClientAccessServer: previous,
        onDelete: inputs.onDelete,
        connection,
      }),
    };
  },

  async read(id: string, props: MailboxDatabaseRpcSettingOutputs) {
    const { connection } = props;
    const db = await getMailboxDatabase(connection, id);
    if (db === undefined) return { id: "" };
    if (dangles(db)) {
      const applied = props.appliedRpcClientAccessServer || "the value this setting applied";
      warn(
        `Mailbox database '${db.name}': ${DANGLING}; ` +
          `Exchange shows it as empty instead of ${applied}, ` +
          `so the next 'pulumi up' sets ${props.wantedRpcClientAccessServer} again (which ` +
          "fails while that is the removed object).",
      );
    }
    const outs = outputs(db, {
      wantedRpcClientAccessServer: props.wantedRpcClientAccessServer,
      appliedRpcClientAccessServer: props.appliedRpcClientAccessServer,
      previousRpcClientAccessServer: props.previousRpcClientAccessServer,
      onDelete: props.onDelete,
      connection,
    });
    const inputs = plain({
      database: db.name,
      rpcClientAccessServer: db.rpcClientAccessServer,
      onDelete: props.onDelete,
      connection,
    });
    return { id, props: outs, inputs };
  },

  async update(id: string, olds: MailboxDatabaseRpcSettingOutputs, news: Record<string, unknown>) {
    const inputs = parseChecked(InputsSchema, news, "MailboxDatabaseRpcSetting");
    const { connection } = inputs;
    const db = await getMailboxDatabase(connection, id, { again: true });
    if (db === undefined) {
      throw new ExchangeCasError(
        "gone",
        `Mailbox database '${olds.database}' (${id}) no longer exists in Exchange; ` +
          "run 'pulumi refresh' to drop it from the stack.",
        {
          database: olds.database,
          guid: id,
        },
      );
    }
    refuseRecovery(db);
    const after = await apply(connection, db, inputs.rpcClientAccessServer, inputs.plannedBySite);
    return {
      outs: outputs(after, {
        wantedRpcClientAccessServer: inputs.rpcClientAccessServer,
        appliedRpcClientAccessServer: after.rpcClientAccessServer,
        previousRpcClientAccessServer: olds.previousRpcClientAccessServer,
        onDelete: inputs.onDelete,
        connection,
      }),
    };
  },

  async delete(id: string, props: MailboxDatabaseRpcSettingOutputs) {
    if (props.onDelete === "retain") return;
    const { connection } = props;
    const previous = props.previousRpcClientAccessServer;
    const db = await getMailboxDatabase(connection, id);
    if (db === undefined || !previous || sameName(db.rpcClientAccessServer, previous)) return;
    try {
      await setRpcClientAccessServer(connection, id, previous, db.name);
    } catch (e) {
      // The database was just found, so a not-found is about the previous value: the array or
      // server it named was removed since. It cannot be put back; the value stays, and we say so.
      if (e instanceof PowerShellError && e.isNotFound) {
        const now = dangles(db) ? `empty (${DANGLING})` : db.rpcClientAccessServer;
        warn(
          `Mailbox database '${db.name}': its previous RpcClientAccessServer ${previous} ` +
            "no longer exists (a removed CAS array or server), so it was not restored; " +
            `RpcClientAccessServer stays ${now}: set it to a Client Access server or array ` +
            "of its site.",
        );
        return;
      }
      if (e instanceof PowerShellError) {
        throw new ExchangeCasError(
          "restore-failed",
          `Could not restore RpcClientAccessServer of mailbox database '${db.name}' to its ` +
            `previous value ${previous}: ${e.message} If that server or array is gone, ` +
            `set onDelete: "retain" (and run 'pulumi up') before deleting.`,
          { database: db.name, previous },
          { cause: e },
        );
      }
      throw e;
    }
    warnProfiles(db.name, db.rpcClientAccessServer, previous);
  },
} satisfies ResourceDefinition<MailboxDatabaseRpcSettingOutputs>;
