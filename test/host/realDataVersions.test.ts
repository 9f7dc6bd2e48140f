// The version guards against real Exchange version strings (test/fixtures/realdata, from
// ../shared/realdata; README there): real Exchange 2010 AdminDisplayVersion values (RTM, SP1 with
// and without the remote-runspace build offset, SP2, SP3) and real Exchange 2013/2016/2019
// Get-ExchangeServer exports. Two guards read them:
// - the endpoint guard, when a session opens: an Exchange 2010 (14.x) endpoint only;
// - StaticRpcPorts: every CAS of the site Exchange 2010 SP1-SP3 (RTM's Address Book reads its port
//   from a .config file; 2013+ are not 2010's RPC Client Access).
// Each string reaches the guard as it would from Exchange: the real objects (deserialized bags,
// exported at depth 2, and again at depth 1) through a stand-in module's Get-ExchangeServer for the
// endpoint guard; the lab's servers carrying the string for StaticRpcPorts, through the host.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { listExchangeServers } from "../../provider/exchange";
import { ConnectionSchema, psQuote, sessions, type Connection } from "../../provider/shell";
import { register } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { urnOf } from "../support/host";
import type { JsonObject } from "../support/lab";
import { ROOT } from "../support/paths";

const FIXTURES = path.join(ROOT, "test/fixtures/realdata");
const EXPORTS = ["E15", "MEAC-E16", "E16", "E19"].map((name) => path.join(FIXTURES, `${name}-GetExchangeServer.xml`));
const E14 = path.join(FIXTURES, "E14-values-from-text.json");

interface RealServer {
  name: string;
  version: string;
}

/** Every real server of the fixtures, in their order, with its AdminDisplayVersion as Exchange prints it. */
const REAL: RealServer[] = [
  // E14-values-from-text.json: real 2010 strings (RTM, SP3, SP1 through a remote runspace, SP1 UR8, SP2).
  { name: "EX14RTM", version: "Version 14.0 (Build 639.21)" },
  { name: "WIN-49S7K9MJUAF", version: "Version 14.3 (Build 123.4)" },
  { name: "EX14SP1DKIM", version: "Version 14.1 (Build 30218.15)" },
  { name: "EX14SP1UR8", version: "Version 14.1 (Build 438.0)" },
  { name: "EX14SP2", version: "Version 14.2 (Build 247.5)" },
  // Export-Clixml of Get-ExchangeServer: 2013, 2016 (two exports), 2019.
  { name: "SOLO-E15A", version: "Version 15.0 (Build 1497.2)" },
  { name: "E2k16-1", version: "Version 15.1 (Build 2507.18)" },
  { name: "E2k16-2", version: "Version 15.1 (Build 2507.18)" },
  { name: "SOLO-E16A", version: "Version 15.1 (Build 2375.7)" },
  { name: "SOLO-E19A", version: "Version 15.2 (Build 986.5)" },
];

/** 2010 SP1, SP2, SP3: the strings StaticRpcPorts must accept (14.1-14.3, the build offset included). */
const isSp1ToSp3 = (v: string): boolean => /^Version 14\.[123] \(Build \d+\.\d+\)$/.test(v);
const is2013OrLater = (v: string): boolean => /^Version 1[5-9]\./.test(v);

