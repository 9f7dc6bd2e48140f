// "Did you mean": the valid word nearest to a typo, and nothing when every valid word is far.
import { describe, expect, it } from "vitest";
import { didYouMean, nearest, notWhatWasWritten } from "../../provider/nearest";
import { checkProperties } from "../../provider/runtime/check";
import { OnDelete } from "../../provider/runtime/rules";

const KEYS = [
  "site",
  "arrayName",
  "fqdn",
  "dnsZone",
  "dnsServer",
  "addresses",
  "ttl",
  "databases",
  "exclude",
  "adopt",
  "onDelete",
  "connection",
  "rpcPorts",
  "verify",
];

describe("nearest", () => {
  it("finds the key meant by each typo the admins made", () => {
    expect(["exlude", "adpot", "onDelet", "rpcport", "adress", "dnszone"].map((typo) => nearest(typo, KEYS))).toEqual([
      "exclude",
      "adopt",
      "onDelete",
      "rpcPorts",
      "addresses",
      "dnsZone",
    ]);
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

describe("a rule's message about the value written", () => {
  it("echoes the value and the valid one nearest to it, looking into an object's mode", () => {
    expect(notWhatWasWritten("strick", ["warn", "strict"])).toBe(', not "strick" (did you mean "strict"?)');
    expect(notWhatWasWritten({ mode: "strick", tcp: true }, ["warn", "strict"])).toBe(
      ', not {"mode":"strick","tcp":true} (did you mean mode "strict"?)',
    );
    expect(notWhatWasWritten(5, ["warn", "strict"])).toBe(", not 5");
    expect(notWhatWasWritten(undefined, ["warn", "strict"])).toBe(", not undefined");
  });

  it("is part of onDelete's refusal", () => {
    const { failures } = checkProperties(
      { onDelete: OnDelete("put the value back", "leave it") },
      { onDelete: "retian" },
    );
    expect(failures).toEqual([
      {
        property: "onDelete",
        reason: `must be 'restore' (put the value back) or 'retain' (leave it), not "retian" (did you mean "retain"?)`,
      },
    ]);
  });
});
