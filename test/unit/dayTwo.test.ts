// The rules behind "every operation after the first apply keeps its promises", on their own (no
// pwsh): what a destroy gives a database back, which ports a server had first, what a site claim
// refuses, where a database belongs, and what an outage and a foreign record are told.
import { describe, expect, it } from "vitest";
import { homeServer, parseMailboxDatabaseRows } from "../../provider/exchange/mailboxDatabase";
import { restoreTarget } from "../../provider/runtime/clientAccessArray";
import { foreignMessage } from "../../provider/runtime/dnsARecord";
import { unreachablePortWarnings } from "../../provider/runtime/site";
import { brownfieldRefusals, newToClaim } from "../../provider/runtime/siteClaim";
import { recordPrevious } from "../../provider/runtime/staticRpcPorts";
import type { ExchangeServer } from "../../provider/exchange/exchangeServer";
import type { ServerPorts } from "../../provider/windows/rpcPorts";

const ARRAY = { name: "cas-headoffice", fqdn: "outlook-ho.exchangeserverpro.net" };
const SERVERS = [
  {
    name: "HO-EX2010-MB1",
    fqdn: "HO-EX2010-MB1.exchangeserverpro.net",
    siteName: "HeadOffice",
    isClientAccessServer: true,
  },
  {
    name: "HO-EX2010-MB2",
    fqdn: "HO-EX2010-MB2.exchangeserverpro.net",
    siteName: "HeadOffice",
    isClientAccessServer: true,
  },
  {
    name: "HO-EX2010-MBX",
    fqdn: "HO-EX2010-MBX.exchangeserverpro.net",
    siteName: "HeadOffice",
    isClientAccessServer: false,
  },
];
const found = { servers: SERVERS, arrays: [ARRAY, { name: "cas-branch", fqdn: "outlook-br.exchangeserverpro.net" }] };
const DB = { name: "MB-HO-01", server: "HO-EX2010-MB1" };

describe("what a destroy gives a database back (restoreTarget)", () => {
  it("gives back a recorded value that still names a server or another array", () => {
    expect(restoreTarget(DB, "HO-EX2010-MB2.exchangeserverpro.net", ARRAY, true, found)).toEqual({
      value: "HO-EX2010-MB2.exchangeserverpro.net",
    });
    expect(restoreTarget(DB, "outlook-br.exchangeserverpro.net", ARRAY, true, found)).toEqual({
      value: "outlook-br.exchangeserverpro.net",
    });
    expect(restoreTarget(DB, "HO-EX2010-MB2", ARRAY, false, found)).toEqual({ value: "HO-EX2010-MB2" });
  });

  it("leaves a database on an adopted array whose recorded value names nothing any more, saying what the array is called now", () => {
    const target = restoreTarget(DB, "casarray-ho.exchangeserverpro.net", ARRAY, false, found);
    expect(target.value).toBeUndefined();
    expect(target.note).toBe(
      "Mailbox database 'MB-HO-01': its recorded earlier value casarray-ho.exchangeserverpro.net no longer names an existing CAS array or server (the adopted array was probably renamed from it), so it stays on outlook-ho.exchangeserverpro.net, what the adopted array 'cas-headoffice' is called now.",
    );
  });

  it("sends a database of a removed array whose recorded value names nothing to a Client Access server of its site, saying so", () => {
    expect(restoreTarget(DB, "gone.exchangeserverpro.net", ARRAY, true, found)).toEqual({
      value: "HO-EX2010-MB1.exchangeserverpro.net",
      note: "Mailbox database 'MB-HO-01': its recorded earlier value gone.exchangeserverpro.net no longer names an existing CAS array or server, so it goes to HO-EX2010-MB1.exchangeserverpro.net, a Client Access server of its site, instead.",
    });
    // Its own server is not a Client Access server: another of its site.
    expect(restoreTarget({ name: "MB-X", server: "HO-EX2010-MBX" }, undefined, ARRAY, true, found)).toEqual({
      value: "HO-EX2010-MB1.exchangeserverpro.net",
    });
  });

  it("never gives back the array itself, by FQDN or name, and says nothing when nothing was recorded", () => {
    expect(restoreTarget(DB, "OUTLOOK-HO.exchangeserverpro.net", ARRAY, false, found)).toEqual({});
    expect(restoreTarget(DB, "cas-headoffice", ARRAY, true, found)).toEqual({
      value: "HO-EX2010-MB1.exchangeserverpro.net",
    });
    expect(restoreTarget(DB, undefined, ARRAY, false, found)).toEqual({});
  });

  it("finds no Client Access server for a database of an unknown server", () => {
    expect(restoreTarget({ name: "MB-Y", server: "NOWHERE" }, undefined, ARRAY, true, found)).toEqual({});
  });
});

