// Hostile strings fed as every string input of every resource, through the real host: each is
// rejected by check with a reason, or reaches Exchange as one literal value and nothing else,
// shown by what Exchange did with it (never by the provider's own message, which quotes the input
// whatever PowerShell made of it). A canary (a command that would create a file) never runs. The
// counts are printed for the note.
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceType } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { Host, ROOT, urnOf } from "../support/host";
import { hostileStrings } from "../support/hostile";
import { createLab, LAB_MODULE, type Lab } from "../support/lab";

let lab: Lab;
let host: Host;
let canary: string;
let corpus: string[];
const tally = { rejected: 0, literal: 0 };

beforeAll(async () => {
  lab = createLab();
  canary = path.join(lab.dir, "canary");
  corpus = hostileStrings(canary);
  host = await Host.start();
  await host.configure();
});

afterAll(async () => {
  await host.stop();
  console.log(`hostile inputs: ${corpus.length} strings, ${tally.rejected} rejected by check, ${tally.literal} reached PowerShell as literals`);
  lab.remove();
});

async function declareAll(): Promise<Record<string, Registration>> {
  const regs = await register((lib) => [
    new lib.ClientAccessArray("cas", { name: "cas-headoffice", fqdn: "outlook-ho.exchangeserverpro.net", site: "HeadOffice", connection: lab.connection }),
    new lib.DnsARecord("dns", { zone: "exchangeserverpro.net", name: "outlook-ho", addresses: ["10.1.0.100"], dnsServer: "DC01", connection: lab.connection }),
    new lib.MailboxDatabaseRpcSetting("db", { database: "MB-HO-01", rpcClientAccessServer: "HO-EX2010-MB2", connection: lab.connection }),
  ]);
  return Object.fromEntries(regs.map((r) => [resourceType(r), r]));
}

/** A create's outcome: the new id, or the error without gRPC's status prefix. */
type Outcome = { id: string } | { error: string };

type Field = {
  resource: string;
  set: (inputs: Record<string, unknown>, value: string) => Record<string, unknown>;
  label: string;
  /** Makes the organisation hold an object named exactly `value`, before the create. */
  prepare?: (value: string) => void;
  /**
   * What Exchange did with an accepted value, which shows it received exactly that string. A
   * field without it must reject every hostile string (nothing here would show how one arrived).
   */
  reached?: (value: string, outcome: Outcome) => void;
};

interface StateDatabase {
  Name: string;
  Guid: string;
  ExchangeLegacyDN: string;
  [key: string]: unknown;
}

/** A mailbox database named exactly `name` (MB-HO-03 copied under a new Guid), written into the lab's state. */
function addDatabase(name: string): string {
  const state = JSON.parse(fs.readFileSync(lab.statePath, "utf8")) as { mailboxDatabases: StateDatabase[] };
  const template = state.mailboxDatabases.find((d) => d.Name === "MB-HO-03") as StateDatabase;
  const guid = randomUUID();
  state.mailboxDatabases.push({ ...template, Name: name, Guid: guid, ExchangeLegacyDN: `${template.ExchangeLegacyDN}-${guid}` });
  const tmp = `${lab.statePath}.${guid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
  fs.renameSync(tmp, lab.statePath);
  return guid;
}
const hostileDatabases = new Map<string, string>();
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
      expect(outcome).toEqual({ error: `Get-ClientAccessArray '${v}' failed: Exchange can't find Active Directory site ${v}. Make sure the site exists. (ManagementObjectNotFoundException)` }),
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
    prepare: (v) => hostileDatabases.set(v, addDatabase(v)),
    // (What Exchange then holds is read once, after the loop.)
    reached: (v, outcome) => expect(outcome).toEqual({ id: hostileDatabases.get(v) }),
  },
  { resource: "MailboxDatabaseRpcSetting", label: "rpcClientAccessServer", set: (i, v) => ({ ...i, rpcClientAccessServer: v }) },
  { resource: "MailboxDatabaseRpcSetting", label: "onDelete", set: (i, v) => ({ ...i, onDelete: v }) },
];

describe("hostile input", () => {
  it("every hostile string in every string input of every resource is rejected with a reason or reaches Exchange as a literal", async () => {
    const regs = await declareAll();
    const accepted: string[] = [];
    for (const field of FIELDS) {
      const reg = regs[field.resource] as Registration;
      const urn = urnOf(field.resource, reg.name);
      for (const value of corpus) {
        const news = field.set(reg.inputs, value);
        const checked = await host.check(urn, {}, news);
        if (checked.failures.length > 0) {
          for (const f of checked.failures) expect(f.reason.length).toBeGreaterThan(10);
          tally.rejected++;
          continue;
        }
        // Accepted by check: it must reach PowerShell as exactly this value.
        accepted.push(`${field.resource}.${field.label}`);
        if (field.reached === undefined) {
          throw new Error(`check accepted ${JSON.stringify(value)} as ${field.resource}.${field.label}, which has no way here to show it reaches PowerShell as one literal`);
        }
        field.prepare?.(value);
        const outcome = await host.create(urn, checked.inputs).then(
          (r): Outcome => ({ id: r.id }),
          (e: Error): Outcome => ({ error: e.message.replace(/^\d+ UNKNOWN: /, "") }),
        );
        expect(fs.existsSync(canary), `the canary ran for ${JSON.stringify(value)}`).toBe(false);
        field.reached(value, outcome);
        tally.literal++;
      }
    }
    expect(tally.rejected + tally.literal).toBe(FIELDS.length * corpus.length);
    // Site names may hold quotes and $ (AD allows them), and database names more, so some
    // hostile values go all the way to Exchange.
    expect([...new Set(accepted)].sort()).toEqual(["ClientAccessArray.site", "MailboxDatabaseRpcSetting.database"]);
    expect(fs.existsSync(canary)).toBe(false);
    // Each database named by a hostile value, and only it, was set; nothing else changed: no
    // array, and the article's databases keep their values.
    expect(lab.json<unknown[]>("Get-ClientAccessArray")).toEqual([]);
    const databases = new Map(
      lab
        .json<{ Name: string; Guid: string; RpcClientAccessServer: string }[]>("Get-MailboxDatabase | Select-Object Name,@{n='Guid';e={[string]$_.Guid}},RpcClientAccessServer")
        .map((d) => [d.Guid, d]),
    );
    expect(hostileDatabases.size).toBeGreaterThan(0);
    for (const [value, guid] of hostileDatabases) {
      expect(databases.get(guid)).toEqual({ Name: value, Guid: guid, RpcClientAccessServer: "HO-EX2010-MB2.exchangeserverpro.net" });
      databases.delete(guid);
    }
    expect(Object.fromEntries([...databases.values()].map((d) => [d.Name, d.RpcClientAccessServer]))).toEqual({
      "MB-HO-01": "HO-EX2010-MB1.exchangeserverpro.net",
      "MB-HO-02": "HO-EX2010-MB1.exchangeserverpro.net",
      "MB-HO-03": "HO-EX2010-MB1.exchangeserverpro.net",
      "RDB-HO-01": "HO-EX2010-MB1.exchangeserverpro.net",
      "MB-BR-01": "BR-EX2010-MB.exchangeserverpro.net",
    });
    console.log(`accepted by check: ${[...new Set(accepted)].join(", ") || "none"}`);
  });

  it("hostile connection paths reach pwsh as literal paths and fail to load, running nothing", async () => {
    const regs = await declareAll();
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
