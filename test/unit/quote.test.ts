// The literal text psQuote builds, on its own (no pwsh). Real pwsh reads every hostile string back
// as data in test/shell/quoteRoundTrip.test.ts.
import { describe, expect, it } from "vitest";
import { psQuote, psQuoteArray } from "../../provider/shell/quote";

describe("psQuote", () => {
  it("doubles every single-quote character PowerShell recognises, ASCII and typographic", () => {
    expect(psQuote("it's")).toBe("'it''s'");
    expect(psQuote("a\u2018b\u2019c\u201Ad\u201Be")).toBe("'a\u2018\u2018b\u2019\u2019c\u201A\u201Ad\u201B\u201Be'");
    expect(psQuote('say "$(x)"')).toBe(`'say "$(x)"'`);
    expect(psQuoteArray(["a", "b'c"])).toBe("@('a','b''c')");
  });
});
