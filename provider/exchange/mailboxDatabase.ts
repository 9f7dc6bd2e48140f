// Typed client for Get-MailboxDatabase and Set-MailboxDatabase -RpcClientAccessServer (Exchange
// 2010). Exchange stores the value as the referenced server's or array's legacyExchangeDN and
// renders it as that object's current FQDN, whatever name was passed in.
//
// A site has hundreds of databases and the engine asks about them one resource at a time, so
// reads and writes are batched per connection (shell/batcher.ts, shell/tableSnapshot.ts):
// - reads requested together become ONE Get-MailboxDatabase: the identities piped into it (one
//   remote pipeline, one round trip), or, when several arrive at once and no table read is in
//   use (or they are a quarter of the databases or more), one Get-MailboxDatabase of every
//   database, kept as a TableSnapshot for the operation's later reads (never for a database this
//   process wrote since; never twice for one database, except the read right before this
//   process writes it, its create's after its check's: ReadOptions.again);
// - Sets requested together go to pwsh in one line, each its own command with its own envelope,
//   so each database's error is its own.
// EXCHANGE_CAS_READ_PREFETCH=0 turns the table read off: then every read is answered by a
// command that started after it was requested. EXCHANGE_CAS_TABLE_IDLE_MS tunes when a burst ends.
import { setting } from "../settings";
import { z } from "zod";
import { Batcher, type BatchPlan, type Outcome } from "../shell/batcher";
import { perConnection } from "../shell/processGlobal";
import { TableSnapshot, type TakeOptions } from "../shell/tableSnapshot";
import { batchMemberError, noEnvelopeError } from "../shell/errors";
import {
  parseRows,
  PowerShellError,
  psQuote,
  query,
  sessions,
  stringList,
  type CommandSpec,
  type Connection,
  type Envelope,
  type PsErrorRecord,
} from "../shell";
import { leafName } from "./rows";
import { ExchangeCasError } from "../errors";

// Server is the ACTIVE copy's host (Active Manager rewrites it on every mount or move, possibly
// into another AD site); Servers lists every server with a copy; ActivationPreference numbers the
// copies, 1 being the one Active Manager prefers: the database's home (DOMAIN.md §1.10).
const SELECT = [
  "Name",
  "Guid",
  "Server",
  "Servers",
  "ActivationPreference",
  "RpcClientAccessServer",
  "Recovery",
  "ExchangeLegacyDN",
  "DistinguishedName",
] as const;

function copyServers(active: string, listed: string[]): string[] {
  return listed.some((n) => n.toLowerCase() === active.toLowerCase()) ? listed : [active, ...listed];
}

/**
 * ActivationPreference as a remote session delivers it: each [server, number] pair as its text,
 * "[SYDEX2, 1]" (a KeyValuePair's), the server possibly as a path; or, read locally, as Key and
 * Value. Entries that are neither are skipped.
 */
const PreferenceEntry = z.union([
  z.string().transform((text) => {
    const m = /^\[(.+),\s*(\d+)\]$/.exec(text.trim());
    return m === null ? undefined : { server: leafName((m[1] ?? "").trim()), preference: Number(m[2]) };
  }),
  z.object({ Key: z.union([z.string(), z.object({ Name: z.string() })]), Value: z.number().int() }).transform((kv) => ({
    server: leafName(typeof kv.Key === "string" ? kv.Key : kv.Key.Name),
    preference: kv.Value,
  })),
]);
const ActivationPreference = z
  .union([z.array(PreferenceEntry), PreferenceEntry])
  .nullable()
  .transform((v) =>
    (v === null ? [] : Array.isArray(v) ? v : [v])
      .filter((e): e is { server: string; preference: number } => e !== undefined)
      .sort((a, b) => a.preference - b.preference),
  );

/** The server of the preferred copy (the lowest ActivationPreference, 1), else the active one. */
export function homeServer(db: {
  server: string;
  activationPreference: { server: string; preference: number }[];
}): string {
  return db.activationPreference[0]?.server ?? db.server;
}

