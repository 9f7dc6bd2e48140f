// What a lab command costs must not grow with the organisation (issue 25): a process keeps the
// state it parsed while the file's bytes stay those it last read or wrote, and writes again only
// the elements of the big sections (mailboxDatabases, mailboxes) that changed. These tests hold
// the semantics that must survive that: every finished write is read, by this process and by
// others; a change made outside the lab is read; what a reader changes in its own copy, or a
// writer changes without saying so, never reaches the file. The counts come from the lab's cache
// (parses, elements serialized per write): how long anything takes is for npm run bench.
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { LabBatch, type JsonObject, type Lab } from "../support/lab";
import { runLab } from "../support/pwsh";

const batch = new LabBatch();
afterAll(() => batch.cleanup());

const legacyDatabases =
  "/o=ExchangeServerPro/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Databases/cn=";
const legacyServers =
  "/o=ExchangeServerPro/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=";
const GENERATED = 40;
const name = (i: number) => `MB-X-${String(i).padStart(4, "0")}`;

/** The article's organisation with 40 more databases on HO-EX2010-MB1 (copies on both DAG members), 3 mailboxes each. */
function bigger(state: JsonObject): void {
  const databases = state.mailboxDatabases as JsonObject[];
  const mailboxes = state.mailboxes as JsonObject[];
  for (let i = 1; i <= GENERATED; i++) {
    const guid = `0b5e0000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
    databases.push({
      Name: name(i),
      Guid: guid,
      Server: "HO-EX2010-MB1",
      Copies: ["HO-EX2010-MB1", "HO-EX2010-MB2"],
      Recovery: false,
      Mounted: true,
      EdbFilePath: `D:\\Databases\\${name(i)}\\${name(i)}.edb`,
      ExchangeLegacyDN: `${legacyDatabases}${name(i)}`,
      RpcClientAccessServerLegacyDN: `${legacyServers}HO-EX2010-MB1`,
      RpcClientAccessServerFqdn: "HO-EX2010-MB1.exchangeserverpro.net",
      WhenCreated: "2012-03-01 10:00:00Z",
      WhenChanged: "2012-03-01 10:00:00Z",
    });
    for (let k = 0; k < 3; k++) {
      const id = `${i}-${k}`;
      mailboxes.push({
        Name: `X User ${id}`,
        Alias: `X.User.${id}`,
        Database: guid,
        Guid: `0b5e1000-0000-4000-8${k}00-${i.toString(16).padStart(12, "0")}`,
      });
    }
  }
}

const cache = "$cache = & (Get-Module ExchangeLab) { Get-LabStateCache }";
const rows =
  "@(Get-MailboxDatabase | ForEach-Object { [ordered]@{ Name = $_.Name; Server = $_.Server; Rpc = $_.RpcClientAccessServer; WhenChanged = $_.WhenChanged } })";

interface Written {
  Loads: number;
  Serialized: Record<string, number>;
  Rows: { Name: string; Server: string; Rpc: string; WhenChanged: string }[];
}

describe("a big organisation's writes", () => {
  let bigLab: Lab | undefined;
  const original: { state?: JsonObject } = {};
  const written = batch.add<Written>(
    `${cache}
     $serialized = [ordered]@{}
     $null = Get-MailboxDatabase ${name(1)}
     Set-MailboxDatabase ${name(1)} -RpcClientAccessServer HO-EX2010-MB2
     $serialized.FirstWrite = $cache.LastSerialized
     Set-MailboxDatabase ${name(2)} -RpcClientAccessServer HO-EX2010-MB2
     $serialized.Set = $cache.LastSerialized
     $null = Move-ActiveMailboxDatabase ${name(3)} -ActivateOnServer HO-EX2010-MB2 -Confirm:$false
     $serialized.Move = $cache.LastSerialized
     $null = New-MailboxDatabase MB-X-NEW -Server HO-EX2010-MB2
     $serialized.New = $cache.LastSerialized
     Add-DnsServerResourceRecordA -ZoneName exchangeserverpro.net -Name outlook-x -IPv4Address 10.1.0.99 -ComputerName DC01
     $serialized.Dns = $cache.LastSerialized
     Emit ([ordered]@{ Loads = $cache.Loads; Serialized = $serialized; Rows = ${rows} })`,
    {
      edit: (state) => {
        bigger(state);
        original.state = JSON.parse(JSON.stringify(state)) as JsonObject;
      },
      statePath: (lab) => {
        bigLab = lab;
        return lab.statePath;
      },
    },
  );

  it("parses the file once and serializes again only the elements a write changed", async () => {
    const result = await written();
    expect(result.Loads).toBe(1);
    const elements = (GENERATED + 5) * 1 + (GENERATED * 3 + 8);
    expect(result.Serialized).toEqual({ FirstWrite: elements, Set: 1, Move: 1, New: 1, Dns: 0 });
  });

  it("leaves in the file exactly what the commands changed, and every other element as it was", async () => {
    await written();
    const before = original.state as JsonObject;
    const after = JSON.parse(readFileSync((bigLab as Lab).statePath, "utf8")) as JsonObject;
    const byName = (state: JsonObject) =>
      new Map((state.mailboxDatabases as JsonObject[]).map((d) => [String(d.Name), d]));
    const was = byName(before);
    const now = byName(after);
    expect([...now.keys()]).toEqual([...was.keys(), "MB-X-NEW"]);
    for (const [db, value] of now) {
      if (db === name(1) || db === name(2)) {
        expect(value).toMatchObject({
          RpcClientAccessServerLegacyDN: `${legacyServers}HO-EX2010-MB2`,
          RpcClientAccessServerFqdn: "HO-EX2010-MB2.exchangeserverpro.net",
        });
        expect(value.WhenChanged).not.toBe("2012-03-01 10:00:00Z");
      } else if (db === name(3)) {
        expect(value).toMatchObject({
          Server: "HO-EX2010-MB2",
          RpcClientAccessServerLegacyDN: `${legacyServers}HO-EX2010-MB1`,
        });
      } else if (db !== "MB-X-NEW") {
        expect(value).toEqual(was.get(db));
      }
    }
    expect(after.mailboxes).toEqual(before.mailboxes);
    expect(after.revision).toBe(5);
    const zone = ((after.dns as JsonObject).servers as JsonObject[])[0]?.Zones as JsonObject[];
    expect((zone[0]?.Records as JsonObject[]).map((r) => r.HostName)).toContain("outlook-x");
  });

  it("reads in a fresh process what the warm one reads", async () => {
    const warm = (await written()).Rows;
    const fresh = await runLab<Written["Rows"]>(`Emit ${rows}`, (bigLab as Lab).statePath);
    expect(fresh).toEqual(warm);
    expect(warm.find((r) => r.Name === name(1))?.Rpc).toBe("HO-EX2010-MB2.exchangeserverpro.net");
  });
});

describe("changes the process did not make", () => {
  let labOf: Lab | undefined;
  const outside = batch.add<{ Before: string; After: string; Loads: number; Unchanged: number }>(
    `${cache}
     $before = (Get-MailboxDatabase MB-HO-01).RpcClientAccessServer
     $loads = $cache.Loads
     # Another program rewrites the file in place, keeping its length: MB-HO-01 now points at MB2.
     $text = [IO.File]::ReadAllText($env:EXCHANGE_LAB_STATE)
     $from = '"RpcClientAccessServerLegacyDN": "${legacyServers}HO-EX2010-MB1"'
     $at = $text.IndexOf($from)
     [IO.File]::WriteAllText($env:EXCHANGE_LAB_STATE, $text.Substring(0, $at) + $from.Replace('MB1"', 'MB2"') + $text.Substring($at + $from.Length))
     $after = (Get-MailboxDatabase MB-HO-01).RpcClientAccessServer
     $null = Get-MailboxDatabase MB-HO-02
     Emit ([ordered]@{ Before = $before; After = $after; Loads = $cache.Loads - $loads; Unchanged = $cache.Loads })`,
    {
      statePath: (lab) => {
        labOf = lab;
        return lab.statePath;
      },
    },
  );
  it("reads a change made outside the lab, even one that keeps the file's length, and parses only then", async () => {
    const result = await outside();
    expect(result.Before).toBe("HO-EX2010-MB1.exchangeserverpro.net");
    expect(result.After).toBe("HO-EX2010-MB2.exchangeserverpro.net");
    expect(result.Loads).toBe(1);
    expect(readFileSync((labOf as Lab).statePath, "utf8")).toContain(
      `"RpcClientAccessServerLegacyDN": "${legacyServers}HO-EX2010-MB2"`,
    );
  });
});

// Runs the body as a writer of the lab runs its change (module scope, under the lock, ($s, $c) the
// state and the context); the error's message, or 'written'.
const update = (body: string) => `& (Get-Module ExchangeLab) {
    function Test-Update { [CmdletBinding()] param() Update-LabState $PSCmdlet { param($s, $c) ${body} } }
    try { Test-Update; 'written' } catch { $_.Exception.Message }
  }`;

interface Guarded {
  Message: string;
  WhenChanged: string;
  Fqdn: string;
  Name: string;
}

describe("what never reaches the file", () => {
  const state = (lab: Lab) => JSON.parse(readFileSync(lab.statePath, "utf8")) as JsonObject;
  const first = (lab: Lab) => (state(lab).mailboxDatabases as JsonObject[])[0] as JsonObject;
  const labs: Record<string, Lab> = {};
  const keep = (key: string) => (lab: Lab) => ((labs[key] = lab), lab.statePath);

  const unmarked = batch.add<Guarded>(
    `$message = ${update("@($s.mailboxDatabases)[0].WhenChanged = 'changed'; $c.Commit = $true")}
     Emit ([ordered]@{ Message = $message; WhenChanged = @(Get-MailboxDatabase)[0].WhenChanged; Fqdn = ''; Name = '' })`,
    { statePath: keep("unmarked") },
  );
  it("refuses a write that changed an element of mailboxDatabases without Set-LabChanged (small states check every write)", async () => {
    const result = await unmarked();
    expect(result.Message).toBe(
      "Internal error in the Exchange lab: an element of mailboxDatabases or mailboxes was changed without Set-LabChanged; the state was not written.",
    );
    expect(result.WhenChanged).not.toBe("changed");
    expect(first(labs.unmarked as Lab).WhenChanged).not.toBe("changed");
  });

  const uncommitted = batch.add<Guarded>(
    `$message = ${update("@($s.mailboxDatabases)[0].WhenChanged = 'changed'")}
     Emit ([ordered]@{ Message = $message; WhenChanged = @(Get-MailboxDatabase)[0].WhenChanged; Fqdn = ''; Name = '' })`,
    { statePath: keep("uncommitted") },
  );
  it("refuses an update that changed an element and wrote nothing, and reads the file again", async () => {
    const result = await uncommitted();
    expect(result.Message).toBe(
      "Internal error in the Exchange lab: an element of mailboxDatabases was changed by an update that wrote nothing.",
    );
    expect(result.WhenChanged).not.toBe("changed");
  });

  const reader = batch.add<Guarded>(
    `& (Get-Module ExchangeLab) {
       function Test-Read { [CmdletBinding()] param() $s = Read-LabState $PSCmdlet; @($s.servers)[0].Fqdn = 'changed.example'; Set-LabProperty $s 'organization' $null }
       Test-Read   # the state as parsed from the file
       Test-Read   # the state as kept since
     }
     $copy = Get-ExchangeLabState
     @($copy.mailboxDatabases)[0].Name = 'renamed'
     Set-MailboxDatabase MB-HO-02 -RpcClientAccessServer HO-EX2010-MB2
     Emit ([ordered]@{ Message = ''; WhenChanged = ''; Fqdn = (Get-ExchangeServer HO-EX2010-MB1).Fqdn; Name = @(Get-MailboxDatabase)[0].Name })`,
    { statePath: keep("reader") },
  );
  it("keeps what a reader changes in its copy, or in Get-ExchangeLabState's, out of the next write and of later reads", async () => {
    const result = await reader();
    expect(result).toMatchObject({ Fqdn: "HO-EX2010-MB1.exchangeserverpro.net", Name: "MB-HO-01" });
    const file = state(labs.reader as Lab);
    expect((file.servers as JsonObject[])[0]?.Fqdn).toBe("HO-EX2010-MB1.exchangeserverpro.net");
    expect((file.organization as JsonObject).Name).toBe("ExchangeServerPro");
    expect(first(labs.reader as Lab).Name).toBe("MB-HO-01");
    expect(file.revision).toBe(1);
  });

  const unknownValue = batch.add<{ Message: string; Latency: number }>(
    `$message = ${update("Set-LabProperty $s.lab 'window' ([TimeSpan]::FromMinutes(5)); $c.Commit = $true")}
     Emit ([ordered]@{ Message = $message; Latency = (Get-ExchangeLabLatency).ExchangeCommandMs })`,
    { statePath: keep("unknownValue") },
  );
  it("writes a value its JSON writer has no form for as ConvertTo-Json does", async () => {
    expect(await unknownValue()).toEqual({ Message: "written", Latency: 0 });
    expect((state(labs.unknownValue as Lab).lab as JsonObject).window).toMatchObject({
      Ticks: 3_000_000_000,
      Minutes: 5,
    });
  });
});

describe("the file as the lab writes it", () => {
  let labOf: Lab | undefined;
  const roundTrip = batch.add<string>(
    `$message = ${update("Set-LabProperty $s.organization 'Whole' ([double]2); $c.Commit = $true")}
     Emit ([string]$message + ' ' + (Get-ExchangeLabState).organization.Whole.GetType().Name)`,
    {
      edit: (state) => {
        const org = state.organization as JsonObject;
        org.Note = 'quote " backslash \\ tab \t newline \n é 😀 \u0001';
        org.Ratio = 1.5;
        org.Big = 9007199254740991;
        org.Nothing = null;
        org.Empty = [];
        org.Object = {};
      },
      statePath: (lab) => {
        labOf = lab;
        return lab.statePath;
      },
    },
  );
  it("is JSON that keeps every value as it was (strings, numbers, empty lists and objects)", async () => {
    expect(await roundTrip()).toBe("written Double");
    const text = readFileSync((labOf as Lab).statePath, "utf8");
    const org = (JSON.parse(text) as JsonObject).organization as JsonObject;
    expect(org).toMatchObject({
      Note: 'quote " backslash \\ tab \t newline \n é 😀 \u0001',
      Ratio: 1.5,
      Whole: 2,
      Big: 9007199254740991,
      Nothing: null,
      Empty: [],
      Object: {},
    });
    // A whole double keeps its fraction, so PowerShell reads it back as a double (2 would be an integer).
    expect(text).toContain('"Whole": 2.0');
  });
});
