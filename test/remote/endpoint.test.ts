// The lab behind a real remote session, restricted like Exchange's endpoint: the fixture sshd
// (test/support/sshd.ts) serves the lab through `pwsh -sshs` with a RestrictedRemoteServer session
// configuration in no-language mode, showing only the lab's Exchange and DnsServer cmdlets.
// (a) the provider's own bootstrap opens it, and creates and reads go through it;
// (b) a script block sent to it is refused, and so is any command it does not show;
// (c) a host key that is not the expected one, or a key that is not authorized, fails the bootstrap.
// (d) DnsServer records and errors arrive as CIM objects this pwsh cannot rebuild (LAB-FIDELITY D1),
//     and the provider's ExcasDns commands send primitives and plain WIN32 errors instead.
//
// It runs in the ssh project only (vitest run --project ssh), where the file's lab (the fixtures'
// `lab`) is served by its own sshd with the run's keys (sshKeys()): the endpoint under test.
import { describe, expect } from "vitest";
import { create, refresh } from "../support/apply";
import { register } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { Host } from "../support/host";
import type { Lab } from "../support/lab";
import { pwshPath } from "../support/paths";
import { sshdChildren, sshKeys, type Sshd } from "../support/sshd";
import { bootstrapScript, DNS_CMDLETS, EXCHANGE_CMDLETS, SERVER_CMDLETS } from "../../provider/shell/bootstrap";
import { ConnectionSchema } from "../../provider/shell/connection";
import { PwshSession, SessionRegistry, type Envelope } from "../../provider/shell";
import * as fs from "node:fs";
import * as path from "node:path";

/** The lab's sshd: every lab has one in the ssh project (EXCHANGE_CAS_TEST_REMOTE=ssh). */
function sshdOf(lab: Pick<Lab, "sshd">): Sshd {
  if (lab.sshd === undefined)
    throw new Error("test/remote runs in the ssh project only (vitest run --project ssh): this lab has no sshd.");
  return lab.sshd;
}

async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return condition();
}

