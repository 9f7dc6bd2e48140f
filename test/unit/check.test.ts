// How `check` validates each property on its own (provider/runtime/check.ts), with no pwsh: values
// still unknown in a preview pass through, every failure names its property and says where in the
// value it is, and what passes is the normalised value.
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { ExchangeCasError } from "../../provider/errors";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  checkProperties,
  containsUnknown,
  describeIssue,
  parseChecked,
  plain,
  UNKNOWN,
} from "../../provider/runtime/check";
import { Fqdn, IPv4AddressSet } from "../../provider/runtime/rules";

describe("values not known yet (preview)", () => {
  it("uses the engine's own sentinel for an unknown value", () => {
    expect(UNKNOWN).toBe(unknownValue);
  });

  it("finds the sentinel itself, in any item of a list and in any property of an object, at any depth", () => {
    expect(containsUnknown(UNKNOWN)).toBe(true);
    expect(containsUnknown(["10.1.0.11", UNKNOWN])).toBe(true);
    expect(containsUnknown({ kind: "lab", statePath: UNKNOWN })).toBe(true);
    expect(containsUnknown({ connection: { kind: "exchange", credentials: [{ user: UNKNOWN }] } })).toBe(true);
  });

  it("finds nothing in known values, null, empty lists and objects, or a string that merely contains the sentinel", () => {
    for (const known of [
      "outlook-ho.contoso.com",
      `x${UNKNOWN}`,
      42,
      true,
      null,
      undefined,
      [],
      {},
      ["a", "b"],
      { a: 1, b: [null] },
    ]) {
      expect([known, containsUnknown(known)]).toEqual([known, false]);
    }
  });
});

describe("one issue in words", () => {
  const issue = (message: string, ...path: PropertyKey[]) => ({ message, path });

  it("is the message alone for the property as a whole", () => {
    expect(describeIssue(issue("must be a string"), "fqdn", 42)).toBe("must be a string");
  });

  it("says which item of a list (counting from 1) and which setting of an object, through nested paths", () => {
    expect(describeIssue(issue("must be an IPv4 address", 2), "addresses", ["a", "b", 5])).toBe(
      "must be an IPv4 address (item 3 of addresses)",
    );
    expect(describeIssue(issue("Invalid URL", "connectionUri"), "connection", {})).toBe(
      "Invalid URL (in connection.connectionUri)",
    );
    expect(describeIssue(issue("must be a number", "ports", 0, "port"), "verify", {})).toBe(
      "must be a number (in verify.ports.0.port)",
    );
    expect(describeIssue(issue("must be a number", "ports", 1), "verify", { ports: [1, "x"] })).toBe(
      "must be a number (item 2 of verify.ports)",
    );
  });

  it("leaves out the item when the message names its value as a whole word, trimmed", () => {
    expect(describeIssue(issue("10.1.0.300 is not an IPv4 address", 0), "addresses", [" 10.1.0.300 "])).toBe(
      "10.1.0.300 is not an IPv4 address",
    );
    expect(describeIssue(issue("bad: 10.1.0.3", 1), "addresses", ["x", "10.1.0.3"])).toBe("bad: 10.1.0.3");
    expect(describeIssue(issue("address 10.1.0.3 is bad", 0), "addresses", ["10.1.0.3"])).toBe(
      "address 10.1.0.3 is bad",
    );
    expect(describeIssue(issue("x", "hosts", 0), "site", { hosts: ["x"] })).toBe("x (in site.hosts)");
  });

  it("keeps the item when the message only contains its value inside a longer one", () => {
    const at = (message: string, value: string) => describeIssue(issue(message, 0), "addresses", [value]);
    expect(at("10.1.0.30 is not an IPv4 address", "10.1.0.3")).toBe(
      "10.1.0.30 is not an IPv4 address (item 1 of addresses)",
    );
    expect(at("110.1.0.3 is not allowed", "10.1.0.3")).toBe("110.1.0.3 is not allowed (item 1 of addresses)");
    expect(at("is x10.1.0.3", "10.1.0.3")).toBe("is x10.1.0.3 (item 1 of addresses)");
    expect(at("is 10.1.0.3x", "10.1.0.3")).toBe("is 10.1.0.3x (item 1 of addresses)");
    expect(at("is .10.1.0.3", "10.1.0.3")).toBe("is .10.1.0.3 (item 1 of addresses)");
    expect(at("is 10.1.0.3.", "10.1.0.3")).toBe("is 10.1.0.3. (item 1 of addresses)");
    // The value is matched literally: its dots are not "any character".
    expect(at("10x1x0x3 is not allowed", "10.1.0.3")).toBe("10x1x0x3 is not allowed (item 1 of addresses)");
    expect(at("a+b is not allowed", "a+")).toBe("a+b is not allowed (item 1 of addresses)");
    expect(at("(a) is odd", "(a)")).toBe("(a) is odd");
    // An empty or blank item names nothing, even in a message full of punctuation.
    expect(at('"" must be an IPv4 address, such as 192.168.10.50', "")).toBe(
      '"" must be an IPv4 address, such as 192.168.10.50 (item 1 of addresses)',
    );
    expect(at("must not be blank: , ", "  ")).toBe("must not be blank: ,  (item 1 of addresses)");
  });

  it("names no item when the value at the path is not a string, or the path runs through something that is no object", () => {
    expect(describeIssue(issue("5 is no address", 0), "addresses", [5])).toBe("5 is no address (item 1 of addresses)");
    expect(describeIssue(issue("a is bad", 0), "name", "abc")).toBe("a is bad (item 1 of name)");
    expect(describeIssue(issue("x is bad", "list", 0), "site", { list: null })).toBe("x is bad (item 1 of site.list)");
    expect(describeIssue(issue("x is bad", "list", 0), "site", null)).toBe("x is bad (item 1 of site.list)");
  });

  it("leaves out a setting's name when the message starts with it as a word", () => {
    expect(describeIssue(issue('kind "lba" is not a connection kind', "kind"), "connection", {})).toBe(
      'kind "lba" is not a connection kind',
    );
    expect(describeIssue(issue("kinds differ", "kind"), "connection", {})).toBe("kinds differ (in connection.kind)");
    expect(describeIssue(issue("the kind is wrong", "kind"), "connection", {})).toBe(
      "the kind is wrong (in connection.kind)",
    );
  });

  it("ignores symbol keys in the path", () => {
    expect(describeIssue(issue("bad", "connection", Symbol("meta")), "site", {})).toBe("bad (in site.connection)");
  });
});