function ports(configured: [number | null, number | null], kept?: [number | null, number | null]): ServerPorts {
  const setting = (port: number | null, kind: string) => ({
    configured: port,
    kind: port === null ? "None" : kind,
    value: port === null ? "" : String(port),
    listening: [],
    state: "Running",
  });
  return {
    rpcClientAccess: setting(configured[0], "DWord"),
    addressBook: setting(configured[1], "String"),
    restarted: false,
    ...(kept !== undefined ? { kept: { rpcClientAccess: kept[0], addressBook: kept[1] } } : {}),
  };
}
const server = (name: string) => ({ name }) as ExchangeServer;

describe("which ports a server had before the stack first changed it (recordPrevious)", () => {
  it("keeps what state recorded first, over what the server keeps and what it has now", () => {
    const previous = [{ server: "HO-EX2010-MB1", rpcClientAccess: null, addressBook: null }];
    expect(
      recordPrevious(previous, {
        servers: [{ server: server("HO-EX2010-MB1"), ports: ports([59532, 59533], [59000, 59001]) }],
      }),
    ).toEqual(previous);
  });

  it("takes what the server kept (an interrupted apply) over what it has now", () => {
    expect(
      recordPrevious([], {
        servers: [{ server: server("HO-EX2010-MB1"), ports: ports([59532, 59533], [null, null]) }],
      }),
    ).toEqual([{ server: "HO-EX2010-MB1", rpcClientAccess: null, addressBook: null }]);
  });

  it("takes what a server has now when nothing was recorded or kept, static ports included, sorted by server", () => {
    expect(
      recordPrevious([], {
        servers: [
          { server: server("HO-EX2010-MB2"), ports: ports([59000, 59001]) },
          { server: server("HO-EX2010-MB1"), ports: ports([null, null]) },
        ],
      }),
    ).toEqual([
      { server: "HO-EX2010-MB1", rpcClientAccess: null, addressBook: null },
      { server: "HO-EX2010-MB2", rpcClientAccess: 59000, addressBook: 59001 },
    ]);
  });
});

const CLAIM = {
  site: "HeadOffice",
  arrayName: "cas-headoffice",
  fqdn: "outlook-ho.exchangeserverpro.net",
  zone: "exchangeserverpro.net",
  dnsServer: "DC01",
};

describe("what a site claim refuses (brownfieldRefusals, newToClaim)", () => {
  it("refuses another array of the site and any A record at the name, declared address or not", () => {
    const refusals = brownfieldRefusals(CLAIM, {
      array: { name: "CASArray-HO", fqdn: "casarray-ho.exchangeserverpro.net", siteName: "HeadOffice" },
      records: ["10.1.0.11"],
    });
    expect(refusals.map((r) => r.property)).toEqual(["site", "fqdn"]);
    expect(refusals[0]?.reason).toMatch(
      /^Site HeadOffice already has CAS array 'CASArray-HO' \(casarray-ho\.exchangeserverpro\.net\), which this stack does not manage/,
    );
    expect(refusals[1]?.reason).toMatch(
      /^outlook-ho\.exchangeserverpro\.net on DNS server 'DC01' already has A record 10\.1\.0\.11 that this stack does not own\./,
    );
  });

  it("accepts an array exactly as declared (an interrupted first apply), a name with no record, and anything with adopt", () => {
    expect(
      brownfieldRefusals(CLAIM, {
        array: { name: "cas-headoffice", fqdn: "OUTLOOK-HO.exchangeserverpro.net", siteName: "headoffice" },
        records: [],
      }),
    ).toEqual([]);
    expect(
      brownfieldRefusals(
        { ...CLAIM, adopt: true },
        { array: { name: "x", fqdn: "x.exchangeserverpro.net", siteName: "HeadOffice" }, records: ["10.1.0.12"] },
      ),
    ).toEqual([]);
  });

  it("takes a site exactly as the stack leaves it (the array as declared, only declared addresses) as a stack from before the claim", () => {
    const array = { name: "cas-headoffice", fqdn: "outlook-ho.exchangeserverpro.net", siteName: "HeadOffice" };
    expect(brownfieldRefusals({ ...CLAIM, addresses: ["10.1.0.11"] }, { array, records: ["10.1.0.11"] })).toEqual([]);
    expect(
      brownfieldRefusals({ ...CLAIM, addresses: ["10.1.0.11"] }, { array, records: ["10.1.0.11", "10.1.0.12"] }).map(
        (r) => r.property,
      ),
    ).toEqual(["fqdn"]);
    expect(
      brownfieldRefusals({ ...CLAIM, addresses: ["10.1.0.11"] }, { records: ["10.1.0.11"] }).map((r) => r.property),
    ).toEqual(["fqdn"]);
    expect(brownfieldRefusals(CLAIM, { array, records: ["10.1.0.11"] }).map((r) => r.property)).toEqual(["fqdn"]);
  });

  it("judges only what is new to the claim: everything at first, the site when it changes, the name when the FQDN, zone or server does", () => {
    const claim = {
      ...CLAIM,
      connection: { kind: "lab" as const, statePath: "s", modulePath: "m" },
      dnsConnection: { kind: "lab" as const, statePath: "s", modulePath: "m" },
    };
    expect(newToClaim({}, claim)).toEqual({ site: true, name: true });
    expect(newToClaim({ ...CLAIM, fqdn: "outlook-ho.exchangeserverpro.net." }, claim)).toEqual({
      site: false,
      name: false,
    });
    expect(newToClaim({ ...CLAIM, site: "BranchOffice" }, claim)).toEqual({ site: true, name: false });
    expect(newToClaim({ ...CLAIM, dnsServer: "DC02" }, claim)).toEqual({ site: false, name: true });
    expect(newToClaim({ ...CLAIM, zone: "contoso.com" }, claim)).toEqual({ site: false, name: true });
  });
});