const MailboxDatabaseRow = z
  .object({
    Name: z.string(),
    Guid: z.string(),
    Server: z.string(),
    Servers: stringList.optional(),
    ActivationPreference: ActivationPreference.optional(),
    RpcClientAccessServer: z.string().nullable(),
    Recovery: z.boolean().nullable(),
    ExchangeLegacyDN: z.string().nullable(),
    DistinguishedName: z.string().nullable().optional(),
  })
  .transform((r) => ({
    name: r.Name,
    guid: r.Guid,
    server: leafName(r.Server),
    /** Every server with a copy, the active one included (a database without copies: its server). */
    servers: copyServers(leafName(r.Server), (r.Servers ?? []).map(leafName)),
    /** Each copy's ActivationPreference, lowest (preferred) first; empty when Exchange gave none. */
    activationPreference: r.ActivationPreference ?? [],
    rpcClientAccessServer: r.RpcClientAccessServer ?? "",
    recovery: r.Recovery ?? false,
    exchangeLegacyDn: r.ExchangeLegacyDN ?? "",
    distinguishedName: r.DistinguishedName ?? "",
  }));

export type MailboxDatabase = z.output<typeof MailboxDatabaseRow>;

/** Get-MailboxDatabase's rows as the wrapper printed them (the selected properties). */
export function parseMailboxDatabaseRows(data: unknown[]): MailboxDatabase[] {
  return parseRows("Get-MailboxDatabase", data, MailboxDatabaseRow);
}

/**
 * A table read answers later reads for at most this long, and only while reads or writes of
 * databases go on with no pause longer than EXCHANGE_CAS_TABLE_IDLE_MS (default 250 ms).
 */
const TABLE_MAX_AGE_MS = 60_000;

/** Reads of at least 1/WHOLE_TABLE_SHARE of the databases at once read them all (wholeTableCheaper). */
const WHOLE_TABLE_SHARE = 4;

function tableIdleMs(): number {
  return setting("EXCHANGE_CAS_TABLE_IDLE_MS");
}

function prefetchEnabled(): boolean {
  return setting("EXCHANGE_CAS_READ_PREFETCH");
}

