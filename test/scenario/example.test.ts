// The main job without the Pulumi CLI: the compiled example program (examples/dist, what the
// root Pulumi.yaml runs) is loaded under mocks with each stack's own config file, pointed at a
// private copy of the lab, and its registrations are applied through the real host.
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect } from "vitest";
import { applyAll, declaredDatabases, resourceType, type Applied } from "../support/apply";
import { register } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { ROOT } from "../support/host";
import type { Lab } from "../support/lab";
import { runExample, stackFileConfig } from "../support/program";

const nodeRequire = createRequire(path.join(ROOT, "package.json"));
const yaml = createRequire(nodeRequire.resolve("@pulumi/pulumi/package.json"))("js-yaml") as {
  load(text: string): unknown;
};

/** The stack's config as the engine hands it to the program, with the lab moved to `lab`. */
function stackConfig(lab: Lab, stack: string, overrides: Record<string, string> = {}): Record<string, string> {
  const file = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.config))
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  const connection = JSON.parse(config["exchange-cas:connection"] ?? "{}") as Record<string, unknown>;
  config["exchange-cas:connection"] = JSON.stringify({ ...connection, statePath: lab.statePath });
  return { ...config, ...overrides };
}

async function runProgram(lab: Lab, stack: string, overrides: Record<string, string> = {}) {
  return register(async (_lib, pulumi) => {
    pulumi.runtime.setAllConfig(stackConfig(lab, stack, overrides));
    const program = path.join(ROOT, "examples/dist/index.js");
    delete nodeRequire.cache[program];
    const outputs = nodeRequire(program) as Record<string, { apply(f: (v: unknown) => void): unknown }>;
    await Promise.all(Object.values(outputs).map((o) => new Promise<void>((resolve) => o.apply(() => resolve()))));
    return [];
  });
}

describe("the example site program (the main job) with each stack's config", () => {
  for (const [stack, site, fqdn, databases] of [
    ["headoffice", "HeadOffice", "outlook-ho.exchangeserverpro.net", ["MB-HO-01", "MB-HO-02", "MB-HO-03"]],
    ["branchoffice", "BranchOffice", "outlook-br.exchangeserverpro.net", ["MB-BR-01"]],
  ] as const) {
    it(`applies the ${stack} stack: the ${site} array, its record and its databases`, async ({ lab, host }) => {
      const regs = await runProgram(lab, stack);
      expect(declaredDatabases(regs)).toEqual([...databases]);
      const outcome = await applyAll(host, regs, new Map<string, Applied>());
      expect(outcome.failed).toEqual([]);
      // The site's claim, its record, its array and one setting per database.
      expect(outcome.created).toEqual([
        `${stack}-array`,
        `${stack}-claim`,
        `${stack}-dns`,
        ...databases.map((d) => `${stack}-${d.toLowerCase()}`),
      ]);
      const values = await lab.json<{ Name: string; RpcClientAccessServer: string }[]>(
        "Get-MailboxDatabase | Select-Object Name,RpcClientAccessServer",
      );
      for (const db of databases) expect(values.find((v) => v.Name === db)?.RpcClientAccessServer).toBe(fqdn);
      expect(
        await lab.json<{ SiteName: string; Fqdn: string }[]>(
          `Get-ClientAccessArray -Site ${site} | Select-Object SiteName,Fqdn`,
        ),
      ).toEqual([{ SiteName: site, Fqdn: fqdn }]);
    });
  }

  it("takes the headoffice stack to the VIP with headoffice-vip's config: static ports on both servers first, the record moved, the wiring verified", async ({
    lab,
    host,
  }) => {
    // The headoffice stack as applied (what the engine keeps for it), then its VIP config.
    const headofficeState = new Map<string, Applied>();
    expect((await applyAll(host, await runProgram(lab, "headoffice"), headofficeState)).failed).toEqual([]);
    expect(headofficeState.size).toBe(6);
    const regs = await runProgram(lab, "headoffice-vip");
    expect(regs.map(resourceType).slice(0, 2)).toEqual(["CasArraySiteClaim", "StaticRpcPorts"]);
    const outcome = await applyAll(host, regs, headofficeState);
    expect(outcome.failed).toEqual([]);
    expect(outcome.created).toEqual(["headoffice-rpc-ports", "headoffice-verify"]);
    expect(outcome.updated).toEqual(["headoffice-dns"]);
    expect(headofficeState.get("headoffice-dns")?.outputs.addresses).toEqual(["10.1.0.100"]);
    // No connection is made to 10.1.0.100 (no tcp in this stack): DNS at DC01 and the members only.
    expect(headofficeState.get("headoffice-verify")?.outputs.verification).toMatchObject({
      ok: true,
      tcp: [],
      dns: { resolved: ["10.1.0.100"] },
    });
    const ports = headofficeState.get("headoffice-rpc-ports")?.outputs.servers as { server: string; inSync: boolean }[];
    expect(ports.map((s) => [s.server, s.inSync])).toEqual([
      ["HO-EX2010-MB1", true],
      ["HO-EX2010-MB2", true],
    ]);
  });

  it("takes onDelete from the stack config: retain reaches the array and the record, and the databases never restore on their own", async ({
    lab,
  }) => {
    const regs = await runProgram(lab, "branchoffice", { "exchange-cas:onDelete": "retain" });
    // The site's claim has no onDelete: it changes nothing in Exchange or DNS, and deleting it only forgets it.
    const onDelete = regs.map((r) => [resourceType(r), r.inputs.onDelete]);
    expect(onDelete).toEqual([
      ["CasArraySiteClaim", undefined],
      ["DnsARecord", "retain"],
      ["ClientAccessArray", "retain"],
      ["MailboxDatabaseRpcSetting", "retain"],
    ]);
    const defaults = await runProgram(lab, "branchoffice");
    expect(
      defaults
        .filter((r) => resourceType(r) !== "MailboxDatabaseRpcSetting")
        .map((r) => [resourceType(r), r.inputs.onDelete]),
    ).toEqual([
      ["CasArraySiteClaim", undefined],
      ["DnsARecord", "restore"],
      ["ClientAccessArray", "restore"],
    ]);
  });
});

describe("the example site program with a mistake in its stack config: one sentence that says what to write", () => {
  it("a single address where the list belongs (exchange-cas:addresses: 10.1.0.11) says to write a YAML list", async () => {
    const run = await runExample({ ...stackFileConfig("headoffice"), "exchange-cas:addresses": "10.1.0.11" });
    expect(run.error?.message).toBe(
      "Stack test's config: `exchange-cas:addresses` is the single value '10.1.0.11', not a list: write it as a YAML list (- 10.1.0.11). Nothing was declared.",
    );
    expect(run.regs).toEqual([]);
  });

  it("a single database name where the list belongs says to write a YAML list", async () => {
    const run = await runExample({ ...stackFileConfig("headoffice"), "exchange-cas:databases": "MB-HO-01" });
    expect(run.error?.message).toBe(
      "Stack test's config: `exchange-cas:databases` is the single value 'MB-HO-01', not all-in-site or a list: write the database as a YAML list (- MB-HO-01). Nothing was declared.",
    );
  });

  it("a mistyped connection kind (kind: lba) is refused before anything is declared, naming the kind meant", async () => {
    const run = await runExample({
      ...stackFileConfig("headoffice"),
      "exchange-cas:connection": JSON.stringify({ kind: "lba" }),
    });
    expect(run.error?.message).toBe(
      "Stack test's config: `exchange-cas:connection` has kind 'lba', not lab, exchange or ssh: did you mean 'lab'? Nothing was declared.",
    );
    expect(run.regs).toEqual([]);
  });
});
