// MailboxDatabaseRpcSettings: the RpcClientAccessServer of several mailbox databases, pointed at one
// value, as ONE resource (CasArraySite's databaseResources: "one"). Each database is handled
// exactly as a MailboxDatabaseRpcSetting handles its own (the same create, read, update and delete,
// the same warnings and errors): this resource only holds them together, so the engine sends one
// Create, one Read or one Diff for all of them instead of one each, and every Set of an apply goes
// to PowerShell in one round trip.
//
// Some databases may fail while others are changed: the error then names each failed database, and
// the state keeps what did happen (the engine's "created, or updated, but failed to initialize",
// ErrorResourceInitFailed), so the next `pulumi up` goes on from there and nothing changed is
// forgotten, a database's previous value above all.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ConnectionSchema } from "../shell";
import { parseChecked, plain } from "./check";
import type { ResourceDefinition } from "./contract";
import { sameName, type DiffRules } from "./diff";
import {
  mailboxDatabaseRpcSetting,
  MailboxDatabaseRpcSettingOutputsSchema,
  type MailboxDatabaseRpcSettingOutputs,
} from "./mailboxDatabaseRpcSetting";
import { ExchangeName, OnDelete, OnDeleteState, RpcClientAccessServerName, PlannedBySite } from "./rules";
import { ExchangeCasError } from "../errors";

const DatabaseList = z
  .array(ExchangeName, { error: "must be a list of mailbox database names or Guids" })
  .min(1, "must name at least one mailbox database")
  .refine((names) => new Set(names.map((n) => n.toLowerCase())).size === names.length, {
    message: "must not name a database twice",
  });

const shape = {
  databases: DatabaseList,
  rpcClientAccessServer: RpcClientAccessServerName,
  onDelete: OnDelete("put each database's previous value back", "leave the values").default("restore"),
  connection: ConnectionSchema,
  /** Set by CasArraySite: its plan already warned of the Outlook profiles, once for all its databases. */
  plannedBySite: PlannedBySite,
};
const InputsSchema = z.object(shape);
export type MailboxDatabaseRpcSettingsInputs = z.infer<typeof InputsSchema>;

/**
 * One database as a MailboxDatabaseRpcSetting keeps it, less what all of them share, plus the name
 * it was declared by.
 */
const EntrySchema = MailboxDatabaseRpcSettingOutputsSchema.omit({ onDelete: true, connection: true }).extend({
  /** The database as declared (a name or a Guid). */
  declared: z.string(),
});
type Entry = z.infer<typeof EntrySchema>;

const OutputsSchema = z.object({
  /** The databases as declared (the input). */
  declaredDatabases: z.array(z.string()),
  /**
   * Each database's setting, in the declared order (not `databases`, the input's name: a preview
   * shows the inputs as outputs).
   */
  settings: z.array(EntrySchema),
  /** The input as given (a name or an FQDN). */
  wantedRpcClientAccessServer: z.string(),
  onDelete: OnDeleteState,
  connection: ConnectionSchema,
});
export type MailboxDatabaseRpcSettingsOutputs = z.infer<typeof OutputsSchema>;

export const mailboxDatabaseRpcSettingsDiffRules: DiffRules<MailboxDatabaseRpcSettingsOutputs> = {
  databases: { compare: "nameSet", state: "declaredDatabases" },
  rpcClientAccessServer: { compare: "name", state: "wantedRpcClientAccessServer" },
  onDelete: { compare: "value", default: "restore" },
  connection: { compare: "value" },
  plannedBySite: { compare: "ignored" },
};

const single = mailboxDatabaseRpcSetting;
const KIND = "MailboxDatabaseRpcSettings";

function lower(name: string): string {
  return name.toLowerCase();
}

/** A database's entry as the MailboxDatabaseRpcSetting of it would keep it in state. */
function asSingle(
  entry: Entry,
  shared: Pick<MailboxDatabaseRpcSettingsOutputs, "onDelete" | "connection">,
): MailboxDatabaseRpcSettingOutputs {
  return {
    database: entry.database,
    guid: entry.guid,
    server: entry.server,
    recovery: entry.recovery,
    rpcClientAccessServer: entry.rpcClientAccessServer,
    wantedRpcClientAccessServer: entry.wantedRpcClientAccessServer,
    appliedRpcClientAccessServer: entry.appliedRpcClientAccessServer,
    previousRpcClientAccessServer: entry.previousRpcClientAccessServer,
    ...shared,
  };
}