describe("the lab behind PowerShell remoting over SSH", () => {
  it("listens on loopback only, with every file of its own in its temp folder", ({ lab }) => {
    const sshd = sshdOf(lab);
    const config = fs.readFileSync(path.join(sshd.dir, "sshd_config"), "utf8");
    expect(config).toContain(`ListenAddress 127.0.0.1:${sshd.port}`);
    for (const line of config.split("\n").filter((l) => /^(PidFile|AuthorizedKeysFile|Subsystem) /.test(l))) {
      expect(line.split(" ").pop()?.startsWith(sshd.dir)).toBe(true);
    }
    // The host key is the run's (made once by the ssh project's global setup), not a file of its own.
    expect(config).toContain(`HostKey ${sshKeys().hostKey}\n`);
    expect(fs.readFileSync(path.join(sshd.dir, "sshd.pid"), "utf8").trim()).toBe(String(sshd.pid));
    expect(fs.readFileSync(sshd.knownHostsFile, "utf8")).toMatch(
      new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 `),
    );
  });

  // Its own host, not the file's: the test is about the remote session closing with the host.
  it("(a) takes the provider's bootstrap, and a create and a read through the dynamic-provider host", async ({
    lab,
  }) => {
    const sshd = sshdOf(lab);
    const host = await Host.start();
    try {
      await host.configure();
      const connection = sshd.connection;
      const regs = await register((lib) => [
        new lib.ClientAccessArray("ho", {
          name: "cas-headoffice",
          fqdn: "outlook-ho.exchangeserverpro.net",
          site: "HeadOffice",
          connection,
        }),
        new lib.DnsARecord("outlook-ho", {
          zone: "exchangeserverpro.net",
          name: "outlook-ho",
          addresses: ["10.1.0.11"],
          dnsServer: "DC01",
          connection,
        }),
      ]);
      const [arrayReg, recordReg] = regs;
      if (arrayReg === undefined || recordReg === undefined) throw new Error("no registration");
      const array = await create(host, arrayReg);
      expect(array.outputs).toMatchObject({
        arrayName: "cas-headoffice",
        site: "exchangeserverpro.net/Configuration/Sites/HeadOffice",
        members: ["HO-EX2010-MB1", "HO-EX2010-MB2"],
      });
      const record = await create(host, recordReg);
      expect(record.outputs).toMatchObject({ addresses: ["10.1.0.11"], ttl: 3600 });
      // What the admin at the console sees (a local pwsh on the same state): the changes landed.
      expect(
        await lab.json<{ Name: string; Guid: string }[]>(
          "Get-ClientAccessArray | Select-Object Name,@{n='Guid';e={[string]$_.Guid}}",
        ),
      ).toEqual([{ Name: "cas-headoffice", Guid: array.id }]);
      await lab.pwsh("Set-ClientAccessArray -Identity cas-headoffice -Fqdn mail.exchangeserverpro.net");
      expect((await refresh(host, array))?.outputs).toMatchObject({
        fqdn: "mail.exchangeserverpro.net",
        guid: array.id,
      });
      // The session is real: sshd runs it, for this host's one pwsh.
      expect(sshdChildren(sshd).length).toBeGreaterThan(0);
    } finally {
      await host.stop();
    }
    // Closing the host closes the remote session: no shell is left running on the server.
    expect(await waitFor(() => sshdChildren(sshd).length === 0, 15_000)).toBe(true);
  });

  describe("(b) what the endpoint refuses", () => {
    let s: PwshSession;
    const run = (script: string): Promise<Envelope> => s.run({ cmdlet: "test", target: "", script }, 60_000);
    const refusal = async (script: string): Promise<string> => {
      const env = await run(script);
      expect(env.ok).toBe(false);
      expect(env.data).toEqual([]);
      return env.errors.map((e) => e.message).join(" | ");
    };

    it.beforeAll(async ({ fileLab }) => {
      s = await PwshSession.start(pwshPath(), 60_000);
      const boot = await run(bootstrapScript(ConnectionSchema.parse(sshdOf(fileLab).connection)));
      expect(boot.errors).toEqual([]);
    });
    it.afterAll(async () => {
      await s.close("if ($global:ExcasRemoteSession) { Remove-PSSession -Session $global:ExcasRemoteSession }");
    });

    it("imported exactly the provider's Exchange, DNS and server commands", async () => {
      const env = await run(
        "Get-Command -Module (Get-Command -Name Get-ClientAccessArray).Module | ForEach-Object { $_.Name }",
      );
      expect(env.ok).toBe(true);
      expect([...(env.data as string[])].sort()).toEqual(
        [...EXCHANGE_CMDLETS, ...DNS_CMDLETS, ...SERVER_CMDLETS].sort(),
      );
    });

    it("runs a single command sent as a command (what implicit remoting sends)", async () => {
      const env = await run(
        "Invoke-Command -Session $global:ExcasRemoteSession -ScriptBlock { Get-ExchangeServer -Identity HO-EX2010-MB1 } | ForEach-Object { $_.Name }",
      );
      expect(env.errors).toEqual([]);
      expect(env.data).toEqual(["HO-EX2010-MB1"]);
    });

    it("refuses script blocks: variables, .NET calls, control flow, script block arguments", async () => {
      for (const block of [
        "$x = 'x'; $x",
        "[System.IO.File]::ReadAllText('/etc/hostname')",
        "if ($true) { 'x' }",
        "Get-ExchangeServer | Where-Object { $_.Name }",
        "$PSVersionTable",
      ]) {
        expect(await refusal(`Invoke-Command -Session $global:ExcasRemoteSession -ScriptBlock { ${block} }`)).toMatch(
          /The syntax is not supported by this runspace\. This can occur if the runspace is in no-language mode\./,
        );
      }
    });

    it("refuses commands the endpoint does not show: the lab's administration, the file system, Invoke-Expression", async () => {
      for (const command of [
        "Set-ExchangeLabLatency -ExchangeCommandMs 1",
        "Initialize-ExchangeLab -Force",
        "Get-ChildItem -Path /",
        "Invoke-Expression -Command 'whoami'",
      ]) {
        expect(await refusal(`Invoke-Command -Session $global:ExcasRemoteSession -ScriptBlock { ${command} }`)).toMatch(
          /is not recognized/,
        );
      }
      // Not even importable: the endpoint's Get-Command does not know it.
      expect(
        await refusal(
          "Import-PSSession -Session $global:ExcasRemoteSession -CommandName Add-ExchangeLabFault -AllowClobber -ErrorAction Stop",
        ),
      ).toMatch(/Running the Get-Command command in a remote session returned no results/);
    });
  });

  describe("(c) what the bootstrap refuses", () => {
    /** Opens a session with the fixture's connection changed by `changes`; what the first command did. */
    async function firstCommand(sshd: Sshd, changes: Record<string, unknown>): Promise<unknown> {
      const registry = new SessionRegistry();
      try {
        return await registry.run(
          ConnectionSchema.parse({ ...sshd.connection, ...changes, commandTimeoutSeconds: 60 }),
          {
            cmdlet: "Get-ExchangeServer",
            target: "",
            script: "Get-ExchangeServer",
          },
        );
      } finally {
        await registry.closeAll();
      }
    }

    it("fails, without hanging, when the host key is not the one in knownHostsFile", async ({ lab }) => {
      const sshd = sshdOf(lab);
      const wrong = path.join(lab.dir, "wrong_known_hosts");
      const other = fs.readFileSync(`${sshKeys().clientKey}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
      fs.writeFileSync(wrong, `[127.0.0.1]:${sshd.port} ${other}\n`);
      await expect(firstCommand(sshd, { knownHostsFile: wrong })).rejects.toMatchObject({
        reason: "bootstrap",
        message: expect.stringMatching(
          // ssh's own verdict is in the message: PowerShell's error only says the transport ended.
          new RegExp(
            `^Could not open a session to PowerShell over SSH at ${sshd.userName}@127\\.0\\.0\\.1:${sshd.port}: .*\\(the SSH client said: .*Host key verification failed\\); check the connection settings`,
          ),
        ),
      });
    });

    it("fails when the key is not authorized on the server", async ({ lab }) => {
      // The run's host key is a private key the server does not authorize for anyone.
      await expect(firstCommand(sshdOf(lab), { keyFilePath: sshKeys().hostKey })).rejects.toMatchObject({
        reason: "bootstrap",
        message: expect.stringMatching(
          /\(the SSH client said: .*Permission denied \(publickey\)\); check the connection settings/,
        ),
      });
    });

    it("says that nothing listens when the port is closed", async ({ lab }) => {
      await expect(firstCommand(sshdOf(lab), { port: 1 })).rejects.toMatchObject({
        reason: "bootstrap",
        message: expect.stringMatching(
          /\(the SSH client said: ssh: connect to host 127\.0\.0\.1 port 1: Connection refused\)/,
        ),
      });
    });
  });
});