describe("the endpoint guard on the real objects (a session per endpoint server)", () => {
  let dir: string;

  /**
   * A lab-kind connection whose module answers Get-ExchangeServer with the real objects, the E14
   * values built into the same deserialized bags (ServerVersion with its ToString); the server the
   * session runs on (asked by this machine's host name) is the one named in the "state" file.
   */
  function standIn(depth: "exported" | 1, endpoint = ""): Connection {
    const module = path.join(dir, `RealData-${depth}.psm1`);
    if (!fs.existsSync(module)) {
      fs.writeFileSync(
        module,
        [
          "$script:Servers = @()",
          // The E14 values in the bags a real export has: the 2013 server's, its name, version
          // (ToString and numbers) and roles replaced.
          `$template = [System.Management.Automation.PSSerializer]::Serialize(@(Import-Clixml -Path ${psQuote(EXPORTS[0] ?? "")})[0], 2)`,
          `foreach ($e in @(Get-Content -Raw -LiteralPath ${psQuote(E14)} | ConvertFrom-Json)) {`,
          "  $m = [regex]::Match($e.AdminDisplayVersion, '^Version (\\d+)\\.(\\d+) \\(Build (\\d+)\\.(\\d+)\\)$')",
          "  $xml = $template.Replace('SOLO-E15A', $e.Name).Replace('<ToString>Version 15.0 (Build 1497.2)</ToString>', '<ToString>' + $e.AdminDisplayVersion + '</ToString>')",
          "  $xml = $xml.Replace('<I32 N=\"Major\">15</I32>', '<I32 N=\"Major\">' + $m.Groups[1].Value + '</I32>').Replace('<I32 N=\"Minor\">0</I32>', '<I32 N=\"Minor\">' + $m.Groups[2].Value + '</I32>')",
          "  $xml = $xml.Replace('<I32 N=\"Build\">1497</I32>', '<I32 N=\"Build\">' + $m.Groups[3].Value + '</I32>').Replace('<I32 N=\"Revision\">2</I32>', '<I32 N=\"Revision\">' + $m.Groups[4].Value + '</I32>')",
          "  $xml = $xml.Replace('<ToString>Mailbox, ClientAccess</ToString>', '<ToString>' + $e.ServerRole + '</ToString>')",
          "  $script:Servers += [System.Management.Automation.PSSerializer]::Deserialize($xml)",
          "}",
          `foreach ($file in @(${EXPORTS.map(psQuote).join(", ")})) { $script:Servers += @(Import-Clixml -Path $file) }`,
          depth === 1
            ? "$script:Servers = @($script:Servers | ForEach-Object { [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($_, 1)) })"
            : "",
          "function Get-ExchangeServer {",
          "  [CmdletBinding()] param([string]$Identity)",
          "  $endpoint = ''",
          "  if ($env:EXCHANGE_LAB_STATE -and (Test-Path -LiteralPath $env:EXCHANGE_LAB_STATE)) { $endpoint = [System.IO.File]::ReadAllText($env:EXCHANGE_LAB_STATE).Trim() }",
          "  foreach ($o in $script:Servers) {",
          "    if (-not $Identity -or $o.Name -eq $Identity -or $o.Fqdn -eq $Identity -or ($Identity -eq [System.Net.Dns]::GetHostName() -and $o.Name -eq $endpoint)) { $o }",
          "  }",
          "}",
          "Export-ModuleMember -Function Get-ExchangeServer",
          "",
        ].join("\n"),
      );
    }
    const state = path.join(dir, `endpoint-${depth}-${endpoint || "none"}.txt`);
    fs.writeFileSync(state, endpoint);
    return ConnectionSchema.parse({ kind: "lab", statePath: state, modulePath: module });
  }

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "excas-realversions-"));
  });
  afterAll(async () => {
    await sessions().closeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.for(["exported", 1] as const)(
    "listExchangeServers reads every real server with its AdminDisplayVersion as Exchange prints it (depth %s)",
    async (depth) => {
      const servers = await listExchangeServers(standIn(depth));
      expect(servers.map((s) => ({ name: s.name, version: s.adminDisplayVersion }))).toEqual(REAL);
      await sessions().closeAll();
    },
  );

  it.for(REAL.filter((s) => s.version.startsWith("Version 14.")).map((s) => [s.name, s.version] as const))(
    "opens a session whose endpoint is %s (%s): Exchange 2010",
    async ([name, version]) => {
      // The endpoint the guard read, as the session sees it: the real string.
      const envelope = await sessions().run(standIn(1, name), {
        cmdlet: "Get-ExchangeServer",
        target: "",
        script: "Get-ExchangeServer -Identity ([System.Net.Dns]::GetHostName())",
        select: ["Name", "AdminDisplayVersion"],
      });
      expect(envelope.data).toEqual([{ Name: name, AdminDisplayVersion: version }]);
      await sessions().closeAll();
    },
  );

  it.for(REAL.filter((s) => is2013OrLater(s.version)).map((s) => [s.name, s.version] as const))(
    "refuses a session whose endpoint is %s (%s): Exchange 2013 or later",
    async ([name, version]) => {
      await expect(
        sessions().run(standIn(1, name), { cmdlet: "Get-Date", target: "", script: "'opened'" }),
      ).rejects.toThrow(
        `runs on ${name}, which runs Exchange 2013 or later (${version}); CAS arrays and RpcClientAccessServer of Exchange 2010 can only be managed through an Exchange 2010 endpoint`,
      );
      await sessions().closeAll();
    },
  );
});

describe("StaticRpcPorts' guard on the real version strings, through the host", () => {
  const URN = urnOf("StaticRpcPorts", "ho-ports");

  /** The article's HeadOffice servers, both on `version`. */
  const onVersion =
    (version: string) =>
    (state: JsonObject): void => {
      for (const server of state.servers as JsonObject[])
        if (server.Site === "HeadOffice") server.AdminDisplayVersion = version;
    };

  async function check(connection: unknown, host: import("../support/host").Host) {
    const regs = await register(
      (lib) =>
        new lib.StaticRpcPorts("ho-ports", {
          site: "HeadOffice",
          rpcClientAccess: 59532,
          addressBook: 59533,
          connection,
        } as never),
    );
    const reg = regs[0];
    if (reg === undefined) throw new Error("no registration");
    return host.check(URN, {}, reg.inputs);
  }

  const versions = [...new Set(REAL.map((s) => s.version))];

  it.for(versions.filter(isSp1ToSp3))(
    "accepts servers on %s (Exchange 2010 SP1-SP3)",
    async (version, { lab, host }) => {
      lab.reset(onVersion(version));
      expect((await check(lab.connection, host)).failures).toEqual([]);
    },
  );

  it.for(versions.filter(is2013OrLater))(
    "refuses servers on %s (Exchange 2013 or later)",
    async (version, { lab, host }) => {
      lab.reset(onVersion(version));
      const reasons = (await check(lab.connection, host)).failures.map((f) => f.reason).join(" ");
      expect(reasons).toContain(`HO-EX2010-MB1 runs Exchange 2013 or later (${version})`);
      expect(reasons).toContain(`HO-EX2010-MB2 runs Exchange 2013 or later (${version})`);
    },
  );

  it("refuses servers on Exchange 2010 RTM (Version 14.0 (Build 639.21)), whose Address Book reads its port from a .config file", async ({
    lab,
    host,
  }) => {
    lab.reset(onVersion("Version 14.0 (Build 639.21)"));
    const reasons = (await check(lab.connection, host)).failures.map((f) => f.reason).join(" ");
    expect(reasons).toMatch(
      /HO-EX2010-MB1 runs Exchange 2010 RTM \(Version 14\.0 \(Build 639\.21\)\).*install Service Pack 1 or later first/,
    );
  });
});
