// What the transport changes for the resources: each resource kind through the real dynamic-provider
// host with the lab behind a real remote session (PowerShell remoting over SSH to the file's sshd,
// restricted like Exchange's endpoint), one create, read (refresh), update and delete each, the
// lab's state checked after every step at the console; and DNS over the wire, where records and
// errors cross as the ExcasDns commands' primitives (test/remote/endpoint.test.ts shows why).
// Everything else about each resource is in test/host, against the local lab.
//
// It runs in the ssh project only (vitest run --project ssh): there the file's lab has its own
// sshd and `lab.connection` is an ssh connection to it.
import { describe, expect, onTestFinished } from "vitest";
import { create, refresh, up, type Applied } from "../support/apply";
import { register, type ExchangeCas, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { urnOf } from "../support/host";
import { ARTICLE_DATABASES, createLab, labDatabases, type Lab } from "../support/lab";
import { listenOnLoopback } from "../support/loopback";
import { sshdChildren, type Sshd } from "../support/sshd";

const ZONE = "exchangeserverpro.net";
const ARRAY_FQDN = `outlook-ho.${ZONE}`;
const MB1_FQDN = `HO-EX2010-MB1.${ZONE}`;
const MB2_FQDN = `HO-EX2010-MB2.${ZONE}`;
const MB_HO_01 = "b7e4d2c1-9f8a-4b3c-a1d2-e3f4a5b6c701";
const CAS1 = "10.1.0.11";
const CAS2 = "10.1.0.12";
const VIP = "10.1.0.100";
const RPC_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeRPC\\ParametersSystem";
const AB_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeAB\\Parameters";

/** The one resource `make` declares. */
async function declare(make: (lib: ExchangeCas) => unknown): Promise<Registration> {
  const [reg] = await register(make);
  if (reg === undefined) throw new Error("no registration");
  return reg;
}

/** The lab's sshd: every lab has one in the ssh project (EXCHANGE_CAS_TEST_REMOTE=ssh). */
function sshdOf(lab: Pick<Lab, "sshd">): Sshd {
  if (lab.sshd === undefined)
    throw new Error("test/remote runs in the ssh project only (vitest run --project ssh): this lab has no sshd.");
  return lab.sshd;
}

/** A refreshed state: a resource that reads as gone fails the test here. */
function present(state: Applied | undefined): Applied {
  if (state === undefined) throw new Error("the resource read as gone");
  return state;
}

interface LabArray {
  Name: string;
  Fqdn: string;
  SiteName: string;
  Guid: string;
}

function labArrays(lab: Lab): Promise<LabArray[]> {
  return lab.json<LabArray[]>(
    "Get-ClientAccessArray | Select-Object Name,Fqdn,SiteName,@{n='Guid';e={[string]$_.Guid}}",
  );
}

interface LabRecord {
  ip: string;
  ttl: number;
}

/** The A records at a name as the admin at the console sees them (none when the name is gone). */
async function labRecords(lab: Lab, name = "outlook-ho", zone = ZONE, server = "DC01"): Promise<LabRecord[]> {
  const rows = await lab.json<LabRecord[]>(
    `Get-DnsServerResourceRecord -ZoneName '${zone}' -Name '${name}' -Node -RRType A -ComputerName '${server}' -ErrorAction SilentlyContinue | ForEach-Object { [ordered]@{ ip = [string]$_.RecordData.IPv4Address; ttl = $_.TimeToLive.TotalSeconds } }`,
  );
  return rows.sort((a, b) => a.ip.localeCompare(b.ip));
}

interface Console {
  RpcValue: { Kind: string; Value: number | string } | null;
  AbValue: { Kind: string; Value: number | string } | null;
  RpcPorts: number[];
  AbPorts: number[];
}

/** Every server's Windows side (registry values, listening ports) as the admin at its console sees it. */
async function consoles(lab: Lab): Promise<Record<string, Console>> {
  const rows = await lab.json<(Console & { Name: string })[]>(
    `foreach ($n in 'HO-EX2010-MB1', 'HO-EX2010-MB2', 'BR-EX2010-MB') { $w = Get-ExchangeLabServerWindows -Server $n; [pscustomobject]@{ Name = $n; RpcValue = $w.Registry.'${RPC_KEY}'.'TCP/IP Port'; AbValue = $w.Registry.'${AB_KEY}'.RpcTcpPort; RpcPorts = @($w.Services.MSExchangeRPC.ListeningPorts); AbPorts = @($w.Services.MSExchangeAB.ListeningPorts) } }`,
  );
  return Object.fromEntries(rows.map(({ Name, ...rest }) => [Name, rest]));
}

/** A VIP of this test's own (a random loopback address, loopback.ts) listening on `ports`; stopped after the test. */
async function vipListening(ports: readonly number[]): Promise<string> {
  const vip = await listenOnLoopback(ports);
  onTestFinished(() => vip.closeAll());
  return vip.address;
}

describe("each resource over SSH, through the dynamic-provider host", () => {
  it("ClientAccessArray: create, read, update and delete, the lab checked after each", async ({ lab, host }) => {
    const sshd = sshdOf(lab);
    expect(lab.connection).toMatchObject({ kind: "ssh", hostName: "127.0.0.1", port: sshd.port });
    const array = (args: { name: string; fqdn: string }) =>
      declare((lib) => new lib.ClientAccessArray("ho", { ...args, site: "HeadOffice", connection: lab.connection }));

    const created = await create(host, await array({ name: "cas-headoffice", fqdn: ARRAY_FQDN }));
    expect(created.outputs).toMatchObject({
      arrayName: "cas-headoffice",
      fqdn: ARRAY_FQDN,
      guid: created.id,
      members: ["HO-EX2010-MB1", "HO-EX2010-MB2"],
    });
    expect(await labArrays(lab)).toEqual([
      { Name: "cas-headoffice", Fqdn: ARRAY_FQDN, SiteName: "HeadOffice", Guid: created.id },
    ]);
    // The host's session is a real remote one: sshd runs it.
    expect(sshdChildren(sshd).length).toBeGreaterThan(0);

    // Read: a change made at the console comes back over the wire; reading changes nothing.
    await lab.pwsh(`Set-ClientAccessArray -Identity cas-headoffice -Fqdn mail.${ZONE}`);
    const read = present(await refresh(host, created));
    expect(read.outputs).toMatchObject({ arrayName: "cas-headoffice", fqdn: `mail.${ZONE}`, guid: created.id });
    expect(await labArrays(lab)).toEqual([
      { Name: "cas-headoffice", Fqdn: `mail.${ZONE}`, SiteName: "HeadOffice", Guid: created.id },
    ]);

    const { state: updated, changed } = await up(host, read, await array({ name: "cas-ho", fqdn: `outlook.${ZONE}` }));
    expect(changed).toBe(true);
    expect(updated.outputs).toMatchObject({ arrayName: "cas-ho", fqdn: `outlook.${ZONE}`, guid: created.id });
    expect(await labArrays(lab)).toEqual([
      { Name: "cas-ho", Fqdn: `outlook.${ZONE}`, SiteName: "HeadOffice", Guid: created.id },
    ]);

    await host.delete(updated.id, updated.urn, updated.outputs);
    expect(await labArrays(lab)).toEqual([]);
  });

  it("MailboxDatabaseRpcSetting: create, read, update and delete, the lab checked after each", async ({
    lab,
    host,
  }) => {
    await lab.pwsh(`New-ClientAccessArray -Name cas-headoffice -Fqdn ${ARRAY_FQDN} -Site HeadOffice | Out-Null`);
    const setting = (rpcClientAccessServer: string) =>
      declare(
        (lib) =>
          new lib.MailboxDatabaseRpcSetting("mb-ho-01", {
            database: "MB-HO-01",
            rpcClientAccessServer,
            connection: lab.connection,
          }),
      );

    const { result: created, printed } = await host.printedBy(async () => create(host, await setting(ARRAY_FQDN)));
    expect(created.id).toBe(MB_HO_01);
    expect(created.outputs).toMatchObject({
      database: "MB-HO-01",
      rpcClientAccessServer: ARRAY_FQDN,
      previousRpcClientAccessServer: MB1_FQDN,
    });
    expect(printed).toContain(
      `Mailbox database 'MB-HO-01': RpcClientAccessServer changes from ${MB1_FQDN} to ${ARRAY_FQDN}.`,
    );
    expect(await labDatabases(lab)).toEqual({ ...ARTICLE_DATABASES, "MB-HO-01": ARRAY_FQDN });

    await lab.pwsh("Set-MailboxDatabase -Identity MB-HO-01 -RpcClientAccessServer HO-EX2010-MB2");
    const read = present(await refresh(host, created));
    expect(read.outputs).toMatchObject({ rpcClientAccessServer: MB2_FQDN, wantedRpcClientAccessServer: ARRAY_FQDN });
    expect(await labDatabases(lab)).toEqual({ ...ARTICLE_DATABASES, "MB-HO-01": MB2_FQDN });

    // Update: the array by its name now.
    const { state: updated, changed } = await up(host, read, await setting("cas-headoffice"));
    expect(changed).toBe(true);
    expect(updated.outputs).toMatchObject({
      rpcClientAccessServer: ARRAY_FQDN,
      wantedRpcClientAccessServer: "cas-headoffice",
      previousRpcClientAccessServer: MB1_FQDN,
    });
    expect(await labDatabases(lab)).toEqual({ ...ARTICLE_DATABASES, "MB-HO-01": ARRAY_FQDN });

    // Delete restores the value recorded at create.
    await host.delete(updated.id, updated.urn, updated.outputs);
    expect(await labDatabases(lab)).toEqual(ARTICLE_DATABASES);
  });

  it("StaticRpcPorts: create, read, update and delete on every server of the site, the lab checked after each", async ({
    host,
  }) => {
    // A jump host with an account of its own for the servers: a key logon has no credential to
    // hand on to them (the second hop, refused: test/host/realServers.test.ts).
    const lab = createLab({ jumpHostAccount: true });
    onTestFinished(() => lab.remove());
    const ports = (rpcClientAccess: number, addressBook: number) =>
      declare(
        (lib) =>
          new lib.StaticRpcPorts("ho-ports", {
            site: "HeadOffice",
            rpcClientAccess,
            addressBook,
            connection: lab.connection,
          }),
      );
    const configured = (state: Applied) =>
      (
        state.outputs.servers as {
          server: string;
          inSync: boolean;
          rpcClientAccess: { configured: number | null };
          addressBook: { configured: number | null };
        }[]
      ).map((s) => [s.server, s.inSync, s.rpcClientAccess.configured, s.addressBook.configured]);
    const set = (rpc: number, ab: number) => ({
      RpcValue: { Kind: "DWord", Value: rpc },
      AbValue: { Kind: "String", Value: String(ab) },
    });

    const created = await create(host, await ports(59532, 59533));
    expect(created.id).toBe("HeadOffice");
    expect(configured(created)).toEqual([
      ["HO-EX2010-MB1", true, 59532, 59533],
      ["HO-EX2010-MB2", true, 59532, 59533],
    ]);
    let windows = await consoles(lab);
    for (const name of ["HO-EX2010-MB1", "HO-EX2010-MB2"]) {
      expect(windows[name], name).toMatchObject(set(59532, 59533));
      expect(windows[name]?.RpcPorts, name).toContain(59532);
      expect(windows[name]?.AbPorts, name).toContain(59533);
    }
    expect(windows["BR-EX2010-MB"]).toMatchObject({ RpcValue: null, AbValue: null });

    // Read: MB2's TCP/IP Port rewritten as a REG_SZ at its console (which MSExchangeRPC does not read).
    await lab.pwsh(
      `Set-ExchangeLabRegistryValue -Server HO-EX2010-MB2 -Path '${RPC_KEY}' -Name 'TCP/IP Port' -Kind String -Value '59532'; Restart-ExchangeLabService -Server HO-EX2010-MB2 -Name MSExchangeRPC | Out-Null`,
    );
    const read = present(await refresh(host, created));
    expect(configured(read)).toEqual([
      ["HO-EX2010-MB1", true, 59532, 59533],
      ["HO-EX2010-MB2", false, null, 59533],
    ]);
    expect((await consoles(lab))["HO-EX2010-MB2"]?.RpcValue).toEqual({ Kind: "String", Value: "59532" });

    const { state: updated, changed } = await up(host, read, await ports(59540, 59541));
    expect(changed).toBe(true);
    expect(configured(updated)).toEqual([
      ["HO-EX2010-MB1", true, 59540, 59541],
      ["HO-EX2010-MB2", true, 59540, 59541],
    ]);
    windows = await consoles(lab);
    for (const name of ["HO-EX2010-MB1", "HO-EX2010-MB2"]) {
      expect(windows[name], name).toMatchObject(set(59540, 59541));
      expect(windows[name]?.RpcPorts, name).toContain(59540);
      expect(windows[name]?.AbPorts, name).toContain(59541);
    }

    await host.delete(updated.id, updated.urn, updated.outputs);
    windows = await consoles(lab);
    for (const name of ["HO-EX2010-MB1", "HO-EX2010-MB2"]) {
      expect(windows[name], name).toMatchObject({ RpcValue: null, AbValue: null });
      expect(windows[name]?.RpcPorts, name).not.toContain(59540);
      expect(windows[name]?.AbPorts, name).not.toContain(59541);
    }
  });

  it("CasArrayVerification: create, read, update and delete, DNS resolved over the wire; it never changes the lab", async ({
    lab,
    host,
  }) => {
    // Two VIPs of this test's own, each listening on the published ports.
    const PORTS = [135, 59532, 59533];
    const first = await vipListening(PORTS);
    const second = await vipListening(PORTS);
    await lab.pwsh(
      `Add-DnsServerResourceRecordA -ZoneName '${ZONE}' -Name outlook-ho -IPv4Address '${first}' -ComputerName DC01\nNew-ClientAccessArray -Name cas-headoffice -Fqdn '${ARRAY_FQDN}' -Site HeadOffice | Out-Null`,
    );
    const verify = (addresses: string[]) =>
      declare(
        (lib) =>
          new lib.CasArrayVerification("outlook-ho-verify", {
            fqdn: ARRAY_FQDN,
            site: "HeadOffice",
            dnsServer: "DC01",
            addresses,
            ports: PORTS,
            connection: lab.connection,
            dnsConnection: lab.connection,
          }),
      );
    const allOk = (address: string) => ({
      checkedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      ok: true,
      dns: { server: "DC01", resolved: [address], expected: [address], ok: true },
      members: { names: ["HO-EX2010-MB1", "HO-EX2010-MB2"], ok: true },
      tcp: PORTS.map((port) => ({ address, port, result: "open" })),
      failures: [],
    });
    const wired = async () => ({
      records: (await labRecords(lab)).map((r) => r.ip),
      arrays: (await labArrays(lab)).map((a) => a.Name),
    });

    const created = await create(host, await verify([first]));
    expect(created.id).toBe(`${ARRAY_FQDN}@dc01`);
    expect(created.outputs.verification).toEqual(allOk(first));
    expect(await wired()).toEqual({ records: [first], arrays: ["cas-headoffice"] });

    // Read: the name moved at the console; the refresh resolves it again at DC01, over the wire.
    await lab.pwsh(
      `Add-DnsServerResourceRecordA -ZoneName '${ZONE}' -Name outlook-ho -IPv4Address '${second}' -ComputerName DC01\nRemove-DnsServerResourceRecord -ZoneName '${ZONE}' -Name outlook-ho -RRType A -RecordData '${first}' -Force -ComputerName DC01`,
    );
    const read = present(await refresh(host, created));
    expect(read.outputs.verification).toMatchObject({
      ok: false,
      dns: { server: "DC01", resolved: [second], expected: [first], ok: false },
    });
    expect(await wired()).toEqual({ records: [second], arrays: ["cas-headoffice"] });

    const { state: updated, changed } = await up(host, read, await verify([second]));
    expect(changed).toBe(true);
    expect(updated.outputs.verification).toEqual(allOk(second));
    expect(await wired()).toEqual({ records: [second], arrays: ["cas-headoffice"] });

    await host.delete(updated.id, updated.urn, updated.outputs);
    expect(await wired()).toEqual({ records: [second], arrays: ["cas-headoffice"] });
  });
});

describe("DNS over the wire (the ExcasDns commands on the jump host)", () => {
  const record = (
    lab: Lab,
    args: { addresses: string[]; ttl?: number; zone?: string; name?: string },
    resourceName = "outlook-ho",
  ) =>
    declare(
      (lib) =>
        new lib.DnsARecord(resourceName, {
          zone: ZONE,
          name: "outlook-ho",
          dnsServer: "DC01",
          ...args,
          connection: lab.connection,
        }),
    );

  it("DnsARecord: created, read with a record added at the console, its address set changed in place, its TTL changed, deleted; the lab checked after each", async ({
    lab,
    host,
  }) => {
    const created = await create(host, await record(lab, { addresses: [CAS1] }));
    expect(created.id).toBe("dc01/exchangeserverpro.net/outlook-ho");
    expect(created.outputs).toMatchObject({ fqdn: ARRAY_FQDN, addresses: [CAS1], ttl: 3600 });
    expect(await labRecords(lab)).toEqual([{ ip: CAS1, ttl: 3600 }]);

    await lab.pwsh(
      `Add-DnsServerResourceRecordA -ZoneName '${ZONE}' -Name outlook-ho -IPv4Address '${CAS2}' -TimeToLive '00:20:00' -ComputerName DC01`,
    );
    const read = present(await refresh(host, created));
    expect(read.outputs).toMatchObject({
      addresses: [CAS1, CAS2],
      ttl: 1200,
      records: [
        { address: CAS1, ttl: 3600 },
        { address: CAS2, ttl: 1200 },
      ],
    });
    expect(await labRecords(lab)).toEqual([
      { ip: CAS1, ttl: 3600 },
      { ip: CAS2, ttl: 1200 },
    ]);

    // The address set changes in place: the same record, now the VIP only.
    const moved = await up(host, read, await record(lab, { addresses: [VIP] }));
    expect(moved.changed).toBe(true);
    expect(moved.state.id).toBe(created.id);
    expect(moved.state.outputs).toMatchObject({ addresses: [VIP], ttl: 3600 });
    expect(await labRecords(lab)).toEqual([{ ip: VIP, ttl: 3600 }]);

    // The TTL changes in place (Set-ExcasDnsARecordTtl edits the record on the DNS host).
    const retimed = await up(host, moved.state, await record(lab, { addresses: [VIP], ttl: 300 }));
    expect(retimed.changed).toBe(true);
    expect(retimed.state.outputs).toMatchObject({ addresses: [VIP], ttl: 300 });
    expect(await labRecords(lab)).toEqual([{ ip: VIP, ttl: 300 }]);

    await host.delete(retimed.state.id, retimed.state.urn, retimed.state.outputs);
    expect(await labRecords(lab)).toEqual([]);
    // Its neighbours are untouched.
    expect(await labRecords(lab, "HO-EX2010-MB1")).toEqual([{ ip: CAS1, ttl: 1200 }]);
  });

  it("an error of the DNS server (a zone it does not host) arrives as one clear message, and nothing is created", async ({
    lab,
    host,
  }) => {
    const reg = await record(
      lab,
      { zone: "branch.exchangeserverpro.net", name: "outlook-br", addresses: ["10.2.0.11"] },
      "outlook-br",
    );
    const urn = urnOf("DnsARecord", "outlook-br");
    const checked = await host.check(urn, {}, reg.inputs);
    expect(checked.failures).toEqual([]);
    const failure = await host.create(urn, checked.inputs).then(
      () => new Error("create succeeded"),
      (e: unknown) => e as Error,
    );
    // One message, whole (after gRPC's status): the server's WIN32 code made a sentence, not a CIM
    // error record this pwsh cannot rebuild (no libmi), nor a stack of PowerShell's own errors.
    expect(failure.message.replace(/^\d+ [A-Z_]+: /, "")).toBe(
      "DNS server 'DC01' does not host zone 'branch.exchangeserverpro.net' (WIN32 9601, from Get-DnsServerResourceRecord): create the zone on that server, or set 'zone' and 'dnsServer' to a zone the server hosts.",
    );
    expect(await labRecords(lab, "outlook-br", "branch.exchangeserverpro.net", "DC02")).toEqual([]);
    expect(await labRecords(lab, "outlook-br")).toEqual([]);
  });
});
