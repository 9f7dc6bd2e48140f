// What each resource's diff decides from stored outputs and new inputs alone, with no pwsh: the
// one helper (provider/runtime/diff.ts) applying each resource's declared rules. Which input
// changes are updates, which are replaces, and which differences are no change at all (the case
// of a name, a trailing dot, a default left out, the order of addresses or of a connection's keys).
import { describe, expect, it } from "vitest";
import {
  clientAccessArray,
  clientAccessArrayDiffRules,
  type ClientAccessArrayOutputs,
} from "../../provider/runtime/clientAccessArray";
import { diffState } from "../../provider/runtime/contract";
import { canonicalJson, diffInputs, sameAs, sameName, type DiffRules } from "../../provider/runtime/diff";
import { dnsARecord, dnsARecordDiffRules, type DnsARecordOutputs } from "../../provider/runtime/dnsARecord";
import {
  mailboxDatabaseRpcSetting,
  type MailboxDatabaseRpcSettingOutputs,
} from "../../provider/runtime/mailboxDatabaseRpcSetting";
import { staticRpcPortsDiffRules, type StaticRpcPortsOutputs } from "../../provider/runtime/staticRpcPorts";
import { casArrayVerificationDiffRules, type CasArrayVerificationOutputs } from "../../provider/runtime/verification";

/** The part of a diff the engine sees. */
function engine(result: { changes: boolean; replaces: string[] }): { changes: boolean; replaces: string[] } {
  return { changes: result.changes, replaces: result.replaces };
}

describe("diffInputs, the one helper", () => {
  type Olds = { a?: unknown; held?: unknown; id?: unknown };
  const rules: DiffRules<Olds> = {
    a: { compare: "value" },
    b: { compare: "name", state: "held", replaces: true },
    c: { compare: "name", alsoState: "id", replaces: true },
    d: { compare: "value", default: "x" },
  };
  const olds = { a: { k: 1, j: [2] }, held: "Name", c: "Other", id: "guid-1" };

  it("compares objects whatever their key order, and reads the state property a rule names", () => {
    expect(diffInputs(rules, olds, { a: { j: [2], k: 1 }, b: "NAME", c: "other" })).toEqual({
      changes: false,
      replaces: [],
      changed: [],
    });
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
    expect(canonicalJson([{ b: 1, a: 2 }])).toBe('[{"a":2,"b":1}]');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(canonicalJson({ b: 1, c: 2, a: 3 })).toBe('{"a":3,"b":1,"c":2}');
    expect(canonicalJson({ kind: "lab", b: { z: 1, y: [{ d: 1, c: 2 }] } })).toBe(
      '{"b":{"y":[{"c":2,"d":1}],"z":1},"kind":"lab"}',
    );
  });

  it("lists every changed input, the replacing ones apart, in the table's order", () => {
    expect(diffInputs(rules, olds, { a: { k: 2, j: [2] }, b: "Another", c: "third", d: "y" })).toEqual({
      changes: true,
      replaces: ["b", "c"],
      changed: ["a", "b", "c", "d"],
    });
  });

  it("matches a value against a second state property (a database named by its Guid)", () => {
    expect(diffInputs(rules, olds, { a: olds.a, b: "name", c: "GUID-1" }).changed).toEqual([]);
    expect(diffInputs(rules, olds, { a: olds.a, b: "name", c: "guid-2" }).changed).toEqual(["c"]);
  });

  it("gives a value left out its default on either side", () => {
    expect(diffInputs(rules, olds, { a: olds.a, b: "name", c: "other", d: "x" }).changed).toEqual([]);
    expect(diffInputs(rules, { ...olds, d: "x" } as Olds, { a: olds.a, b: "name", c: "other" }).changed).toEqual([]);
    expect(diffInputs(rules, { ...olds, d: "y" } as Olds, { a: olds.a, b: "name", c: "other" }).changed).toEqual(["d"]);
  });

  it("is a change when the resource reports drift, with no input changed", () => {
    expect(diffInputs(rules, olds, { a: olds.a, b: "name", c: "other" }, true)).toEqual({
      changes: true,
      replaces: [],
      changed: [],
    });
  });

  it("compares names without case, FQDNs without case or trailing dot, IPv4 sets in any order", () => {
    expect(sameAs("name", "HO-EX2010-MB1", "ho-ex2010-mb1")).toBe(true);
    expect(sameAs("name", "a.example.", "a.example")).toBe(false);
    expect(sameAs("name", undefined, undefined)).toBe(false);
    expect(sameAs("name", 1, 1)).toBe(false);
    expect(sameName("Head Office", "HEAD OFFICE")).toBe(true);
    expect(sameName("Head Office", "Branch Office")).toBe(false);
    expect(sameAs("fqdn", "Outlook.Example.NET.", "outlook.example.net")).toBe(true);
    expect(sameAs("fqdn", "outlook.example.net", "outlook.example.net.")).toBe(true);
    expect(sameAs("fqdn", "outlook.example.net", "outlook.example.com")).toBe(false);
    expect(sameAs("fqdn", "outlook.example.net..", "outlook.example.net")).toBe(false);
    expect(sameAs("fqdn", undefined, "outlook.example.net")).toBe(false);
    expect(sameAs("fqdn", "outlook.example.net", 1)).toBe(false);
    expect(sameAs("ipv4Set", ["10.1.0.10", "10.1.0.9"], ["10.1.0.9", "10.1.0.10"])).toBe(true);
    expect(sameAs("ipv4Set", ["10.1.0.9"], ["10.1.0.9", "10.1.0.10"])).toBe(false);
    expect(sameAs("ipv4Set", "10.1.0.9", ["10.1.0.9"])).toBe(false);
    expect(sameAs("ipv4Set", [9], [9])).toBe(true);
    // A list that is not all addresses is compared as it is, in its order.
    expect(sameAs("ipv4Set", ["10.1.0.9", 9], [9, "10.1.0.9"])).toBe(false);
    expect(sameAs("ipv4Set", [{ a: 1 }, "10.1.0.9"], ["10.1.0.9", { a: 1 }])).toBe(false);
    expect(sameAs("value", 3600, 3600)).toBe(true);
    expect(sameAs("value", 3600, "3600")).toBe(false);
  });

  it("does not reorder an address list it compares", () => {
    const given = ["10.1.0.10", "10.1.0.9"];
    sameAs("ipv4Set", given, ["10.1.0.9", "10.1.0.10"]);
    expect(given).toEqual(["10.1.0.10", "10.1.0.9"]);
  });
});

