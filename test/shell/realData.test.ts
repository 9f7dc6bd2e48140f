// Real Exchange 2016/2019 Get-ExchangeServer objects (test/fixtures/realdata, from
// microsoft/CSS-Exchange) answered to the provider's own typed client through a lab-kind
// connection whose module is a stand-in: its Get-ExchangeServer returns the Import-Clixml'd
// objects, either at their exported depth (2: ServerRole a Deserialized.System.Enum, Site an
// ADObjectId bag, AdminDisplayVersion a ServerVersion bag) or re-serialized at depth 1 (a remote
// session's default). Each must flatten in the wrapper to the strings the clients parse.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { listExchangeServers } from "../../provider/exchange";
import { ConnectionSchema, psQuote, sessions, type Connection } from "../../provider/shell";
import { labTest as it } from "../support/fixtures";
import { ROOT } from "../support/host";

const FIXTURES = path.join(ROOT, "test/fixtures/realdata");

const EXPECTED = {
  E16: {
    name: "SOLO-E16A",
    fqdn: "Solo-E16A.Solo.local",
    site: "Solo.local/Configuration/Sites/Default-First-Site-Name",
    siteName: "Default-First-Site-Name",
    serverRole: "Mailbox",
    isClientAccessServer: true,
    isMailboxServer: true,
    exchangeLegacyDn:
      "/o=SoloORG/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=SOLO-E16A",
    guid: "38142983-080a-4e34-90b6-401759c3f3e7",
    adminDisplayVersion: "Version 15.1 (Build 2375.7)",
  },
  E19: {
    name: "SOLO-E19A",
    fqdn: "Solo-E19A.Solo.com",
    site: "Solo.com/Configuration/Sites/Default-First-Site-Name",
    siteName: "Default-First-Site-Name",
    serverRole: "Mailbox",
    isClientAccessServer: true,
    isMailboxServer: true,
    exchangeLegacyDn:
      "/o=SoloORG/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=SOLO-E19A",
    guid: "3c5ebdaf-1885-4f22-8f60-0e8c1667abed",
    adminDisplayVersion: "Version 15.2 (Build 986.5)",
  },
};

let dir: string;

