// plannedBySite, the input a CasArraySite gives its array and databases (its plan warns once for
// the site): it says how a resource reports, not what it manages, so it never makes a change.
import { describe, expect, it } from "vitest";
import { diffInputs } from "../../provider/runtime/diff";
import { clientAccessArrayDiffRules } from "../../provider/runtime/clientAccessArray";
import { dnsARecordDiffRules } from "../../provider/runtime/dnsARecord";
import { mailboxDatabaseRpcSettingDiffRules } from "../../provider/runtime/mailboxDatabaseRpcSetting";
import { staticRpcPortsDiffRules } from "../../provider/runtime/staticRpcPorts";

const connection = { kind: "lab", statePath: "/s.json", modulePath: "/m.psd1" };

describe("plannedBySite", () => {
  it("is never a change: a stack from before it, or a resource taken out of its site, updates nothing", () => {
    const array = { arrayName: "cas-headoffice", fqdn: "outlook-ho.contoso.com", siteName: "HeadOffice", connection };
    for (const plannedBySite of [true, false, undefined]) {
      expect(
        diffInputs(clientAccessArrayDiffRules, array as never, {
          name: "cas-headoffice",
          fqdn: "outlook-ho.contoso.com",
          site: "HeadOffice",
          connection,
          plannedBySite,
        }).changed,
      ).toEqual([]);
    }
    const setting = {
      database: "MB-HO-01",
      guid: "g",
      wantedRpcClientAccessServer: "outlook-ho.contoso.com",
      onDelete: "retain",
      connection,
    };
    expect(
      diffInputs(mailboxDatabaseRpcSettingDiffRules, setting as never, {
        database: "MB-HO-01",
        rpcClientAccessServer: "outlook-ho.contoso.com",
        onDelete: "retain",
        connection,
        plannedBySite: true,
      }).changed,
    ).toEqual([]);
    const record = {
      zone: "contoso.com",
      name: "outlook-ho",
      dnsServer: "DC01",
      addresses: ["10.1.0.100"],
      ttl: 3600,
      connection,
    };
    expect(
      diffInputs(dnsARecordDiffRules, record as never, {
        zone: "contoso.com",
        name: "outlook-ho",
        dnsServer: "DC01",
        addresses: ["10.1.0.100"],
        ttl: 3600,
        connection,
        plannedBySite: true,
      }).changed,
    ).toEqual([]);
    const ports = { site: "HeadOffice", rpcClientAccess: 59532, addressBook: 59533, connection };
    for (const plannedBySite of [true, false, undefined]) {
      expect(diffInputs(staticRpcPortsDiffRules, ports as never, { ...ports, plannedBySite }).changed).toEqual([]);
    }
  });
});
