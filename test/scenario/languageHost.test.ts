// What the Pulumi CLI prints for a mistake in the declaration: the program run by the Node.js
// language host (the SDK's cmd/run, as `pulumi preview` starts it), its Log calls to the engine
// recorded. Each mistake is one error line (a RunError, or a ResourceError that hides its stack),
// never "Running program ... failed with an unhandled exception" and a stack trace.
import { describe, expect, it } from "vitest";
import { runInLanguageHost } from "../support/languageHost";
import { stackFileConfig } from "../support/program";

describe("a declaration mistake as the Node.js language host prints it", () => {
  it("a mistake in the stack config is one error line on the stack, and only the stack is registered", async () => {
    const run = await runInLanguageHost({
      ...stackFileConfig("headoffice"),
      "exchange-cas:exlude": '["MB-HO-03"]',
      "exchange-cas:verify": "strick",
    });
    expect(run.logged.filter((l) => l.severity !== "debug")).toEqual([
      {
        severity: "error",
        message:
          "Stack headoffice's config: `exchange-cas:exlude` is not a setting of this program: did you mean `exchange-cas:exclude`? `exchange-cas:verify` is 'strick', not true, false, warn, strict or {mode, tcp, tcpTimeoutMs}: did you mean 'strict'? Nothing was declared.",
        urn: "",
      },
    ]);
    expect(run.registered.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
    // 32: the program failed after logging a message the user can act on.
    expect(run.exitCode).toBe(32);
  });

  it("a declaration the site's plan refuses is one error line on the CasArraySite, with nothing under it", async () => {
    const run = await runInLanguageHost({
      ...stackFileConfig("headoffice"),
      "exchange-cas:fqdn": "outlook ho.exchangeserverpro.net",
    });
    expect(run.logged.filter((l) => l.severity !== "debug")).toEqual([
      {
        severity: "error",
        message:
          "CasArraySite HeadOffice: fqdn must be a fully qualified DNS name such as outlook-ho.contoso.com (letters, digits and hyphens in dot-separated labels).",
        urn: "urn:pulumi:headoffice::exchange-cas::exchange-cas:index:CasArraySite::headoffice",
      },
    ]);
    expect(run.registered.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack", "exchange-cas:index:CasArraySite"]);
    expect(run.exitCode).toBe(32);
  });
});
