// Batching onto one session, against the article's lab in real pwsh: concurrent reads of mailbox
// databases become one Get-MailboxDatabase, each answer (and each error) goes to its own
// requester, a read never misses a write that finished before it was requested, and Sets
// requested together share one round trip with one envelope each. Commands are counted by the
// session registry; nothing here asserts on time. Over SSH (SSH_FILES) only what the remote session
// changes runs: the piped read and the errors that cross the wire, Sets in one round trip, a session
// dying under a batch; the queue's and the table read's own logic are local only (localOnly).
import { afterAll, beforeEach, describe, expect } from "vitest";
import {
  getMailboxDatabase,
  mailboxDatabaseBatching,
  newClientAccessArray,
  setRpcClientAccessServer,
  type MailboxDatabase,
} from "../../provider/exchange";
import {
  ConnectionSchema,
  PowerShellError,
  PowerShellSessionError,
  sessions,
  type Connection,
} from "../../provider/shell";
import { labTest } from "../support/fixtures";
import { createLab, type Lab } from "../support/lab";
import { localOnly } from "../support/tiers";

const MB1 = "HO-EX2010-MB1.exchangeserverpro.net";
const MB2 = "HO-EX2010-MB2.exchangeserverpro.net";
const MB_BR_01 = "b7e4d2c1-9f8a-4b3c-a1d2-e3f4a5b6c703";

/**
 * A lab, and so a connection, of the test's own: the batching and table-read state under test
 * lives per connection in this process (perConnection), and a connection shared by the file's
 * tests would carry it from one test to the next. Its sessions are closed after the test.
 */
// eslint-disable-next-line no-empty-pattern -- vitest reads a fixture's dependencies from its first parameter, a destructuring pattern (empty: none)
const it = labTest.extend("own", async ({}, { onCleanup }): Promise<{ lab: Lab; connection: Connection }> => {
  const lab = createLab();
  onCleanup(async () => {
    try {
      await sessions().closeAll();
    } finally {
      lab.remove();
    }
  });
  return { lab, connection: ConnectionSchema.parse(lab.connection) };
});

