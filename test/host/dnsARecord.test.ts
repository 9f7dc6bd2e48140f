// DnsARecord through the real dynamic-provider host, with the __provider the SDK itself
// serializes, against the article's lab (DC01: exchangeserverpro.net, DC02:
// branch.exchangeserverpro.net) in real pwsh.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect } from "vitest";
import { create, refresh, up } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { urnOf } from "../support/host";
import type { Lab } from "../support/lab";
import { LAB_MODULE, pwshPath } from "../support/paths";

const ZONE = "exchangeserverpro.net";
const CAS1 = "10.1.0.11";
const CAS2 = "10.1.0.12";
const VIP = "10.1.0.100";

interface RecordArgs {
  zone?: string;
  name?: string;
  addresses: string[];
  ttl?: number;
  adopt?: boolean;
  dnsServer?: string;
}

async function declare(lab: Lab, args: RecordArgs, resourceName = "outlook-ho"): Promise<Registration> {
  const full = { zone: ZONE, name: "outlook-ho", dnsServer: "DC01", ...args, connection: lab.connection };
  const regs = await register((lib) => new lib.DnsARecord(resourceName, full));
  const reg = regs[0];
  if (reg === undefined) throw new Error("no registration");
  return reg;
}

interface LabRecord {
  ip: string;
  ttl: number;
}

/** The A records at a name as an admin at the console sees them (none when the name is gone). */
async function labRecords(lab: Lab, name = "outlook-ho", zone = ZONE, server = "DC01"): Promise<LabRecord[]> {
  return (
    await lab.json<LabRecord[]>(
      `Get-DnsServerResourceRecord -ZoneName '${zone}' -Name '${name}' -Node -RRType A -ComputerName '${server}' -ErrorAction SilentlyContinue | ForEach-Object { [ordered]@{ ip = [string]$_.RecordData.IPv4Address; ttl = $_.TimeToLive.TotalSeconds } } | Sort-Object { $_.ip }`,
    )
  ).sort((a, b) => a.ip.localeCompare(b.ip));
}

async function labAdd(lab: Lab, ip: string, name = "outlook-ho", ttl = "00:20:00"): Promise<void> {
  await lab.pwsh(
    `Add-DnsServerResourceRecordA -ZoneName '${ZONE}' -Name '${name}' -IPv4Address '${ip}' -TimeToLive '${ttl}' -ComputerName DC01`,
  );
}

interface Observation {
  ips: string[];
  err: string;
}

/**
 * A second pwsh process that polls the name with Get-DnsServerResourceRecord in a loop, as a DNS
 * client would, recording every set it sees (9714, "no such name", is the empty set).
 */
function startReader(lab: Lab, name: string): { started: Promise<void>; stop(): Promise<Observation[]> } {
  // A directory of its own: the lab (and its directory) outlives the test.
  const dir = fs.mkdtempSync(path.join(lab.dir, "reader-"));
  const stopFile = path.join(dir, "reader.stop");
  const script = [
    `$ErrorActionPreference = 'Continue'`,
    `Import-Module '${LAB_MODULE}' -Force -DisableNameChecking`,
    `while ($true) {`,
    `  $done = Test-Path -LiteralPath '${stopFile}'`,
    `  $err = $null`,
    `  $rows = @(Get-DnsServerResourceRecord -ZoneName '${ZONE}' -Name '${name}' -Node -RRType A -ComputerName DC01 -ErrorAction SilentlyContinue -ErrorVariable err)`,
    `  $code = ''`,
    `  if ($err) { $code = [string]$err[0].FullyQualifiedErrorId }`,
    `  $ips = @($rows | ForEach-Object { [string]$_.RecordData.IPv4Address } | Sort-Object)`,
    `  [Console]::Out.WriteLine('OBS ' + (ConvertTo-Json -InputObject ([ordered]@{ ips = $ips; err = $code }) -Compress))`,
    `  if ($done) { break }`,
    `}`,
  ].join("\n");
  const scriptFile = path.join(dir, "reader.ps1");
  fs.writeFileSync(scriptFile, script);
  const child = spawn(pwshPath(), ["-NoProfile", "-NonInteractive", "-File", scriptFile], {
    env: { ...process.env, EXCHANGE_LAB_STATE: lab.statePath, NO_COLOR: "1", TERM: "dumb" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let stderr = "";
  let signalStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (signalStarted = resolve));
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.includes("OBS ")) signalStarted();
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    started: Promise.race([
      started,
      exited.then((code) => Promise.reject(new Error(`reader exited ${code}: ${stderr}`))),
    ]),
    async stop() {
      fs.writeFileSync(stopFile, "");
      const code = await exited;
      if (code !== 0) throw new Error(`reader exited ${code}: ${stderr}`);
      return out
        .split(/\r?\n/)
        .filter((l) => l.startsWith("OBS "))
        .map((l) => {
          const o = JSON.parse(l.slice(4)) as { ips: string[] | string | null; err: string };
          return { ips: o.ips === null ? [] : Array.isArray(o.ips) ? o.ips : [o.ips], err: o.err };
        });
    },
  };
}

