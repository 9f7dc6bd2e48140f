// Non-ASCII names reach Node intact whatever the console's code page. Windows PowerShell 5.1 writes
// a redirected stdout in the console's code page (850, 1252, ...), not UTF-8; pwsh on Linux does
// the same with a non-UTF-8 locale, which is how this test reproduces it: every session here runs
// with LC_ALL=en_US.ISO-8859-1 (its [Console]::OutputEncoding is then ISO-8859-1 unless the
// wrapper sets UTF-8). A database named with Ø and ü, added to the file's lab, is read back by the
// provider's own clients, and an error naming it comes back with the name as written.
import { afterAll, beforeAll, describe, expect } from "vitest";
import { getMailboxDatabase, listMailboxDatabases } from "../../provider/exchange";
import { psQuote, sessions } from "../../provider/shell";
import { labTest as it } from "../support/fixtures";
import type { Lab } from "../support/lab";

const NAME = "MB-HØ-Zürich-01";
const MISSING = "MB-HØ-Zürich-99";

const saved = process.env.LC_ALL;

// Before any session of the file starts. (The lab's console is not affected: what goes to it and
// comes back is base64.)
beforeAll(async () => {
  await sessions().closeAll();
  process.env.LC_ALL = "en_US.ISO-8859-1";
});
afterAll(async () => {
  await sessions().closeAll();
  if (saved === undefined) delete process.env.LC_ALL;
  else process.env.LC_ALL = saved;
});

/** The database with the non-ASCII name, added to the lab at the console. */
async function addDatabase(lab: Lab): Promise<void> {
  await lab.pwsh(`New-MailboxDatabase -Name ${psQuote(NAME)} -Server 'HO-EX2010-MB1' | Out-Null`);
}

describe("non-ASCII names under a non-UTF-8 console", () => {
  it("the session really has a non-UTF-8 console (the precondition of the other tests)", async ({ connection }) => {
    const envelope = await sessions().run(connection, {
      cmdlet: "Get-Locale",
      target: "",
      script: "$env:LC_ALL",
      select: [],
    });
    expect(envelope.data).toEqual(["en_US.ISO-8859-1"]);
  });

  it("getMailboxDatabase reads the database by its non-ASCII name and returns the name exactly", async ({
    lab,
    connection,
  }) => {
    await addDatabase(lab);
    const database = await getMailboxDatabase(connection, NAME);
    expect(database?.name).toBe(NAME);
  });

  it("listMailboxDatabases lists the non-ASCII name exactly", async ({ lab, connection }) => {
    await addDatabase(lab);
    const names = (await listMailboxDatabases(connection, "HO-EX2010-MB1")).map((d) => d.name);
    expect(names).toContain(NAME);
  });

  it("an error message naming a non-ASCII identity comes back as written", async ({ connection }) => {
    const envelope = await sessions().run(connection, {
      cmdlet: "Get-MailboxDatabase",
      target: MISSING,
      script: `Get-MailboxDatabase -Identity ${psQuote(MISSING)}`,
      select: ["Name"],
    });
    expect(envelope.errors.map((e) => e.message).join("\n")).toContain(MISSING);
  });
});
