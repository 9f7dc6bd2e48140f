// The runtime contract (provider/runtime/contract.ts): state is parsed with the resource's outputs
// schema before diff, read, update or delete see it, so a state that is not what the provider
// keeps is refused with the resource kind and the property named, before anything runs.
import { describe, expect, it } from "vitest";
import { parseState } from "../../provider/runtime/contract";
import { resources } from "../../provider/runtime";
import { dnsARecord } from "../../provider/runtime/dnsARecord";

const LAB = { kind: "lab", statePath: ".lab/state.json", modulePath: "lab/ExchangeLab.psd1" } as const;
const STATE = {
  zone: "exchangeserverpro.net",
  name: "outlook-ho",
  fqdn: "outlook-ho.exchangeserverpro.net",
  addresses: ["10.1.0.9"],
  ttl: 3600,
  records: [{ address: "10.1.0.9", ttl: 3600 }],
  dnsServer: "DC01",
  connection: LAB,
};
const NEWS = {
  zone: "exchangeserverpro.net",
  name: "outlook-ho",
  dnsServer: "DC01",
  addresses: ["10.1.0.9"],
  ttl: 3600,
  connection: LAB,
};

describe("the runtime contract", () => {
  it("parses state with the kind's outputs schema, keeping what it declares and dropping the rest", () => {
    const parsed = parseState(dnsARecord.outputs, { ...STATE, __provider: "serialized", extra: 1 }, "DnsARecord");
    expect(parsed).toEqual(STATE);
  });

  it("refuses state without a property the resource keeps, naming the kind and the property", () => {
    const { records: _records, ...withoutRecords } = STATE;
    expect(() => parseState(dnsARecord.outputs, withoutRecords, "DnsARecord")).toThrow(
      /^The stack's state for this DnsARecord is not what exchange-cas keeps \(records\): /,
    );
    expect(() => parseState(dnsARecord.outputs, withoutRecords, "DnsARecord")).toThrow(
      expect.objectContaining({ code: "invalid-state", details: { kind: "DnsARecord", property: "records" } }),
    );
  });

  it("names a nested property by its whole path, gives the schema's own message, and names none for a state that is not an object", () => {
    const nested = { ...STATE, records: [{ address: "10.1.0.9", ttl: "3600" }] };
    expect(() => parseState(dnsARecord.outputs, nested, "DnsARecord")).toThrow(
      /^The stack's state for this DnsARecord is not what exchange-cas keeps \(records\.0\.ttl\): Invalid input: expected number, received string\. /,
    );
    expect(() => parseState(dnsARecord.outputs, nested, "DnsARecord")).toThrow(
      expect.objectContaining({ details: { kind: "DnsARecord", property: "records.0.ttl" } }),
    );
    expect(() => parseState(dnsARecord.outputs, null, "DnsARecord")).toThrow(
      /^The stack's state for this DnsARecord is not what exchange-cas keeps: Invalid input: expected object, received null\. /,
    );
  });

  it("runs a diff on parsed state: the same inputs are no change, a state that does not parse is refused", async () => {
    await expect(resources.dnsARecord.diff("dc01/exchangeserverpro.net/outlook-ho", STATE, NEWS)).resolves.toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    await expect(
      resources.dnsARecord.diff("dc01/exchangeserverpro.net/outlook-ho", { ...STATE, ttl: "3600" }, NEWS),
    ).rejects.toMatchObject({
      code: "invalid-state",
      details: { kind: "DnsARecord", property: "ttl" },
    });
    await expect(
      resources.dnsARecord.delete("dc01/exchangeserverpro.net/outlook-ho", { ...STATE, connection: { kind: "lba" } }),
    ).rejects.toMatchObject({
      code: "invalid-state",
      details: { kind: "DnsARecord" },
    });
  });

  it("gives every resource kind an outputs schema", () => {
    expect(Object.keys(resources).sort()).toEqual([
      "casArrayVerification",
      "clientAccessArray",
      "dnsARecord",
      "mailboxDatabaseRpcSetting",
      "mailboxDatabaseRpcSettings",
      "nlbCluster",
      "siteClaim",
      "staticRpcPorts",
    ]);
    for (const runtime of Object.values(resources)) {
      expect(typeof runtime.diff).toBe("function");
    }
  });
});