describe("DnsARecord through the dynamic-provider host", () => {
  it("registers under its own type token with a small __provider that captures no secret", async ({ lab }) => {
    const reg = await declare(lab, { addresses: [CAS1] });
    expect(reg.type).toBe("pulumi-nodejs:dynamic/exchange-cas:DnsARecord");
    expect(reg.providerIsSecret).toBe(false);
    expect(reg.provider).toContain('require("exchange-cas/runtime")');
    expect(reg.provider.length).toBeLessThan(4096);
  });

  it("creates the array's A record pointing at one Client Access server, with the default TTL", async ({
    lab,
    host,
  }) => {
    const state = await create(host, await declare(lab, { addresses: [CAS1] }));
    expect(state.id).toBe("dc01/exchangeserverpro.net/outlook-ho");
    expect(state.outputs).toMatchObject({
      zone: ZONE,
      name: "outlook-ho",
      fqdn: "outlook-ho.exchangeserverpro.net",
      addresses: [CAS1],
      ttl: 3600,
      dnsServer: "DC01",
      connection: lab.connection,
    });
    expect(await labRecords(lab)).toEqual([{ ip: CAS1, ttl: 3600 }]);
    // Its neighbours are untouched.
    expect(await labRecords(lab, "HO-EX2010-MB1")).toEqual([{ ip: CAS1, ttl: 1200 }]);
  });

  it("takes the name as an FQDN inside the zone, stores it relative, and a second apply reports no change", async ({
    lab,
    host,
  }) => {
    const reg = await declare(lab, { name: "Outlook-HO.exchangeserverpro.net.", addresses: [VIP, CAS1, CAS1] });
    const state = await create(host, reg);
    expect(state.inputs).toMatchObject({ name: "outlook-ho", addresses: [CAS1, VIP], ttl: 3600 });
    expect(state.outputs).toMatchObject({
      name: "outlook-ho",
      fqdn: "outlook-ho.exchangeserverpro.net",
      addresses: [CAS1, VIP],
    });
    const again = await up(host, state, reg);
    expect(again.changed).toBe(false);
    const reordered = await up(host, state, await declare(lab, { name: "outlook-ho", addresses: [CAS1, VIP] }));
    expect(reordered.changed).toBe(false);
  });

  it("moves the name from one CAS to the VIP in place; a concurrent reader never sees it without an address", async ({
    lab,
    host,
  }) => {
    const state = await create(host, await declare(lab, { addresses: [CAS1] }));
    // Every DNS command now takes 250 ms, which widens every window the move could open.
    await lab.pwsh("Set-ExchangeLabLatency -DnsCommandMs 250 | Out-Null");
    const reader = startReader(lab, "outlook-ho");
    await reader.started;
    const { state: moved, changed } = await up(host, state, await declare(lab, { addresses: [VIP] }));
    const seen = await reader.stop();
    expect(changed).toBe(true);
    expect(moved.id).toBe(state.id);
    expect(moved.outputs.addresses).toEqual([VIP]);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.filter((o) => o.ips.length === 0 || o.err !== "")).toEqual([]);
    const distinct = seen.map((o) => [...o.ips].sort().join(",")).filter((s, i, all) => i === 0 || all[i - 1] !== s);
    expect(distinct).toEqual([CAS1, [CAS1, VIP].sort().join(","), VIP]);
    expect(await labRecords(lab)).toEqual([{ ip: VIP, ttl: 3600 }]);
  });

  it("allows DNS round robin (two CAS addresses) with a warning that it is not load balancing", async ({
    lab,
    host,
  }) => {
    const reg = await declare(lab, { addresses: [CAS2, CAS1] });
    const { result: state, printed } = await host.printedBy(() => create(host, reg));
    expect(state.outputs.addresses).toEqual([CAS1, CAS2]);
    expect((await labRecords(lab)).map((r) => r.ip)).toEqual([CAS1, CAS2]);
    expect(printed).toMatch(
      /outlook-ho\.exchangeserverpro\.net gets 2 A records \(10\.1\.0\.11, 10\.1\.0\.12\): that is DNS round robin, not load balancing/,
    );
  });

  it("changes the TTL in place with Set-DnsServerResourceRecord's old/new objects", async ({ lab, host }) => {
    const state = await create(host, await declare(lab, { addresses: [CAS1, CAS2] }));
    const { state: after, changed } = await up(host, state, await declare(lab, { addresses: [CAS1, CAS2], ttl: 300 }));
    expect(changed).toBe(true);
    expect(after.outputs.ttl).toBe(300);
    expect(await labRecords(lab)).toEqual([
      { ip: CAS1, ttl: 300 },
      { ip: CAS2, ttl: 300 },
    ]);
  });

  it("refuses to create over A records it does not declare, naming them, at preview (Check) and at create, and leaves them alone", async ({
    lab,
    host,
  }) => {
    await labAdd(lab, "10.1.0.99");
    const reg = await declare(lab, { addresses: [CAS1] });
    const urn = urnOf("DnsARecord", "outlook-ho");
    const refusal =
      /outlook-ho\.exchangeserverpro\.net on DNS server 'DC01' already has A record 10\.1\.0\.99 that this stack does not own.*adopt: true/;
    const checked = await host.check(urn, {}, reg.inputs);
    expect(checked.failures).toEqual([{ property: "addresses", reason: expect.stringMatching(refusal) }]);
    // An update (something in state) is not a take-over: Check leaves the name's records to Diff.
    expect((await host.check(urn, reg.inputs, reg.inputs)).failures).toEqual([]);
    await expect(host.create(urn, checked.inputs)).rejects.toThrow(refusal);
    expect(await labRecords(lab)).toEqual([{ ip: "10.1.0.99", ttl: 1200 }]);
  });

  it("refuses a name that already holds one of its addresses (a record it did not create); with adopt, takes it and adds only the missing one, converging the TTL", async ({
    lab,
    host,
  }) => {
    await labAdd(lab, CAS1);
    const urn = urnOf("DnsARecord", "outlook-ho");
    const checked = await host.check(urn, {}, (await declare(lab, { addresses: [CAS1, CAS2] })).inputs);
    expect(checked.failures).toEqual([
      {
        property: "addresses",
        reason: expect.stringMatching(
          /^outlook-ho\.exchangeserverpro\.net on DNS server 'DC01' already has A record 10\.1\.0\.11 that this stack does not own \(10\.1\.0\.11 is a declared address, but a record this stack did not create is not its own/,
        ),
      },
    ]);
    expect(await labRecords(lab)).toEqual([{ ip: CAS1, ttl: 1200 }]);
    const state = await create(host, await declare(lab, { addresses: [CAS1, CAS2], adopt: true }));
    expect(state.outputs.addresses).toEqual([CAS1, CAS2]);
    expect(await labRecords(lab)).toEqual([
      { ip: CAS1, ttl: 3600 },
      { ip: CAS2, ttl: 3600 },
    ]);
  });

  it("refuses a record that appears at the name while it creates (someone else's: seen by its read, or WIN32 9711 from its Add), adding nothing", async ({
    lab,
    host,
  }) => {
    // Warm the session so the create's Get runs at once, then make every DNS command take 3 s:
    // the record lands while the create's read or add waits. Either way it is not this stack's.
    expect(await labRecords(lab)).toEqual([]);
    const warm = await create(host, await declare(lab, { name: "warm-up", addresses: [VIP] }, "warm-up"));
    expect(warm.outputs.addresses).toEqual([VIP]);
    await lab.pwsh("Set-ExchangeLabLatency -DnsCommandMs 3000 | Out-Null");
    const reg = await declare(lab, { addresses: [CAS1] });
    const creating = create(host, reg).then(
      () => "created",
      (e: Error) => e.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    lab.edit((state) => {
      const dns = state.dns as {
        servers: { Name: string; Zones: { Name: string; Records: Record<string, unknown>[] }[] }[];
      };
      const zone = dns.servers.find((s) => s.Name === "DC01")?.Zones.find((z) => z.Name === ZONE);
      if (zone === undefined) throw new Error("no zone");
      zone.Records.push({
        HostName: "outlook-ho",
        RecordType: "A",
        TimeToLive: "01:00:00",
        Timestamp: null,
        IPv4Address: CAS1,
      });
    });
    expect(await creating).toMatch(
      /outlook-ho\.exchangeserverpro\.net on DNS server 'DC01' already has A record 10\.1\.0\.11 that this stack does not own/,
    );
    await lab.pwsh("Set-ExchangeLabLatency -DnsCommandMs 0 | Out-Null");
    expect(await labRecords(lab)).toEqual([{ ip: CAS1, ttl: 3600 }]);
  });

  it("adopts a name that has foreign A records when asked: takes it over and converges it", async ({ lab, host }) => {
    await labAdd(lab, "10.1.0.99");
    await labAdd(lab, CAS1);
    const reg = await declare(lab, { addresses: [VIP], adopt: true });
    const { result: state, printed } = await host.printedBy(() => create(host, reg));
    expect(printed).toMatch(
      /outlook-ho\.exchangeserverpro\.net will be taken over \(adopt\): A records 10\.1\.0\.11, 10\.1\.0\.99 will be removed, leaving 10\.1\.0\.100/,
    );
    expect(state.outputs).toMatchObject({ addresses: [VIP], adopt: true, adopted: true });
    expect(await labRecords(lab)).toEqual([{ ip: VIP, ttl: 3600 }]);
    // It was there before this stack: deleting releases it, the name keeps its records.
    const deleted = await host.printedBy(() => host.delete(state.id, state.urn, state.outputs));
    expect(await labRecords(lab)).toEqual([{ ip: VIP, ttl: 3600 }]);
    expect(deleted.printed).toMatch(/outlook-ho\.exchangeserverpro\.net is released, not removed/);
  });

  it("shows drift made behind its back on refresh (an extra record, another TTL), and the next up repairs it", async ({
    lab,
    host,
  }) => {
    const reg = await declare(lab, { addresses: [CAS1] });
    const state = await create(host, reg);
    await labAdd(lab, CAS2);
    const refreshed = await refresh(host, state);
    expect(refreshed?.outputs).toMatchObject({ addresses: [CAS1, CAS2], ttl: 1200 });
    expect(refreshed?.inputs).toMatchObject({ addresses: [CAS1, CAS2], ttl: 1200, name: "outlook-ho", zone: ZONE });
    if (refreshed === undefined) throw new Error("vanished");
    const { state: repaired, changed } = await up(host, refreshed, reg);
    expect(changed).toBe(true);
    expect(repaired.outputs).toMatchObject({ addresses: [CAS1], ttl: 3600 });
    expect(await labRecords(lab)).toEqual([{ ip: CAS1, ttl: 3600 }]);
    expect((await up(host, repaired, reg)).changed).toBe(false);
  });

  it("keeps showing one record's TTL changed by hand as drift across refreshes, and the next up repairs it", async ({
    lab,
    host,
  }) => {
    const reg = await declare(lab, { addresses: [CAS1, CAS2] });
    const state = await create(host, reg);
    await lab.pwsh(
      `$old = Get-DnsServerResourceRecord -ZoneName '${ZONE}' -Name outlook-ho -RRType A -ComputerName DC01 | Where-Object { [string]$_.RecordData.IPv4Address -eq '${CAS2}' }\n` +
        `$new = $old.Clone(); $new.TimeToLive = New-TimeSpan -Hours 2\n` +
        `Set-DnsServerResourceRecord -OldInputObject $old -NewInputObject $new -ZoneName '${ZONE}' -ComputerName DC01`,
    );
    const once = await refresh(host, state);
    if (once === undefined) throw new Error("vanished");
    const twice = await refresh(host, once);
    if (twice === undefined) throw new Error("vanished");
    // The smallest TTL is still the wanted one; the per-record TTLs are what shows the drift.
    expect(twice.outputs).toMatchObject({
      ttl: 3600,
      records: [
        { address: CAS1, ttl: 3600 },
        { address: CAS2, ttl: 7200 },
      ],
    });
    const { state: repaired, changed } = await up(host, twice, reg);
    expect(changed).toBe(true);
    expect(await labRecords(lab)).toEqual([
      { ip: CAS1, ttl: 3600 },
      { ip: CAS2, ttl: 3600 },
    ]);
    expect((await up(host, repaired, reg)).changed).toBe(false);
  });

  it("reads a name deleted behind its back as gone (WIN32 9714 gives id '')", async ({ lab, host }) => {
    const state = await create(host, await declare(lab, { addresses: [CAS1, CAS2] }));
    await lab.pwsh(
      `Remove-DnsServerResourceRecord -ZoneName '${ZONE}' -RRType A -Name outlook-ho -Force -ComputerName DC01`,
    );
    expect(await labRecords(lab)).toEqual([]);
    expect(await refresh(host, state)).toBeUndefined();
    // Deleting what is already gone succeeds.
    await host.delete(state.id, state.urn, state.outputs);
  });

  it("fails create in a zone the DNS server does not host, naming zone and server (WIN32 9601)", async ({
    lab,
    host,
  }) => {
    const reg = await declare(
      lab,
      { zone: "branch.exchangeserverpro.net", name: "outlook-br", addresses: ["10.2.0.11"] },
      "outlook-br",
    );
    const urn = urnOf("DnsARecord", "outlook-br");
    const checked = await host.check(urn, {}, reg.inputs);
    expect(checked.failures).toEqual([]);
    await expect(host.create(urn, checked.inputs)).rejects.toThrow(
      "DNS server 'DC01' does not host zone 'branch.exchangeserverpro.net' (WIN32 9601, from Get-DnsServerResourceRecord)",
    );
  });

  it("manages the branch's record on the branch DNS server DC02, leaving DC01 alone", async ({ lab, host }) => {
    const reg = await declare(
      lab,
      {
        zone: "branch.exchangeserverpro.net",
        name: "outlook-br.branch.exchangeserverpro.net",
        addresses: ["10.2.0.11"],
        dnsServer: "DC02",
      },
      "outlook-br",
    );
    const state = await create(host, reg);
    expect(state.id).toBe("dc02/branch.exchangeserverpro.net/outlook-br");
    expect(state.outputs.fqdn).toBe("outlook-br.branch.exchangeserverpro.net");
    expect(await labRecords(lab, "outlook-br", "branch.exchangeserverpro.net", "DC02")).toEqual([
      { ip: "10.2.0.11", ttl: 3600 },
    ]);
    expect(await labRecords(lab, "outlook-br.branch")).toEqual([]);
  });

  it("deletes exactly the records it owns, one -RecordData at a time, never a sibling", async ({ lab, host }) => {
    const state = await create(host, await declare(lab, { addresses: [CAS1, VIP] }));
    // Added at the same name after the last refresh: not this resource's record.
    await labAdd(lab, "10.1.0.77");
    await host.delete(state.id, state.urn, state.outputs);
    expect(await labRecords(lab)).toEqual([{ ip: "10.1.0.77", ttl: 1200 }]);
    expect(await labRecords(lab, "HO-EX2010-MB1")).toEqual([{ ip: CAS1, ttl: 1200 }]);
    await host.delete(state.id, state.urn, state.outputs);
    expect(await labRecords(lab)).toEqual([{ ip: "10.1.0.77", ttl: 1200 }]);
  });

  it("replaces on a zone, name or server change; changes addresses, TTL, adopt and connection in place", async ({
    lab,
    host,
  }) => {
    const state = await create(host, await declare(lab, { addresses: [CAS1] }));
    const diffOf = async (args: RecordArgs, connection = lab.connection) => {
      const reg = await declare(lab, args);
      const checked = await host.check(state.urn, state.inputs, { ...reg.inputs, connection });
      expect(checked.failures).toEqual([]);
      return host.diff(state.id, state.urn, state.outputs, checked.inputs);
    };
    expect(await diffOf({ addresses: [CAS1], name: "outlook" })).toEqual({
      changes: "some",
      replaces: ["name"],
      deleteBeforeReplace: false,
    });
    expect(await diffOf({ addresses: [CAS1], dnsServer: "DC02", zone: "branch.exchangeserverpro.net" })).toEqual({
      changes: "some",
      replaces: ["zone", "dnsServer"],
      deleteBeforeReplace: false,
    });
    expect(await diffOf({ addresses: [CAS1], dnsServer: "dc01" })).toEqual({
      changes: "none",
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await diffOf({ addresses: [VIP] })).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
    expect(await diffOf({ addresses: [CAS1], ttl: 60 })).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await diffOf({ addresses: [CAS1], adopt: true })).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(
      await diffOf({ addresses: [CAS1] }, { ...lab.connection, commandTimeoutSeconds: 300 } as typeof lab.connection),
    ).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("rejects bad inputs in check with a reason per property, and lets unknown preview values through", async ({
    lab,
    host,
  }) => {
    const reg = await declare(lab, { addresses: [CAS1] });
    const urn = urnOf("DnsARecord", "outlook-ho");
    const reasons = async (news: Record<string, unknown>) => {
      const r = await host.check(urn, {}, { ...reg.inputs, ...news });
      return r.failures.map((f) => `${f.property}: ${f.reason}`);
    };
    expect(await reasons({ name: "outlook-ho.contoso.com" })).toEqual([
      "name: 'outlook-ho.contoso.com' is outside zone exchangeserverpro.net: give a name relative to the zone (such as outlook-ho) or an FQDN that ends in .exchangeserverpro.net, or put the record in the zone that holds outlook-ho.contoso.com",
    ]);
    expect((await reasons({ name: "exchangeserverpro.net" }))[0]).toMatch(
      /^name: .* is the apex of zone exchangeserverpro\.net/,
    );
    expect((await reasons({ name: "@" }))[0]).toMatch(/is the apex of zone/);
    expect(await reasons({ name: "outlook ho" })).toHaveLength(1);
    expect(await reasons({ zone: "exchange server pro" })).toHaveLength(1);
    expect(await reasons({ addresses: ["fe80::1"] })).toEqual([
      "addresses: fe80::1 is an IPv6 address: DnsARecord manages A records (IPv4) only; AAAA records are not managed",
    ]);
    expect((await reasons({ addresses: ["10.1.0.256"] }))[0]).toMatch(/each of its four numbers must be 0-255/);
    expect((await reasons({ addresses: ["10.01.0.1"] }))[0]).toMatch(/leading zero/);
    expect((await reasons({ addresses: ["10.1.0"] }))[0]).toMatch(/dotted-quad/);
    expect((await reasons({ addresses: [] }))[0]).toMatch(/at least one IPv4 address/);
    expect((await reasons({ ttl: 0 }))[0]).toMatch(/^ttl: must be at least 1 second/);
    expect((await reasons({ ttl: 1.5 }))[0]).toMatch(/^ttl: must be a whole number of seconds/);
    expect((await reasons({ ttl: 2147483648 }))[0]).toMatch(/^ttl: must be at most 2147483647 seconds/);
    expect((await reasons({ dnsServer: "DC 01" }))[0]).toMatch(/^dnsServer: /);
    const preview = await host.check(
      urn,
      {},
      {
        ...reg.inputs,
        addresses: ["04da6b54-80e4-46f7-96ec-b56ff0331ba9"],
        name: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
      },
    );
    expect(preview.failures).toEqual([]);
  });
});