function asEntry(declared: string, outs: MailboxDatabaseRpcSettingOutputs): Entry {
  return {
    declared,
    database: outs.database,
    guid: outs.guid,
    server: outs.server,
    recovery: outs.recovery,
    rpcClientAccessServer: outs.rpcClientAccessServer,
    wantedRpcClientAccessServer: outs.wantedRpcClientAccessServer,
    appliedRpcClientAccessServer: outs.appliedRpcClientAccessServer,
    previousRpcClientAccessServer: outs.previousRpcClientAccessServer,
  };
}

/** Whether an entry is as declared now: set to the declared value, and still showing what that applied. */
function current(entry: Entry, wanted: string): boolean {
  return (
    sameName(entry.wantedRpcClientAccessServer, wanted) &&
    sameName(entry.rpcClientAccessServer, entry.appliedRpcClientAccessServer)
  );
}

/**
 * What is still to do in state itself: a database that shows another value than was applied
 * (drift) or was not set to the declared value (an update that failed for it), a declared database
 * without an entry (its create failed), an entry no longer declared (its release failed).
 */
function drifted(olds: MailboxDatabaseRpcSettingsOutputs): boolean {
  const held = new Set(olds.settings.map((d) => lower(d.declared)));
  const declared = new Set(olds.declaredDatabases.map(lower));
  return (
    olds.settings.some((d) => !current(d, olds.wantedRpcClientAccessServer) || !declared.has(lower(d.declared))) ||
    olds.declaredDatabases.some((d) => !held.has(lower(d)))
  );
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\.?\s*$/, "");
}

/**
 * The error of an operation on several databases of which some failed: every failure named, and,
 * when something was changed, the state to keep (the engine stores `properties` for `id`).
 */
function partialFailure(
  action: "Pointing" | "Restoring",
  failures: { database: string; error: unknown }[],
  done: number,
  id?: string,
  outs?: MailboxDatabaseRpcSettingsOutputs,
): Error {
  const total = failures.length + done;
  const each = failures.map((f) => `'${f.database}': ${message(f.error)}`).join("; ");
  const others = `the other ${done} ${done === 1 ? "was" : "were"}`;
  const kept = `${others} done and ${done === 1 ? "is" : "are"} kept in the stack`;
  const outcome =
    action === "Pointing"
      ? `${done === 0 ? "nothing was changed" : kept}. ` + "Fix what the errors say and run 'pulumi up' again"
      : `${done === 0 ? "nothing was put back" : `${others} put back`}. ` +
        "Fix what the errors say and destroy again (what was put back is left as it is), " +
        `or set onDelete: "retain" (and run 'pulumi up') to leave the values`;
  const error = new ExchangeCasError(
    "partly-failed",
    `${action} ${failures.length} of ${total} mailbox database${total === 1 ? "" : "s"} failed (${each}); ${outcome}.`,
    { failed: failures.map((f) => f.database), done },
    { cause: failures[0]?.error },
  );
  if (id === undefined || outs === undefined) return error;
  return Object.assign(error, {
    id,
    properties: plain(outs),
    reasons: failures.map((f) => `${f.database}: ${message(f.error)}`),
  });
}

