// No stack is ever stuck. For each resource of a site (array, record, database setting, static
// ports, verification) and each of create, update and delete, the provider host is killed in the
// middle (SIGKILL, with its pwsh: the lab hangs a named command and records that it started, see
// support/interrupt.ts), holding the state the engine would have kept (the steps that completed).
// Then (a) the next preview (after a refresh, as `npm run up` does) says what it found, (b) the
// re-run converges, (c) a destroy completes and gives back what the stack found.
//
// One combination cannot be made safe: a record killed after its A record was added and before
// the engine heard of it. Nothing tells that record from one made by hand (the issue: a record
// the stack did not create is refused), so the next preview refuses it with a sentence that says
// how to go on (remove it, or adopt); done, the re-run converges and the destroy gives back.
import { describe, expect } from "vitest";
import { applyAll, create, destroy, preview, refresh, type Applied } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import type { Host } from "../support/host";
import { interruptAt } from "../support/interrupt";
import { ARTICLE_DATABASES, labDatabases, labRecord, type JsonObject, type Lab } from "../support/lab";
import { declareSite, HO_FQDN, type SiteArgs } from "../support/site";

const FQDN = HO_FQDN;
const PORTS = { rpcClientAccess: 59532, addressBook: 59533 };
const RPC_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeRPC\\ParametersSystem";

async function regsOf(lab: Lab, args: SiteArgs = {}): Promise<Registration[]> {
  const declared = await declareSite(lab.connection, args);
  expect(declared.error).toBeUndefined();
  return declared.regs;
}

async function apply(host: Host, regs: Registration[], state: Map<string, Applied>): Promise<void> {
  const outcome = await applyAll(host, regs, state);
  expect(outcome.failed).toEqual([]);
}

/**
 * The site of `args` applied through `host` (the file's host), as a test's starting point, with the
 * stack state the engine keeps. Prepared once per file: the first test that needs it applies it and
 * keeps the lab's state file and the stack state; a later test gets both back as they were (the lab
 * state written over its own, as a reset does), which is what applying it again would have made.
 * What each test interrupts, and everything after, still runs through the hosts.
 */
const prepared = new Map<string, { lab: JsonObject; state: [string, Applied][] }>();
async function appliedSite(lab: Lab, host: Host, args: SiteArgs = {}): Promise<Map<string, Applied>> {
  const key = JSON.stringify(args);
  let kept = prepared.get(key);
  if (kept === undefined) {
    const state = new Map<string, Applied>();
    await apply(host, await regsOf(lab, args), state);
    kept = { lab: lab.readState(), state: structuredClone([...state]) };
    prepared.set(key, kept);
  } else {
    lab.writeState(structuredClone(kept.lab));
  }
  return new Map(structuredClone(kept.state));
}

async function refreshAll(host: Host, state: Map<string, Applied>): Promise<void> {
  for (const [name, s] of [...state]) {
    const now = await refresh(host, s);
    if (now === undefined) state.delete(name);
    else state.set(name, now);
  }
}

/** `npm run up`'s preview: refresh, then Check and Diff of every registration; what it printed. */
async function previewAfterRefresh(host: Host, regs: Registration[], state: Map<string, Applied>) {
  return host.printedBy(async () => {
    await refreshAll(host, state);
    return preview(host, regs, state);
  });
}

function labArrays(lab: Lab): Promise<{ Name: string; Fqdn: string }[]> {
  return lab.json<{ Name: string; Fqdn: string }[]>("Get-ClientAccessArray | Select-Object Name,Fqdn");
}

/** Each HeadOffice server's TCP/IP Port (null: dynamic) and whether exchange-cas keeps anything there. */
async function ports(lab: Lab): Promise<{ Name: string; Rpc: number | null; Kept: boolean }[]> {
  return lab.json(
    `foreach ($n in 'HO-EX2010-MB1', 'HO-EX2010-MB2') { $w = Get-ExchangeLabServerWindows -Server $n; [pscustomobject]@{ Name = $n; Rpc = $w.Registry.'${RPC_KEY}'.'TCP/IP Port'.Value; Kept = $null -ne $w.Registry.'HKLM:\\SOFTWARE\\exchange-cas' -and @($w.Registry.'HKLM:\\SOFTWARE\\exchange-cas'.PSObject.Properties).Count -gt 0 } }`,
  );
}

/** (c): everything the stack found is back: the article's databases, no array, no record, dynamic ports, nothing kept on the servers. */
async function expectGivenBack(lab: Lab): Promise<void> {
  expect(await labDatabases(lab)).toEqual(ARTICLE_DATABASES);
  expect(await labArrays(lab)).toEqual([]);
  expect(await labRecord(lab)).toEqual([]);
  expect(await ports(lab)).toEqual([
    { Name: "HO-EX2010-MB1", Rpc: null, Kept: false },
    { Name: "HO-EX2010-MB2", Rpc: null, Kept: false },
  ]);
}

