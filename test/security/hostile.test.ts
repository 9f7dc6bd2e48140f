// Hostile strings fed as every string input of every resource, through the real host: each is
// rejected by check with a reason, or reaches Exchange as one literal value and nothing else,
// shown by what Exchange did with it (never by the provider's own message, which quotes the input
// whatever PowerShell made of it). A canary (a command that would create a file) never runs. The
// counts are printed for the note.
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect } from "vitest";
import { resourceType } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { ROOT, urnOf } from "../support/host";
import { hostileStrings } from "../support/hostile";
import { ARTICLE_DATABASES, LAB_MODULE, type Lab } from "../support/lab";

// The canary's folder is the file's own, known before the tests are collected (each hostile string
// is a test of its own, named by it).
const canaryDir = fs.mkdtempSync(path.join(os.tmpdir(), "excas-canary-"));
const canary = path.join(canaryDir, "canary");
const corpus = hostileStrings(canary);
const tally = { rejected: 0, literal: 0 };
/** The fields that accepted a hostile string, as resource.field. */
const accepted = new Set<string>();
/** Each database named by a hostile value that check accepted, and its Guid. */
const hostileDatabases = new Map<string, string>();

afterAll(() => {
  console.log(
    `hostile inputs: ${corpus.length} strings, ${tally.rejected} rejected by check, ${tally.literal} reached PowerShell as literals`,
  );
  console.log(`accepted by check: ${[...accepted].sort().join(", ") || "none"}`);
  fs.rmSync(canaryDir, { recursive: true, force: true });
});

async function declareAll(lab: Lab): Promise<Record<string, Registration>> {
  const regs = await register((lib) => [
    new lib.ClientAccessArray("cas", {
      name: "cas-headoffice",
      fqdn: "outlook-ho.exchangeserverpro.net",
      site: "HeadOffice",
      connection: lab.connection,
    }),
    new lib.DnsARecord("dns", {
      zone: "exchangeserverpro.net",
      name: "outlook-ho",
      addresses: ["10.1.0.100"],
      dnsServer: "DC01",
      connection: lab.connection,
    }),
    new lib.MailboxDatabaseRpcSetting("db", {
      database: "MB-HO-01",
      rpcClientAccessServer: "HO-EX2010-MB2",
      connection: lab.connection,
    }),
  ]);
  return Object.fromEntries(regs.map((r) => [resourceType(r), r]));
}

let declared: Promise<Record<string, Registration>> | undefined;
/** The three resources, declared once for the file (its lab, and so its connection, is one). */
function declaredOnce(lab: Lab): Promise<Record<string, Registration>> {
  declared ??= declareAll(lab);
  return declared;
}

/** A create's outcome: the new id, or the error without gRPC's status prefix. */
type Outcome = { id: string } | { error: string };

type Field = {
  resource: string;
  set: (inputs: Record<string, unknown>, value: string) => Record<string, unknown>;
  label: string;
  /** Makes the organisation hold an object named exactly `value`, before the create; returns its Guid. */
  prepare?: (lab: Lab, value: string) => string;
  /**
   * What Exchange did with an accepted value, which shows it received exactly that string. A
   * field without it must reject every hostile string (nothing here would show how one arrived).
   */
  reached?: (value: string, outcome: Outcome, prepared: string | undefined) => void;
};

interface StateDatabase {
  Name: string;
  Guid: string;
  ExchangeLegacyDN: string;
  [key: string]: unknown;
}

/** A mailbox database named exactly `name` (MB-HO-03 copied under a new Guid), written into the lab's state. */
function addDatabase(lab: Lab, name: string): string {
  const guid = randomUUID();
  lab.edit((state) => {
    const databases = state.mailboxDatabases as unknown as StateDatabase[];
    const template = databases.find((d) => d.Name === "MB-HO-03") as StateDatabase;
    databases.push({ ...template, Name: name, Guid: guid, ExchangeLegacyDN: `${template.ExchangeLegacyDN}-${guid}` });
  });
  return guid;
}
const FIELDS: Field[] = [
  { resource: "ClientAccessArray", label: "name", set: (i, v) => ({ ...i, name: v }) },
  { resource: "ClientAccessArray", label: "fqdn", set: (i, v) => ({ ...i, fqdn: v }) },
  // AD site names may hold apostrophes and $. No such site: Exchange's error names the site it was
  // given, unquoted (a lone quote, $null or $env:PATH would read differently had PowerShell
  // evaluated them).
  {
    resource: "ClientAccessArray",
    label: "site",
    set: (i, v) => ({ ...i, site: v }),
    reached: (v, outcome) =>
      expect(outcome).toEqual({
        error: `Get-ClientAccessArray '${v}' failed: Exchange can't find Active Directory site ${v}. Make sure the site exists. (ManagementObjectNotFoundException)`,
      }),
  },
  { resource: "DnsARecord", label: "zone", set: (i, v) => ({ ...i, zone: v }) },
  { resource: "DnsARecord", label: "name", set: (i, v) => ({ ...i, name: v }) },
  { resource: "DnsARecord", label: "addresses", set: (i, v) => ({ ...i, addresses: [v] }) },
  { resource: "DnsARecord", label: "dnsServer", set: (i, v) => ({ ...i, dnsServer: v }) },
  // The organisation gets a database of exactly that name: Exchange must find that one (the id is
  // its Guid) and set it, and only it.
  {
    resource: "MailboxDatabaseRpcSetting",
    label: "database",
    set: (i, v) => ({ ...i, database: v }),
    prepare: (lab, v) => addDatabase(lab, v),
    reached: (_v, outcome, guid) => expect(outcome).toEqual({ id: guid }),
  },
  {
    resource: "MailboxDatabaseRpcSetting",
    label: "rpcClientAccessServer",
    set: (i, v) => ({ ...i, rpcClientAccessServer: v }),
  },
  { resource: "MailboxDatabaseRpcSetting", label: "onDelete", set: (i, v) => ({ ...i, onDelete: v }) },
];

