// A password set as stack config (what `pulumi config set --secret exchange-cas:password` hands
// the provider's configure) or in the environment appears nowhere: not in the serialized
// provider, outputs, errors, warnings or the host's log, not on any spawned process's command
// line or environment, not in the lab's state; and, in the program process (where CasArraySite
// plans its site), not in what the program prints or registers. pwsh here has no WSMan client, so
// with a stand-in PSWSMan (pswsman.ts) the provider's check lets the session through and its
// New-PSSession, given the credential, fails: the session fails after the password was used; that
// failure path is the one that could leak. A leak is searched for as is and JSON-escaped (the
// password has a `"` in it).
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect } from "vitest";
import { create } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { Host, ROOT, urnOf } from "../support/host";
import { descendantsOf, environ, cmdline } from "../support/procs";
import { pswsmanStandIn, type PswsmanStandIn } from "../support/pswsman";
import { capturePrinted, runExample, stackFileConfig } from "../support/program";

const PASSWORD = `Pw-${Math.random().toString(36).slice(2)}-'$(q)"`;
/** The password as it appears in text: as is, or escaped inside JSON (its `"` becomes `\"`). */
const PASSWORD_FORMS = [PASSWORD, JSON.stringify(PASSWORD).slice(1, -1)];
const leaks = (text: string): string[] => PASSWORD_FORMS.filter((form) => text.includes(form));

/** The stand-in PSWSMan of one test, removed after it. */
function standIn(onTestFinished: (fn: () => void) => void): PswsmanStandIn {
  const pswsman = pswsmanStandIn();
  onTestFinished(() => pswsman.remove());
  return pswsman;
}

/**
 * A host of the test's own, started with `env` and configured with `config` (a password is the
 * point), with the stand-in PSWSMan so an exchange session gets as far as New-PSSession; stopped
 * after the test.
 */
async function ownHost(
  env: Record<string, string>,
  config: Record<string, string>,
  onTestFinished: (fn: () => Promise<void> | void) => void,
): Promise<Host> {
  const host = await Host.start({ PSModulePath: standIn(onTestFinished).modulePath, ...env });
  onTestFinished(() => host.stop());
  await host.configure(config);
  return host;
}

const exchange = {
  kind: "exchange",
  connectionUri: "http://127.0.0.1:9/PowerShell/",
  authentication: "Basic",
  username: "EXCHANGESERVERPRO\\svc-pulumi",
} as const;

async function declareArray(connection: object): Promise<Registration> {
  const regs = await register(
    (lib) =>
      new lib.ClientAccessArray("ho", {
        name: "cas-headoffice",
        fqdn: "outlook-ho.exchangeserverpro.net",
        site: "HeadOffice",
        connection: connection as never,
      }),
  );
  return regs[0] as Registration;
}

const nodeRequire = createRequire(path.join(ROOT, "package.json"));
type BootstrapModule = typeof import("../../provider/shell/bootstrap");
type ConnectionModule = typeof import("../../provider/shell/connection");
// The compiled module the program's session registry calls bootstrapScript through (the same
// instance the example program loads via "exchange-cas").
const bootstrapModule = nodeRequire(path.join(ROOT, "provider/dist/shell/bootstrap.js")) as BootstrapModule;
const connectionModule = nodeRequire(path.join(ROOT, "provider/dist/shell/connection.js")) as ConnectionModule;

/** Runs `work` recording, for each bootstrap the program process builds, whether it was given PASSWORD (never the password itself). */
async function recordingBootstraps<T>(
  work: () => Promise<T>,
): Promise<{ result: T; bootstraps: { connection: string; password: "PASSWORD" | "other" | "none" }[] }> {
  const original = bootstrapModule.bootstrapScript;
  const bootstraps: { connection: string; password: "PASSWORD" | "other" | "none" }[] = [];
  bootstrapModule.bootstrapScript = (connection, password) => {
    bootstraps.push({
      connection: connectionModule.describeConnection(connection),
      password: password === undefined ? "none" : password === PASSWORD ? "PASSWORD" : "other",
    });
    return original(connection, password);
  };
  try {
    return { result: await work(), bootstraps };
  } finally {
    bootstrapModule.bootstrapScript = original;
  }
}

/**
 * The command line and environment of every process the host started (and theirs). A child caught
 * between fork and exec still shows the host's own command line and environment (which hold the
 * password when the host was given it): that is the host itself, not a process it started.
 */
function startedBy(host: Host): string[] {
  const own = cmdline(host.child.pid ?? 0).join(" ");
  return descendantsOf(host.child.pid ?? 0)
    .map((pid) => ({ command: cmdline(pid).join(" "), env: environ(pid) }))
    .filter((p) => p.command !== own)
    .map((p) => `${p.command}\n${p.env}`);
}

