// What each resource's diff decides from stored outputs and new inputs alone
// (provider/runtime/diff.ts), with no pwsh: which input changes are updates, which are replaces,
// and which differences are no change at all (the case of a name, a default left out, the order
// of addresses).
import { describe, expect, it } from "vitest";
import type { ClientAccessArrayOutputs } from "../../provider/runtime/clientAccessArray";
import {
  casArrayVerificationChanged,
  clientAccessArrayChanged,
  DNS_A_RECORD_REPLACE_ON,
  dnsARecordDiff,
  mailboxDatabaseRpcSettingDiff,
  staticRpcPortsDiff,
} from "../../provider/runtime/diff";
import type { DnsARecordOutputs } from "../../provider/runtime/dnsARecord";
import type { MailboxDatabaseRpcSettingOutputs } from "../../provider/runtime/mailboxDatabaseRpcSetting";
import type { StaticRpcPortsOutputs } from "../../provider/runtime/staticRpcPorts";
import type { CasArrayVerificationOutputs } from "../../provider/runtime/verification";

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
    exchangeLegacyDn: "/o=First Organization/ou=Exchange Administrative Group/cn=Configuration/cn=Servers/cn=cas-headoffice",
    connection: LAB,
  } satisfies ClientAccessArrayOutputs;
  const news = { name: "cas-headoffice", fqdn: "outlook-ho.exchangeserverpro.net", site: "Head Office", connection: LAB };
  const changed = (over: Record<string, unknown>, old: Partial<ClientAccessArrayOutputs> = {}) => clientAccessArrayChanged({ ...olds, ...old }, { ...news, ...over });

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
  const news = { zone: "exchangeserverpro.net", name: "outlook-ho", dnsServer: "DC01", addresses: ["10.1.0.10", "10.1.0.9"], ttl: 3600, connection: LAB };
  const diff = (over: Record<string, unknown>, old: Partial<DnsARecordOutputs> = {}) => dnsARecordDiff({ ...olds, ...old }, { ...news, ...over });

  it("replaces on another zone, name or DNS server: the record's identity", () => {
    expect(DNS_A_RECORD_REPLACE_ON).toEqual(["zone", "name", "dnsServer"]);
    expect(diff({ zone: "contoso.com" })).toEqual({ changes: true, replaces: ["zone"] });
    expect(diff({ name: "outlook" })).toEqual({ changes: true, replaces: ["name"] });
    expect(diff({ dnsServer: "DC02" })).toEqual({ changes: true, replaces: ["dnsServer"] });
    expect(diff({ zone: "contoso.com", name: "outlook", dnsServer: "DC02" })).toEqual({ changes: true, replaces: ["zone", "name", "dnsServer"] });
    expect(diff({ name: undefined })).toEqual({ changes: true, replaces: ["name"] });
  });

  it("is no change for the same inputs: names in another case, addresses in another order, defaults left out", () => {
    expect(diff({})).toEqual({ changes: false, replaces: [] });
    expect(diff({ zone: "ExchangeServerPro.net", name: "Outlook-HO", dnsServer: "dc01" })).toEqual({ changes: false, replaces: [] });
    expect(diff({ adopt: false })).toEqual({ changes: false, replaces: [] });
    expect(diff({}, { adopt: false })).toEqual({ changes: false, replaces: [] });
    expect(diff({ onDelete: "restore" })).toEqual({ changes: false, replaces: [] });
    expect(diff({}, { records: undefined } as unknown as Partial<DnsARecordOutputs>)).toEqual({ changes: false, replaces: [] });
  });

  it("updates in place for other addresses, another TTL, a record whose own TTL drifted, adopt, onDelete or connection", () => {
    const update = { changes: true, replaces: [] };
    expect(diff({ addresses: ["10.1.0.9"] })).toEqual(update);
    expect(diff({ addresses: "10.1.0.9" })).toEqual(update);
    expect(diff({ ttl: 300 })).toEqual(update);
    expect(diff({}, { records: [{ address: "10.1.0.9", ttl: 3600 }, { address: "10.1.0.10", ttl: 60 }] })).toEqual(update);
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
  const news = { database: "MB-HO-01", rpcClientAccessServer: "outlook-ho.exchangeserverpro.net", onDelete: "restore", connection: LAB };
  const diff = (over: Record<string, unknown>, old: Partial<MailboxDatabaseRpcSettingOutputs> = {}) => mailboxDatabaseRpcSettingDiff({ ...olds, ...old }, { ...news, ...over });

  it("keeps the resource for the same database named by name (any case) or by Guid", () => {
    expect(diff({})).toEqual({ changes: false, replaces: [] });
    expect(diff({ database: "mb-ho-01", rpcClientAccessServer: "OUTLOOK-HO.exchangeserverpro.net" })).toEqual({ changes: false, replaces: [] });
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
  const diff = (over: Record<string, unknown>, old: Partial<StaticRpcPortsOutputs> = {}) => staticRpcPortsDiff({ ...olds, ...old }, { ...news, ...over });

  it("replaces for another site, not for the same site in another case nor one not known yet", () => {
    expect(diff({ site: "Branch Office" })).toEqual({ inputsChanged: false, replaces: ["site"] });
    expect(diff({ site: "HEAD OFFICE" })).toEqual({ inputsChanged: false, replaces: [] });
    expect(diff({ site: undefined })).toEqual({ inputsChanged: false, replaces: [] });
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
    verification: { ok: true, dns: { server: "DC01", resolved: [], expected: [], ok: true }, members: { names: [], ok: true }, tcp: [], failures: [] },
  } satisfies CasArrayVerificationOutputs;
  const news = { fqdn: "outlook-ho.exchangeserverpro.net", dnsServer: "DC01", dnsConnection: LAB, addresses: ["10.1.0.9", "10.1.0.10"], site: "Head Office", connection: LAB };
  const changed = (over: Record<string, unknown>, old: Partial<CasArrayVerificationOutputs> = {}) =>
    casArrayVerificationChanged({ ...olds, ...old } as CasArrayVerificationOutputs, { ...news, ...over });

  it("is no change for the same inputs, names in another case and defaults left out or spelled out", () => {
    expect(changed({})).toBe(false);
    expect(changed({ fqdn: "OUTLOOK-HO.exchangeserverpro.net", dnsServer: "dc01", site: "head office" })).toBe(false);
    expect(changed({ ports: [] })).toBe(false);
    expect(changed({ mode: "warn" }, { mode: undefined } as unknown as Partial<CasArrayVerificationOutputs>)).toBe(false);
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