/** Every field with every hostile string: one test each, named by the field, the string's place in the corpus and its start. */
const CASES = FIELDS.flatMap((field) =>
  corpus.map((value, i) => ({
    field,
    value,
    name: `${field.resource}.${field.label} = #${i} ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`,
  })),
);

describe("hostile input", () => {
  describe("every hostile string in every string input of every resource is rejected with a reason or reaches Exchange as a literal", () => {
    it.for(CASES)("$name", async ({ field, value }, { lab, host }) => {
      const regs = await declaredOnce(lab);
      const reg = regs[field.resource] as Registration;
      const urn = urnOf(field.resource, reg.name);
      const news = field.set(reg.inputs, value);
      const checked = await host.check(urn, {}, news);
      // Rejected: every reason is a sentence (nothing to check when there is none).
      expect(checked.failures.filter((f) => f.reason.length <= 10)).toEqual([]);
      if (checked.failures.length > 0) {
        tally.rejected++;
        return;
      }
      // Accepted by check: it must reach PowerShell as exactly this value.
      accepted.add(`${field.resource}.${field.label}`);
      if (field.reached === undefined) {
        throw new Error(
          `check accepted ${JSON.stringify(value)} as ${field.resource}.${field.label}, which has no way here to show it reaches PowerShell as one literal`,
        );
      }
      const guid = field.prepare?.(lab, value);
      if (guid !== undefined) hostileDatabases.set(value, guid);
      const outcome = await host.create(urn, checked.inputs).then(
        (r): Outcome => ({ id: r.id }),
        (e: Error): Outcome => ({ error: e.message.replace(/^\d+ UNKNOWN: /, "") }),
      );
      expect(fs.existsSync(canary), `the canary ran for ${JSON.stringify(value)}`).toBe(false);
      field.reached(value, outcome, guid);
      tally.literal++;
      // The database named by the hostile value (when there is one), and only it, was set; nothing
      // else changed: no array, and the article's databases keep their values.
      const now = (
        await lab.json<
          { Arrays: number; Databases: { Name: string; Guid: string; RpcClientAccessServer: string }[] }[]
        >(
          "[ordered]@{ Arrays = @(Get-ClientAccessArray).Count; Databases = @(Get-MailboxDatabase | Select-Object Name,@{n='Guid';e={[string]$_.Guid}},RpcClientAccessServer) }",
        )
      )[0];
      expect(now?.Arrays).toBe(0);
      const databases = now?.Databases ?? [];
      expect(databases.filter((d) => d.Guid === guid)).toEqual(
        guid === undefined
          ? []
          : [{ Name: value, Guid: guid, RpcClientAccessServer: "HO-EX2010-MB2.exchangeserverpro.net" }],
      );
      expect(
        Object.fromEntries(databases.filter((d) => d.Guid !== guid).map((d) => [d.Name, d.RpcClientAccessServer])),
      ).toEqual(ARTICLE_DATABASES);
    });

    // What the cases above counted (a file's tests run in order): run alone, it fails, as it should.
    it("counted every one: only a CAS array's site and a database's name accepted any, and each such database was set", () => {
      expect(tally.rejected + tally.literal).toBe(FIELDS.length * corpus.length);
      // Site names may hold quotes and $ (AD allows them), and database names more, so some
      // hostile values go all the way to Exchange.
      expect([...accepted].sort()).toEqual(["ClientAccessArray.site", "MailboxDatabaseRpcSetting.database"]);
      expect(hostileDatabases.size).toBeGreaterThan(0);
      expect(fs.existsSync(canary)).toBe(false);
    });
  });

  it("hostile connection paths reach pwsh as literal paths and fail to load, running nothing", async ({
    lab,
    host,
  }) => {
    const regs = await declaredOnce(lab);
    const reg = regs.ClientAccessArray as Registration;
    const urn = urnOf("ClientAccessArray", reg.name);
    const sample = corpus.filter((s) => s.length < 200).slice(0, 12);
    let reached = 0;
    // A lab connection (the one with paths) even when the suite reaches the lab over SSH, whose
    // connection has none: an ssh connection ignores these keys and would simply work.
    const local = { kind: "lab", statePath: lab.statePath, modulePath: LAB_MODULE };
    for (const value of sample) {
      for (const key of ["statePath", "modulePath"] as const) {
        const news = { ...reg.inputs, connection: { ...local, [key]: value } };
        const checked = await host.check(urn, {}, news);
        if (checked.failures.length > 0) {
          tally.rejected++;
          continue;
        }
        const error = await host.create(urn, checked.inputs).then(
          () => "created",
          (e: Error) => e.message,
        );
        expect(fs.existsSync(canary), `the canary ran for ${key} ${JSON.stringify(value)}`).toBe(false);
        // The path pwsh was given, word for word in the message of what read it there: the lab
        // reading its state file, or PowerShell's Import-Module.
        const given = path.resolve(ROOT, value);
        expect(error).toContain(
          key === "statePath"
            ? `The Exchange lab state file '${given}' named by EXCHANGE_LAB_STATE does not exist`
            : `The specified module '${given}' was not loaded because no valid module file was found in any module directory`,
        );
        tally.literal++;
        reached++;
      }
    }
    expect(reached).toBe(sample.length * 2);
    expect(fs.existsSync(canary)).toBe(false);
    // 24 connections that cannot open, each tried by Check (what the site already has) and by
    // Create: 48 failing pwsh session opens, minutes on a loaded 2-CPU machine.
  });
});
