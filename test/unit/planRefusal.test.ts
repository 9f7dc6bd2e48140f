// The site's refusal (provider/plan/site.ts siteRefusal): every error finding's sentence in one
// ExchangeCasError, and the errors that caused them (the load balancer's refusal, the failed ports
// survey) kept as its cause rather than flattened into words.
import { describe, expect, it } from "vitest";
import { ExchangeCasError } from "../../provider/errors";
import type { Finding } from "../../provider/plan/judge";
import { siteRefusal } from "../../provider/plan/site";

describe("siteRefusal", () => {
  const nlbError = new ExchangeCasError("refused", "DAG members.", { refusals: ["a.", "b."] });
  const surveyError = new Error("No WSMan client.");
  const warning: Finding = { code: "nlb-planned", severity: "warning", text: "not a refusal." };

  it("says every error in order, with the refusals as details", () => {
    const error = siteRefusal("HeadOffice", [
      { code: "db-is-recovery", severity: "error", database: "RDB-HO" },
      warning,
      { code: "nlb-refused", severity: "error", text: "a.", cause: nlbError },
    ]);
    expect(error).toBeInstanceOf(ExchangeCasError);
    expect(error.code).toBe("refused");
    expect(error.message).toBe(
      "CasArraySite HeadOffice: Mailbox database 'RDB-HO' is a recovery database: Outlook clients never connect to a recovery database, so its RpcClientAccessServer is not managed; remove it from 'databases'. a.",
    );
    expect(error.details).toEqual({
      site: "HeadOffice",
      refusals: [expect.stringMatching(/^Mailbox database 'RDB-HO'/), "a."],
    });
  });

  it.each([
    {
      name: "no error behind it",
      findings: [{ code: "db-is-recovery", severity: "error", database: "RDB-HO" }] as Finding[],
      cause: undefined,
    },
    {
      name: "the load balancer's refusal, once for its sentences",
      findings: [
        { code: "nlb-refused", severity: "error", text: "a.", cause: nlbError },
        { code: "nlb-refused", severity: "error", text: "b.", cause: nlbError },
      ] as Finding[],
      cause: nlbError,
    },
    {
      name: "the failed survey",
      findings: [
        { code: "ports-refused", severity: "error", text: "No WSMan client.", cause: surveyError },
      ] as Finding[],
      cause: surveyError,
    },
  ])("keeps the cause: $name", ({ findings, cause }) => {
    expect(siteRefusal("HeadOffice", findings).cause).toBe(cause);
  });

  it("keeps both causes when the load balancer and the survey refused", () => {
    const error = siteRefusal("HeadOffice", [
      { code: "nlb-refused", severity: "error", text: "a.", cause: nlbError },
      { code: "ports-refused", severity: "error", text: "No WSMan client.", cause: surveyError },
    ]);
    expect(error.cause).toBeInstanceOf(AggregateError);
    expect((error.cause as AggregateError).errors).toEqual([nlbError, surveyError]);
  });
});
