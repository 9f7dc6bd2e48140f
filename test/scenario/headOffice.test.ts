// The article's HeadOffice site, end to end: the CasArraySite component registers its resources
// (setMocks gives us the registrations and the SDK's own __provider), then they are applied in
// dependency order through the real dynamic-provider host against the article lab, as `pulumi up`
// would; then again (no change), drift and repair, the move to a VIP, and destroy. Each test starts
// from the article's lab and replays the steps before its own (the story's earlier steps, with
// their assertions).
import { describe, expect } from "vitest";
import { applyAll, refresh, resourceType, type Applied } from "../support/apply";
import { register, settleSite, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import type { Host } from "../support/host";
import { ARTICLE_DATABASES, labDatabases, labRecord, type Lab } from "../support/lab";

const HO = {
  site: "HeadOffice",
  arrayName: "cas-headoffice",
  fqdn: "outlook-ho.exchangeserverpro.net",
};

async function declareSite(lab: Lab, addresses: string[], warnings: string[][] = []): Promise<Registration[]> {
  return register(async (lib) => {
    const site = new lib.CasArraySite("headoffice", {
      ...HO,
      dns: { zone: "exchangeserverpro.net", server: "DC01", addresses },
      connection: lab.connection,
    });
    warnings.push(await settleSite(site));
    return [];
  });
}

const ORIGINAL = ARTICLE_DATABASES;

const isDatabase = (r: Registration) => resourceType(r) === "MailboxDatabaseRpcSetting";

async function apply(host: Host, regs: Registration[], state: Map<string, Applied>) {
  const outcome = await applyAll(host, regs, state);
  expect(outcome.failed).toEqual([]);
  return { created: outcome.created, updated: outcome.updated, unchanged: outcome.unchanged };
}

/** The first apply (one CAS's address), into `state`: what every later step starts from. */
async function applyFirst(lab: Lab, host: Host, state: Map<string, Applied>) {
  return apply(host, await declareSite(lab, ["10.1.0.11"]), state);
}

/** A manual Set-MailboxDatabase, seen on refresh and repaired by the next apply. */
async function driftAndRepair(lab: Lab, host: Host, state: Map<string, Applied>): Promise<void> {
  await lab.pwsh("Set-MailboxDatabase -Identity MB-HO-02 -RpcClientAccessServer HO-EX2010-MB2");
  const before = state.get("headoffice-mb-ho-02");
  if (before === undefined) throw new Error("no state");
  const refreshed = await refresh(host, before);
  expect(refreshed?.outputs.rpcClientAccessServer).toBe("HO-EX2010-MB2.exchangeserverpro.net");
  if (refreshed) state.set("headoffice-mb-ho-02", refreshed);
  const outcome = await apply(host, await declareSite(lab, ["10.1.0.11"]), state);
  expect(outcome.updated).toEqual(["headoffice-mb-ho-02"]);
  expect((await labDatabases(lab))["MB-HO-02"]).toBe(HO.fqdn);
}

/** The record moved to the load balancer's VIP. */
async function moveToVip(lab: Lab, host: Host, state: Map<string, Applied>): Promise<void> {
  const outcome = await apply(host, await declareSite(lab, ["10.1.0.100"]), state);
  expect(outcome.updated).toEqual(["headoffice-dns"]);
  expect(outcome.created).toEqual([]);
  expect(await labRecord(lab)).toEqual(["10.1.0.100"]);
  expect(state.get("headoffice-dns")?.id).toBe("dc01/exchangeserverpro.net/outlook-ho");
}

describe("the HeadOffice site of the article, through the host", () => {
  it("declares the array, its record and one setting per non-recovery database of the site, each database after both", async ({
    lab,
  }) => {
    const warnings: string[][] = [];
    const regs = await declareSite(lab, ["10.1.0.11"], warnings);
    expect(regs.map((r) => `${resourceType(r)} ${r.name}`).sort()).toEqual([
      "CasArraySiteClaim headoffice-claim",
      "ClientAccessArray headoffice-array",
      "DnsARecord headoffice-dns",
      "MailboxDatabaseRpcSetting headoffice-mb-ho-01",
      "MailboxDatabaseRpcSetting headoffice-mb-ho-02",
      "MailboxDatabaseRpcSetting headoffice-mb-ho-03",
    ]);
    for (const db of regs.filter(isDatabase)) expect(db.inputs.rpcClientAccessServer).toBe(HO.fqdn);
    // One address, and it is HO-EX2010-MB1's own: fine, but no high availability.
    expect(warnings[0]?.join("\n")).toMatch(/10\.1\.0\.11, the address of Client Access server HO-EX2010-MB1/);
  });

  it("applies: cas-headoffice / outlook-ho, the A record, MB-HO-01..03 behind the array; RDB-HO-01 and MB-BR-01 untouched", async ({
    lab,
    host,
  }) => {
    const state = new Map<string, Applied>();
    const outcome = await applyFirst(lab, host, state);
    expect(outcome.created).toEqual([
      "headoffice-array",
      "headoffice-claim",
      "headoffice-dns",
      "headoffice-mb-ho-01",
      "headoffice-mb-ho-02",
      "headoffice-mb-ho-03",
    ]);
    expect(state.get("headoffice-array")?.outputs).toMatchObject({
      arrayName: "cas-headoffice",
      fqdn: HO.fqdn,
      members: ["HO-EX2010-MB1", "HO-EX2010-MB2"],
    });
    expect(await labRecord(lab)).toEqual(["10.1.0.11"]);
    expect(await labDatabases(lab)).toEqual({
      ...ORIGINAL,
      "MB-HO-01": HO.fqdn,
      "MB-HO-02": HO.fqdn,
      "MB-HO-03": HO.fqdn,
    });
  });

  it("applies again: every Diff says no change", async ({ lab, host }) => {
    const state = new Map<string, Applied>();
    await applyFirst(lab, host, state);
    const outcome = await apply(host, await declareSite(lab, ["10.1.0.11"]), state);
    // Each wave runs concurrently, so the order within one is not fixed: compared sorted.
    expect({ ...outcome, unchanged: [...outcome.unchanged].sort() }).toEqual({
      created: [],
      updated: [],
      unchanged: [
        "headoffice-array",
        "headoffice-claim",
        "headoffice-dns",
        "headoffice-mb-ho-01",
        "headoffice-mb-ho-02",
        "headoffice-mb-ho-03",
      ],
    });
  });

  it("shows a manual Set-MailboxDatabase on refresh, and the next apply repairs it", async ({ lab, host }) => {
    const state = new Map<string, Applied>();
    await applyFirst(lab, host, state);
    await driftAndRepair(lab, host, state);
  });

  it("moves the record from one CAS to the load balancer VIP in place", async ({ lab, host }) => {
    const state = new Map<string, Applied>();
    await applyFirst(lab, host, state);
    await moveToVip(lab, host, state);
  });

  it("destroys in reverse order: the databases get their previous values back, then the record and the array go", async ({
    lab,
    host,
  }) => {
    // The whole story first: a repaired drift and the move to the VIP do not change what a database goes back to.
    const state = new Map<string, Applied>();
    await applyFirst(lab, host, state);
    await driftAndRepair(lab, host, state);
    await moveToVip(lab, host, state);
    const order = [...state.keys()].sort((a, b) => Number(a.includes("-mb-")) - Number(b.includes("-mb-"))).reverse();
    for (const name of order) {
      const s = state.get(name);
      if (s) await host.delete(s.id, s.urn, s.outputs);
    }
    expect(await labDatabases(lab)).toEqual(ORIGINAL);
    expect(await labRecord(lab)).toEqual([]);
    expect(await lab.json<unknown[]>("Get-ClientAccessArray")).toEqual([]);
  });
});
