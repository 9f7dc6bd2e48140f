// The validation rules the resources add, on their own (no pwsh).
import { describe, expect, it } from "vitest";
import {
  ArrayName,
  compareIPv4,
  DnsRecordName,
  DnsServerName,
  DnsZoneName,
  ExchangeName,
  exchangeVersion,
  Fqdn,
  IPv4Address,
  IPv4AddressSet,
  isHostName,
  relativeRecordName,
  RpcClientAccessServerName,
  SiteName,
  StaticRpcPort,
  StaticRpcPortPair,
  TimeToLiveSeconds,
} from "../../provider/runtime/rules";
import { leafName } from "../../provider/exchange/rows";
import { hostileStrings } from "../support/hostile";

type Schema = { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } };

/** Every issue's message, in order: each rule of a schema is seen on its own. */
function messages(schema: Schema, value: unknown): string[] {
  return schema.safeParse(value).error?.issues.map((i) => i.message) ?? [];
}

function firstIssue(
  schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } },
  value: unknown,
): string | undefined {
  return schema.safeParse(value).error?.issues[0]?.message;
}

describe("DNS name rules", () => {
  it("makes a name relative to its zone, accepting the relative form and an FQDN inside the zone", () => {
    expect(relativeRecordName("outlook-ho", "exchangeserverpro.net")).toEqual({ name: "outlook-ho" });
    expect(relativeRecordName("outlook-ho.exchangeserverpro.net", "exchangeserverpro.net")).toEqual({
      name: "outlook-ho",
    });
    expect(relativeRecordName("outlook-ho.exchangeserverpro.net.", "exchangeserverpro.net")).toEqual({
      name: "outlook-ho",
    });
    expect(relativeRecordName("outlook-br.branch.exchangeserverpro.net", "exchangeserverpro.net")).toEqual({
      name: "outlook-br.branch",
    });
  });

  it("refuses a name outside the zone, naming the zone, and the zone apex", () => {
    const outside = relativeRecordName("outlook-ho.contoso.com", "exchangeserverpro.net");
    expect(outside).toEqual({ error: expect.stringContaining("is outside zone exchangeserverpro.net") });
    // A look-alike suffix is not inside the zone.
    expect(relativeRecordName("outlook.notexchangeserverpro.net", "exchangeserverpro.net")).toHaveProperty("error");
    expect(relativeRecordName("outlook-ho.", "exchangeserverpro.net")).toHaveProperty("error");
    expect(relativeRecordName("exchangeserverpro.net", "exchangeserverpro.net")).toEqual({
      error: expect.stringContaining("apex"),
    });
    expect(relativeRecordName("@", "exchangeserverpro.net")).toEqual({ error: expect.stringContaining("apex") });
  });

  it("lower-cases zones and names and drops a zone's trailing dot", () => {
    expect(DnsZoneName.parse("ExchangeServerPro.NET.")).toBe("exchangeserverpro.net");
    expect(DnsRecordName.parse("Outlook-HO")).toBe("outlook-ho");
    expect(firstIssue(DnsZoneName, "exchange server pro")).toMatch(/DNS zone name/);
    expect(firstIssue(DnsRecordName, "-outlook")).toMatch(/host name/);
  });

  it("rejects every hostile string as a zone or record name", () => {
    // None of the corpus is a DNS name: each has a character no label may hold, or is too long
    // (10,000 letters: a label holds at most 63 characters, a name 253). Compared as whole lists,
    // so an accepted string is named in the failure.
    const corpus = hostileStrings("/tmp/canary");
    expect(corpus.filter((v) => DnsZoneName.safeParse(v).success)).toEqual([]);
    expect(corpus.filter((v) => DnsRecordName.safeParse(v).success)).toEqual([]);
  });
});

