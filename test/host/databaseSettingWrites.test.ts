// What a MailboxDatabaseRpcSetting's create costs in commands, through the real dynamic-provider
// host against the article's lab (issue 25): with strict reads a Get for its check and one for its
// create, with the table read (the default) the create's read answered by the table read its check
// took; then one Set and one read back per database
// (DESIGN: every write is followed by a read, so the outputs are what Exchange reports, here the
// array's FQDN as Exchange stores it, whatever case the value was given in), and nothing else per
// database. Counts come from the host's session registry
// (EXCHANGE_CAS_STATS=1, printed when it exits); how long anything takes is for npm run bench.
import { afterEach, describe, expect } from "vitest";
import { create, resourceType } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { Host, urnOf } from "../support/host";
import { labDatabases, type Lab } from "../support/lab";

const ARRAY_FQDN = "outlook-ho.exchangeserverpro.net";

// Strict reads (each read its own command, no table read), and one burst for the whole test
// however slow the machine: the counts below are then exact.
const ENV = { EXCHANGE_CAS_STATS: "1", EXCHANGE_CAS_READ_PREFETCH: "0", EXCHANGE_CAS_TABLE_IDLE_MS: "600000" };

let host: Host | undefined;
afterEach(async () => {
  await host?.stop();
  host = undefined;
});

async function startHost(env: Record<string, string> = ENV): Promise<Host> {
  host = await Host.start(env);
  await host.configure();
  return host;
}

/** The commands the host ran, by cmdlet, as it printed them when it exited. */
async function commandsRun(h: Host): Promise<Record<string, number>> {
  await h.stop();
  const line = /exchange-cas stats: (\{.*\})/.exec(h.log)?.[1];
  if (line === undefined) throw new Error(`the host printed no stats:\n${h.log}`);
  return (JSON.parse(line) as { commands: Record<string, number> }).commands;
}

async function settings(lab: Lab, databases: string[], value: string): Promise<Registration[]> {
  return register((lib) =>
    databases.map(
      (database) =>
        new lib.MailboxDatabaseRpcSetting(database.toLowerCase(), {
          database,
          rpcClientAccessServer: value,
          connection: lab.connection,
        }),
    ),
  );
}

describe("MailboxDatabaseRpcSetting's writes", () => {
  it("sets each database once and reads it back after its Set: the outputs are what Exchange shows, and nothing else runs per database", async ({
    lab,
  }) => {
    await lab.pwsh(`$null = New-ClientAccessArray -Name cas-headoffice -Fqdn ${ARRAY_FQDN} -Site HeadOffice`);
    const h = await startHost();
    const databases = ["MB-HO-01", "MB-HO-02", "MB-HO-03"];
    const created = [];
    // The array's name, in another case: Exchange shows the array's FQDN as it stores it.
    for (const reg of await settings(lab, databases, "CAS-HEADOFFICE")) created.push(await create(h, reg));
    for (const state of created) {
      expect(state.outputs).toMatchObject({
        rpcClientAccessServer: ARRAY_FQDN,
        appliedRpcClientAccessServer: ARRAY_FQDN,
        wantedRpcClientAccessServer: "CAS-HEADOFFICE",
      });
    }
    expect(await labDatabases(lab)).toMatchObject({
      "MB-HO-01": ARRAY_FQDN,
      "MB-HO-02": ARRAY_FQDN,
      "MB-HO-03": ARRAY_FQDN,
    });
    const commands = await commandsRun(h);
    // Each database: its check's read, its create's read, its Set, its read back.
    expect(commands).toEqual({ "Get-MailboxDatabase": 9, "Set-MailboxDatabase": 3 });
  });

  it("answers each create's read from the table read its check took, and still reads each Set back", async ({
    lab,
  }) => {
    await lab.pwsh(`$null = New-ClientAccessArray -Name cas-headoffice -Fqdn ${ARRAY_FQDN} -Site HeadOffice`);
    // The table read on (the default), one burst for the whole test however slow the machine.
    const h = await startHost({ EXCHANGE_CAS_STATS: "1", EXCHANGE_CAS_TABLE_IDLE_MS: "600000" });
    const regs = await settings(lab, ["MB-HO-01", "MB-HO-02", "MB-HO-03"], "cas-headoffice");
    const urns = regs.map((reg) => urnOf(resourceType(reg), reg.name));
    // The checks together (one table read of every database), then each create on its own.
    const checked = await Promise.all(regs.map((reg, i) => h.check(urns[i] as string, {}, reg.inputs)));
    const outputs = [];
    for (const [i, c] of checked.entries()) {
      expect(c.failures).toEqual([]);
      outputs.push((await h.create(urns[i] as string, c.inputs)).properties);
    }
    for (const out of outputs) {
      expect(out).toMatchObject({
        rpcClientAccessServer: ARRAY_FQDN,
        previousRpcClientAccessServer: "HO-EX2010-MB1.exchangeserverpro.net",
      });
    }
    expect(await labDatabases(lab)).toMatchObject({
      "MB-HO-01": ARRAY_FQDN,
      "MB-HO-02": ARRAY_FQDN,
      "MB-HO-03": ARRAY_FQDN,
    });
    // The checks' table read, then per database its Set and its read back: no second read before the Set.
    expect(await commandsRun(h)).toEqual({ "Get-MailboxDatabase": 4, "Set-MailboxDatabase": 3 });
  });
});
