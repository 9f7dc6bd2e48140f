// What a mistake in a setting reads like: one sentence that says which value is wrong and what to
// write instead, never a raw ZodError dump and never a bare "(at 0)".
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { checkProperties } from "../../provider/runtime/check";
import { IPv4AddressSet } from "../../provider/runtime/rules";
import { ConnectionSchema, parseConnection } from "../../provider/shell/connection";

function reasons(property: string, schema: typeof IPv4AddressSet | typeof ConnectionSchema, value: unknown): string[] {
  return checkProperties({ [property]: schema }, { [property]: value }).failures.map(
    (f) => `${f.property}: ${f.reason}`,
  );
}

function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("an IPv4 address in a list", () => {
  it("names the wrong address itself, without a list index", () => {
    expect(reasons("addresses", IPv4AddressSet, ["10.1.0.300"])).toEqual([
      "addresses: 10.1.0.300 is not an IPv4 address: each of its four numbers must be 0-255",
    ]);
    expect(reasons("addresses", IPv4AddressSet, ["10.1.0.11", "10.1.0"])).toEqual([
      'addresses: "10.1.0" must be an IPv4 address in dotted-quad form, such as 192.168.10.50',
    ]);
  });

  it("says which item in words when the message cannot name it", () => {
    expect(reasons("addresses", IPv4AddressSet, ["10.1.0.11", 5])).toEqual([
      "addresses: must be an IPv4 address such as 192.168.10.50 (item 2 of addresses)",
    ]);
  });

  it("a single value where the list belongs says to use a list", () => {
    expect(reasons("addresses", IPv4AddressSet, "10.1.0.11")).toEqual([
      'addresses: must be a list of IPv4 addresses, such as ["192.168.10.50"]',
    ]);
  });
});

describe("connection settings", () => {
  it("a mistyped kind is one sentence naming the valid kinds", () => {
    expect(reasons("connection", ConnectionSchema, { kind: "lba" })).toEqual([
      'connection: kind "lba" is not a connection kind: use lab, exchange or ssh',
    ]);
    expect(reasons("connection", ConnectionSchema, { statePath: "/x" })).toEqual([
      "connection: kind is missing: set kind to lab, exchange or ssh",
    ]);
    expect(reasons("connection", ConnectionSchema, "lab")).toEqual([
      "connection: must be a connection: an object whose kind is lab, exchange or ssh, with that kind's settings",
    ]);
  });

  it("a wrong setting of a kind names the setting in words", () => {
    expect(
      reasons("connection", ConnectionSchema, {
        kind: "exchange",
        connectionUri: "ftp://mail.contoso.com/PowerShell/",
      }),
    ).toEqual(["connection: Invalid URL (in connection.connectionUri)"]);
  });

  it("parseConnection throws one readable Error, not a ZodError dump", () => {
    const error = thrown(() => parseConnection({ kind: "lba" }, "connection", "CasArraySite HeadOffice"));
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ZodError);
    expect((error as Error).message).toBe(
      'Invalid connection of CasArraySite HeadOffice: kind "lba" is not a connection kind: use lab, exchange or ssh.',
    );
    expect(
      (thrown(() => parseConnection({ kind: "lab", statePath: "", modulePath: "/m.psd1" }, "dnsConnection")) as Error)
        .message,
    ).toBe("Invalid dnsConnection: Too small: expected string to have >=1 characters (in dnsConnection.statePath).");
    expect(parseConnection({ kind: "lab", statePath: "/s.json", modulePath: "/m.psd1" }, "connection")).toEqual({
      kind: "lab",
      statePath: "/s.json",
      modulePath: "/m.psd1",
    });
  });
});
