// "Did you mean": the valid word nearest to a typo, and nothing when every valid word is far.
import { describe, expect, it } from "vitest";
import { didYouMean, nearest } from "../../provider/nearest";

const KEYS = ["site", "arrayName", "fqdn", "dnsZone", "dnsServer", "addresses", "ttl", "databases", "exclude", "adopt", "onDelete", "connection", "rpcPorts", "verify"];

describe("nearest", () => {
  it("finds the key meant by each typo the admins made", () => {
    expect(["exlude", "adpot", "onDelet", "rpcport", "adress", "dnszone"].map((typo) => nearest(typo, KEYS))).toEqual(["exclude", "adopt", "onDelete", "rpcPorts", "addresses", "dnsZone"]);
  });

  it("finds the value meant: a mode, a kind, all-in-site", () => {
    expect(nearest("strick", ["true", "false", "warn", "strict"])).toBe("strict");
    expect(nearest("lba", ["lab", "exchange", "ssh"])).toBe("lab");
    expect(nearest("all-in-sites", ["all-in-site"])).toBe("all-in-site");
    expect(nearest("Retain", ["restore", "retain"])).toBe("retain");
  });

  it("names nothing when every valid word is far, rather than a wild guess", () => {
    expect(nearest("colour", KEYS)).toBeUndefined();
    expect(nearest("MB-HO-01", ["all-in-site"])).toBeUndefined();
    expect(nearest("x", ["lab", "exchange", "ssh"])).toBeUndefined();
    expect(nearest("anything", [])).toBeUndefined();
  });

  it("says it as a sentence, or says nothing", () => {
    expect(didYouMean("strick", ["warn", "strict"])).toBe(" Did you mean 'strict'?");
    expect(didYouMean("exlude", KEYS, (k) => `\`exchange-cas:${k}\``)).toBe(" Did you mean `exchange-cas:exclude`?");
    expect(didYouMean("colour", KEYS)).toBe("");
  });
});