/** (b) and (c): the re-run converges (nothing left to change after it), then the destroy completes and gives back. */
async function convergeThenDestroy(
  lab: Lab,
  host: Host,
  regs: Registration[],
  state: Map<string, Applied>,
): Promise<void> {
  await apply(host, regs, state);
  expect(await preview(host, regs, state)).toMatchObject({ failures: [], creates: [], updates: [], deletes: [] });
  await destroy(host, state);
  expect(state.size).toBe(0);
  await expectGivenBack(lab);
}

describe("the CAS array", () => {
  it("create, killed after New-ClientAccessArray: the preview says the array exists exactly as declared; the re-run takes it, the destroy removes it", async ({
    lab,
    host,
    freshHost,
  }) => {
    const regs = await regsOf(lab);
    const state = new Map<string, Applied>();
    await interruptAt(lab, freshHost, { command: "Get-ClientAccessArray", after: "New-ClientAccessArray" }, () =>
      applyAll(freshHost, regs, state),
    );
    expect([...state.keys()]).not.toContain("headoffice-array");
    const { result: seen, printed } = await previewAfterRefresh(host, regs, state);
    expect(seen.failures).toEqual([]);
    expect(printed).toMatch(
      /CAS array 'cas-headoffice' \(outlook-ho\.exchangeserverpro\.net\) already exists in site HeadOffice, exactly as declared \(an earlier apply was probably interrupted\)/,
    );
    await convergeThenDestroy(lab, host, regs, state);
  });

  it("update, killed after Set-ClientAccessArray: the refresh finds it renamed; the re-run has nothing left, the destroy removes it", async ({
    lab,
    host,
    freshHost,
  }) => {
    const state = await appliedSite(lab, host);
    const renamed = await regsOf(lab, { arrayName: "cas-ho" });
    await interruptAt(lab, freshHost, { command: "Get-ClientAccessArray", after: "Set-ClientAccessArray" }, () =>
      applyAll(freshHost, renamed, state),
    );
    expect(state.get("headoffice-array")?.outputs.arrayName).toBe("cas-headoffice");
    const { result: seen } = await previewAfterRefresh(host, renamed, state);
    expect(state.get("headoffice-array")?.outputs.arrayName).toBe("cas-ho");
    expect(seen).toMatchObject({ failures: [], creates: [] });
    expect(seen.updates).not.toContain("headoffice-array");
    await convergeThenDestroy(lab, host, renamed, state);
  });

  it("delete, killed between two databases put back: the refresh finds the array still there; the destroy again puts the rest back and removes it", async ({
    lab,
    host,
    freshHost,
  }) => {
    const state = await appliedSite(lab, host);
    await interruptAt(lab, freshHost, { command: "Set-MailboxDatabase", after: "Set-MailboxDatabase" }, () =>
      destroy(freshHost, state),
    );
    const half = await labDatabases(lab);
    expect(Object.values(half).filter((v) => v === FQDN)).toHaveLength(2);
    await refreshAll(host, state);
    expect(state.get("headoffice-array")?.outputs.arrayName).toBe("cas-headoffice");
    await destroy(host, state);
    await expectGivenBack(lab);
  });
});