export const mailboxDatabaseRpcSettings = {
  kind: KIND,
  inputs: shape,
  outputs: OutputsSchema,
  diffRules: mailboxDatabaseRpcSettingsDiffRules,
  drift: drifted,

  async create(raw: Record<string, unknown>) {
    const inputs = parseChecked(InputsSchema, raw, KIND);
    const { connection, onDelete, rpcClientAccessServer, plannedBySite } = inputs;
    const results = await Promise.allSettled(
      inputs.databases.map((database) =>
        single.create({ database, rpcClientAccessServer, onDelete, connection, plannedBySite }),
      ),
    );
    const entries: Entry[] = [];
    const failures: { database: string; error: unknown }[] = [];
    results.forEach((r, i) => {
      const declared = inputs.databases[i] as string;
      if (r.status === "fulfilled") entries.push(asEntry(declared, r.value.outs));
      else failures.push({ database: declared, error: r.reason });
    });
    const id = randomUUID();
    const outs = plain({
      declaredDatabases: inputs.databases,
      settings: entries,
      wantedRpcClientAccessServer: rpcClientAccessServer,
      onDelete,
      connection,
    });
    if (failures.length > 0)
      throw partialFailure("Pointing", failures, entries.length, entries.length > 0 ? id : undefined, outs);
    return { id, outs };
  },

  async read(id: string, props: MailboxDatabaseRpcSettingsOutputs) {
    const shared = { onDelete: props.onDelete, connection: props.connection };
    const results = await Promise.all(props.settings.map((entry) => single.read(entry.guid, asSingle(entry, shared))));
    // A database read as gone leaves the set (as a MailboxDatabaseRpcSetting of it would leave the
    // stack); the declaration still names it, so the next 'pulumi up' says it does not exist.
    const entries: Entry[] = [];
    results.forEach((r, i) => {
      const entry = props.settings[i] as Entry;
      if (r.id !== "" && r.props !== undefined) entries.push(asEntry(entry.declared, r.props));
    });
    const outs = plain({ ...props, settings: entries });
    const inputs = plain({
      databases: props.declaredDatabases,
      rpcClientAccessServer: props.wantedRpcClientAccessServer,
      onDelete: props.onDelete,
      connection: props.connection,
    });
    return { id, props: outs, inputs };
  },

  async update(id: string, olds: MailboxDatabaseRpcSettingsOutputs, news: Record<string, unknown>) {
    const inputs = parseChecked(InputsSchema, news, KIND);
    const { connection, onDelete, rpcClientAccessServer, plannedBySite } = inputs;
    const oldShared = { onDelete: olds.onDelete, connection: olds.connection };
    const held = new Map(olds.settings.map((e) => [lower(e.declared), e]));
    const declared = new Set(inputs.databases.map(lower));
    const failures: { database: string; error: unknown }[] = [];
    let done = 0;
    // Each declared database: set when new, when the value changed or when it drifted; else kept.
    const kept = await Promise.all(
      inputs.databases.map(async (database): Promise<Entry | undefined> => {
        const entry = held.get(lower(database));
        const args = { database, rpcClientAccessServer, onDelete, connection, plannedBySite };
        try {
          if (entry === undefined) {
            const created = asEntry(database, (await single.create(args)).outs);
            done++;
            return created;
          }
          if (current(entry, rpcClientAccessServer)) return entry;
          const updated = asEntry(database, (await single.update(entry.guid, asSingle(entry, oldShared), args)).outs);
          done++;
          return updated;
        } catch (error) {
          failures.push({ database, error });
          // Not changed: what state held stays (a new database stays out of it).
          return entry;
        }
      }),
    );
    // A database no longer declared is released as its own setting would be on delete.
    const released = await Promise.all(
      olds.settings
        .filter((e) => !declared.has(lower(e.declared)))
        .map(async (entry): Promise<Entry | undefined> => {
          try {
            await single.delete(entry.guid, asSingle(entry, oldShared));
            done++;
            return undefined;
          } catch (error) {
            failures.push({ database: entry.declared, error });
            return entry;
          }
        }),
    );
    const entries = [...kept, ...released].filter((e): e is Entry => e !== undefined);
    const outs = plain({
      declaredDatabases: inputs.databases,
      settings: entries,
      wantedRpcClientAccessServer: rpcClientAccessServer,
      onDelete,
      connection,
    });
    // What did change is kept; what did not is still to do, and the next diff sees it (drifted).
    if (failures.length > 0) throw partialFailure("Pointing", failures, done, done > 0 ? id : undefined, outs);
    return { outs };
  },

  async delete(_id: string, props: MailboxDatabaseRpcSettingsOutputs) {
    if (props.onDelete === "retain") return;
    const shared = { onDelete: props.onDelete, connection: props.connection };
    const results = await Promise.allSettled(
      props.settings.map((entry) => single.delete(entry.guid, asSingle(entry, shared))),
    );
    const failures = results.flatMap((r, i) =>
      r.status === "rejected" ? [{ database: (props.settings[i] as Entry).declared, error: r.reason as unknown }] : [],
    );
    // Deleting again puts back only what is still to put back (a database already restored is left).
    if (failures.length > 0) throw partialFailure("Restoring", failures, results.length - failures.length);
  },
} satisfies ResourceDefinition<MailboxDatabaseRpcSettingsOutputs>;