/** Runs `work` while sampling the command line and environment of every process the host started. */
async function watching<T>(host: Host, work: () => Promise<T>): Promise<{ result: T; seen: string[] }> {
  const seen: string[] = [];
  let done = false;
  const sampler = (async () => {
    while (!done) {
      seen.push(...startedBy(host));
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  try {
    return { result: await work(), seen };
  } finally {
    done = true;
    await sampler;
  }
}

describe("secrets", () => {
  for (const source of ["stack config", "environment"] as const) {
    it(`a password from the ${source} is used, and leaks nowhere when the session fails`, async ({
      onTestFinished,
    }) => {
      const host = await ownHost(
        source === "environment" ? { EXCHANGE_CAS_PASSWORD: PASSWORD } : {},
        source === "stack config" ? { "exchange-cas:password": PASSWORD } : {},
        onTestFinished,
      );
      const reg = await declareArray(exchange);
      expect(reg.provider).not.toContain(PASSWORD);
      expect(reg.providerIsSecret).toBe(false);
      expect(leaks(JSON.stringify(reg.inputs))).toEqual([]);
      const urn = urnOf("ClientAccessArray", "ho");
      const checked = await host.check(urn, {}, reg.inputs);
      expect(checked.failures).toEqual([]);
      const { result: error, seen } = await watching(host, () =>
        host.create(urn, checked.inputs).then(
          () => "created",
          (e: Error) => e.message,
        ),
      );
      // The session was really attempted with a credential (New-PSSession), and failed there.
      expect(error).toMatch(
        /has no working WSMan client, so it cannot open a remote session to Exchange at http:\/\/127\.0\.0\.1:9\/PowerShell\//,
      );
      expect(error).not.toContain(PASSWORD);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.join("\n")).not.toContain(PASSWORD);
      expect(seen.join("\n")).not.toContain("EXCHANGE_CAS_PASSWORD");
      expect(host.log).not.toContain(PASSWORD);
    });
  }

  it("without the password, a username fails with a sentence that says where to put it", async ({ host }) => {
    const reg = await declareArray(exchange);
    const urn = urnOf("ClientAccessArray", "ho");
    const checked = await host.check(urn, {}, reg.inputs);
    await expect(host.create(urn, checked.inputs)).rejects.toThrow(
      /no password was found; set it with 'pulumi config set --secret exchange-cas:password' or the EXCHANGE_CAS_PASSWORD environment variable/,
    );
  });

  it("with a password configured, lab resources' outputs, the host log and the lab state hold no trace of it", async ({
    lab,
    onTestFinished,
  }) => {
    const host = await ownHost(
      { EXCHANGE_CAS_PASSWORD: PASSWORD },
      { "exchange-cas:password": PASSWORD },
      onTestFinished,
    );
    const state = await create(host, await declareArray(lab.connection));
    expect(JSON.stringify(state)).not.toContain(PASSWORD);
    expect(host.log).not.toContain(PASSWORD);
    expect(fs.readFileSync(lab.statePath, "utf8")).not.toContain(PASSWORD);
    const started = startedBy(host);
    expect(started.length).toBeGreaterThan(0);
    for (const text of started) expect(text).not.toContain(PASSWORD);
  });

  it("a secret exchange-cas:password in stack config reaches the CasArraySite's bootstrap in the program process, and is printed and registered nowhere", async ({
    onTestFinished,
  }) => {
    // The example program with the headoffice stack, connecting with a username to an endpoint on
    // loopback where nothing listens: the site plan opens a session in the program process.
    const config = {
      ...stackFileConfig("headoffice"),
      "exchange-cas:connection": JSON.stringify(exchange),
      "exchange-cas:password": PASSWORD,
    };
    expect(process.env.EXCHANGE_CAS_PASSWORD).toBeUndefined();
    const runtime = nodeRequire("exchange-cas/runtime") as typeof import("exchange-cas/runtime");
    // The program's session gets as far as New-PSSession: the stand-in PSWSMan for its pwsh.
    const savedModulePath = process.env.PSModulePath;
    process.env.PSModulePath = standIn(onTestFinished).modulePath;
    try {
      const { result: run, bootstraps } = await recordingBootstraps(() =>
        runExample(config, ["exchange-cas:password"]),
      );
      // The password reached the bootstrap of the exchange connection, and the plan failed on the connection.
      expect(bootstraps).toEqual([{ connection: "Exchange at http://127.0.0.1:9/PowerShell/", password: "PASSWORD" }]);
      expect(run.error).toBeUndefined();
      // The site plan's refusal is the program's one error (the component's `ready`, which
      // nothing awaits: Pulumi reports it once), and nothing was registered.
      expect(run.unhandled).toHaveLength(1);
      const message = run.unhandled[0] instanceof Error ? run.unhandled[0].message : "";
      expect(message).toMatch(
        /has no working WSMan client, so it cannot open a remote session to Exchange at http:\/\/127\.0\.0\.1:9\/PowerShell\/: run Pulumi on Windows, .*\.$/,
      );
      expect(message).not.toMatch(/no password was found/);
      expect(leaks(message)).toEqual([]);
      // Nowhere in what the program printed or registered.
      expect(run.regs).toEqual([]);
      for (const reg of run.regs) {
        expect(leaks(JSON.stringify(reg.inputs))).toEqual([]);
        expect(leaks(reg.provider)).toEqual([]);
      }
      expect(leaks(run.printed)).toEqual([]);
    } finally {
      if (savedModulePath === undefined) delete process.env.PSModulePath;
      else process.env.PSModulePath = savedModulePath;
      await runtime.sessions().closeAll();
    }
  });

  it("the program-side capture sees what the program process prints (so the search above can find a leak)", async () => {
    const canary = `canary-${Math.random().toString(36).slice(2)}`;
    const pulumi = nodeRequire("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const { printed } = await capturePrinted(async () => {
      console.log(`log ${canary}`);
      await pulumi.log.warn(`warn ${canary}`);
      process.stderr.write(`stderr ${canary}\n`);
    });
    expect(printed).toContain(`log ${canary}`);
    expect(printed).toContain(`warn ${canary}`);
    expect(printed).toContain(`stderr ${canary}`);
  });
});
