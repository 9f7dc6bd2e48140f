// The validation rules the resources add, on their own (no pwsh).
import { describe, expect, it } from "vitest";
import {
  compareIPv4,
  DnsRecordName,
  DnsZoneName,
  IPv4Address,
  IPv4AddressSet,
  relativeRecordName,
  RpcClientAccessServerName,
  SiteName,
  TimeToLiveSeconds,
} from "../../provider/runtime/rules";
import { leafName } from "../../provider/exchange/rows";
import { hostileStrings } from "../support/hostile";

function firstIssue(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } }, value: unknown): string | undefined {
  return schema.safeParse(value).error?.issues[0]?.message;
}

describe("DNS name rules", () => {
  it("makes a name relative to its zone, accepting the relative form and an FQDN inside the zone", () => {
    expect(relativeRecordName("outlook-ho", "exchangeserverpro.net")).toEqual({ name: "outlook-ho" });
    expect(relativeRecordName("outlook-ho.exchangeserverpro.net", "exchangeserverpro.net")).toEqual({ name: "outlook-ho" });
    expect(relativeRecordName("outlook-ho.exchangeserverpro.net.", "exchangeserverpro.net")).toEqual({ name: "outlook-ho" });
    expect(relativeRecordName("outlook-br.branch.exchangeserverpro.net", "exchangeserverpro.net")).toEqual({ name: "outlook-br.branch" });
  });

  it("refuses a name outside the zone, naming the zone, and the zone apex", () => {
    const outside = relativeRecordName("outlook-ho.contoso.com", "exchangeserverpro.net");
    expect(outside).toEqual({ error: expect.stringContaining("is outside zone exchangeserverpro.net") });
    // A look-alike suffix is not inside the zone.
    expect(relativeRecordName("outlook.notexchangeserverpro.net", "exchangeserverpro.net")).toHaveProperty("error");
    expect(relativeRecordName("outlook-ho.", "exchangeserverpro.net")).toHaveProperty("error");
    expect(relativeRecordName("exchangeserverpro.net", "exchangeserverpro.net")).toEqual({ error: expect.stringContaining("apex") });
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
    expect(IPv4AddressSet.parse(["10.1.0.100", "10.1.0.11", "10.1.0.100", "10.1.0.9"])).toEqual(["10.1.0.9", "10.1.0.11", "10.1.0.100"]);
    expect(compareIPv4("9.0.0.1", "10.0.0.1")).toBeLessThan(0);
  });

  it("explains what is wrong: IPv6 (AAAA not managed), range, leading zeros, shape, empty set", () => {
    expect(firstIssue(IPv4Address, "2001:db8::1")).toBe("2001:db8::1 is an IPv6 address: DnsARecord manages A records (IPv4) only; AAAA records are not managed");
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
    for (const v of ["HO-EX2010-MB1", "cas-headoffice", "cas_ho", "outlook-ho.exchangeserverpro.net", "HO-EX2010-MB1.exchangeserverpro.net"]) {
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
    const accepted = ["HeadOffice", "Head Office", "O'Brien Site", "Default-First-Site-Name", "Site_2", "R&D (Lab)", "Zürich Büro", "São Paulo", "1st Floor", "x".repeat(63)];
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
      expect([c, firstIssue(SiteName, `Head${c}Office`)]).toEqual([c, expect.stringContaining(`must not contain '${c}'`)]);
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