describe("IPv4 address rules", () => {
  it("accepts dotted quads and sorts a set numerically without duplicates", () => {
    expect(IPv4Address.parse(" 10.1.0.100 ")).toBe("10.1.0.100");
    expect(IPv4AddressSet.parse(["10.1.0.100", "10.1.0.11", "10.1.0.100", "10.1.0.9"])).toEqual([
      "10.1.0.9",
      "10.1.0.11",
      "10.1.0.100",
    ]);
    expect(compareIPv4("9.0.0.1", "10.0.0.1")).toBeLessThan(0);
  });

  it("explains what is wrong: IPv6 (AAAA not managed), range, leading zeros, shape, empty set", () => {
    expect(firstIssue(IPv4Address, "2001:db8::1")).toBe(
      "2001:db8::1 is an IPv6 address: DnsARecord manages A records (IPv4) only; AAAA records are not managed",
    );
    expect(firstIssue(IPv4Address, "::ffff:10.1.0.1")).toMatch(/IPv6/);
    expect(firstIssue(IPv4Address, "10.1.0.300")).toMatch(/0-255/);
    expect(firstIssue(IPv4Address, "10.1.0.011")).toMatch(/leading zero/);
    expect(firstIssue(IPv4Address, "10.1.0")).toMatch(/dotted-quad/);
    expect(firstIssue(IPv4Address, "10.1.0.1/24")).toMatch(/dotted-quad/);
    expect(firstIssue(IPv4Address, "0x0a.1.0.1")).toMatch(/dotted-quad/);
    expect(firstIssue(IPv4Address, 167837697)).toMatch(/IPv4 address/);
    expect(firstIssue(IPv4AddressSet, [])).toMatch(/at least one IPv4 address/);
    expect(IPv4Address.safeParse("0.0.0.0").success).toBe(true);
    expect(IPv4Address.safeParse("255.255.255.255").success).toBe(true);
  });

  it("rejects every hostile string as an address", () => {
    for (const value of hostileStrings("/tmp/canary")) expect(IPv4Address.safeParse(value).success).toBe(false);
  });
});

describe("TTL rule", () => {
  it("takes whole seconds from 1 to 2147483647", () => {
    expect(TimeToLiveSeconds.parse(1)).toBe(1);
    expect(TimeToLiveSeconds.parse(2147483647)).toBe(2147483647);
    expect(firstIssue(TimeToLiveSeconds, 0)).toMatch(/at least 1 second/);
    expect(firstIssue(TimeToLiveSeconds, 2147483648)).toMatch(/at most 2147483647/);
    expect(firstIssue(TimeToLiveSeconds, 60.5)).toMatch(/whole number/);
    expect(firstIssue(TimeToLiveSeconds, "3600")).toMatch(/number of seconds/);
  });
});

describe("RpcClientAccessServer rule", () => {
  it("accepts a server or array name and an FQDN", () => {
    for (const v of [
      "HO-EX2010-MB1",
      "cas-headoffice",
      "cas_ho",
      "outlook-ho.exchangeserverpro.net",
      "HO-EX2010-MB1.exchangeserverpro.net",
    ]) {
      expect(RpcClientAccessServerName.safeParse(v).success).toBe(true);
    }
  });

  it("refuses URLs, spaces, control characters and every hostile string", () => {
    expect(firstIssue(RpcClientAccessServerName, "http://outlook-ho/")).toMatch(/Client Access server or CAS array/);
    expect(firstIssue(RpcClientAccessServerName, "cas headoffice")).toBe("must not contain spaces");
    expect(firstIssue(RpcClientAccessServerName, "cas\u0000")).toMatch(/control characters/);
    expect(firstIssue(RpcClientAccessServerName, "")).toBe("must not be empty");
    expect(hostileStrings("/tmp/canary").filter((v) => RpcClientAccessServerName.safeParse(v).success)).toEqual([]);
  });
});

