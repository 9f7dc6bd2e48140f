// Counting mailboxes per database (countMailboxesByDatabase) against the lab in real pwsh, locally
// or over the SSH endpoint (EXCHANGE_CAS_TEST_REMOTE=ssh): the article's counts, 1,500 mailboxes
// counted in full (Exchange stops at 1000 unless told -ResultSize Unlimited), one command for all
// servers, and a truncated answer refused rather than shown as a count. Commands are counted by
// the session registry. Over SSH, the tests that send nothing over it, or reach a local lab
// whatever the tier, are not collected (localOnly).
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect } from "vitest";
import { countMailboxesByDatabase, countMailboxesScript, mailboxCounts } from "../../provider/exchange";
import { ConnectionSchema, PowerShellError, psQuote, sessions } from "../../provider/shell";
import { labTest as it } from "../support/fixtures";
import { localOnly } from "../support/tiers";
import { LAB_MODULE, SCENARIO, type Lab } from "../support/lab";

const HEAD_OFFICE = ["HO-EX2010-MB1", "HO-EX2010-MB2"];
const ALL_SERVERS = [...HEAD_OFFICE, "BR-EX2010-MB"];

interface State {
  servers: { Name: string; Site: string }[];
  mailboxDatabases: { Name: string; Guid: string; Server: string; Recovery: boolean }[];
  mailboxes: { Name: string; Alias: string; Database: string; Guid: string }[];
}

const readState = (file: string): State => JSON.parse(fs.readFileSync(file, "utf8")) as State;

/** Replaces the lab's mailboxes with `count` generated ones, spread over its non-recovery databases. */
function seedMailboxes(lab: Lab, count: number): void {
  lab.edit((json) => {
    const state = json as unknown as State;
    const databases = state.mailboxDatabases.filter((d) => !d.Recovery);
    state.mailboxes = Array.from({ length: count }, (_, i) => {
      const n = String(i + 1).padStart(4, "0");
      const db = databases[i % databases.length];
      if (db === undefined) throw new Error("the scenario has no mailbox database");
      return {
        Name: `User ${n}`,
        Alias: `User.${n}`,
        Database: db.Guid,
        Guid: `e0000000-0000-4000-8000-${(i + 1).toString(16).padStart(12, "0")}`,
      };
    });
  });
}

/** The scenario's own answer: mailboxes per database (lower-case name) of the databases on `servers`. */
function expectedCounts(servers: readonly string[]): Map<string, number> {
  const state = readState(SCENARIO);
  const expected = new Map<string, number>();
  for (const m of state.mailboxes) {
    const db = state.mailboxDatabases.find((d) => d.Guid === m.Database);
    if (db === undefined || !servers.includes(db.Server)) continue;
    const key = db.Name.toLowerCase();
    expected.set(key, (expected.get(key) ?? 0) + 1);
  }
  return expected;
}

function counted(cmdlet: string): number {
  return sessions().stats.commands[cmdlet] ?? 0;
}

const sorted = (counts: Map<string, number>): [string, number][] =>
  [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));

