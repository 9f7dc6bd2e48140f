// The lab's state file: missing/corrupt messages, atomic writes under a lock (two writers lose
// nothing, readers never see a torn file), the lock timeout, and Initialize-ExchangeLab.
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LabBatch, makeLab, type JsonObject, type Lab } from "../support/lab";
import { SCENARIO } from "../support/paths";
import { psq, resultOf, runLab, runPwsh } from "../support/pwsh";

// The quick scenarios share one pwsh process; the concurrency tests below start their own.
const batch = new LabBatch();
afterAll(() => batch.cleanup());

let lab: Lab | undefined;
const newLab = (): Lab => (lab = makeLab());
afterEach(() => lab?.remove());

interface Caught {
  Caught: boolean;
  Message: string;
  Type: string;
  Fqid: string;
  Next: string;
}

// Runs one lab command inside try/catch and reports the terminating error, then proves the script
// goes on.
const catching = (command: string): string => `
  $r = [ordered]@{ Caught = $false; Message = ''; Type = ''; Fqid = ''; Next = '' }
  try { ${command} } catch { $r.Caught = $true; $r.Message = $_.Exception.Message; $r.Type = $_.Exception.GetType().FullName; $r.Fqid = $_.FullyQualifiedErrorId }
  $r.Next = 'ran'
  Emit $r`;

// A state file in the lab's folder holding `text` in place of the lab's; its path goes to `keep` too.
const stateFileHolding =
  (name: string, text: string, keep: (path: string) => void) =>
  (lab: Lab): string => {
    const path = join(lab.dir, name);
    writeFileSync(path, text);
    keep(path);
    return path;
  };