describe("AD site name rule", () => {
  it("accepts the names AD accepts: spaces, apostrophes, ampersands, parentheses, accents, 63 characters", () => {
    const accepted = [
      "HeadOffice",
      "Head Office",
      "O'Brien Site",
      "Default-First-Site-Name",
      "Site_2",
      "R&D (Lab)",
      "Zürich Büro",
      "São Paulo",
      "1st Floor",
      "x".repeat(63),
    ];
    // Every name is compared as a whole list, so one refusal fails the test with its name.
    expect(accepted.map((v) => [v, SiteName.safeParse(v).success])).toEqual(accepted.map((v) => [v, true]));
    // The name is kept exactly as given: Exchange matches it as typed.
    expect(SiteName.parse("O'Brien Site")).toBe("O'Brien Site");
    expect(SiteName.parse("Head Office")).toBe("Head Office");
  });

  it("refuses what AD refuses, saying what to do", () => {
    expect(firstIssue(SiteName, "")).toBe("must not be empty");
    expect(firstIssue(SiteName, "x".repeat(64))).toMatch(/at most 63 characters/);
    expect(firstIssue(SiteName, 42)).toMatch(/name of an Active Directory site/);
    expect(firstIssue(SiteName, " Head Office")).toMatch(/must not start or end with spaces/);
    expect(firstIssue(SiteName, "Head Office ")).toMatch(/must not start or end with spaces/);
    expect(firstIssue(SiteName, "Head\u00a0Office\u00a0")).toMatch(/must not start or end with spaces/);
    expect(firstIssue(SiteName, "   ")).toMatch(/must not start or end with spaces/);
    expect(firstIssue(SiteName, "Head\nOffice")).toMatch(/control or invisible characters/);
    expect(firstIssue(SiteName, "Head\tOffice")).toMatch(/control or invisible characters/);
    expect(firstIssue(SiteName, "Head\u0000Office")).toMatch(/control or invisible characters/);
    expect(firstIssue(SiteName, "HeadOffice\u200b")).toMatch(/control or invisible characters/);
    expect(firstIssue(SiteName, "#HeadOffice")).toMatch(/must not contain '#'/);
    for (const c of [",", "\\", "/", "#", "+", '"', "<", ">", ";", "="]) {
      expect([c, firstIssue(SiteName, `Head${c}Office`)]).toEqual([
        c,
        expect.stringContaining(`must not contain '${c}'`),
      ]);
      expect([c, firstIssue(SiteName, `Head${c}Office`)]).toEqual([c, expect.stringContaining("such as Head Office")]);
    }
    expect(firstIssue(SiteName, "Head.Office")).toMatch(/must not contain '\.'.*DNS/);
    expect(firstIssue(SiteName, "Head*")).toMatch(/must not contain '\*'.*wildcard/);
  });

  it("accepts from the hostile corpus only names without AD's forbidden characters, unchanged", () => {
    const corpus = hostileStrings("/tmp/canary");
    const accepted = corpus.filter((v) => SiteName.safeParse(v).success);
    // Whatever is accepted is data for psQuote (test/security/hostile.test.ts proves it reaches
    // Exchange as a literal); here: none of it has a forbidden character, a control character or
    // outer spaces, and none of the canary commands (they all contain a path with '/') is accepted.
    for (const v of accepted) {
      expect(v).not.toMatch(/[,\\/#+"<>;=.*\p{Cc}\p{Cf}\u2028\u2029]/u);
      expect(v.trim()).toBe(v);
      expect(v.length).toBeLessThanOrEqual(63);
    }
    expect(accepted.some((v) => v.includes("canary"))).toBe(false);
    expect(accepted).toContain("'");
    expect(accepted.length).toBeLessThan(corpus.length);
  });
});

describe("site name from an ADObjectId's canonical path", () => {
  it("takes the last segment, spaces and apostrophes included", () => {
    expect(leafName("contoso.com/Configuration/Sites/Head Office")).toBe("Head Office");
    expect(leafName("contoso.com/Configuration/Sites/O'Brien Site")).toBe("O'Brien Site");
    expect(leafName("contoso.com/Configuration/Sites/HeadOffice")).toBe("HeadOffice");
  });
});

describe("host names", () => {
  it("takes letters, digits and hyphens in labels of 1-63 characters, with or without a trailing dot", () => {
    expect(isHostName("outlook-ho.contoso.com")).toBe(true);
    expect(isHostName("outlook-ho.contoso.com.")).toBe(true);
    expect(isHostName("DC01")).toBe(true);
    expect(isHostName("a.b")).toBe(true);
    expect(isHostName(`${"a".repeat(63)}.com`)).toBe(true);
    expect(isHostName(`${"a".repeat(64)}.com`)).toBe(false);
    expect(isHostName("out_look.contoso.com")).toBe(false);
    // The trailing dot is dropped, not the rest of the name.
    expect(isHostName("a_b.")).toBe(false);
    expect(isHostName("-a.contoso.com")).toBe(false);
    expect(isHostName("a-.contoso.com")).toBe(false);
    expect(isHostName("a..com")).toBe(false);
    expect(isHostName("")).toBe(false);
    expect(isHostName(".")).toBe(false);
  });

  it("takes at most 253 characters (without the trailing dot)", () => {
    // Four labels: 63 + 63 + 63 + 61 and three dots = 253 characters.
    const longest = ["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61)].join(".");
    expect(longest).toHaveLength(253);
    expect(isHostName(longest)).toBe(true);
    expect(isHostName(`${longest}.`)).toBe(true);
    expect(isHostName(`${longest}d`)).toBe(false);
  });
});

describe("FQDN rule", () => {
  it("lower-cases, trims and drops the trailing dot", () => {
    expect(Fqdn.parse(" Outlook-HO.Contoso.COM. ")).toBe("outlook-ho.contoso.com");
    expect(Fqdn.parse("contoso.com")).toBe("contoso.com");
  });

  it("needs at least two labels, and says so; a non-string says what to give", () => {
    const fqdn =
      "must be a fully qualified DNS name such as outlook-ho.contoso.com (letters, digits and hyphens in dot-separated labels)";
    expect(messages(Fqdn, "outlook-ho")).toEqual([fqdn]);
    expect(messages(Fqdn, "outlook-ho.")).toEqual([fqdn]);
    expect(messages(Fqdn, "outlook_ho.contoso.com")).toEqual([fqdn]);
    expect(messages(Fqdn, 42)).toEqual(["must be a string such as outlook-ho.contoso.com"]);
  });
});

describe("CAS array name rule", () => {
  it("takes letters, digits, hyphens, underscores and dots, up to 64 characters", () => {
    for (const v of ["cas-headoffice", "CAS_HO.1", "a", "1", "x".repeat(64)])
      expect([v, ArrayName.parse(v)]).toEqual([v, v]);
  });

  it("says which rule a name breaks", () => {
    const chars =
      "must be letters, digits, hyphens, underscores and dots, starting with a letter or digit (such as cas-headoffice)";
    expect(messages(ArrayName, 7)).toEqual(["must be a string such as cas-headoffice"]);
    expect(messages(ArrayName, "")).toEqual(["must not be empty", chars]);
    expect(messages(ArrayName, "x".repeat(65))).toEqual([
      "must be at most 64 characters (Exchange's limit for a CAS array name)",
    ]);
    expect(messages(ArrayName, "cas ho")).toEqual([
      "must not contain spaces: Exchange cannot use such a name as an Identity later",
      chars,
    ]);
    expect(messages(ArrayName, "cas\u0085")).toEqual(["must not contain control characters such as newlines", chars]);
    expect(messages(ArrayName, "-cas")).toEqual([chars]);
    expect(messages(ArrayName, "_cas")).toEqual([chars]);
    expect(messages(ArrayName, "cas!")).toEqual([chars]);
    expect(messages(ArrayName, "ca!s")).toEqual([chars]);
  });
});

describe("Exchange name rule", () => {
  it("takes any printable name of 1-64 characters, spaces inside included, exactly as given", () => {
    for (const v of ["DB1", "Mailbox Database 0123456789", "HO-EX2010-MB1", "x".repeat(64)])
      expect(ExchangeName.parse(v)).toBe(v);
  });

  it("says which rule a name breaks", () => {
    expect(messages(ExchangeName, 1)).toEqual(["must be a string"]);
    expect(messages(ExchangeName, "")).toEqual(["must not be empty"]);
    expect(messages(ExchangeName, "x".repeat(65))).toEqual(["must be at most 64 characters"]);
    expect(messages(ExchangeName, "DB\u00071")).toEqual(["must not contain control characters such as newlines"]);
    expect(messages(ExchangeName, " DB1")).toEqual(["must not start or end with spaces"]);
    expect(messages(ExchangeName, "DB1 ")).toEqual(["must not start or end with spaces"]);
    expect(messages(ExchangeName, "DB1\n")).toEqual([
      "must not contain control characters such as newlines",
      "must not start or end with spaces",
    ]);
  });
});

describe("DNS zone, record and server names", () => {
  it("says what to give for a value that is not a name", () => {
    expect(messages(DnsZoneName, 1)).toEqual(["must be a DNS zone name such as exchangeserverpro.net"]);
    expect(messages(DnsZoneName, "exchange_server.net")).toEqual([
      "must be a DNS zone name such as exchangeserverpro.net (letters, digits and hyphens in dot-separated labels)",
    ]);
    expect(messages(DnsRecordName, 1)).toEqual([
      "must be a host name such as outlook-ho (relative to the zone) or outlook-ho.exchangeserverpro.net",
    ]);
    expect(messages(DnsRecordName, "outlook ho")).toEqual([
      "must be a host name such as outlook-ho or outlook-ho.exchangeserverpro.net (letters, digits and hyphens in dot-separated labels)",
    ]);
    expect(messages(DnsServerName, 1)).toEqual(["must be the DNS server's name, such as DC01"]);
    expect(messages(DnsServerName, "dc01\\dns")).toEqual([
      "must be the DNS server's name, FQDN or IPv4 address, such as DC01 or dc01.exchangeserverpro.net",
    ]);
  });

  it("keeps a record name's trailing dot (it marks an FQDN) and takes @, the zone apex, for relativeRecordName to refuse", () => {
    expect(DnsRecordName.parse(" Outlook-HO.ExchangeServerPro.NET. ")).toBe("outlook-ho.exchangeserverpro.net.");
    expect(DnsRecordName.parse("@")).toBe("@");
    expect(DnsZoneName.parse(" exchangeserverpro.net ")).toBe("exchangeserverpro.net");
    expect(DnsZoneName.parse("net")).toBe("net");
  });

  it("takes a DNS server by name, FQDN or address, trimmed and without a trailing dot, its case kept", () => {
    expect(DnsServerName.parse(" DC01 ")).toBe("DC01");
    expect(DnsServerName.parse("DC01.ExchangeServerPro.net.")).toBe("DC01.ExchangeServerPro.net");
    expect(DnsServerName.parse("10.1.0.5")).toBe("10.1.0.5");
  });
});

describe("IPv4 ordering", () => {
  it("orders by each number in turn, then the same addresses are equal", () => {
    expect(compareIPv4("10.0.0.1", "9.0.0.1")).toBeGreaterThan(0);
    expect(compareIPv4("10.0.0.2", "10.0.0.1")).toBeGreaterThan(0);
    expect(compareIPv4("10.0.0.1", "10.0.0.2")).toBeLessThan(0);
    expect(compareIPv4("10.0.1.0", "10.0.0.255")).toBeGreaterThan(0);
    expect(compareIPv4("10.1.0.9", "10.1.0.9")).toBe(0);
    expect(IPv4AddressSet.parse(["10.1.0.100", "10.1.0.20", "9.255.255.255", "10.0.0.0"])).toEqual([
      "9.255.255.255",
      "10.0.0.0",
      "10.1.0.20",
      "10.1.0.100",
    ]);
  });

  it("compares the four numbers only, then the text: a fifth part is not a number it orders by", () => {
    // As text, "...9" comes after "...10"; as a fifth number it would come before.
    expect(compareIPv4("10.1.0.1.9", "10.1.0.1.10")).toBeGreaterThan(0);
  });
});

describe("what the rules report as custom issues", () => {
  it("marks its own refusals as custom issues (as zod's formatters expect)", () => {
    const codes = (schema: { safeParse(v: unknown): { error?: { issues: { code: string }[] } } }, value: unknown) =>
      schema.safeParse(value).error?.issues.map((i) => i.code);
    expect(codes(SiteName, "Head\nOffice")).toEqual(["custom"]);
    expect(codes(SiteName, " Head Office")).toEqual(["custom"]);
    expect(codes(SiteName, "Head/Office")).toEqual(["custom"]);
    expect(codes(IPv4Address, "::1")).toEqual(["custom"]);
    expect(codes(IPv4Address, "10.1.0")).toEqual(["custom"]);
    expect(codes(IPv4Address, "10.1.0.256")).toEqual(["custom"]);
    expect(codes(IPv4Address, "10.1.0.01")).toEqual(["custom"]);
  });

  it("names the forbidden character of a site name, and only the dot and the asterisk get a reason of their own", () => {
    const tail =
      ': Active Directory site names cannot contain , \\ / # + " < > ; = . or *; give the site name as Active Directory Sites and Services shows it (such as Head Office)';
    expect(messages(SiteName, "Head,Office")).toEqual([`must not contain ','${tail}`]);
    expect(messages(SiteName, "Head.Office")).toEqual([
      `must not contain '.': domain controllers register the site name as one DNS label${tail}`,
    ]);
    expect(messages(SiteName, "Head*")).toEqual([`must not contain '*': Exchange reads it as a wildcard${tail}`]);
  });
});

describe("one reason per site name", () => {
  it("reports only the first thing wrong: invisible characters before outer spaces before a forbidden character", () => {
    expect(messages(SiteName, " Head\tOffice")).toEqual([
      expect.stringMatching(/^must not contain control or invisible characters/),
    ]);
    expect(messages(SiteName, " Head,Office")).toEqual([expect.stringMatching(/^must not start or end with spaces/)]);
  });
});

describe("IPv4 address shape", () => {
  it("takes only one to three digits in each of the four parts", () => {
    const shape = (v: string) =>
      `${JSON.stringify(v)} must be an IPv4 address in dotted-quad form, such as 192.168.10.50`;
    for (const v of ["x10.1.0.1", "10a.1.0.1", "1000.1.0.1", "10.1.0."])
      expect([v, messages(IPv4Address, v)]).toEqual([v, [shape(v)]]);
    expect(IPv4Address.parse("1.22.255.0")).toBe("1.22.255.0");
  });
});

describe("RpcClientAccessServer rule, limits", () => {
  it("refuses a name that starts with anything but a letter or digit", () => {
    expect(firstIssue(RpcClientAccessServerName, "_cas-ho")).toMatch(
      /^must name a Client Access server or CAS array by its name/,
    );
  });

  it("takes a name of up to 64 characters that is no host name, and an FQDN of up to 255", () => {
    expect(RpcClientAccessServerName.safeParse(`a${"_".repeat(63)}`).success).toBe(true);
    expect(firstIssue(RpcClientAccessServerName, `a${"_".repeat(64)}`)).toMatch(
      /^must name a Client Access server or CAS array by its name/,
    );
    expect(messages(RpcClientAccessServerName, "x".repeat(256))).toContain("must be at most 255 characters");
    expect(messages(RpcClientAccessServerName, 5)).toEqual([
      "must name a Client Access server or CAS array, such as outlook-ho.exchangeserverpro.net",
    ]);
  });
});

describe("Exchange versions and port messages", () => {
  it("reads AdminDisplayVersion only at the start, after any spaces, with minors of any length", () => {
    expect(exchangeVersion("  Version 14.3 (Build 123.4)")).toEqual({ major: 14, minor: 3 });
    expect(exchangeVersion("Version 14.12 (Build 1.0)")).toEqual({ major: 14, minor: 12 });
    expect(exchangeVersion("Build Version 14.3")).toBeUndefined();
  });

  it("says what a port must be when it is not a number, and what the pair must be when it is no object", () => {
    expect(messages(StaticRpcPort, "59532")).toEqual(["must be a TCP port number"]);
    expect(messages(StaticRpcPortPair, 59532)).toEqual([
      "must be { rpcClientAccess, addressBook }: two TCP port numbers",
    ]);
  });
});
