// A password set as stack config (what `pulumi config set --secret exchange-cas:password` hands
// the provider's configure) or in the environment appears nowhere: not in the serialized
// provider, outputs, errors, warnings or the host's log, not on any spawned process's command
// line or environment, not in the lab's state. The exchange endpoint cannot be reached here, so
// the session fails after the password was used; that failure path is the one that could leak.
import * as fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { create } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { Host, urnOf } from "../support/host";
import { createLab, type Lab } from "../support/lab";
import { descendantsOf, environ, cmdline } from "../support/procs";

const PASSWORD = `Pw-${Math.random().toString(36).slice(2)}-'$(q)"`;
const hosts: Host[] = [];
const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
  for (const l of labs.splice(0)) l.remove();
});

const exchange = { kind: "exchange", connectionUri: "http://127.0.0.1:9/PowerShell/", authentication: "Basic", username: "EXCHANGESERVERPRO\\svc-pulumi" } as const;

async function declareArray(connection: object): Promise<Registration> {
  const regs = await register((lib) =>
    new lib.ClientAccessArray("ho", { name: "cas-headoffice", fqdn: "outlook-ho.exchangeserverpro.net", site: "HeadOffice", connection: connection as never }),
  );
  return regs[0] as Registration;
}

/** Runs `work` while sampling the command line and environment of every process under the host. */
async function watching<T>(host: Host, work: () => Promise<T>): Promise<{ result: T; seen: string[] }> {
  const seen: string[] = [];
  let done = false;
  const sampler = (async () => {
    while (!done) {
      for (const pid of descendantsOf(host.child.pid ?? 0)) seen.push(`${cmdline(pid).join(" ")}\n${environ(pid)}`);
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
    it(`a password from the ${source} is used, and leaks nowhere when the session fails`, async () => {
      const host = await Host.start(source === "environment" ? { EXCHANGE_CAS_PASSWORD: PASSWORD } : {});
      hosts.push(host);
      await host.configure(source === "stack config" ? { "exchange-cas:password": PASSWORD } : {});
      const reg = await declareArray(exchange);
      expect(reg.provider).not.toContain(PASSWORD);
      expect(reg.providerIsSecret).toBe(false);
      expect(JSON.stringify(reg.inputs)).not.toContain(PASSWORD);
      const urn = urnOf("ClientAccessArray", "ho");
      const checked = await host.check(urn, {}, reg.inputs);
      expect(checked.failures).toEqual([]);
      const { result: error, seen } = await watching(host, () =>
        host.create(urn, checked.inputs).then(
          () => "created",
          (e: Error) => e.message,
        ),
      );
      // The session was really attempted with a credential, and failed on the connection.
      expect(error).toMatch(/Could not open a session to Exchange at http:\/\/127\.0\.0\.1:9\/PowerShell\//);
      expect(error).not.toContain(PASSWORD);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.join("\n")).not.toContain(PASSWORD);
      expect(seen.join("\n")).not.toContain("EXCHANGE_CAS_PASSWORD");
      expect(host.log).not.toContain(PASSWORD);
    });
  }

  it("without the password, a username fails with a sentence that says where to put it", async () => {
    const host = await Host.start();
    hosts.push(host);
    await host.configure({});
    const reg = await declareArray(exchange);
    const urn = urnOf("ClientAccessArray", "ho");
    const checked = await host.check(urn, {}, reg.inputs);
    await expect(host.create(urn, checked.inputs)).rejects.toThrow(
      /no password was found; set it with 'pulumi config set --secret exchange-cas:password' or the EXCHANGE_CAS_PASSWORD environment variable/,
    );
  });

  it("with a password configured, lab resources' outputs, the host log and the lab state hold no trace of it", async () => {
    const lab = createLab();
    labs.push(lab);
    const host = await Host.start({ EXCHANGE_CAS_PASSWORD: PASSWORD });
    hosts.push(host);
    await host.configure({ "exchange-cas:password": PASSWORD });
    const state = await create(host, await declareArray(lab.connection));
    expect(JSON.stringify(state)).not.toContain(PASSWORD);
    expect(host.log).not.toContain(PASSWORD);
    expect(fs.readFileSync(lab.statePath, "utf8")).not.toContain(PASSWORD);
    for (const pid of descendantsOf(host.child.pid ?? 0)) expect(`${cmdline(pid).join(" ")}${environ(pid)}`).not.toContain(PASSWORD);
  });
});