describe("state file problems", () => {
  let missingPath = "";
  const missing = batch.add<Caught>(catching("Get-ClientAccessArray"), {
    statePath: (lab) => (missingPath = join(lab.dir, "nope", "state.json")),
  });
  it("says how to initialise the lab when the state file is missing", async () => {
    const result = await missing();
    expect(result).toMatchObject({
      Caught: true,
      Type: "System.IO.FileNotFoundException",
      Fqid: "ExchangeLabStateMissing,Get-ClientAccessArray",
      Next: "ran",
    });
    expect(result.Message).toBe(
      `The Exchange lab state file '${missingPath}' named by EXCHANGE_LAB_STATE does not exist; initialise the lab by copying lab/scenarios/article.json to that path (or run Initialize-ExchangeLab).`,
    );
    expect(result.Message.split(". ")).toHaveLength(1);
  });

  const unset = batch.add<Caught>(
    `Remove-Item Env:EXCHANGE_LAB_STATE
     ${catching("New-ClientAccessArray -Fqdn a.exchangeserverpro.net -Site HeadOffice")}`,
  );
  it("says EXCHANGE_LAB_STATE is not set when it is not, and writers fail the same way", async () => {
    const result = await unset();
    expect(result.Caught).toBe(true);
    expect(result.Message).toMatch(
      /^EXCHANGE_LAB_STATE is not set; .*initialise the lab by copying lab\/scenarios\/article\.json/,
    );
  });

  let brokenPath = "";
  const broken = batch.add<Caught>(catching("Get-MailboxDatabase"), {
    statePath: stateFileHolding("broken.json", "{ this is not json", (path) => (brokenPath = path)),
  });
  let arrayPath = "";
  const notLab = batch.add<Caught>(catching("Set-MailboxDatabase MB-HO-01 -RpcClientAccessServer HO-EX2010-MB2"), {
    statePath: stateFileHolding("array.json", "[1, 2, 3]", (path) => (arrayPath = path)),
  });
  it("names a corrupt state file as such, for non-JSON and for JSON that is not a lab", async () => {
    const result = await broken();
    expect(result).toMatchObject({
      Caught: true,
      Type: "System.IO.InvalidDataException",
      Fqid: "ExchangeLabStateCorrupt,Get-MailboxDatabase",
    });
    expect(
      result.Message.startsWith(`The Exchange lab state file '${brokenPath}' is corrupt: it is not valid JSON`),
    ).toBe(true);
    expect((await notLab()).Message).toBe(
      `The Exchange lab state file '${arrayPath}' is corrupt: it does not hold a JSON object; restore it, or initialise the lab again by copying lab/scenarios/article.json over it.`,
    );
  });

  const perCall = batch.add<{ First: number; Second: string }>(
    `$first = @(Get-ClientAccessArray).Count
     $env:EXCHANGE_LAB_STATE = Join-Path ([IO.Path]::GetTempPath()) 'exchange-lab-definitely-missing.json'
     try { Get-ClientAccessArray; $second = 'read' } catch { $second = 'missing' }
     Emit ([ordered]@{ First = $first; Second = $second })`,
  );
  it("reads the path at each call, not at import", async () => {
    expect(await perCall()).toEqual({ First: 0, Second: "missing" });
  });

  const clean = batch.add<{ Errors: number; Arrays: number }>(
    `$null = New-ClientAccessArray -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice
     Set-ClientAccessArray outlook-ho -Fqdn outlook.exchangeserverpro.net
     Set-MailboxDatabase MB-HO-01 -RpcClientAccessServer outlook-ho
     $null = Get-MailboxDatabase -Status; $null = Get-ExchangeServer; $null = New-MailboxDatabase MB-HO-09 -Server HO-EX2010-MB2
     Add-DnsServerResourceRecordA exchangeserverpro.net outlook 10.1.0.11, 10.1.0.12 -ComputerName DC01
     $old = Get-DnsServerResourceRecord exchangeserverpro.net outlook -ComputerName DC01 | Select-Object -First 1
     $new = $old.Clone(); $new.TimeToLive = [TimeSpan]::FromMinutes(5)
     Set-DnsServerResourceRecord exchangeserverpro.net $old $new -ComputerName DC01
     Remove-DnsServerResourceRecord exchangeserverpro.net -RRType A -Name outlook -RecordData 10.1.0.12 -Force -ComputerName DC01
     Remove-ClientAccessArray outlook-ho -Confirm:$false
     Emit ([ordered]@{ Errors = $Error.Count; Arrays = @(Get-ClientAccessArray).Count })`,
  );
  it("leaves $Error empty when every command succeeds (nothing the provider would mistake for a failure)", async () => {
    expect(await clean()).toEqual({ Errors: 0, Arrays: 0 });
  });
});

