// Bad input at the edges: each is one sentence that says what to do.
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { describe, expect } from "vitest";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { Host, urnOf } from "../support/host";

async function declare(connection: unknown): Promise<Registration> {
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

async function createError(host: Host, reg: Registration): Promise<string> {
  const urn = urnOf("ClientAccessArray", "ho");
  const checked = await host.check(urn, {}, reg.inputs);
  expect(checked.failures).toEqual([]);
  return host.create(urn, checked.inputs).then(
    () => "created",
    (e: Error) => e.message.replace(/^2 UNKNOWN: /, ""),
  );
}

describe("bad input at the edges", () => {
  it("invalid connection settings fail check, naming the setting", async ({ host }) => {
    const urn = urnOf("ClientAccessArray", "ho");
    const reg = await declare({ kind: "lab", statePath: "/tmp/x.json", modulePath: "/tmp/m.psd1" });
    const cases: [unknown, RegExp][] = [
      [{ kind: "exchange", connectionUri: "not a url" }, /connectionUri/],
      [{ kind: "exchange", connectionUri: "ftp://mail.contoso.com/PowerShell/" }, /connectionUri/],
      [
        { kind: "exchange", connectionUri: "http://mail.contoso.com/PowerShell/", authentication: "Digest" },
        /authentication/,
      ],
      [{ kind: "telnet" }, /^kind "telnet" is not a connection kind: use lab, exchange or ssh$/],
      [{ kind: "lab", statePath: "", modulePath: "/x" }, /statePath/],
      [{ kind: "lab", statePath: "/x", modulePath: "/x", commandTimeoutSeconds: 0 }, /commandTimeoutSeconds/],
    ];
    for (const [connection, reason] of cases) {
      const checked = await host.check(urn, {}, { ...reg.inputs, connection });
      expect(checked.failures.length).toBeGreaterThan(0);
      expect(checked.failures.every((f) => f.property === "connection")).toBe(true);
      expect(checked.failures.map((f) => f.reason).join(" ")).toMatch(reason);
    }
  });

  it("an unreachable endpoint (a jump host where nothing listens): the session cannot open, and the message says what to check", async ({
    lab,
    host,
  }) => {
    // An exchange endpoint cannot be tried here: pwsh on Linux has no WSMan client, which the
    // provider says before it tries (test/host/realServers.test.ts). An ssh one can: a loopback
    // port nothing listens on (taken from the system, then released).
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const address = server.address() as net.AddressInfo;
        server.close(() => resolve(address.port));
      });
    });
    const keyFilePath = path.join(lab.dir, "no-such-key");
    const error = await createError(
      host,
      await declare({ kind: "ssh", hostName: "127.0.0.1", port, userName: "svc-pulumi", keyFilePath }),
    );
    expect(error).toMatch(
      new RegExp(
        `^Could not open a session to PowerShell over SSH at svc-pulumi@127\\.0\\.0\\.1:${port}: .+; check the connection settings and that the endpoint is reachable\\.$`,
      ),
    );
  });

  it("a missing lab state file: says to initialise the lab", async ({ lab, host }) => {
    fs.rmSync(lab.statePath);
    const error = await createError(host, await declare(lab.connection));
    expect(error).toMatch(
      /The Exchange lab state file '.*state\.json' named by EXCHANGE_LAB_STATE does not exist; initialise the lab by copying lab\/scenarios\/article\.json to that path/,
    );
  });

  it("a corrupt lab state file: names it and says how to recover", async ({ lab, host }) => {
    // Replaced in one rename, as every write of the state file is.
    fs.writeFileSync(`${lab.statePath}.corrupt`, '{"sites": [');
    fs.renameSync(`${lab.statePath}.corrupt`, lab.statePath);
    const error = await createError(host, await declare(lab.connection));
    expect(error).toMatch(
      /The Exchange lab state file '.*state\.json' is corrupt: .*; restore it, or initialise the lab again/,
    );
  });

  it("a lab module path that does not exist: says which module could not be loaded", async ({ lab, host }) => {
    const error = await createError(
      host,
      await declare({ ...lab.connection, modulePath: "/nonexistent/ExchangeLab.psd1" }),
    );
    expect(error).toMatch(
      /^Could not open a session to the lab \(state .*\): .*\/nonexistent\/ExchangeLab\.psd1.*; check the connection settings/,
    );
  });

  it("pwsh not on PATH: says how to install it", async ({ lab, onTestFinished }) => {
    // A host of its own: the PATH it runs with is the point.
    const host = await Host.start({ PATH: "/usr/bin:/bin", HOME: "/nonexistent-home" });
    onTestFinished(() => host.stop());
    await host.configure();
    const error = await createError(host, await declare(lab.connection));
    expect(error).toBe(
      "pwsh (PowerShell 7) was not found on PATH; install it with 'dotnet tool install --global PowerShell' (or run scripts/setup), or set EXCHANGE_CAS_PWSH to its path.",
    );
  });
});
