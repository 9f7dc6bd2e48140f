// The main job's program (examples/dist, what Pulumi.yaml runs) with a mistake in the stack config
// an admin wrote: one error before anything is declared, naming what was meant; nothing is
// registered and the lab (the organisation) is as it was.
import { describe, expect } from "vitest";
import { labTest as it } from "../support/fixtures";
import type { Lab } from "../support/lab";
import { runExample, stackFileConfig } from "../support/program";

/** Pulumi.headoffice.yaml as the engine hands it to the program, on this test's lab, with `changes` (undefined removes a key). */
function headoffice(lab: Lab, changes: Record<string, string | undefined> = {}): Record<string, string> {
  const config: Record<string, string | undefined> = {
    ...stackFileConfig("headoffice"),
    "exchange-cas:connection": JSON.stringify(lab.connection),
    ...changes,
  };
  return Object.fromEntries(Object.entries(config).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Runs the program with `config` and returns its refusal, after checking that it changed nothing. */
async function refused(
  lab: Lab,
  config: Record<string, string>,
  secretKeys: string[] = [],
): Promise<string | undefined> {
  const before = lab.readState();
  const run = await runExample(config, secretKeys);
  expect(run.regs).toEqual([]);
  expect(lab.readState()).toEqual(before);
  return run.error?.message;
}

const EXCHANGE = JSON.stringify({
  kind: "exchange",
  connectionUri: "http://ho-ex2010-mb1.contoso.com/PowerShell/",
  authentication: "Basic",
  username: "CONTOSO\\svc-pulumi",
});

describe("the site program refuses a stack config with a mistake, before anything is declared", () => {
  it("declares the site when the config is right", async ({ lab }) => {
    const run = await runExample(headoffice(lab));
    expect(run.error).toBeUndefined();
    expect(run.regs.map((r) => r.name)).toContain("headoffice-mb-ho-03");
  });

  it("a misspelt optional key (exlude: [MB-HO-03]) is refused, naming exclude, instead of changing MB-HO-03", async ({
    lab,
  }) => {
    expect(await refused(lab, headoffice(lab, { "exchange-cas:exlude": '["MB-HO-03"]' }))).toBe(
      "Stack test's config: `exchange-cas:exlude` is not a setting of this program: did you mean `exchange-cas:exclude`? Nothing was declared.",
    );
  });

  it("a misspelt required key (adress) names the key written and the required key it stands for", async ({ lab }) => {
    expect(
      await refused(
        lab,
        headoffice(lab, { "exchange-cas:addresses": undefined, "exchange-cas:adress": '["10.1.0.11"]' }),
      ),
    ).toBe(
      "Stack test's config: `exchange-cas:adress` is not a setting of this program: did you mean `exchange-cas:addresses`, which is required and not set? Nothing was declared.",
    );
  });

  it("a password in plain text is refused with the command that stores it as a secret", async ({ lab }) => {
    expect(
      await refused(lab, headoffice(lab, { "exchange-cas:connection": EXCHANGE, "exchange-cas:password": "Pa55w0rd" })),
    ).toBe(
      "Stack test's config: `exchange-cas:password` is in plain text in the stack's config: store it as a secret with `pulumi config set --secret exchange-cas:password --stack test`, which asks for it and replaces the plain value. Nothing was declared.",
    );
  });

  it("a password with a lab connection (no username) is refused, even set as a secret", async ({ lab }) => {
    expect(
      await refused(lab, headoffice(lab, { "exchange-cas:password": "Pa55w0rd" }), ["exchange-cas:password"]),
    ).toBe(
      "Stack test's config: `exchange-cas:password` is set, but no connection has a username to log on with it: remove it with `pulumi config rm exchange-cas:password --stack test`, or give `exchange-cas:connection` a username. Nothing was declared.",
    );
  });

  it("verify: strick says what was written and the nearest valid value, with every other mistake", async ({ lab }) => {
    expect(
      await refused(lab, headoffice(lab, { "exchange-cas:verify": "strick", "exchange-cas:onDelete": "retian" })),
    ).toBe(
      "Stack test's config: `exchange-cas:onDelete` is 'retian', not restore or retain: did you mean 'retain'? `exchange-cas:verify` is 'strick', not true, false, warn, strict or {mode, tcp, tcpTimeoutMs}: did you mean 'strict'? Nothing was declared.",
    );
  });
});

describe("the stack's outputs", () => {
  it("a stack without rpcPorts and verify has no rpcPortServers, loadBalancer or verification output, not empty shells", async ({
    lab,
  }) => {
    const run = await runExample(headoffice(lab));
    expect(Object.keys(run.outputs).sort()).toEqual(["addresses", "arrayFqdn", "databases", "members", "warnings"]);
  });

  it("with rpcPorts and verify (headoffice-vip) they are there", async ({ lab }) => {
    const run = await runExample({
      ...stackFileConfig("headoffice-vip"),
      "exchange-cas:connection": JSON.stringify(lab.connection),
    });
    expect(Object.keys(run.outputs).sort()).toEqual([
      "addresses",
      "arrayFqdn",
      "databases",
      "loadBalancer",
      "members",
      "rpcPortServers",
      "verification",
      "warnings",
    ]);
    // (Their values come from the resources' outputs, which the mocks do not compute: see loadBalancer.test.ts.)
  });
});