describe("writes", () => {
  it("loses nothing when two processes write 30 times each at the same time, while a third reads", async () => {
    const { dir, statePath } = newLab();
    const start = Date.now() + 4000;
    // Every process waits for the same instant, so the writes really overlap.
    const barrier = `while ([DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() -lt ${start}) { Start-Sleep -Milliseconds 5 }`;
    const writer = (prefix: string, octet: number): string => `${barrier}
      $errors = 0
      for ($i = 1; $i -le 30; $i++) {
        Add-DnsServerResourceRecordA -ZoneName exchangeserverpro.net -Name "${prefix}-$i" -IPv4Address "10.9.${octet}.$i" -ComputerName DC01 -ErrorVariable +bad 2>$null
      }
      Emit ([ordered]@{ Errors = @($bad).Count })`;
    const reader = `${barrier}
      $reads = 0; $failures = 0
      for ($i = 1; $i -le 60; $i++) {
        try { $null = @(Get-DnsServerResourceRecord -ZoneName exchangeserverpro.net -ComputerName DC01 -ErrorAction Stop); $reads++ } catch { $failures++ }
      }
      Emit ([ordered]@{ Reads = $reads; Failures = $failures })`;
    const [a, b, r] = await Promise.all([
      runPwsh(writer("alpha", 1), { statePath }),
      runPwsh(writer("beta", 2), { statePath }),
      runPwsh(reader, { statePath }),
    ]);
    expect(resultOf<{ Errors: number }>(a)).toEqual({ Errors: 0 });
    expect(resultOf<{ Errors: number }>(b)).toEqual({ Errors: 0 });
    expect(resultOf<{ Reads: number; Failures: number }>(r)).toEqual({ Reads: 60, Failures: 0 });
    const state = JSON.parse(readFileSync(statePath, "utf8")) as JsonObject;
    const servers = (state.dns as JsonObject).servers as JsonObject[];
    const records = ((servers[0]?.Zones as JsonObject[])[0]?.Records ?? []) as JsonObject[];
    const names = records.map((rec) => String(rec.HostName));
    for (const prefix of ["alpha", "beta"]) {
      for (let i = 1; i <= 30; i++) expect(names).toContain(`${prefix}-${i}`);
    }
    expect(records).toHaveLength(6 + 60);
    expect(state.revision).toBe(60);
    // Temp files are renamed over the state, never left behind.
    expect(readdirSync(dir).sort()).toEqual(["state.json", "state.json.lock"]);
  });

  it("fails a writer with a clear message when the lock stays taken, while readers go on", async () => {
    const { dir, statePath } = newLab();
    const held = join(dir, "held");
    const release = join(dir, "release");
    // The holder keeps the lock until the test releases it (an event, not a clock): however slow
    // the machine, the writer below meets a held lock.
    const holder = runPwsh(
      `$lock = [System.IO.File]::Open(${psq(statePath + ".lock")}, 'OpenOrCreate', 'ReadWrite', 'None')
       Set-Content -LiteralPath ${psq(held)} -Value 'held'
       $until = [DateTime]::UtcNow.AddSeconds(500)
       while (-not (Test-Path -LiteralPath ${psq(release)}) -and [DateTime]::UtcNow -lt $until) { Start-Sleep -Milliseconds 50 }`,
      { statePath, importModule: false, timeoutMs: 510_000 },
    );
    const deadline = Date.now() + 490_000;
    while (!existsSync(held) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(existsSync(held)).toBe(true);
    const result = await runLab<Caught & { Read: number }>(
      `$read = @(Get-ClientAccessArray).Count + @(Get-MailboxDatabase).Count
       ${catching("New-ClientAccessArray -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice").replace("Emit $r", "$r.Read = $read; Emit $r")}`,
      statePath,
      { env: { EXCHANGE_LAB_LOCK_TIMEOUT_MS: "700" } },
    );
    expect(result).toMatchObject({ Caught: true, Type: "System.TimeoutException", Read: 5 });
    expect(result.Message).toBe(
      `Timed out after 700 ms waiting for the Exchange lab state lock '${statePath}.lock'; another process is holding it.`,
    );
    const unchanged = JSON.parse(readFileSync(statePath, "utf8")) as JsonObject;
    expect(unchanged.clientAccessArrays).toEqual([]);
    writeFileSync(release, "release");
    const finished = await holder;
    expect(finished.code).toBe(0);
  });
});

describe("Initialize-ExchangeLab and Get-ExchangeLabState", () => {
  let target = "";
  const init = batch.add<{ Path: string; Exists: Caught; Org: string; Revision: number }>(
    `$path = Initialize-ExchangeLab
     $exists = $(${catching("Initialize-ExchangeLab").replace("Emit $r", "$r")})
     $null = New-ClientAccessArray -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice
     $null = Initialize-ExchangeLab -Path $path -Force
     $state = Get-ExchangeLabState
     Emit ([ordered]@{ Path = $path; Exists = $exists; Org = $state.organization.Name; Revision = $state.revision })`,
    { statePath: (lab) => (target = join(lab.dir, "fresh", "lab.json")) },
  );
  it("copies the scenario to the state path, refuses to overwrite without -Force, and reads it back", async () => {
    const result = await init();
    expect(result.Path).toBe(target);
    expect(result.Exists.Caught).toBe(true);
    expect(result.Exists.Message).toContain("already exists; use -Force");
    expect(result.Org).toBe("ExchangeServerPro");
    expect(result.Revision).toBe(0);
    expect(readFileSync(target, "utf8")).toBe(readFileSync(SCENARIO, "utf8"));
  });
});
