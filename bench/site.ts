// The benchmark's site: the article's organisation with HeadOffice's databases replaced by N
// generated ones on the site's two Mailbox servers (the recovery database and BranchOffice's stay),
// latency knobs set, and what an expert admin would type for the same work, in one pwsh.
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../test/support/host";

export const LAB_MODULE = path.join(ROOT, "lab/ExchangeLab.psd1");
const SCENARIO = path.join(ROOT, "lab/scenarios/article.json");

export const SITE = {
  site: "HeadOffice",
  arrayName: "cas-headoffice",
  fqdn: "outlook-ho.exchangeserverpro.net",
  zone: "exchangeserverpro.net",
  record: "outlook-ho",
  dnsServer: "DC01",
  address: "10.1.0.100",
  servers: ["HO-EX2010-MB1", "HO-EX2010-MB2"],
};

export interface Latency {
  SessionOpenMs: number;
  ExchangeCommandMs: number;
  DnsCommandMs: number;
}

interface LabMailbox {
  Name: string;
  Alias: string;
  /** The database's Guid. */
  Database: string;
  Guid: string;
}

interface LabState {
  mailboxDatabases: Record<string, unknown>[];
  mailboxes?: LabMailbox[];
  clientAccessArrays: { ExchangeLegacyDN: string }[];
  lab: { latency: Latency; faults: unknown[] };
}

/**
 * Mailboxes on each generated database: at N = 500 the site holds 1,500, more than the 1,000 that
 * Get-Mailbox returns without -ResultSize Unlimited, so a count that forgets it is visibly wrong.
 */
export const MAILBOXES_PER_DATABASE = 3;

export function databaseName(i: number): string {
  return `MB-HO-${String(i + 1).padStart(4, "0")}`;
}

/** The lab state text for a HeadOffice of `n` databases (the site's non-recovery ones). */
export function siteState(n: number, latency: Latency): string {
  const state = JSON.parse(fs.readFileSync(SCENARIO, "utf8")) as LabState;
  const template = state.mailboxDatabases.find((d) => d.Name === "MB-HO-01");
  if (template === undefined) throw new Error("the article scenario has no MB-HO-01");
  const kept = state.mailboxDatabases.filter((d) => !/^MB-HO-\d+$/.test(String(d.Name)));
  const generated = Array.from({ length: n }, (_, i) => {
    const name = databaseName(i);
    return {
      ...template,
      Name: name,
      Guid: `0b5e0000-0000-4000-8000-${(i + 1).toString(16).padStart(12, "0")}`,
      Server: SITE.servers[i % SITE.servers.length],
      EdbFilePath: `D:\\Databases\\${name}\\${name}.edb`,
      ExchangeLegacyDN: String(template.ExchangeLegacyDN).replace("MB-HO-01", name),
    };
  });
  // The article's mailboxes of the replaced databases go with them; generated ones take their place.
  const keptGuids = new Set(kept.map((d) => String(d.Guid)));
  const mailboxes = (state.mailboxes ?? []).filter((m) => keptGuids.has(m.Database));
  generated.forEach((db, i) => {
    for (let k = 0; k < MAILBOXES_PER_DATABASE; k++) {
      const n = i * MAILBOXES_PER_DATABASE + k + 1;
      const id = String(n).padStart(5, "0");
      mailboxes.push({
        Name: `HO User ${id}`,
        Alias: `HO.User.${id}`,
        Database: db.Guid,
        Guid: `0b5e1000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`,
      });
    }
  });
  state.mailboxDatabases = [...generated, ...kept];
  state.mailboxes = mailboxes;
  state.lab.latency = latency;
  return JSON.stringify(state, null, 2);
}

/** Whether every generated database points at the site's array (read straight from the state file). */
export function allPointAtArray(statePath: string, n: number): boolean {
  const state = JSON.parse(fs.readFileSync(statePath, "utf8")) as LabState;
  const array = state.clientAccessArrays[0];
  if (array === undefined) return false;
  const site = state.mailboxDatabases.filter((d) => /^MB-HO-\d+$/.test(String(d.Name)));
  return site.length === n && site.every((d) => d.RpcClientAccessServerLegacyDN === array.ExchangeLegacyDN);
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

function prelude(statePath: string): string[] {
  return [
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    `$env:EXCHANGE_LAB_STATE = ${q(statePath)}`,
    // The one session open: the lab sleeps SessionOpenMs on import.
    `Import-Module ${q(LAB_MODULE)} -DisableNameChecking`,
  ];
}

/** The last line of a baseline script: its own CPU time, which the bench reads from its output. */
const ownCpu =
  "'##BENCH-CPU-MS## ' + [int][System.Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalMilliseconds";

/** Apply by hand: the array, its record, one Get of every database, one Set per database to change. */
export function baselineApply(statePath: string): string {
  return [
    ...prelude(statePath),
    `$fqdn = ${q(SITE.fqdn)}`,
    `$servers = @(${SITE.servers.map(q).join(",")})`,
    `New-ClientAccessArray -Name ${q(SITE.arrayName)} -Fqdn $fqdn -Site ${q(SITE.site)} | Out-Null`,
    `Add-DnsServerResourceRecordA -ZoneName ${q(SITE.zone)} -Name ${q(SITE.record)} -IPv4Address ${q(SITE.address)} -TimeToLive (New-TimeSpan -Seconds 3600) -ComputerName ${q(SITE.dnsServer)}`,
    "foreach ($db in @(Get-MailboxDatabase)) {",
    "  if ($servers -contains $db.Server -and -not $db.Recovery -and $db.RpcClientAccessServer -ne $fqdn) {",
    "    Set-MailboxDatabase -Identity ([string]$db.Guid) -RpcClientAccessServer $fqdn",
    "  }",
    "}",
    ownCpu,
  ].join("\n");
}

/** Refresh (and what a no-op apply must look at) by hand: one Get of each kind. */
export function baselineRefresh(statePath: string): string {
  return [
    ...prelude(statePath),
    `$array = Get-ClientAccessArray -Identity ${q(SITE.arrayName)}`,
    `$records = @(Get-DnsServerResourceRecord -ZoneName ${q(SITE.zone)} -Name ${q(SITE.record)} -Node -RRType A -ComputerName ${q(SITE.dnsServer)})`,
    "$databases = @(Get-MailboxDatabase)",
    "if ($null -eq $array -or $records.Count -ne 1 -or $databases.Count -eq 0) { throw 'the site is not as applied' }",
    ownCpu,
  ].join("\n");
}
