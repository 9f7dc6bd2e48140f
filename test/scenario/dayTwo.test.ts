// Day two: what comes after a site's first apply, through the real dynamic-provider host against
// the article's lab, each as an admin would meet it: a destroy after adopt, a rolling restart
// interrupted half-way, a datacenter outage, a DAG switchover, a record made by hand before the
// stack, the wiring check after a repair, and a brownfield site applied without a preview.
import { describe, expect } from "vitest";
import { applyAll, destroy, preview, refresh, resourceType, type Applied } from "../support/apply";
import type { Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { urnOf, type Host } from "../support/host";
import { ARTICLE_DATABASES, labDatabases, labRecord, type Lab } from "../support/lab";
import { declareSite, HO_FQDN, type SiteArgs } from "../support/site";

const FQDN = HO_FQDN;
const BR_FQDN = "outlook-br.exchangeserverpro.net";
const RPC_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeRPC\\ParametersSystem";
const AB_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeAB\\Parameters";
const PORTS = { rpcClientAccess: 59532, addressBook: 59533 };

function labArrays(lab: Lab): Promise<{ Name: string; Fqdn: string }[]> {
  return lab.json<{ Name: string; Fqdn: string }[]>("Get-ClientAccessArray | Select-Object Name,Fqdn");
}

interface ServerPorts {
  Name: string;
  Rpc: number | string | null;
  Ab: number | string | null;
  RpcListening: number[];
  Kept: string[];
}

/** The static RPC ports of the site's two servers as the admin at their consoles sees them, and what exchange-cas keeps there. */
async function serverPorts(lab: Lab): Promise<Record<string, ServerPorts>> {
  const rows = await lab.json<ServerPorts[]>(
    `foreach ($n in 'HO-EX2010-MB1', 'HO-EX2010-MB2') { $w = Get-ExchangeLabServerWindows -Server $n; $k = $w.Registry.'HKLM:\\SOFTWARE\\exchange-cas'; [pscustomobject]@{ Name = $n; Rpc = $w.Registry.'${RPC_KEY}'.'TCP/IP Port'.Value; Ab = $w.Registry.'${AB_KEY}'.RpcTcpPort.Value; RpcListening = @($w.Services.MSExchangeRPC.ListeningPorts); Kept = @(if ($null -ne $k) { $k.PSObject.Properties | ForEach-Object { $_.Name } }) } }`,
  );
  return Object.fromEntries(rows.map((r) => [r.Name, r]));
}

async function apply(host: Host, regs: Registration[], state: Map<string, Applied>) {
  const outcome = await applyAll(host, regs, state);
  expect(outcome.failed).toEqual([]);
  return outcome;
}

/**
 * `pulumi up --skip-preview`, as the engine runs a site: each registration in order, Check then
 * Create; a check failure ends the deployment there, and what depends on the failed resource is
 * never registered (its registration waits for that resource).
 */
async function upWithoutPreview(
  host: Host,
  regs: Registration[],
  state: Map<string, Applied>,
): Promise<{ name: string; reason: string }[]> {
  for (const reg of regs) {
    const urn = urnOf(resourceType(reg), reg.name);
    const checked = await host.check(urn, {}, reg.inputs);
    if (checked.failures.length > 0) return checked.failures.map((f) => ({ name: reg.name, reason: f.reason }));
    const created = await host.create(urn, checked.inputs);
    state.set(reg.name, { urn, id: created.id, outputs: created.properties, inputs: checked.inputs });
  }
  return [];
}

/** Refresh, as `pulumi refresh` does: each resource read; the ones gone leave the state. */
async function refreshAll(host: Host, state: Map<string, Applied>): Promise<void> {
  for (const [name, s] of [...state]) {
    const now = await refresh(host, s);
    if (now === undefined) state.delete(name);
    else state.set(name, now);
  }
}

describe("adopt, then destroy", () => {
  it("completes: a value to give back that no longer names an array or server is replaced by what the adopted array is called now, with a warning", async ({
    lab,
    host,
  }) => {
    await lab.pwsh(
      "New-ClientAccessArray -Name CASArray-HO -Fqdn casarray-ho.exchangeserverpro.net -Site HeadOffice | Out-Null; foreach ($d in 'MB-HO-01','MB-HO-02','MB-HO-03') { Set-MailboxDatabase $d -RpcClientAccessServer casarray-ho.exchangeserverpro.net }",
    );
    const declared = await declareSite(lab.connection, { adopt: true });
    expect(declared.error).toBeUndefined();
    const state = new Map<string, Applied>();
    await apply(host, declared.regs, state);
    expect(await labArrays(lab)).toEqual([{ Name: "cas-headoffice", Fqdn: FQDN }]);

    const { printed } = await host.printedBy(() => destroy(host, state));
    expect(state.size).toBe(0);
    for (const db of ["MB-HO-01", "MB-HO-02", "MB-HO-03"]) {
      expect(printed).toContain(
        `Mailbox database '${db}': its recorded earlier value casarray-ho.exchangeserverpro.net no longer names an existing CAS array or server (the adopted array was probably renamed from it), so it stays on ${FQDN}, what the adopted array 'cas-headoffice' is called now.`,
      );
    }
    // Released, not removed; its databases stay on it.
    expect(await labArrays(lab)).toEqual([{ Name: "cas-headoffice", Fqdn: FQDN }]);
    expect(await labDatabases(lab)).toEqual({
      ...ARTICLE_DATABASES,
      "MB-HO-01": FQDN,
      "MB-HO-02": FQDN,
      "MB-HO-03": FQDN,
    });
  });
});

describe("an interrupted rolling restart", () => {
  it("keeps what each server had before the stack touched it: the re-run converges and destroy gives every server back its dynamic ports", async ({
    lab,
    host,
  }) => {
    const state = new Map<string, Applied>();
    await apply(host, (await declareSite(lab.connection)).regs, state);
    // rpcPorts added; MB2's Address Book fails to start: MB1 is changed, MB2 half.
    await lab.pwsh("Add-ExchangeLabServiceFault -Server HO-EX2010-MB2 -Name MSExchangeAB");
    const withPorts = await declareSite(lab.connection, { rpcPorts: PORTS });
    const stopped = await applyAll(host, withPorts.regs, state);
    expect(stopped.failed).toEqual([
      {
        name: "headoffice-rpc-ports",
        error: expect.stringMatching(
          /Setting the static RPC ports of HO-EX2010-MB2 failed: .*HO-EX2010-MB1 was already changed and restarted\./,
        ),
      },
    ]);
    expect((await serverPorts(lab))["HO-EX2010-MB1"]?.Rpc).toBe(59532);

    await apply(host, (await declareSite(lab.connection, { rpcPorts: PORTS })).regs, state);
    expect(state.get("headoffice-rpc-ports")?.outputs.previous).toEqual([
      { server: "HO-EX2010-MB1", rpcClientAccess: null, addressBook: null },
      { server: "HO-EX2010-MB2", rpcClientAccess: null, addressBook: null },
    ]);

    await destroy(host, state);
    const after = await serverPorts(lab);
    for (const name of ["HO-EX2010-MB1", "HO-EX2010-MB2"]) {
      expect(after[name]).toMatchObject({ Rpc: null, Ab: null, Kept: [] });
      expect(after[name]?.RpcListening).not.toContain(59532);
    }
  });
});

describe("one unreachable Client Access server", () => {
  it("blocks only what needs it: the DNS move of a site outage goes ahead with a warning naming the servers, and converges when they are back", async ({
    lab,
    host,
  }) => {
    const state = new Map<string, Applied>();
    await apply(host, (await declareSite(lab.connection, { rpcPorts: PORTS })).regs, state);
    await lab.pwsh(
      "foreach ($n in 'HO-EX2010-MB1','HO-EX2010-MB2') { $null = Set-ExchangeLabServerWindows $n -Remoting Unreachable }",
    );

    // The HeadOffice datacenter is down: its array's name moves to BranchOffice's server.
    // `npm run up` refreshes first: the servers are read as unreachable, their last state kept.
    await refreshAll(host, state);
    const moved = await declareSite(lab.connection, { rpcPorts: PORTS, dns: { addresses: ["10.2.0.11"] } });
    expect(moved.error).toBeUndefined();
    for (const server of ["HO-EX2010-MB1", "HO-EX2010-MB2"]) {
      expect(moved.warnings).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^Static RPC ports of site HeadOffice: ${server} cannot be reached with PowerShell remoting \\(.*\\)\\. Its ports keep their last known state.*the DNS record, the array and the databases go ahead\\.$`,
          ),
        ),
      );
    }
    const { result: seen, printed } = await host.printedBy(() => preview(host, moved.regs, state));
    expect(seen.failures).toEqual([]);
    expect(seen.updates).toEqual(["headoffice-dns"]);
    expect(printed).toMatch(
      /Static RPC ports of site HeadOffice: HO-EX2010-MB2 cannot be reached \(.*\), so its ports keep their last known state \(TCP\/IP Port 59532, RpcTcpPort 59533, as last read\)/,
    );
    await apply(host, moved.regs, state);
    expect(await labRecord(lab)).toEqual(["10.2.0.11"]);
    const ports = state.get("headoffice-rpc-ports")?.outputs.servers as { server: string; unreachable?: string }[];
    expect(ports.map((s) => [s.server, typeof s.unreachable])).toEqual([
      ["HO-EX2010-MB1", "string"],
      ["HO-EX2010-MB2", "string"],
    ]);

    // New ports need every server: refused while they cannot be reached, with a sentence that says what still works.
    const newPorts = await declareSite(lab.connection, {
      rpcPorts: { rpcClientAccess: 59540, addressBook: 59541 },
      dns: { addresses: ["10.2.0.11"] },
    });
    const refused = await preview(host, newPorts.regs, state);
    expect(refused.failures).toEqual([
      {
        name: "headoffice-rpc-ports",
        property: "site",
        reason: expect.stringMatching(
          /^Static RPC ports of site HeadOffice cannot change from 59532 and 59533 to 59540 and 59541 while 2 servers cannot be read .*Keep rpcPorts as they were until they are back \(the DNS record, the array and the databases can change meanwhile\); no server was changed\.$/,
        ),
      },
    ]);

    // Back: the name returns home and the ports are read again, as they were.
    await lab.pwsh(
      "foreach ($n in 'HO-EX2010-MB1','HO-EX2010-MB2') { $null = Set-ExchangeLabServerWindows $n -Remoting Enabled }",
    );
    await refreshAll(host, state);
    const home = await declareSite(lab.connection, { rpcPorts: PORTS });
    await apply(host, home.regs, state);
    expect(await labRecord(lab)).toEqual(["10.1.0.11"]);
    const back = state.get("headoffice-rpc-ports")?.outputs.servers as {
      server: string;
      inSync: boolean;
      unreachable?: string;
    }[];
    expect(back.map((s) => [s.server, s.inSync, s.unreachable])).toEqual([
      ["HO-EX2010-MB1", true, undefined],
      ["HO-EX2010-MB2", true, undefined],
    ]);
  });
});

describe("a switchover in a DAG stretched across sites", () => {
  /** HO-DAG01 stretched into BranchOffice: MB-HO-01's preferred copy on MB1, others on MB2 and BR. */
  const stretch = (state: Record<string, unknown>) => {
    const s = state as {
      databaseAvailabilityGroups: { Servers: string[] }[];
      mailboxDatabases: { Name: string; Copies?: string[] }[];
    };
    (s.databaseAvailabilityGroups[0] as { Servers: string[] }).Servers = [
      "HO-EX2010-MB1",
      "HO-EX2010-MB2",
      "BR-EX2010-MB",
    ];
    for (const d of s.mailboxDatabases)
      if (d.Name === "MB-HO-01") d.Copies = ["HO-EX2010-MB1", "HO-EX2010-MB2", "BR-EX2010-MB"];
  };
  const branch: SiteArgs = {
    site: "BranchOffice",
    arrayName: "cas-branchoffice",
    fqdn: BR_FQDN,
    dns: { addresses: ["10.2.0.11"] },
  };
  const names = (databases: { database: string }[]) => databases.map((d) => d.database);

  it("never makes the other site take the database: its home site (ActivationPreference 1) keeps it, and the other preview says why", async ({
    lab,
    host,
  }) => {
    lab.reset(stretch);
    const ho = new Map<string, Applied>();
    await apply(host, (await declareSite(lab.connection)).regs, ho);
    const br = new Map<string, Applied>();
    await apply(host, (await declareSite(lab.connection, branch, "branchoffice")).regs, br);
    await lab.pwsh("$null = Move-ActiveMailboxDatabase MB-HO-01 -ActivateOnServer BR-EX2010-MB -Confirm:$false");

    const branchAfter = await declareSite(lab.connection, branch, "branchoffice");
    expect(branchAfter.error).toBeUndefined();
    expect(
      branchAfter.regs.filter((r) => resourceType(r) === "MailboxDatabaseRpcSetting").map((r) => r.inputs.database),
    ).toEqual(["MB-BR-01"]);
    expect(branchAfter.warnings).toContainEqual(
      `Mailbox database 'MB-HO-01' is active in BranchOffice (on BR-EX2010-MB) only because of a failover or switchover: its preferred copy (ActivationPreference 1) is on HO-EX2010-MB1 in HeadOffice, its home site, whose stack keeps it, so 'all-in-site' does not take it here and its RpcClientAccessServer (${FQDN}) is left alone. While HeadOffice is down, repoint HeadOffice's array name, not the database.`,
    );
    const brSeen = await preview(host, branchAfter.regs, br);
    expect(brSeen.failures).toEqual([]);
    expect(brSeen.creates).toEqual([]);
    await apply(host, branchAfter.regs, br);

    const headAfter = await declareSite(lab.connection);
    expect(names(headAfter.databases)).toEqual(["MB-HO-01", "MB-HO-02", "MB-HO-03"]);
    expect(headAfter.warnings).toContainEqual(
      expect.stringMatching(
        /^Mailbox database 'MB-HO-01' is active in AD site BranchOffice now \(on BR-EX2010-MB, after a failover or switchover\), but its home is HeadOffice/,
      ),
    );
    const hoSeen = await preview(host, headAfter.regs, ho);
    expect(hoSeen).toMatchObject({ failures: [], creates: [], updates: [], deletes: [] });
    expect((await labDatabases(lab))["MB-HO-01"]).toBe(FQDN);

    // And back: neither stack has anything to change.
    await lab.pwsh("$null = Move-ActiveMailboxDatabase MB-HO-01 -ActivateOnServer HO-EX2010-MB1 -Confirm:$false");
    expect(await preview(host, (await declareSite(lab.connection, branch, "branchoffice")).regs, br)).toMatchObject({
      creates: [],
      updates: [],
      deletes: [],
    });
    expect(await preview(host, (await declareSite(lab.connection)).regs, ho)).toMatchObject({
      creates: [],
      updates: [],
      deletes: [],
    });
  });
});

describe("a record that was already there", () => {
  it("is refused at preview even when its address is a declared one; with adopt it is taken over and released, never deleted, on destroy", async ({
    lab,
    host,
  }) => {
    await lab.pwsh(
      "Add-DnsServerResourceRecordA -ZoneName exchangeserverpro.net -Name outlook-ho -IPv4Address 10.1.0.11 -ComputerName DC01",
    );
    const seen = await preview(host, (await declareSite(lab.connection)).regs, new Map());
    const foreign =
      /^outlook-ho\.exchangeserverpro\.net on DNS server 'DC01' already has A record 10\.1\.0\.11 that this stack does not own \(10\.1\.0\.11 is a declared address, but a record this stack did not create is not its own/;
    expect(seen.failures).toContainEqual({
      name: "headoffice-claim",
      property: "fqdn",
      reason: expect.stringMatching(foreign),
    });
    expect(seen.failures).toContainEqual({
      name: "headoffice-dns",
      property: "addresses",
      reason: expect.stringMatching(foreign),
    });

    const state = new Map<string, Applied>();
    const adopted = await declareSite(lab.connection, { adopt: true });
    const { printed } = await host.printedBy(() => apply(host, adopted.regs, state));
    expect(printed).toContain(
      "outlook-ho.exchangeserverpro.net will be taken over (adopt) as it is (A record 10.1.0.11); on destroy the name is released, not removed.",
    );
    await destroy(host, state);
    expect(await labRecord(lab)).toEqual(["10.1.0.11"]);
  });
});

describe("the wiring check", () => {
  it("checks again on the apply that repaired the site, and says when it checked", async ({ lab, host }) => {
    const state = new Map<string, Applied>();
    await apply(host, (await declareSite(lab.connection, { verify: true })).regs, state);
    const checked = () =>
      state.get("headoffice-verify")?.outputs.verification as { ok: boolean; failures: string[]; checkedAt: string };
    expect(checked()).toMatchObject({ ok: true, failures: [] });

    // `npm run lab -- --reset`: the refresh sees the array and the record gone, the check fail.
    lab.reset();
    await refreshAll(host, state);
    expect(checked().ok).toBe(false);
    expect(checked().failures.join("\n")).toMatch(/does not exist at DNS server DC01|has no A record/);
    const refreshedAt = checked().checkedAt;

    await apply(host, (await declareSite(lab.connection, { verify: true })).regs, state);
    expect(checked()).toMatchObject({ ok: true, failures: [] });
    expect(Number.isNaN(Date.parse(refreshedAt))).toBe(false);
    expect(Date.parse(checked().checkedAt)).toBeGreaterThan(Date.parse(refreshedAt));
  });
});

describe("a brownfield refusal", () => {
  it("comes before anything of the site is registered, so an up without a preview changes nothing", async ({
    lab,
    host,
  }) => {
    await lab.pwsh(
      "New-ClientAccessArray -Name CASArray-HO -Fqdn casarray-ho.exchangeserverpro.net -Site HeadOffice | Out-Null",
    );
    const declared = await declareSite(lab.connection, { rpcPorts: PORTS });
    const state = new Map<string, Applied>();
    const refused = await upWithoutPreview(host, declared.regs, state);
    expect(refused).toEqual([
      {
        name: expect.stringMatching(/^headoffice-/),
        reason: expect.stringMatching(
          /Site HeadOffice already has CAS array 'CASArray-HO' \(casarray-ho\.exchangeserverpro\.net\), which this stack does not manage/,
        ),
      },
    ]);
    expect([...state.keys()]).toEqual([]);
    expect(await labRecord(lab)).toEqual([]);
    expect(await labArrays(lab)).toEqual([{ Name: "CASArray-HO", Fqdn: "casarray-ho.exchangeserverpro.net" }]);
    expect(await labDatabases(lab)).toEqual(ARTICLE_DATABASES);
    expect((await serverPorts(lab))["HO-EX2010-MB1"]?.Rpc).toBeNull();
  });
});