// LAB-FIDELITY D1: the fixture's DnsServer cmdlets send what a Windows server sends through a
// remote session (EXCHANGE_LAB_WIRE=clixml): CimInstances, records and error targets alike, which
// this Linux pwsh cannot rebuild (no libmi). The provider's DNS commands (ExcasDns) run the
// cmdlets on the server and send back primitives only.
describe("(d) DNS records and errors over the wire", () => {
  let s: PwshSession;
  const run = (script: string, select?: string[]): Promise<Envelope> =>
    s.run({ cmdlet: "test", target: "", script, ...(select ? { select } : {}) }, 60_000);
  const where = "-ZoneName 'exchangeserverpro.net' -ComputerName 'DC01'";
  /** The record these tests read over the wire, added at the console (the lab is the scenario again at each test). */
  const addWire = (lab: Lab) =>
    lab.pwsh(
      "Add-DnsServerResourceRecordA -ZoneName 'exchangeserverpro.net' -Name 'wire' -IPv4Address '10.1.0.21' -TimeToLive '00:20:00' -ComputerName DC01",
    );

  it.beforeAll(async ({ fileLab }) => {
    s = await PwshSession.start(pwshPath(), 60_000);
    const boot = await run(bootstrapScript(ConnectionSchema.parse(sshdOf(fileLab).connection)));
    expect(boot.errors).toEqual([]);
  });
  it.afterAll(async () => {
    await s.close("if ($global:ExcasRemoteSession) { Remove-PSSession -Session $global:ExcasRemoteSession }");
  });

  it("a DnsServer record sent as is cannot be rebuilt without libmi, nor can the target of its 9714 error", async ({
    lab,
  }) => {
    await addWire(lab);
    const record = await run(
      `Invoke-Command -Session $global:ExcasRemoteSession -ScriptBlock { Get-DnsServerResourceRecord -Name 'wire' -RRType 'A' ${where} }`,
    );
    expect(record.ok).toBe(false);
    expect(record.errors.map((e) => e.message).join(" | ")).toMatch(/libmi/);
    const missing = await run(
      `Invoke-Command -Session $global:ExcasRemoteSession -ScriptBlock { Get-DnsServerResourceRecord -Name 'no-such-name' -RRType 'A' ${where} }`,
    );
    expect(missing.errors.map((e) => `${e.fqid}: ${e.message}`).join(" | ")).toMatch(/libmi/);
  });

  it("Get-ExcasDnsARecord sends the record as primitives: TTL in seconds, the address as a string", async ({ lab }) => {
    await addWire(lab);
    const env = await run(`Get-ExcasDnsARecord -Name 'wire' ${where}`, [
      "HostName",
      "RecordType",
      "TimeToLive",
      "IPv4Address",
    ]);
    expect(env.errors).toEqual([]);
    expect(env.data).toEqual([{ HostName: "wire", RecordType: "A", TimeToLive: 1200, IPv4Address: "10.1.0.21" }]);
  });

  it("Set-ExcasDnsARecordTtl edits the record on the server, inside the restricted endpoint", async ({ lab }) => {
    await addWire(lab);
    const set = await run(
      `Set-ExcasDnsARecordTtl -Name 'wire' -IPv4Address '10.1.0.21' -TimeToLiveSeconds 600 ${where}`,
    );
    expect(set.errors).toEqual([]);
    expect(set.data).toEqual(["set"]);
    expect(
      await lab.json<number[]>(
        "Get-DnsServerResourceRecord -ZoneName 'exchangeserverpro.net' -Name 'wire' -Node -RRType A -ComputerName DC01 | ForEach-Object { $_.TimeToLive.TotalSeconds }",
      ),
    ).toEqual([600]);
  });

  it("ExcasDns errors keep the WIN32 code and message and carry no target (9714, 9711, 9701, 9601)", async ({
    lab,
  }) => {
    await addWire(lab);
    const cases: [string, number][] = [
      [`Get-ExcasDnsARecord -Name 'no-such-name' ${where}`, 9714],
      [`Add-ExcasDnsARecord -Name 'wire' -IPv4Address '10.1.0.21' -TimeToLiveSeconds 1200 ${where}`, 9711],
      [`Remove-ExcasDnsARecord -Name 'wire' -IPv4Address '10.1.0.99' ${where}`, 9701],
      [`Get-ExcasDnsARecord -Name 'wire' -ZoneName 'no-such-zone.example' -ComputerName 'DC01'`, 9601],
    ];
    for (const [script, code] of cases) {
      const env = await run(script);
      expect(env.ok, script).toBe(false);
      expect(
        env.errors.map((e) => ({
          code: /^WIN32 (\d+)/.exec(e.fqid)?.[1],
          target: e.target,
          libmi: /libmi/.test(e.message),
        })),
        script,
      ).toEqual([{ code: String(code), target: "", libmi: false }]);
    }
  });
});