describe("the DNS record", () => {
  it("create, killed after its A record was added: the one combination refused, with a sentence; once removed, the re-run converges and the destroy gives back", async ({
    lab,
    host,
    freshHost,
  }) => {
    const regs = await regsOf(lab);
    const state = new Map<string, Applied>();
    await interruptAt(
      lab,
      freshHost,
      { command: "Get-DnsServerResourceRecord", after: "Add-DnsServerResourceRecordA" },
      () => applyAll(freshHost, regs, state),
    );
    expect([...state.keys()]).toEqual(["headoffice-claim"]);
    const { result: seen } = await previewAfterRefresh(host, regs, state);
    expect(seen.failures).toEqual([
      {
        name: "headoffice-dns",
        property: "addresses",
        reason: expect.stringMatching(
          /already has A record 10\.1\.0\.11 that this stack does not own \(10\.1\.0\.11 is a declared address, but a record this stack did not create is not its own: one made by hand, or by an apply of this stack that was interrupted before it could record it\)\. Remove it from DNS and run again/,
        ),
      },
    ]);
    // What the sentence says to do.
    await lab.pwsh(
      "Remove-DnsServerResourceRecord -ZoneName exchangeserverpro.net -RRType A -Name outlook-ho -RecordData 10.1.0.11 -ComputerName DC01 -Force",
    );
    await convergeThenDestroy(lab, host, regs, state);
  });

  it("update, killed between adding the new address and removing the old: the refresh finds both; the re-run leaves the new one", async ({
    lab,
    host,
    freshHost,
  }) => {
    const state = await appliedSite(lab, host);
    const moved = await regsOf(lab, { dns: { addresses: ["10.1.0.100"] } });
    await interruptAt(lab, freshHost, { command: "Remove-DnsServerResourceRecord" }, () =>
      applyAll(freshHost, moved, state),
    );
    const { result: seen } = await previewAfterRefresh(host, moved, state);
    expect(state.get("headoffice-dns")?.outputs.addresses).toEqual(["10.1.0.11", "10.1.0.100"]);
    expect(seen.failures).toEqual([]);
    expect(seen.updates).toContain("headoffice-dns");
    await apply(host, moved, state);
    expect(await labRecord(lab)).toEqual(["10.1.0.100"]);
    await convergeThenDestroy(lab, host, moved, state);
  });

  it("delete, killed at Remove-DnsServerResourceRecord: the refresh finds the record; the destroy again removes it", async ({
    lab,
    host,
    freshHost,
  }) => {
    const state = await appliedSite(lab, host);
    await interruptAt(lab, freshHost, { command: "Remove-DnsServerResourceRecord" }, () => destroy(freshHost, state));
    await refreshAll(host, state);
    expect([...state.keys()].sort()).toEqual(["headoffice-claim", "headoffice-dns"]);
    await destroy(host, state);
    await expectGivenBack(lab);
  });
});

describe("the database settings", () => {
  it("create, killed after Set-MailboxDatabase: the preview says the databases already point at the array; the destroy gives back their earlier values", async ({
    lab,
    host,
    freshHost,
  }) => {
    const regs = await regsOf(lab);
    const state = new Map<string, Applied>();
    await interruptAt(lab, freshHost, { command: "Get-MailboxDatabase", after: "Set-MailboxDatabase" }, () =>
      applyAll(freshHost, regs, state),
    );
    expect([...state.keys()].filter((n) => n.includes("-mb-"))).toEqual([]);
    const pointing = Object.entries(await labDatabases(lab)).filter(([, v]) => v === FQDN);
    expect(pointing.length).toBeGreaterThan(0);
    const { result: seen, printed } = await previewAfterRefresh(host, regs, state);
    expect(seen.failures).toEqual([]);
    for (const [db] of pointing)
      expect(printed).toContain(
        `Mailbox database '${db}' already points at ${FQDN} (an earlier apply was probably interrupted after setting it)`,
      );
    await convergeThenDestroy(lab, host, regs, state);
  });

  it("update, killed after Set-MailboxDatabase: the refresh finds the value repaired; the re-run has nothing left", async ({
    lab,
    host,
    freshHost,
  }) => {
    const state = await appliedSite(lab, host);
    const regs = await regsOf(lab);
    await lab.pwsh("Set-MailboxDatabase MB-HO-02 -RpcClientAccessServer HO-EX2010-MB2");
    await refreshAll(host, state);
    await interruptAt(lab, freshHost, { command: "Get-MailboxDatabase", after: "Set-MailboxDatabase" }, () =>
      applyAll(freshHost, regs, state),
    );
    expect(state.get("headoffice-mb-ho-02")?.outputs.rpcClientAccessServer).toBe("HO-EX2010-MB2.exchangeserverpro.net");
    const { result: seen } = await previewAfterRefresh(host, regs, state);
    expect(state.get("headoffice-mb-ho-02")?.outputs.rpcClientAccessServer).toBe(FQDN);
    expect(seen).toMatchObject({ failures: [], creates: [], deletes: [] });
    await convergeThenDestroy(lab, host, regs, state);
  });

  it("delete (a setting that restores), killed at Set-MailboxDatabase: the refresh finds the value still set; the delete again puts it back", async ({
    lab,
    host,
    freshHost,
  }) => {
    const [reg] = await register(
      (lib) =>
        new lib.MailboxDatabaseRpcSetting("mb-ho-02", {
          database: "MB-HO-02",
          rpcClientAccessServer: "HO-EX2010-MB2",
          connection: lab.connection,
        }),
    );
    if (reg === undefined) throw new Error("no registration");
    const state = new Map<string, Applied>([["mb-ho-02", await create(host, reg)]]);
    await interruptAt(lab, freshHost, { command: "Set-MailboxDatabase" }, () => destroy(freshHost, state));
    await refreshAll(host, state);
    expect(state.get("mb-ho-02")?.outputs.rpcClientAccessServer).toBe("HO-EX2010-MB2.exchangeserverpro.net");
    await destroy(host, state);
    expect(await labDatabases(lab)).toEqual(ARTICLE_DATABASES);
  });
});

