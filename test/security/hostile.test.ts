// Hostile strings fed as every string input of every resource, through the real host: each is
// rejected by check with a reason, or reaches Exchange as one literal value and nothing else.
// A canary (a command that would create a file) never runs. The counts are printed for the note.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceType } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { Host, urnOf } from "../support/host";
import { hostileStrings } from "../support/hostile";
import { createLab, type Lab } from "../support/lab";

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

type Field = {
  resource: string;
  set: (inputs: Record<string, unknown>, value: string) => Record<string, unknown>;
  label: string;
  /** How Exchange's error names the value it received (default: in single quotes). */
  literal?: (value: string) => string;
};
const FIELDS: Field[] = [
  { resource: "ClientAccessArray", label: "name", set: (i, v) => ({ ...i, name: v }) },
  { resource: "ClientAccessArray", label: "fqdn", set: (i, v) => ({ ...i, fqdn: v }) },
  // AD site names may hold apostrophes and $; Exchange's site-not-found error names the site unquoted.
  {
    resource: "ClientAccessArray",
    label: "site",
    set: (i, v) => ({ ...i, site: v }),
    literal: (v) => `Exchange can't find Active Directory site ${v}. Make sure the site exists.`,
  },
  { resource: "DnsARecord", label: "zone", set: (i, v) => ({ ...i, zone: v }) },
  { resource: "DnsARecord", label: "name", set: (i, v) => ({ ...i, name: v }) },
  { resource: "DnsARecord", label: "addresses", set: (i, v) => ({ ...i, addresses: [v] }) },
  { resource: "DnsARecord", label: "dnsServer", set: (i, v) => ({ ...i, dnsServer: v }) },
  { resource: "MailboxDatabaseRpcSetting", label: "database", set: (i, v) => ({ ...i, database: v }) },
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
        // Accepted by check: it must reach PowerShell as exactly this value. Exchange does not
        // know such an object, so its error names the value, literally ($null, $env:PATH, a lone
        // quote would each read differently had PowerShell evaluated them).
        accepted.push(`${field.resource}.${field.label}`);
        const error = await host.create(urn, checked.inputs).then(
          (r) => `created ${r.id}`,
          (e: Error) => e.message,
        );
        expect(error).toContain(field.literal ? field.literal(value) : `'${value}'`);
        tally.literal++;
      }
    }
    expect(tally.rejected + tally.literal).toBe(FIELDS.length * corpus.length);
    // Site names may hold quotes and $ (AD allows them), so some hostile sites go all the way to Exchange.
    expect(accepted).toContain("ClientAccessArray.site");
    expect(fs.existsSync(canary)).toBe(false);
    // Nothing the hostile values touched changed the organisation.
    expect(lab.json<unknown[]>("Get-ClientAccessArray")).toEqual([]);
    expect(lab.json<string[]>("(Get-MailboxDatabase -Identity MB-HO-01).RpcClientAccessServer")).toEqual(["HO-EX2010-MB1.exchangeserverpro.net"]);
    console.log(`accepted by check: ${[...new Set(accepted)].join(", ") || "none"}`);
  });

  it("hostile connection paths reach pwsh as literal paths and fail to load, running nothing", async () => {
    const regs = await declareAll();
    const reg = regs.ClientAccessArray as Registration;
    const urn = urnOf("ClientAccessArray", reg.name);
    const sample = corpus.filter((s) => s.length < 200).slice(0, 12);
    for (const value of sample) {
      for (const key of ["statePath", "modulePath"] as const) {
        const news = { ...reg.inputs, connection: { ...lab.connection, [key]: value } };
        const checked = await host.check(urn, {}, news);
        if (checked.failures.length > 0) {
          tally.rejected++;
          continue;
        }
        const error = await host.create(urn, checked.inputs).then(
          () => "created",
          (e: Error) => e.message,
        );
        expect(error).not.toBe("created");
        expect(error).toContain(value);
        tally.literal++;
      }
    }
    expect(fs.existsSync(canary)).toBe(false);
    // 24 connections that cannot open, each tried by Check (what the site already has) and by
    // Create: 48 failing pwsh session opens, minutes on a loaded 2-CPU machine.
  }, 400_000);
});