/** A lab-kind connection whose module answers Get-ExchangeServer with the real objects. */
function standIn(depth: "exported" | 1): Connection {
  const module = path.join(dir, `RealData-${depth}.psm1`);
  const files = ["E16", "E19"].map((v) => psQuote(path.join(FIXTURES, `${v}-GetExchangeServer.xml`))).join(", ");
  const reserialize =
    depth === 1
      ? "$o = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($o, 1))"
      : "";
  fs.writeFileSync(
    module,
    [
      "function Get-ExchangeServer {",
      "  [CmdletBinding()] param([string]$Identity)",
      `  foreach ($file in @(${files})) {`,
      "    foreach ($o in @(Import-Clixml -Path $file)) {",
      `      ${reserialize}`,
      "      if (-not $Identity -or $o.Name -eq $Identity -or $o.Fqdn -eq $Identity) { $o }",
      "    }",
      "  }",
      "}",
      "function Get-RealDataValue { param([string]$Property) foreach ($o in @(Get-ExchangeServer)) { $o.$Property } }",
      "Export-ModuleMember -Function Get-ExchangeServer, Get-RealDataValue",
      "",
    ].join("\n"),
  );
  return ConnectionSchema.parse({ kind: "lab", statePath: path.join(dir, "unused-state.json"), modulePath: module });
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "excas-realdata-"));
});
afterAll(async () => {
  await sessions().closeAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(["exported", 1] as const)("real Get-ExchangeServer objects at depth %s", (depth) => {
  it("parse in listExchangeServers: the deserialized ServerRole enum and Site ADObjectId arrive as their strings", async () => {
    const servers = await listExchangeServers(standIn(depth));
    expect(servers).toEqual([EXPECTED.E16, EXPECTED.E19]);
  });

  it("parse when asked by identity", async () => {
    const servers = await listExchangeServers(standIn(depth), "SOLO-E19A");
    expect(servers).toEqual([EXPECTED.E19]);
  });

  it("flatten every deserialized value to its ToString in the envelope (enum, ADObjectId, ServerVersion)", async () => {
    const connection = standIn(depth);
    const envelope = await sessions().run(connection, {
      cmdlet: "Get-ExchangeServer",
      target: "",
      script: "Get-ExchangeServer",
      select: ["ServerRole", "Site", "Identity", "AdminDisplayVersion", "Edition"],
    });
    expect(envelope.errors).toEqual([]);
    expect(envelope.data).toEqual([
      {
        ServerRole: "Mailbox",
        Site: "Solo.local/Configuration/Sites/Default-First-Site-Name",
        Identity: "SOLO-E16A",
        AdminDisplayVersion: "Version 15.1 (Build 2375.7)",
        Edition: "StandardEvaluation",
      },
      {
        ServerRole: "Mailbox",
        Site: "Solo.com/Configuration/Sites/Default-First-Site-Name",
        Identity: "SOLO-E19A",
        AdminDisplayVersion: "Version 15.2 (Build 986.5)",
        Edition: "StandardEvaluation",
      },
    ]);
  });

  it("flatten a deserialized value that is the output object itself (no select)", async () => {
    const connection = standIn(depth);
    const envelope = await sessions().run(connection, {
      cmdlet: "Get-RealDataValue",
      target: "",
      script: "Get-RealDataValue -Property ServerRole",
      select: [],
    });
    expect(envelope.data).toEqual(["Mailbox", "Mailbox"]);
  });
});

// The lab sends the same shapes when EXCHANGE_LAB_WIRE_DEPTH=2 (read by the lab at every call, in
// the pwsh it runs in): ServerRole a Deserialized.System.Enum, Site and Identity ADObjectId bags,
// AdminDisplayVersion a ServerVersion bag.
describe("the lab at EXCHANGE_LAB_WIRE_DEPTH=2", () => {
  it("emits ServerRole as a deserialized [Flags] enum and Site as an ADObjectId bag, as real Exchange does", async ({
    lab,
  }) => {
    // Set in the worker's console for this one read, and put back: the console serves other tests.
    const [role] = await lab.json<{ names: string[]; value: number; text: string; site: string; siteType: string }[]>(
      "$saved = $env:EXCHANGE_LAB_WIRE_DEPTH; $env:EXCHANGE_LAB_WIRE_DEPTH = '2'; try { $s = @(Get-ExchangeServer -Identity 'HO-EX2010-MB1')[0]; [ordered]@{ names = @($s.ServerRole.PSObject.TypeNames); value = [int]$s.ServerRole; text = [string]$s.ServerRole; site = [string]$s.Site; siteType = $s.Site.PSObject.TypeNames[0] } } finally { $env:EXCHANGE_LAB_WIRE_DEPTH = $saved }",
    );
    expect(role).toEqual({
      names: [
        "Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.ServerRole",
        "Deserialized.System.Enum",
        "Deserialized.System.ValueType",
        "Deserialized.System.Object",
      ],
      value: 38,
      text: "Mailbox, ClientAccess, HubTransport",
      site: "exchangeserverpro.net/Configuration/Sites/HeadOffice",
      siteType: "Deserialized.Microsoft.Exchange.Data.Directory.ADObjectId",
    });
  });

  it("listExchangeServers reads the lab's servers with their roles and sites as strings", async ({
    connection,
    onTestFinished,
  }) => {
    // The session inherits the variable when it starts: none is open before the test, and the one
    // it starts is closed after it, when the variable is put back.
    await sessions().closeAll();
    const saved = process.env.EXCHANGE_LAB_WIRE_DEPTH;
    onTestFinished(async () => {
      await sessions().closeAll();
      if (saved === undefined) delete process.env.EXCHANGE_LAB_WIRE_DEPTH;
      else process.env.EXCHANGE_LAB_WIRE_DEPTH = saved;
    });
    process.env.EXCHANGE_LAB_WIRE_DEPTH = "2";
    const servers = await listExchangeServers(connection);
    expect(servers.map((s) => [s.name, s.serverRole, s.site, s.siteName])).toEqual([
      [
        "HO-EX2010-MB1",
        "Mailbox, ClientAccess, HubTransport",
        "exchangeserverpro.net/Configuration/Sites/HeadOffice",
        "HeadOffice",
      ],
      [
        "HO-EX2010-MB2",
        "Mailbox, ClientAccess, HubTransport",
        "exchangeserverpro.net/Configuration/Sites/HeadOffice",
        "HeadOffice",
      ],
      [
        "BR-EX2010-MB",
        "Mailbox, ClientAccess",
        "exchangeserverpro.net/Configuration/Sites/BranchOffice",
        "BranchOffice",
      ],
    ]);
  });
});