describe("a record the stack did not create (foreignMessage)", () => {
  it("says why a declared address does not make a record the stack's, and what adopt does", () => {
    expect(
      foreignMessage(["10.1.0.11"], {
        addresses: ["10.1.0.11"],
        dnsServer: "DC01",
        zone: "exchangeserverpro.net",
        name: "outlook-ho",
      }),
    ).toBe(
      "outlook-ho.exchangeserverpro.net on DNS server 'DC01' already has A record 10.1.0.11 that this stack does not own (10.1.0.11 is a declared address, but a record this stack did not create is not its own: one made by hand, or by an apply of this stack that was interrupted before it could record it). Remove it from DNS and run again, or set 'adopt: true' to take the name over as it is: records not in 'addresses' are then removed, and on destroy the name is released, never deleted.",
    );
    expect(
      foreignMessage(["10.1.0.12", "10.1.0.9"], {
        addresses: ["10.1.0.11"],
        dnsServer: "DC01",
        zone: "exchangeserverpro.net",
        name: "outlook-ho",
      }),
    ).toMatch(/already has A records 10\.1\.0\.9, 10\.1\.0\.12 that this stack does not own\. Remove them from DNS/);
  });
});

describe("where a database belongs (ActivationPreference)", () => {
  const row = (over: Record<string, unknown>) => ({
    Name: "MB-HO-01",
    Guid: "g",
    Server: "BR-EX2010-MB",
    Servers: ["HO-EX2010-MB1", "HO-EX2010-MB2", "BR-EX2010-MB"],
    RpcClientAccessServer: "outlook-ho.exchangeserverpro.net",
    Recovery: false,
    ExchangeLegacyDN: "",
    DistinguishedName: "",
    ...over,
  });

  it("reads the pairs as a remote session delivers them, the preferred copy's server being the home, wherever the active copy is", () => {
    const [db] = parseMailboxDatabaseRows([
      row({
        ActivationPreference: [
          "[BR-EX2010-MB, 3]",
          "[exchangeserverpro.net/Configuration/HO-EX2010-MB1, 1]",
          "[HO-EX2010-MB2, 2]",
        ],
      }),
    ]);
    expect(db?.activationPreference).toEqual([
      { server: "HO-EX2010-MB1", preference: 1 },
      { server: "HO-EX2010-MB2", preference: 2 },
      { server: "BR-EX2010-MB", preference: 3 },
    ]);
    expect(db === undefined ? undefined : homeServer(db)).toBe("HO-EX2010-MB1");
  });

  it("reads Key/Value pairs and a single pair, and falls back to the active copy's server when there is none", () => {
    const [kv] = parseMailboxDatabaseRows([row({ ActivationPreference: [{ Key: "HO-EX2010-MB2", Value: 1 }] })]);
    expect(kv === undefined ? undefined : homeServer(kv)).toBe("HO-EX2010-MB2");
    const [one] = parseMailboxDatabaseRows([row({ ActivationPreference: "[HO-EX2010-MB1, 1]" })]);
    expect(one?.activationPreference).toEqual([{ server: "HO-EX2010-MB1", preference: 1 }]);
    const [none] = parseMailboxDatabaseRows([row({ ActivationPreference: null })]);
    expect(none === undefined ? undefined : homeServer(none)).toBe("BR-EX2010-MB");
    const [absent] = parseMailboxDatabaseRows([row({})]);
    expect(absent?.activationPreference).toEqual([]);
  });
});

describe("an unreachable Client Access server in the plan", () => {
  it("says its ports keep their last known state and that the rest of the site goes ahead", () => {
    expect(
      unreachablePortWarnings("HeadOffice", [
        { server: { name: "HO-EX2010-MB2" }, reason: "WinRM cannot complete the operation" },
      ]),
    ).toEqual([
      "Static RPC ports of site HeadOffice: HO-EX2010-MB2 cannot be reached with PowerShell remoting (WinRM cannot complete the operation). Its ports keep their last known state, and only changing them waits until it is back (a first apply of rpcPorts or new ports are refused meanwhile); the DNS record, the array and the databases go ahead.",
    ]);
  });
});
