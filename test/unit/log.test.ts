// How the provider's words reach the engine from the dynamic-provider host: a risk on stderr,
// marked "warning:"; information that is not a risk as a plain line on stdout (which the engine
// shows as info).
import { afterEach, describe, expect, it, vi } from "vitest";
import { info, warn } from "../../provider/runtime/log";

afterEach(() => vi.restoreAllMocks());

describe("the provider's log", () => {
  it("writes a warning to stderr and information to stdout, one line each", () => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    warn("MSExchangeRPC restarts.");
    info("HO-EX2010-MB1: done.");
    expect(err.mock.calls).toEqual([["warning: MSExchangeRPC restarts.\n"]]);
    expect(out.mock.calls).toEqual([["HO-EX2010-MB1: done.\n"]]);
  });
});