describe("the static RPC ports", () => {
  it("create, killed while the second server restarts: the preview says what the first had and that it is kept; the re-run converges, the destroy gives both back", async ({
    lab,
    host,
    freshHost,
  }) => {
    const state = await appliedSite(lab, host);
    const withPorts = await regsOf(lab, { rpcPorts: PORTS });
    await interruptAt(lab, freshHost, { command: "Restart-Service", server: "HO-EX2010-MB2" }, () =>
      applyAll(freshHost, withPorts, state),
    );
    expect(state.has("headoffice-rpc-ports")).toBe(false);
    const { result: seen, printed } = await previewAfterRefresh(host, withPorts, state);
    expect(seen.failures).toEqual([]);
    expect(printed).toContain(
      "Static RPC ports of site HeadOffice: HO-EX2010-MB1 was changed by an earlier apply that did not finish (it already has the declared ports); what it had before exchange-cas changed it (TCP/IP Port dynamic, RpcTcpPort dynamic) is kept on the server and is what a destroy gives back.",
    );
    expect(printed).toMatch(
      /Static RPC ports of site HeadOffice, server 1 of 1, HO-EX2010-MB2 \(MSExchangeRPC still listens on/,
    );
    await convergeThenDestroy(lab, host, withPorts, state);
  });

  it("update, killed while the second server restarts: the preview says which server is left; the re-run converges, the destroy gives both back", async ({
    lab,
    host,
    freshHost,
  }) => {
    const state = await appliedSite(lab, host, { rpcPorts: PORTS });
    const moved = await regsOf(lab, { rpcPorts: { rpcClientAccess: 59540, addressBook: 59541 } });
    await interruptAt(lab, freshHost, { command: "Restart-Service", server: "HO-EX2010-MB2" }, () =>
      applyAll(freshHost, moved, state),
    );
    const { result: seen, printed } = await previewAfterRefresh(host, moved, state);
    expect(seen.failures).toEqual([]);
    expect(seen.updates).toContain("headoffice-rpc-ports");
    expect(printed).toMatch(/Static RPC ports of site HeadOffice, server 1 of 1, HO-EX2010-MB2 /);
    await convergeThenDestroy(lab, host, moved, state);
  });

  it("delete, killed while the second server restarts: the destroy again gives both back", async ({
    lab,
    host,
    freshHost,
  }) => {
    const state = await appliedSite(lab, host, { rpcPorts: PORTS });
    await interruptAt(lab, freshHost, { command: "Restart-Service", server: "HO-EX2010-MB2" }, () =>
      destroy(freshHost, state),
    );
    await refreshAll(host, state);
    expect([...state.keys()]).toEqual(["headoffice-claim", "headoffice-rpc-ports"]);
    await destroy(host, state);
    await expectGivenBack(lab);
  });
});

describe("the verification", () => {
  it("create, killed while it resolves the name: the re-run checks, the destroy gives back", async ({
    lab,
    host,
    freshHost,
  }) => {
    const regs = await regsOf(lab, { verify: true });
    const state = new Map<string, Applied>();
    await interruptAt(lab, freshHost, { command: "Resolve-DnsName" }, () => applyAll(freshHost, regs, state));
    expect(state.has("headoffice-verify")).toBe(false);
    const { result: seen } = await previewAfterRefresh(host, regs, state);
    expect(seen).toMatchObject({ failures: [], creates: ["headoffice-verify"] });
    await apply(host, regs, state);
    expect(state.get("headoffice-verify")?.outputs.verification).toMatchObject({ ok: true });
    await convergeThenDestroy(lab, host, regs, state);
  });

  it("update, killed while it resolves the moved name: the refresh checks again; the re-run converges", async ({
    lab,
    host,
    freshHost,
  }) => {
    const state = await appliedSite(lab, host, { verify: true });
    const moved = await regsOf(lab, { verify: true, dns: { addresses: ["10.1.0.12"] } });
    await interruptAt(lab, freshHost, { command: "Resolve-DnsName" }, () => applyAll(freshHost, moved, state));
    const { result: seen } = await previewAfterRefresh(host, moved, state);
    expect(seen.updates).toContain("headoffice-verify");
    await apply(host, moved, state);
    expect(state.get("headoffice-verify")?.outputs.verification).toMatchObject({
      ok: true,
      dns: { resolved: ["10.1.0.12"] },
    });
    await convergeThenDestroy(lab, host, moved, state);
  });
});
