// CasArraySite with databaseResources "one": the site's databases as one MailboxDatabaseRpcSettings,
// through the real dynamic-provider host against the article's lab: declared after the array and
// the record, the preview's per-database warnings still there, applied, applied again with no
// change, and destroyed with every database put back (through the array, as with one setting each).
import { describe, expect } from "vitest";
import { applyAll, destroy, resourceType, type Applied } from "../support/apply";
import { labTest as it } from "../support/fixtures";
import { ARTICLE_DATABASES, labDatabases } from "../support/lab";
import { declareSite, HO_FQDN } from "../support/site";

const HO_DATABASES = ["MB-HO-01", "MB-HO-02", "MB-HO-03"];

describe("a CasArraySite whose databases are one resource", () => {
  it("declares one MailboxDatabaseRpcSettings for the site's databases, after the array and the record, and warns about each database at preview", async ({
    lab,
  }) => {
    const declared = await declareSite(lab.connection, { databaseResources: "one" });
    expect(declared.error).toBeUndefined();
    expect(declared.regs.map((r) => `${resourceType(r)} ${r.name}`).sort()).toEqual([
      "CasArraySiteClaim headoffice-claim",
      "ClientAccessArray headoffice-array",
      "DnsARecord headoffice-dns",
      "MailboxDatabaseRpcSettings headoffice-databases",
    ]);
    const set = declared.regs.find((r) => resourceType(r) === "MailboxDatabaseRpcSettings");
    expect(set?.inputs).toMatchObject({ databases: HO_DATABASES, rpcClientAccessServer: HO_FQDN, onDelete: "retain" });
    const before = (name: string) => declared.regs.find((r) => r.name === name)?.urn;
    expect(set?.dependencies).toEqual(expect.arrayContaining([before("headoffice-array"), before("headoffice-dns")]));
    for (const db of HO_DATABASES) expect(declared.warnings.join("\n")).toContain(`Mailbox database '${db}' (`);
  });

  it("applies, applies again with no change, and destroy puts every database back", async ({ lab, host }) => {
    const state = new Map<string, Applied>();
    const first = await applyAll(host, (await declareSite(lab.connection, { databaseResources: "one" })).regs, state);
    expect(first.failed).toEqual([]);
    expect(first.created).toEqual(["headoffice-array", "headoffice-claim", "headoffice-databases", "headoffice-dns"]);
    expect(await labDatabases(lab)).toEqual({
      ...ARTICLE_DATABASES,
      "MB-HO-01": HO_FQDN,
      "MB-HO-02": HO_FQDN,
      "MB-HO-03": HO_FQDN,
    });
    const entries = state.get("headoffice-databases")?.outputs.settings as {
      database: string;
      rpcClientAccessServer: string;
    }[];
    expect(entries.map((e) => [e.database, e.rpcClientAccessServer])).toEqual(HO_DATABASES.map((db) => [db, HO_FQDN]));
    const again = await applyAll(host, (await declareSite(lab.connection, { databaseResources: "one" })).regs, state);
    expect(again).toMatchObject({ failed: [], created: [], updated: [] });
    await destroy(host, state);
    expect(await labDatabases(lab)).toEqual(ARTICLE_DATABASES);
  });
});