/** An identity as Exchange compares it: case-insensitive; a Guid with or without braces. */
function normalizeIdentity(identity: string): string {
  const id = identity.trim().toLowerCase();
  const guid = /^\{([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}$/.exec(id);
  return guid ? (guid[1] as string) : id;
}

/** The identities a database answers to: name, Guid, DN, legacyExchangeDN. */
function aliases(db: MailboxDatabase): string[] {
  return [db.name, db.guid, db.distinguishedName, db.exchangeLegacyDn].filter((a) => a !== "").map(normalizeIdentity);
}

const GET = "Get-MailboxDatabase";

function found(rows: MailboxDatabase[]): Outcome<MailboxDatabase[]> {
  return { ok: true, value: rows };
}

/** What one identity's Get reported: its rows, or not found, or its own error. */
function outcomeOf(identity: string, rows: MailboxDatabase[], errors: PsErrorRecord[]): Outcome<MailboxDatabase[]> {
  if (errors.length === 0) return found(rows);
  const error = new PowerShellError(GET, identity, errors);
  return error.isNotFound ? found([]) : { ok: false, error };
}

function getOne(identity: string): CommandSpec {
  return {
    cmdlet: GET,
    target: identity,
    script: `Get-MailboxDatabase -Identity ${psQuote(identity)}`,
    select: SELECT,
  };
}

class DatabaseClient {
  readonly table = new TableSnapshot<MailboxDatabase>({
    aliases,
    normalize: normalizeIdentity,
    maxAgeMs: TABLE_MAX_AGE_MS,
    idleMs: tableIdleMs(),
  });
  readonly reads: Batcher<string, MailboxDatabase[]>;
  readonly sets: Batcher<{ identity: string; value: string; label: string }, void>;

  constructor(private readonly connection: Connection) {
    // Reads go first: a turn of reads unblocks every request in it, and a table read many more.
    this.reads = new Batcher(connection, (ids) => this.planRead(ids), normalizeIdentity, true);
    this.sets = new Batcher(connection, (requests) => this.planSet(requests));
  }

  /** Every database matching `identity` (several only for a duplicated name); [] when none. */
  async get(identity: string, options: ReadOptions = {}): Promise<MailboxDatabase[]> {
    const leave = this.table.enter();
    try {
      if (prefetchEnabled()) {
        const rows = await this.table.take(identity, options);
        if (rows !== undefined) return rows;
      }
      return await this.reads.load(identity);
    } finally {
      leave();
    }
  }

  private planRead(ids: string[]): BatchPlan<MailboxDatabase[]> {
    if (ids.length >= 2 && prefetchEnabled() && (this.table.wanted || this.wholeTableCheaper(ids.length)))
      return this.planTableRead(ids);
    return this.planTargeted(ids);
  }

  /**
   * Whether reading every database again costs less than piping `count` identities into one Get:
   * Exchange looks each piped identity up on its own, where one read of every database is one
   * search, so past a quarter of the table (the read-back of a whole site's Sets, databases as one
   * resource) the new table read is the cheaper one. It starts after the reads were requested, as a
   * piped Get would, so it answers them fresh (a read-back sees its Set).
   */
  private wholeTableCheaper(count: number): boolean {
    const size = this.table.size;
    return size !== undefined && count * WHOLE_TABLE_SHARE >= size;
  }

  /**
   * Several asked at once, and no table read in use or a quarter of the databases or more asked:
   * read every database, keep it for the burst.
   */
  private planTableRead(ids: string[]): BatchPlan<MailboxDatabase[]> {
    const table = this.table.begin();
    let settled = false;
    return {
      commands: [{ cmdlet: GET, target: "", script: "Get-MailboxDatabase", select: SELECT }],
      settle: async ([envelope]) => {
        try {
          if (envelope === undefined || !envelope.ok) {
            table.fail();
            settled = true;
            return await this.readEach(ids);
          }
          const rows = parseRows(GET, envelope.data, MailboxDatabaseRow);
          table.fill(rows);
          settled = true;
          // These reads were requested before the table read started: it answers them fresh.
          const answers = ids.map((id) => table.claim(id));
          const missing = ids.filter((_, i) => answers[i] === undefined);
          const again = missing.length > 0 ? await this.readEach(missing) : [];
          let next = 0;
          return answers.map((rows) =>
            rows !== undefined ? found(rows) : (again[next++] as Outcome<MailboxDatabase[]>),
          );
        } finally {
          if (!settled) table.fail();
        }
      },
      failed: (error) => {
        table.fail();
        return error;
      },
    };
  }

  /** The identities piped into one Get-MailboxDatabase (one remote pipeline). */
  private planTargeted(ids: string[]): BatchPlan<MailboxDatabase[]> {
    if (ids.length === 1) {
      const id = ids[0] as string;
      return {
        commands: [getOne(id)],
        settle: ([envelope]) => [this.single(id, envelope)],
      };
    }
    // A string that also has an Identity property binds by value (Exchange's Identity takes
    // pipeline input) and by property name alike.
    const script =
      `@(${ids.map(psQuote).join(",")}) | ForEach-Object { Add-Member -InputObject $_ ` +
      "-NotePropertyName Identity -NotePropertyValue $_ -PassThru } | " +
      "Get-MailboxDatabase";
    return {
      commands: [{ cmdlet: GET, target: `${ids.length} databases`, script, select: SELECT }],
      settle: async ([envelope]) => this.attribute(ids, envelope),
    };
  }

  private single(id: string, envelope: Envelope | undefined): Outcome<MailboxDatabase[]> {
    if (envelope === undefined) return { ok: false, error: noEnvelopeError() };
    try {
      return outcomeOf(id, parseRows(GET, envelope.data, MailboxDatabaseRow), envelope.errors);
    } catch (error) {
      return { ok: false, error };
    }
  }

  /**
   * Gives each identity of a piped Get the rows that answer to it and the errors that name it
   * (TargetObject). Identities left with neither, when some error names no identity, are read
   * again one command each (reads are safe to repeat), so no error goes to the wrong database.
   */
  private async attribute(ids: string[], envelope: Envelope | undefined): Promise<Outcome<MailboxDatabase[]>[]> {
    if (envelope === undefined) return ids.map(() => ({ ok: false, error: noEnvelopeError() }));
    let rows: MailboxDatabase[];
    try {
      rows = parseRows(GET, envelope.data, MailboxDatabaseRow);
    } catch {
      return this.readEach(ids);
    }
    const slot = new Map(ids.map((id, i) => [normalizeIdentity(id), i]));
    const rowsOf = ids.map((): MailboxDatabase[] => []);
    const errorsOf = ids.map((): PsErrorRecord[] => []);
    let unattributed = 0;
    for (const row of rows) {
      let matched = false;
      for (const alias of new Set(aliases(row))) {
        const i = slot.get(alias);
        if (i !== undefined && !rowsOf[i]?.includes(row)) {
          rowsOf[i]?.push(row);
          matched = true;
        }
      }
      if (!matched) unattributed++;
    }
    for (const error of envelope.errors) {
      const i = slot.get(normalizeIdentity(error.target));
      if (i === undefined) unattributed++;
      else errorsOf[i]?.push(error);
    }
    const answered = ids.map((_, i) => (rowsOf[i]?.length ?? 0) > 0 || (errorsOf[i]?.length ?? 0) > 0);
    const unresolved = ids.filter((_, i) => !answered[i]);
    const again = unattributed > 0 && unresolved.length > 0 ? await this.readEach(unresolved) : [];
    let next = 0;
    return ids.map((id, i) =>
      !answered[i] && again.length > 0
        ? (again[next++] as Outcome<MailboxDatabase[]>)
        : outcomeOf(id, rowsOf[i] ?? [], errorsOf[i] ?? []),
    );
  }

  /** Reads each identity with its own command (one round trip, one envelope each). */
  private async readEach(ids: string[]): Promise<Outcome<MailboxDatabase[]>[]> {
    const commands = ids.map(getOne);
    try {
      const envelopes = await sessions().runBatch(this.connection, () => commands);
      return ids.map((id, i) => this.single(id, envelopes[i]));
    } catch (error) {
      return ids.map((_, i) => ({ ok: false, error: batchMemberError(error, commands, i) }));
    }
  }

  private planSet(requests: { identity: string; value: string; label: string }[]): BatchPlan<void> {
    const commands: CommandSpec[] = requests.map((r) => ({
      cmdlet: "Set-MailboxDatabase",
      target: r.label,
      script: `Set-MailboxDatabase -Identity ${psQuote(r.identity)} -RpcClientAccessServer ${psQuote(r.value)}`,
    }));
    return {
      commands,
      settle: (envelopes) =>
        requests.map((r, i): Outcome<void> => {
          const envelope = envelopes[i];
          if (envelope === undefined) return { ok: false, error: noEnvelopeError() };
          return envelope.ok
            ? { ok: true, value: undefined }
            : { ok: false, error: new PowerShellError("Set-MailboxDatabase", r.label, envelope.errors) };
        }),
      failed: (error, i) => batchMemberError(error, commands, i),
    };
  }
}

function client(connection: Connection): DatabaseClient {
  return perConnection("mailbox-databases", connection, () => new DatabaseClient(connection));
}

/**
 * How a read may be answered. `again`: the read that comes right before this process writes the
 * database (a create or update after its check read it) may be answered from the table read even
 * when that table read answered the database before in this burst (its check), within the table
 * read's other bounds (never after this process's own write of it, at most 60 s old, the burst not
 * over). The write is read back with a command that starts after it.
 */
export type ReadOptions = TakeOptions;

/**
 * The database with this identity (name, Guid or DN), or undefined when Exchange does not find
 * it. Exchange returns every database of a duplicated name; that is an error here.
 */
export async function getMailboxDatabase(
  connection: Connection,
  identity: string,
  options: ReadOptions = {},
): Promise<MailboxDatabase | undefined> {
  const rows = await client(connection).get(identity, options);
  if (rows.length > 1) {
    throw new ExchangeCasError(
      "ambiguous",
      `More than one mailbox database matches '${identity}' ` +
        `(${rows.map((r) => r.guid).join(", ")}); name the database by its Guid.`,
      {
        identity,
        guids: rows.map((r) => r.guid),
      },
    );
  }
  return rows[0];
}

/** Every mailbox database, or those of one server. */
export async function listMailboxDatabases(connection: Connection, server?: string): Promise<MailboxDatabase[]> {
  const script = server === undefined ? "Get-MailboxDatabase" : `Get-MailboxDatabase -Server ${psQuote(server)}`;
  return query(
    connection,
    { cmdlet: "Get-MailboxDatabase", target: server ?? "", script, select: SELECT },
    MailboxDatabaseRow,
  );
}

/**
 * Points the database's RPC Client Access endpoint at a Client Access server or CAS array.
 * Exchange refuses a name that resolves to neither (a PowerShellError naming `label`).
 */
export async function setRpcClientAccessServer(
  connection: Connection,
  identity: string,
  value: string,
  label: string = identity,
): Promise<void> {
  const databases = client(connection);
  const ended = databases.table.beginWrite(identity);
  try {
    await databases.sets.load({ identity, value, label });
  } finally {
    ended();
  }
}

/**
 * A write is starting that may change how databases read (a CAS array renamed or removed changes
 * the RpcClientAccessServer they show): no table read taken before it ends answers a later read.
 * Call the returned function when the write has ended.
 */
export function beginDatabaseRenderingChange(connection: Connection): () => void {
  return client(connection).table.beginWrite("*");
}

/** Batching counters of this process for `connection`, for tests. */
export function mailboxDatabaseBatching(connection: Connection): {
  reads: { turns: number; requests: number };
  sets: { turns: number; requests: number };
} {
  const c = client(connection);
  return { reads: { ...c.reads.counts }, sets: { ...c.sets.counts } };
}