describe("checkProperties", () => {
  const shape = { fqdn: Fqdn, addresses: IPv4AddressSet, note: z.string().optional() };

  it("returns the parsed (normalised) values, and leaves out an optional property that was not given", () => {
    const { inputs, failures } = checkProperties(shape, {
      fqdn: "Outlook-HO.Contoso.COM.",
      addresses: ["10.1.0.9", "10.1.0.10", "10.1.0.9"],
    });
    expect(failures).toEqual([]);
    expect(inputs).toStrictEqual({ fqdn: "outlook-ho.contoso.com", addresses: ["10.1.0.9", "10.1.0.10"] });
    expect(Object.keys(inputs)).toEqual(["fqdn", "addresses"]);
  });

  it("keeps the provider reference the engine adds, and refuses any other property the resource does not have", () => {
    const { inputs, failures } = checkProperties(shape, {
      __provider: "urn:provider::id",
      fqdn: "outlook-ho.contoso.com",
      addresses: ["10.1.0.9"],
      ttl: 60,
    });
    expect(inputs).toStrictEqual({
      __provider: "urn:provider::id",
      fqdn: "outlook-ho.contoso.com",
      addresses: ["10.1.0.9"],
    });
    expect(failures).toEqual([{ property: "ttl", reason: "'ttl' is not a property of this resource." }]);
  });

  it("passes a value still unknown (whole or in part) through untouched, and validates it only when known", () => {
    const { inputs, failures } = checkProperties(shape, { fqdn: UNKNOWN, addresses: ["NOT AN ADDRESS", UNKNOWN] });
    expect(failures).toEqual([]);
    expect(inputs).toStrictEqual({ fqdn: UNKNOWN, addresses: ["NOT AN ADDRESS", UNKNOWN] });
  });

  it("reports every issue of every property, each naming its property and where", () => {
    const { inputs, failures } = checkProperties(shape, {
      fqdn: "outlook-ho",
      addresses: ["10.1.0.9", 5, "10.1.0.300"],
    });
    expect(failures).toEqual([
      { property: "fqdn", reason: expect.stringMatching(/^must be a fully qualified DNS name/) },
      { property: "addresses", reason: "must be an IPv4 address such as 192.168.10.50 (item 2 of addresses)" },
      { property: "addresses", reason: "10.1.0.300 is not an IPv4 address: each of its four numbers must be 0-255" },
    ]);
    expect(inputs).toStrictEqual({});
  });
});

describe("parseChecked", () => {
  const schema = z.object({ connection: z.object({ kind: z.literal("lab") }), name: z.string() });

  it("returns the parsed inputs", () => {
    expect(
      parseChecked(schema, { connection: { kind: "lab" }, name: "cas", extra: 1 }, "ClientAccessArray"),
    ).toStrictEqual({ connection: { kind: "lab" }, name: "cas" });
  });

  it("throws naming the resource, the first issue's path and its message when check was bypassed", () => {
    expect(() => parseChecked(schema, { connection: { kind: "ssh" }, name: 1 }, "ClientAccessArray")).toThrow(
      new ExchangeCasError(
        "invalid-inputs",
        'Invalid ClientAccessArray inputs: connection.kind: Invalid input: expected "lab"',
        { resource: "ClientAccessArray", property: "connection.kind" },
      ),
    );
    expect(() => parseChecked(z.string(), 1, "DnsARecord")).toThrow(
      new ExchangeCasError(
        "invalid-inputs",
        "Invalid DnsARecord inputs: : Invalid input: expected string, received number",
        { resource: "DnsARecord", property: "" },
      ),
    );
  });
});

describe("plain", () => {
  it("gives outputs as the engine carries them: undefined dropped, Dates as ISO text, a fresh copy", () => {
    const value = { a: 1, b: undefined, when: new Date("2024-05-01T10:00:00Z"), list: [{ c: "x", d: undefined }] };
    const out = plain(value);
    expect(out).toStrictEqual({ a: 1, when: "2024-05-01T10:00:00.000Z", list: [{ c: "x" }] });
    expect(out.list).not.toBe(value.list);
  });
});