const LAB = { kind: "lab", statePath: ".lab/state.json", modulePath: "lab/ExchangeLab.psd1" } as const;
const OTHER_LAB = { ...LAB, statePath: ".lab/other.json" };

describe("ClientAccessArray", () => {
  const olds = {
    arrayName: "cas-headoffice",
    fqdn: "outlook-ho.exchangeserverpro.net",
    site: "exchangeserverpro.net/Configuration/Sites/Head Office",
    siteName: "Head Office",
    members: ["HO-EX2010-MB1"],
    guid: "0f0e0d0c-0000-0000-0000-000000000001",
    distinguishedName: "CN=cas-headoffice",
    exchangeLegacyDn:
      "/o=First Organization/ou=Exchange Administrative Group/cn=Configuration/cn=Servers/cn=cas-headoffice",
    connection: LAB,
  } satisfies ClientAccessArrayOutputs;
  const news = {
    name: "cas-headoffice",
    fqdn: "outlook-ho.exchangeserverpro.net",
    site: "Head Office",
    connection: LAB,
  };
  const changed = (over: Record<string, unknown>, old: Partial<ClientAccessArrayOutputs> = {}) => {
    const result = diffState(clientAccessArray, { ...olds, ...old }, { ...news, ...over });
    expect(result.replaces).toEqual([]);
    return result.changes;
  };

  it("declares that nothing replaces the array: name, FQDN and site change in place", () => {
    expect(Object.entries(clientAccessArrayDiffRules).filter(([, rule]) => rule.replaces === true)).toEqual([]);
    expect(Object.keys(clientAccessArrayDiffRules)).toEqual([
      "name",
      "fqdn",
      "site",
      "adopt",
      "restore",
      "onDelete",
      "connection",
      "plannedBySite",
    ]);
  });

  it("is no change for a connection whose settings come in another order, nor an FQDN with a trailing dot", () => {
    expect(changed({ connection: { modulePath: LAB.modulePath, statePath: LAB.statePath, kind: "lab" } })).toBe(false);
    expect(changed({ fqdn: "outlook-ho.exchangeserverpro.net." })).toBe(false);
  });

  it("is a change for another adopt, as for DnsARecord", () => {
    expect(changed({ adopt: false })).toBe(false);
    expect(changed({ adopt: true })).toBe(true);
    expect(changed({}, { adopt: true })).toBe(true);
  });

  it("is no change for the same inputs, FQDN and site in another case, and defaults left out", () => {
    expect(changed({})).toBe(false);
    expect(changed({ fqdn: "Outlook-HO.ExchangeServerPro.NET", site: "HEAD OFFICE" })).toBe(false);
    expect(changed({ restore: [] })).toBe(false);
    expect(changed({}, { restore: [] })).toBe(false);
    expect(changed({ onDelete: "restore" })).toBe(false);
    expect(changed({}, { onDelete: "restore" })).toBe(false);
  });

  it("is a change for another name, FQDN, site, restore list, onDelete or connection", () => {
    expect(changed({ name: "cas-ho" })).toBe(true);
    expect(changed({ fqdn: "outlook.exchangeserverpro.net" })).toBe(true);
    expect(changed({ site: "Branch Office" })).toBe(true);
    expect(changed({ restore: [{ database: "MB-HO-01", rpcClientAccessServer: "HO-EX2010-MB1" }] })).toBe(true);
    expect(changed({ onDelete: "retain" })).toBe(true);
    expect(changed({}, { onDelete: "retain" })).toBe(true);
    expect(changed({ connection: OTHER_LAB })).toBe(true);
  });

  it("is a change when the FQDN or site is not a string (not given)", () => {
    expect(changed({ fqdn: undefined })).toBe(true);
    expect(changed({ site: undefined })).toBe(true);
  });
});