// What the environment had when the file loaded (before the file's fixture turned the read-ahead
// off): every test starts from it, and its describe sets what it is about.
const saved = { prefetch: process.env.EXCHANGE_CAS_READ_PREFETCH, idle: process.env.EXCHANGE_CAS_TABLE_IDLE_MS };
function restoreEnvironment(): void {
  for (const [name, value] of [
    ["EXCHANGE_CAS_READ_PREFETCH", saved.prefetch],
    ["EXCHANGE_CAS_TABLE_IDLE_MS", saved.idle],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}
beforeEach(restoreEnvironment);
afterAll(restoreEnvironment);

/** The databases read at the same moment, so that their reads can share a command (see the describes). */
function readTogether(connection: Connection, ids: string[]): Promise<(MailboxDatabase | undefined)[]> {
  return Promise.all(ids.map((id) => getMailboxDatabase(connection, id)));
}

/** Commands of each cmdlet run by this process so far. */
function counted(cmdlet: string): number {
  return sessions().stats.commands[cmdlet] ?? 0;
}

async function labValue(lab: Lab, database: string): Promise<string> {
  return (await lab.json<string[]>(`(Get-MailboxDatabase -Identity ${database}).RpcClientAccessServer`))[0] ?? "";
}

/** Changes a database's value in the state file directly, as another admin would (no pwsh, at once). */
function changeBehindTheBack(lab: Lab, database: string, server: "HO-EX2010-MB2"): void {
  lab.edit((json) => {
    const state = json as unknown as {
      servers: { Name: string; Fqdn: string; ExchangeLegacyDN: string }[];
      mailboxDatabases: { Name: string; RpcClientAccessServerLegacyDN: string; RpcClientAccessServerFqdn: string }[];
    };
    const target = state.servers.find((s) => s.Name === server);
    const db = state.mailboxDatabases.find((d) => d.Name === database);
    if (target === undefined || db === undefined) throw new Error("not in the scenario");
    db.RpcClientAccessServerLegacyDN = target.ExchangeLegacyDN;
    db.RpcClientAccessServerFqdn = target.Fqdn;
  });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe("reads, strictly batched (EXCHANGE_CAS_READ_PREFETCH=0)", () => {
  beforeEach(() => {
    process.env.EXCHANGE_CAS_READ_PREFETCH = "0";
  });

  it("turns reads requested together into one Get-MailboxDatabase, each database going to its own requester", async ({
    own: { connection },
  }) => {
    await getMailboxDatabase(connection, "MB-HO-01"); // opens the session
    const before = { gets: counted("Get-MailboxDatabase"), trips: sessions().stats.roundTrips };
    const ids = ["MB-HO-03", "mb-ho-01", MB_BR_01, `{${MB_BR_01.toUpperCase()}}`, "RDB-HO-01", "MB-HO-03"];
    const found = await readTogether(connection, ids);
    expect(found.map((db) => db?.name)).toEqual([
      "MB-HO-03",
      "MB-HO-01",
      "MB-BR-01",
      "MB-BR-01",
      "RDB-HO-01",
      "MB-HO-03",
    ]);
    expect(found[4]).toMatchObject({ recovery: true, server: "HO-EX2010-MB1", rpcClientAccessServer: MB1 });
    expect(counted("Get-MailboxDatabase") - before.gets).toBe(1);
    expect(sessions().stats.roundTrips - before.trips).toBe(1);
  });

  it("gives a database that does not exist 'not found' only for its own request, reading it again on its own", async ({
    own: { connection },
  }) => {
    await getMailboxDatabase(connection, "MB-HO-01");
    const before = counted("Get-MailboxDatabase");
    const found = await readTogether(connection, ["MB-HO-02", "MB-HO-99", "MB-BR-01"]);
    expect(found.map((db) => db?.name)).toEqual(["MB-HO-02", undefined, "MB-BR-01"]);
    // Exchange's not-found names no identity (TargetObject null), so the piped Get cannot say whose
    // it is: the database left without a row is read again with its own command.
    expect(counted("Get-MailboxDatabase") - before).toBe(2);
  });

  // Local only: the same not-found as above, several times (the queue's bookkeeping).
  localOnly(() => {
    it("attributes each miss of a piped read correctly when several databases do not exist", async ({
      own: { connection },
    }) => {
      await getMailboxDatabase(connection, "MB-HO-01");
      const before = counted("Get-MailboxDatabase");
      const ids = ["MB-HO-99", "MB-HO-02", "MB-XX-01", "MB-BR-01", "MB-HO-99"];
      const found = await readTogether(connection, ids);
      expect(found.map((db) => db?.name)).toEqual([undefined, "MB-HO-02", undefined, "MB-BR-01", undefined]);
      // The piped Get, then one Get for each distinct identity left without a row.
      expect(counted("Get-MailboxDatabase") - before).toBe(3);
    });
  });

  it("reads again, one command each, the databases an error naming none of them may belong to", async ({
    own: { lab, connection },
  }) => {
    await getMailboxDatabase(connection, "MB-HO-01");
    // The next Get-MailboxDatabase item meets an AD error whose target is the cmdlet, not a database.
    await lab.pwsh("Add-ExchangeLabFault -Command Get-MailboxDatabase -Kind Error -Times 1 | Out-Null");
    const before = counted("Get-MailboxDatabase");
    const found = await readTogether(connection, ["MB-HO-02", "MB-HO-03", "MB-BR-01"]);
    expect(found.map((db) => db?.name)).toEqual(["MB-HO-02", "MB-HO-03", "MB-BR-01"]);
    // The piped Get, then the one database left without an answer read on its own.
    expect(counted("Get-MailboxDatabase") - before).toBe(2);
  });

  // Local only: the queue's turns in this process.
  localOnly(() => {
    it("answers a read requested while a read runs with the next command, which sees a change made before it", async ({
      own: { lab, connection },
    }) => {
      await getMailboxDatabase(connection, "MB-HO-01");
      await lab.pwsh("Set-ExchangeLabLatency -ExchangeCommandMs 1500 | Out-Null");
      const start = mailboxDatabaseBatching(connection).reads.turns;
      const first = readTogether(connection, ["MB-HO-01", "MB-HO-02"]);
      await until(() => mailboxDatabaseBatching(connection).reads.turns === start + 1);
      // The first command has started. Another admin changes MB-HO-03, then three reads arrive.
      changeBehindTheBack(lab, "MB-HO-03", "HO-EX2010-MB2");
      const second = readTogether(connection, ["MB-HO-03", "MB-HO-03", "MB-BR-01"]);
      expect((await first).map((db) => db?.name)).toEqual(["MB-HO-01", "MB-HO-02"]);
      const later = await second;
      expect(later.map((db) => db?.rpcClientAccessServer)).toEqual([MB2, MB2, "BR-EX2010-MB.exchangeserverpro.net"]);
      expect(mailboxDatabaseBatching(connection).reads.turns).toBe(start + 2);
    });
  });
});

// Local only: the table read is this process's cache, which the transport does not change.
localOnly(() => {
  describe("reads with a table read (the default)", () => {
    beforeEach(() => {
      // The default: the read-ahead on (the file's fixture turns it off for the file).
      delete process.env.EXCHANGE_CAS_READ_PREFETCH;
      // A slow machine must not end the burst between two steps of a test (the pause is tested below).
      process.env.EXCHANGE_CAS_TABLE_IDLE_MS = "600000";
    });

    it("answers several reads at once with one Get-MailboxDatabase of every database, and later reads from it", async ({
      own: { connection },
    }) => {
      await getMailboxDatabase(connection, "MB-HO-01"); // opens the session; one database, one plain Get
      const before = counted("Get-MailboxDatabase");
      const pair = await readTogether(connection, ["MB-HO-02", "MB-HO-03"]);
      expect(pair.map((db) => db?.name)).toEqual(["MB-HO-02", "MB-HO-03"]);
      expect(counted("Get-MailboxDatabase") - before).toBe(1);
      // Databases not read yet in this burst come from the table read, without a command.
      const rest = await readTogether(connection, ["RDB-HO-01", MB_BR_01]);
      expect(rest.map((db) => db?.name)).toEqual(["RDB-HO-01", "MB-BR-01"]);
      expect(counted("Get-MailboxDatabase") - before).toBe(1);
      // A database already answered from it is read fresh.
      expect((await getMailboxDatabase(connection, "MB-HO-02"))?.name).toBe("MB-HO-02");
      expect(counted("Get-MailboxDatabase") - before).toBe(2);
    });

    it("answers the read before a write (again) from the table read that answered the database's check, not after the write", async ({
      own: { connection },
    }) => {
      await readTogether(connection, ["MB-HO-01", "MB-HO-02"]);
      const before = counted("Get-MailboxDatabase");
      // Answered before from this table read: without `again` it is read fresh, with it not.
      expect((await getMailboxDatabase(connection, "MB-HO-01", { again: true }))?.rpcClientAccessServer).toBe(MB1);
      expect(counted("Get-MailboxDatabase") - before).toBe(0);
      // After this process's own write, `again` changes nothing: the write is read back fresh.
      await setRpcClientAccessServer(connection, "MB-HO-01", "HO-EX2010-MB2");
      expect((await getMailboxDatabase(connection, "MB-HO-01", { again: true }))?.rpcClientAccessServer).toBe(MB2);
      expect(counted("Get-MailboxDatabase") - before).toBe(1);
    });

    it("reads every database again, not each one piped, when a quarter of them are asked at once", async ({
      own: { connection },
    }) => {
      await readTogether(connection, ["MB-HO-01", "MB-HO-02"]);
      const before = counted("Get-MailboxDatabase");
      // MB-HO-03 written after that table read: the table read in use cannot answer it.
      await setRpcClientAccessServer(connection, "MB-HO-03", "HO-EX2010-MB2");
      // Two of the lab's five databases, both answered already: one new read of every database...
      const again = await readTogether(connection, ["MB-HO-01", "MB-HO-02"]);
      expect(again.map((db) => db?.name)).toEqual(["MB-HO-01", "MB-HO-02"]);
      expect(counted("Get-MailboxDatabase") - before).toBe(1);
      // ...which started after the write ended, so it answers MB-HO-03 as written, without a command.
      expect((await getMailboxDatabase(connection, "MB-HO-03"))?.rpcClientAccessServer).toBe(MB2);
      expect(counted("Get-MailboxDatabase") - before).toBe(1);
    });

    it("never answers a read after this process's own write from a table read taken before it", async ({
      own: { connection },
    }) => {
      await readTogether(connection, ["MB-HO-01", "MB-HO-02"]);
      const before = counted("Get-MailboxDatabase");
      // MB-HO-03 is in the table read with its old value, and has not been answered from it.
      await setRpcClientAccessServer(connection, "b7e4d2c1-9f8a-4b3c-a1d2-e3f4a5b6c704", "HO-EX2010-MB2", "MB-HO-03");
      const after = await getMailboxDatabase(connection, "MB-HO-03");
      expect(after?.rpcClientAccessServer).toBe(MB2);
      expect(counted("Get-MailboxDatabase") - before).toBe(1);
      // An array write may change how every database reads: the table read is not used after it.
      await newClientAccessArray(connection, {
        name: "cas-headoffice",
        fqdn: "outlook-ho.exchangeserverpro.net",
        site: "HeadOffice",
      });
      expect((await getMailboxDatabase(connection, "RDB-HO-01"))?.name).toBe("RDB-HO-01");
      expect(counted("Get-MailboxDatabase") - before).toBe(2);
    });
  });
});

// Local only (as above).
localOnly(() => {
  describe("a table read's burst", () => {
    beforeEach(() => {
      // The default, with its table read (the file's fixture turns it off for the file).
      delete process.env.EXCHANGE_CAS_READ_PREFETCH;
    });

    it("ends when reads and writes pause: a database read after the pause shows a change made in it", async ({
      own: { lab, connection },
    }) => {
      process.env.EXCHANGE_CAS_TABLE_IDLE_MS = "0";
      await readTogether(connection, ["MB-HO-01", "MB-HO-02"]);
      const before = counted("Get-MailboxDatabase");
      await lab.pwsh("Set-MailboxDatabase -Identity RDB-HO-01 -RpcClientAccessServer HO-EX2010-MB2");
      expect((await getMailboxDatabase(connection, "RDB-HO-01"))?.rpcClientAccessServer).toBe(MB2);
      expect(counted("Get-MailboxDatabase") - before).toBe(1);
    });
  });
});

describe("Sets requested together", () => {
  it("go to pwsh in one round trip, one command and one envelope each: only the bad one fails", async ({
    own: { lab, connection },
  }) => {
    await getMailboxDatabase(connection, "MB-HO-01");
    const before = { sets: counted("Set-MailboxDatabase"), trips: sessions().stats.roundTrips };
    const results = await Promise.allSettled([
      setRpcClientAccessServer(connection, "MB-HO-01", "HO-EX2010-MB2"),
      setRpcClientAccessServer(connection, "MB-HO-02", "lb-vip.exchangeserverpro.net"),
      setRpcClientAccessServer(connection, "MB-HO-03", "HO-EX2010-MB2"),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const error = (results[1] as PromiseRejectedResult).reason as PowerShellError;
    expect(error).toBeInstanceOf(PowerShellError);
    expect(error.message).toBe(
      "Set-MailboxDatabase 'MB-HO-02' failed: The operation couldn't be performed because object 'lb-vip.exchangeserverpro.net' couldn't be found on 'DC01.exchangeserverpro.net'. (ManagementObjectNotFoundException)",
    );
    expect(counted("Set-MailboxDatabase") - before.sets).toBe(3);
    expect(sessions().stats.roundTrips - before.trips).toBe(1);
    expect([await labValue(lab, "MB-HO-01"), await labValue(lab, "MB-HO-02"), await labValue(lab, "MB-HO-03")]).toEqual(
      [MB2, MB1, MB2],
    );
  });

  it("each name itself when the session dies under the batch", async ({ own: { lab, connection } }) => {
    await getMailboxDatabase(connection, "MB-HO-01");
    await lab.pwsh("Add-ExchangeLabFault -Command Set-MailboxDatabase -Kind Exit -Times 1 | Out-Null");
    const results = await Promise.allSettled(
      ["MB-HO-01", "MB-HO-02"].map((db) => setRpcClientAccessServer(connection, db, "HO-EX2010-MB2")),
    );
    const reasons = results.map((r) => (r.status === "rejected" ? (r.reason as Error) : undefined));
    for (const [i, db] of ["MB-HO-01", "MB-HO-02"].entries()) {
      expect(reasons[i]?.message, db).toContain(`Set-MailboxDatabase '${db}'`);
      if (connection.kind === "lab") {
        // The local pwsh died: the batch's one failure, told to each command with its own name.
        expect(reasons[i]).toBeInstanceOf(PowerShellSessionError);
        expect(reasons[i]?.message).toMatch(
          new RegExp(
            `^PowerShell exited while running Set-MailboxDatabase '${db}' \\(one of 2 commands in one batch\\); the next operation starts a new session`,
          ),
        );
      } else {
        // The remote end died: each command's own error from the broken remote session.
        expect(reasons[i]).toBeInstanceOf(PowerShellError);
      }
    }
    // The next command gets a fresh session, and reads the truth.
    expect((await getMailboxDatabase(connection, "MB-HO-01"))?.rpcClientAccessServer).toBe(MB1);
  });
});