describe("countMailboxesByDatabase", () => {
  it("counts the article's HeadOffice mailboxes per database, as the scenario holds them, in one command", async ({
    connection,
  }) => {
    const before = { gets: counted("Get-Mailbox"), trips: sessions().stats.roundTrips };
    const counts = await countMailboxesByDatabase(connection, HEAD_OFFICE);
    expect(sorted(counts)).toEqual([
      ["mb-ho-01", 3],
      ["mb-ho-02", 2],
      ["mb-ho-03", 1],
    ]);
    expect(sorted(counts)).toEqual(sorted(expectedCounts(HEAD_OFFICE)));
    expect(counts.has("rdb-ho-01")).toBe(false);
    expect(counted("Get-Mailbox") - before.gets).toBe(1);
    expect(sessions().stats.roundTrips - before.trips).toBe(1);
  });

  it("counts all of 1,500 mailboxes (1,125 on one server), never only the first 1000, in one command", async ({
    lab,
    connection,
  }) => {
    seedMailboxes(lab, 1500);
    const before = { gets: counted("Get-Mailbox"), trips: sessions().stats.roundTrips };
    const counts = await countMailboxesByDatabase(connection, ALL_SERVERS);
    expect(sorted(counts)).toEqual([
      ["mb-br-01", 375],
      ["mb-ho-01", 375],
      ["mb-ho-02", 375],
      ["mb-ho-03", 375],
    ]);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(1500);
    expect(counted("Get-Mailbox") - before.gets).toBe(1);
    expect(sessions().stats.roundTrips - before.trips).toBe(1);
  });

  // Local only: which servers are asked for is decided here, before anything crosses the wire.
  localOnly(() => {
    it("counts a server named twice once", async ({ connection }) => {
      const counts = await countMailboxesByDatabase(connection, ["HO-EX2010-MB1", "ho-ex2010-mb1", "BR-EX2010-MB"]);
      expect(sorted(counts)).toEqual([
        ["mb-br-01", 2],
        ["mb-ho-01", 3],
        ["mb-ho-02", 2],
        ["mb-ho-03", 1],
      ]);
    });
  });

  // Local only (as above): nothing is sent.
  localOnly(() => {
    it("runs nothing for no servers", async ({ connection }) => {
      const before = { gets: counted("Get-Mailbox"), trips: sessions().stats.roundTrips };
      expect((await countMailboxesByDatabase(connection, [])).size).toBe(0);
      expect(counted("Get-Mailbox") - before.gets).toBe(0);
      expect(sessions().stats.roundTrips - before.trips).toBe(0);
    });
  });

  it("fails with Exchange's error, and no partial count, when a server does not exist", async ({ connection }) => {
    const failure = await countMailboxesByDatabase(connection, ["HO-EX2010-MB1", "HO-EX2010-MB9"]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(PowerShellError);
    expect((failure as PowerShellError).shortMessage).toBe(
      "The operation couldn't be performed because object 'HO-EX2010-MB9' couldn't be found on 'DC01.exchangeserverpro.net'.",
    );
  });

  it("quotes server names: a quote in a name reaches Get-Mailbox as part of the name", async ({ connection }) => {
    expect(countMailboxesScript(["HO-EX2010-MB1", "x'; Remove-Item /; '"])).toContain(psQuote("x'; Remove-Item /; '"));
    const failure = await countMailboxesByDatabase(connection, [
      "x'; Set-ExchangeLabLatency -ExchangeCommandMs 1; '",
    ]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(PowerShellError);
    expect((failure as PowerShellError).shortMessage).toContain(
      "'x'; Set-ExchangeLabLatency -ExchangeCommandMs 1; '' couldn't be found",
    );
  });
});

describe("countMailboxesByDatabase against an Exchange that truncates anyway", () => {
  it("sees Exchange's truncation warning over this run's connection (local or SSH) and refuses the count", async ({
    lab,
    connection,
  }) => {
    seedMailboxes(lab, 1500);
    // The client's own script without -ResultSize Unlimited: Exchange's default 1000 and its warning.
    const script = countMailboxesScript(["BR-EX2010-MB", "HO-EX2010-MB1"]).replaceAll(" -ResultSize Unlimited", "");
    expect(script).not.toContain("ResultSize");
    const envelope = await sessions().run(connection, {
      cmdlet: "Get-Mailbox",
      target: "",
      script,
      select: ["Name", "Count"],
    });
    expect(envelope.errors).toEqual([]);
    expect(envelope.warnings).toContain(
      'By default, only the first 1000 items are returned. Use the ResultSize parameter to specify the number of items returned. To return all items, specify "-ResultSize Unlimited". Be aware that, depending upon the actual number of items, returning all items can take a long time and consume a large amount of memory. Also, we don\'t recommend storing the results in a variable. Instead, pipe the results to another task or script to perform batch changes.',
    );
    expect(() => mailboxCounts("BR-EX2010-MB, HO-EX2010-MB1", envelope)).toThrow(
      /^Get-Mailbox 'BR-EX2010-MB, HO-EX2010-MB1' returned only part of the mailboxes, so they cannot be counted \(Exchange warned: By default, only the first 1000 items/,
    );
  });

  // Local only (localOnly): its connection is a local lab whatever the tier, so over SSH it
  // proved nothing more.
  localOnly(() => {
    // A stand-in module whose Get-Mailbox drops -ResultSize (as if Exchange ignored it): the lab's
    // default 1000 and its warning come back. Local only: it replaces the lab module itself.
    it("refuses to count when Exchange warns that it returned only the first 1000", async ({ lab }) => {
      seedMailboxes(lab, 1500);
      const stand = path.join(lab.dir, "Truncating.psm1");
      fs.writeFileSync(
        stand,
        [
          `Import-Module ${psQuote(LAB_MODULE)} -DisableNameChecking`,
          "function Get-Mailbox { [CmdletBinding()] param([string]$Server, [object]$ResultSize) ExchangeLab\\Get-Mailbox -Server $Server }",
          "Export-ModuleMember -Function Get-Mailbox",
          "",
        ].join("\n"),
      );
      const truncating = ConnectionSchema.parse({ kind: "lab", statePath: lab.statePath, modulePath: stand });
      const failure = await countMailboxesByDatabase(truncating, ["HO-EX2010-MB1"]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(
        /^Get-Mailbox 'HO-EX2010-MB1' returned only part of the mailboxes, so they cannot be counted \(Exchange warned: By default, only the first 1000 items are returned\./,
      );
    });
  });
});