describe("DnsARecord", () => {
  const olds = {
    zone: "exchangeserverpro.net",
    name: "outlook-ho",
    fqdn: "outlook-ho.exchangeserverpro.net",
    addresses: ["10.1.0.9", "10.1.0.10"],
    ttl: 3600,
    records: [
      { address: "10.1.0.9", ttl: 3600 },
      { address: "10.1.0.10", ttl: 3600 },
    ],
    dnsServer: "DC01",
    connection: LAB,
  } satisfies DnsARecordOutputs;
  const news = {
    zone: "exchangeserverpro.net",
    name: "outlook-ho",
    dnsServer: "DC01",
    addresses: ["10.1.0.10", "10.1.0.9"],
    ttl: 3600,
    connection: LAB,
  };
  const diff = (over: Record<string, unknown>, old: Partial<DnsARecordOutputs> = {}) =>
    engine(diffState(dnsARecord, { ...olds, ...old }, { ...news, ...over }));

  it("replaces on another zone, name or DNS server: the record's identity", () => {
    expect(Object.keys(dnsARecordDiffRules).filter((key) => dnsARecordDiffRules[key]?.replaces === true)).toEqual([
      "zone",
      "name",
      "dnsServer",
    ]);
    expect(diff({ zone: "contoso.com" })).toEqual({ changes: true, replaces: ["zone"] });
    expect(diff({ name: "outlook" })).toEqual({ changes: true, replaces: ["name"] });
    expect(diff({ dnsServer: "DC02" })).toEqual({ changes: true, replaces: ["dnsServer"] });
    expect(diff({ zone: "contoso.com", name: "outlook", dnsServer: "DC02" })).toEqual({
      changes: true,
      replaces: ["zone", "name", "dnsServer"],
    });
    expect(diff({ name: undefined })).toEqual({ changes: true, replaces: ["name"] });
  });

  it("is no change for the same inputs: names in another case, addresses in another order, defaults left out", () => {
    expect(diff({})).toEqual({ changes: false, replaces: [] });
    expect(diff({ zone: "ExchangeServerPro.net", name: "Outlook-HO", dnsServer: "dc01" })).toEqual({
      changes: false,
      replaces: [],
    });
    expect(diff({ adopt: false })).toEqual({ changes: false, replaces: [] });
    expect(diff({}, { adopt: false })).toEqual({ changes: false, replaces: [] });
    expect(diff({ onDelete: "restore" })).toEqual({ changes: false, replaces: [] });
    expect(diff({ zone: "exchangeserverpro.net." })).toEqual({ changes: false, replaces: [] });
  });

  it("updates in place for other addresses, another TTL, a record whose own TTL drifted, adopt, onDelete or connection", () => {
    const update = { changes: true, replaces: [] };
    expect(diff({ addresses: ["10.1.0.9"] })).toEqual(update);
    expect(diff({ addresses: "10.1.0.9" })).toEqual(update);
    expect(diff({ ttl: 300 })).toEqual(update);
    // Outputs without per-record TTLs (none listed): the TTL input itself still counts.
    expect(diff({ ttl: 300 }, { records: [] })).toEqual(update);
    expect(
      diff(
        {},
        {
          records: [
            { address: "10.1.0.9", ttl: 3600 },
            { address: "10.1.0.10", ttl: 60 },
          ],
        },
      ),
    ).toEqual(update);
    expect(diff({ adopt: true })).toEqual(update);
    expect(diff({ onDelete: "retain" })).toEqual(update);
    expect(diff({}, { onDelete: "retain" })).toEqual(update);
    expect(diff({ connection: OTHER_LAB })).toEqual(update);
  });

  it("does not reorder the addresses it was given", () => {
    const given = ["10.1.0.10", "10.1.0.9"];
    diff({ addresses: given });
    expect(given).toEqual(["10.1.0.10", "10.1.0.9"]);
  });
});

describe("MailboxDatabaseRpcSetting", () => {
  const olds = {
    database: "MB-HO-01",
    guid: "6b1d1f0a-1c2b-4d3e-8f9a-0b1c2d3e4f50",
    server: "HO-EX2010-MB1",
    recovery: false,
    rpcClientAccessServer: "outlook-ho.exchangeserverpro.net",
    wantedRpcClientAccessServer: "outlook-ho.exchangeserverpro.net",
    appliedRpcClientAccessServer: "outlook-ho.exchangeserverpro.net",
    previousRpcClientAccessServer: "HO-EX2010-MB1.exchangeserverpro.net",
    onDelete: "restore",
    connection: LAB,
  } satisfies MailboxDatabaseRpcSettingOutputs;
  const news = {
    database: "MB-HO-01",
    rpcClientAccessServer: "outlook-ho.exchangeserverpro.net",
    onDelete: "restore",
    connection: LAB,
  };
  const diff = (over: Record<string, unknown>, old: Partial<MailboxDatabaseRpcSettingOutputs> = {}) =>
    engine(diffState(mailboxDatabaseRpcSetting, { ...olds, ...old }, { ...news, ...over }));

  it("keeps the resource for the same database named by name (any case) or by Guid", () => {
    expect(diff({})).toEqual({ changes: false, replaces: [] });
    expect(diff({ database: "mb-ho-01", rpcClientAccessServer: "OUTLOOK-HO.exchangeserverpro.net" })).toEqual({
      changes: false,
      replaces: [],
    });
    expect(diff({ database: olds.guid.toUpperCase() })).toEqual({ changes: false, replaces: [] });
  });

  it("replaces for another database, or none named", () => {
    expect(diff({ database: "MB-HO-02" })).toEqual({ changes: true, replaces: ["database"] });
    expect(diff({ database: undefined })).toEqual({ changes: true, replaces: ["database"] });
  });

  it("updates for another value, a value Exchange changed since it was applied (drift), onDelete or connection", () => {
    const update = { changes: true, replaces: [] };
    expect(diff({ rpcClientAccessServer: "HO-EX2010-MB1" })).toEqual(update);
    expect(diff({}, { rpcClientAccessServer: "HO-EX2010-MB2.exchangeserverpro.net" })).toEqual(update);
    expect(diff({}, { appliedRpcClientAccessServer: "HO-EX2010-MB2.exchangeserverpro.net" })).toEqual(update);
    expect(diff({ onDelete: "retain" })).toEqual(update);
    expect(diff({ connection: OTHER_LAB })).toEqual(update);
  });
});

describe("StaticRpcPorts (from the inputs)", () => {
  const olds = {
    site: "Head Office",
    rpcClientAccess: 59532,
    addressBook: 59533,
    connection: LAB,
    siteName: "Head Office",
    servers: [],
    loadBalancer: { protocol: "TCP", ports: [135, 59532, 59533], affinity: "client IP" },
    previous: [],
  } satisfies StaticRpcPortsOutputs;
  const news = { site: "Head Office", rpcClientAccess: 59532, addressBook: 59533, connection: LAB };
  const diff = (over: Record<string, unknown>, old: Partial<StaticRpcPortsOutputs> = {}) => {
    const result = diffInputs(staticRpcPortsDiffRules, { ...olds, ...old }, { ...news, ...over });
    return { inputsChanged: result.changed.some((key) => key !== "site"), replaces: result.replaces };
  };

  it("replaces for another site or none, not for the same site in another case", () => {
    expect(diff({ site: "Branch Office" })).toEqual({ inputsChanged: false, replaces: ["site"] });
    expect(diff({ site: "HEAD OFFICE" })).toEqual({ inputsChanged: false, replaces: [] });
    expect(diff({ site: undefined })).toEqual({ inputsChanged: false, replaces: ["site"] });
  });

  it("sees changed inputs: either port, onDelete (restore by default), connection, serverConnection", () => {
    expect(diff({}).inputsChanged).toBe(false);
    expect(diff({ onDelete: "restore" }).inputsChanged).toBe(false);
    expect(diff({ serverConnection: undefined }, { serverConnection: undefined }).inputsChanged).toBe(false);
    expect(diff({ rpcClientAccess: 59540 }).inputsChanged).toBe(true);
    expect(diff({ addressBook: 59541 }).inputsChanged).toBe(true);
    expect(diff({ onDelete: "retain" }).inputsChanged).toBe(true);
    expect(diff({}, { onDelete: "retain" }).inputsChanged).toBe(true);
    expect(diff({ connection: OTHER_LAB }).inputsChanged).toBe(true);
    expect(diff({ serverConnection: { kind: "winrm", authentication: "Kerberos" } }).inputsChanged).toBe(true);
  });
});

describe("CasArrayVerification", () => {
  const olds = {
    fqdn: "outlook-ho.exchangeserverpro.net",
    dnsServer: "DC01",
    dnsConnection: LAB,
    addresses: ["10.1.0.9", "10.1.0.10"],
    site: "Head Office",
    connection: LAB,
    mode: "warn",
    verification: {
      ok: true,
      dns: { server: "DC01", resolved: [], expected: [], ok: true },
      members: { names: [], ok: true },
      tcp: [],
      failures: [],
    },
  } satisfies CasArrayVerificationOutputs;
  const news = {
    fqdn: "outlook-ho.exchangeserverpro.net",
    dnsServer: "DC01",
    dnsConnection: LAB,
    addresses: ["10.1.0.9", "10.1.0.10"],
    site: "Head Office",
    connection: LAB,
  };
  const changed = (over: Record<string, unknown>, old: Partial<CasArrayVerificationOutputs> = {}) =>
    diffInputs(casArrayVerificationDiffRules, { ...olds, ...old } as CasArrayVerificationOutputs, { ...news, ...over })
      .changes;

  it("is no change for the same inputs, names in another case and defaults left out or spelled out", () => {
    expect(changed({})).toBe(false);
    expect(changed({ fqdn: "OUTLOOK-HO.exchangeserverpro.net", dnsServer: "dc01", site: "head office" })).toBe(false);
    expect(changed({ ports: [] })).toBe(false);
    expect(changed({ addresses: ["10.1.0.10", "10.1.0.9"], fqdn: "outlook-ho.exchangeserverpro.net." })).toBe(false);
    expect(Object.values(casArrayVerificationDiffRules).some((rule) => rule.replaces === true)).toBe(false);
    expect(changed({ mode: "warn" }, { mode: undefined } as unknown as Partial<CasArrayVerificationOutputs>)).toBe(
      false,
    );
    expect(changed({ tcpTimeoutMs: 3000 })).toBe(false);
    expect(changed({}, { tcpTimeoutMs: 3000 })).toBe(false);
  });

  it("is a change for anything it checks or how", () => {
    for (const [over, old] of [
      [{ fqdn: "outlook.exchangeserverpro.net" }, {}],
      [{ fqdn: undefined }, {}],
      [{ dnsServer: "DC02" }, {}],
      [{ site: "Branch Office" }, {}],
      [{ addresses: ["10.1.0.9"] }, {}],
      [{ ports: [135] }, {}],
      [{}, { ports: [135] }],
      [{ mode: "strict" }, {}],
      [{ tcpTimeoutMs: 5000 }, {}],
      [{}, { tcpTimeoutMs: 5000 }],
      [{ connection: OTHER_LAB }, {}],
      [{ dnsConnection: OTHER_LAB }, {}],
    ] as [Record<string, unknown>, Partial<CasArrayVerificationOutputs>][]) {
      expect([over, old, changed(over, old)]).toEqual([over, old, true]);
    }
  });
});
