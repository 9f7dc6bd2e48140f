// The lab's knobs for tests and benchmarks: latency per command kind and on import, and faults
// (Error, Throttle, Hang, Exit) that are consumed atomically, N times.
import { readFileSync } from "node:fs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LabBatch, makeLab, type Lab } from "../support/lab";
import { LAB_MODULE } from "../support/paths";
import { exchangeFqid, psq, resultOf, runPwsh, type Captured } from "../support/pwsh";

const batch = new LabBatch();
afterAll(() => batch.cleanup());

let lab: Lab | undefined;
const newLab = (): Lab => (lab = makeLab());
afterEach(() => lab?.remove());

const throttled =
  "This user is allowed a maximum of 18 concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user.";

describe("latency", () => {
  it("delays each Exchange and DNS command, and the module import, by the configured milliseconds", async () => {
    const { statePath } = newLab();
    const run = await runPwsh(
      `$set = Set-ExchangeLabLatency -ExchangeCommandMs 400 -DnsCommandMs 250 -SessionOpenMs 600
       $watch = [Diagnostics.Stopwatch]::StartNew(); $null = Get-ClientAccessArray; $exchange = $watch.ElapsedMilliseconds
       $watch.Restart(); $null = Get-DnsServerResourceRecord exchangeserverpro.net DC01 -ComputerName DC01; $dns = $watch.ElapsedMilliseconds
       $charges = & (Get-Module ExchangeLab) { $script:LatencyCharges }
       $null = Get-ExchangeLabState; $admin = (& (Get-Module ExchangeLab) { $script:LatencyCharges }) - $charges
       $watch = [Diagnostics.Stopwatch]::StartNew(); Import-Module ${psq(LAB_MODULE)} -Force; $import = $watch.ElapsedMilliseconds
       Emit ([ordered]@{ Set = $set; Read = Get-ExchangeLabLatency; Exchange = $exchange; Dns = $dns; Admin = $admin; Import = $import })`,
      { statePath },
    );
    const result = resultOf<{
      Set: Record<string, number>;
      Read: Record<string, number>;
      Exchange: number;
      Dns: number;
      Admin: number;
      Import: number;
    }>(run);
    const knobs = { SessionOpenMs: 600, ExchangeCommandMs: 400, DnsCommandMs: 250 };
    expect(result.Set).toEqual(knobs);
    expect(result.Read).toEqual(knobs);
    expect(result.Exchange).toBeGreaterThanOrEqual(400);
    expect(result.Dns).toBeGreaterThanOrEqual(250);
    // The lab's own commands are not Exchange's: never charged.
    expect(result.Admin).toBe(0);
    expect(result.Import).toBeGreaterThanOrEqual(600);
  });

  // In the file's batch (its own lab, the module's charge counter read before and after).
  const piped = batch.add<{
    Piped: string[];
    PipedMs: number;
    PipedCharges: number;
    Separate: string[];
    SeparateMs: number;
    SeparateCharges: number;
  }>(
    `$null = Set-ExchangeLabLatency -ExchangeCommandMs 500
     $charges = { & (Get-Module ExchangeLab) { $script:LatencyCharges } }
     $before = & $charges
     $watch = [Diagnostics.Stopwatch]::StartNew(); $piped = @('MB-HO-01', 'MB-HO-02', 'MB-HO-03', 'MB-BR-01' | ForEach-Object { [pscustomobject]@{ Identity = $_ } } | Get-MailboxDatabase); $pipedMs = $watch.ElapsedMilliseconds
     $pipedCharges = (& $charges) - $before
     $watch.Restart(); $first = Get-MailboxDatabase -Identity 'MB-HO-01'; $second = Get-MailboxDatabase -Identity 'MB-HO-02'; $separateMs = $watch.ElapsedMilliseconds
     $separateCharges = (& $charges) - $before - $pipedCharges
     Emit ([ordered]@{ Piped = @($piped | ForEach-Object { $_.Name }); PipedMs = $pipedMs; PipedCharges = $pipedCharges; Separate = @($first.Name, $second.Name); SeparateMs = $separateMs; SeparateCharges = $separateCharges })`,
  );
  it("charges an invocation once however many items are piped into it (a remote pipeline is one round trip)", async () => {
    const result = await piped();
    expect(result.Piped).toEqual(["MB-HO-01", "MB-HO-02", "MB-HO-03", "MB-BR-01"]);
    expect(result.Separate).toEqual(["MB-HO-01", "MB-HO-02"]);
    // Four items piped into one invocation are charged once; two invocations twice. Counted, not
    // timed (a busy machine stretches any time): only the lower bounds, which sleeping guarantees.
    expect(result.PipedCharges).toBe(1);
    expect(result.SeparateCharges).toBe(2);
    expect(result.PipedMs).toBeGreaterThanOrEqual(500);
    expect(result.SeparateMs).toBeGreaterThanOrEqual(1000);
  });
});

describe("faults", () => {
  const error = batch.add<{
    Add: { Command: string; Kind: string; Times: number };
    Calls: Captured<{ Name: string }>[];
    Pending: number;
    After: string;
  }>(
    `$add = Add-ExchangeLabFault -Command Get-ClientAccessArray -Kind Error -Times 2
     $null = New-ClientAccessArray -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice
     $calls = @(1..3 | ForEach-Object { Invoke-Captured { Get-ClientAccessArray | Select-Object Name } })
     $after = 'continued'
     Emit ([ordered]@{ Add = $add; Calls = $calls; Pending = @(Get-ExchangeLabFault).Count; After = $after })`,
  );
  it("Error: the next N calls of the command write a non-terminating Exchange error, then it works again", async () => {
    const result = await error();
    expect(result.Add).toMatchObject({ Command: "Get-ClientAccessArray", Kind: "Error", Times: 2 });
    expect(result.After).toBe("continued");
    const [first, second, third] = result.Calls;
    for (const call of [first, second]) {
      expect(call?.Out).toEqual([]);
      expect(call?.Errors).toHaveLength(1);
      expect(call?.Errors[0]).toMatchObject({
        Message:
          "Active Directory server DC01.exchangeserverpro.net is not available. Error message: Active directory response: The LDAP server is unavailable.",
        Type: "Microsoft.Exchange.Data.Directory.ADTransientException",
        Reason: "ADTransientException",
        Category: "NotSpecified",
      });
      expect(call?.Errors[0]?.Fqid).toMatch(exchangeFqid("GetClientAccessArray"));
    }
    expect(third).toEqual({ Out: [{ Name: "outlook-ho" }], Errors: [] });
    expect(result.Pending).toBe(0);
  });

  const dnsAndAny = batch.add<{ Dns: Captured<unknown>; Any: Captured<unknown>; Next: number }>(
    `$null = Add-ExchangeLabFault Add-DnsServerResourceRecordA -Kind Error -Message 'The RPC server is too busy to complete this operation.'
     $dns = Invoke-Captured { Add-DnsServerResourceRecordA exchangeserverpro.net outlook-ho 10.1.0.11 -ComputerName DC01 }
     $null = Add-ExchangeLabFault '*' -Kind Error
     $any = Invoke-Captured { Get-MailboxDatabase MB-HO-01 }
     Emit ([ordered]@{ Dns = $dns; Any = $any; Next = @(Get-MailboxDatabase MB-HO-01).Count })`,
  );
  it("Error on a DNS command is a CIM error; a fault for * hits whichever lab command runs next", async () => {
    const result = await dnsAndAny();
    expect(result.Dns.Errors[0]).toMatchObject({
      Message: "The RPC server is too busy to complete this operation.",
      Reason: "CimException",
      Fqid: "WIN32 1722,Add-DnsServerResourceRecordA",
    });
    expect(result.Any.Errors[0]?.Reason).toBe("ADTransientException");
    expect(result.Next).toBe(1);
  });

  const throttle = batch.add<{
    Caught: boolean;
    Message: string;
    Type: string;
    Fqid: string;
    Category: string;
    Arrays: number;
  }>(
    `$null = Add-ExchangeLabFault -Command New-ClientAccessArray -Kind Throttle
     $r = [ordered]@{ Caught = $false; Message = ''; Type = ''; Fqid = ''; Category = ''; Arrays = 0 }
     try { $null = New-ClientAccessArray -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice }
     catch { $r.Caught = $true; $r.Message = $_.Exception.Message; $r.Type = $_.Exception.GetType().FullName; $r.Fqid = $_.FullyQualifiedErrorId; $r.Category = [string]$_.CategoryInfo.Category }
     $r.Arrays = @(Get-ClientAccessArray).Count
     Emit $r`,
  );
  it("Throttle: a terminating error with Exchange 2010's concurrent-shell message, and nothing done", async () => {
    expect(await throttle()).toEqual({
      Caught: true,
      Message: throttled,
      Type: "System.Management.Automation.Remoting.PSRemotingTransportException",
      Fqid: "-2144108477,PSSessionOpenFailed",
      Category: "OpenError",
      Arrays: 0,
    });
  });

  it("SessionOpen: the next import of the module (a session opening) fails as Exchange refuses a 19th shell; commands never consume it, and the import after works", async () => {
    const { statePath } = newLab();
    const run = await runPwsh(
      `$null = Add-ExchangeLabFault -Command * -Kind SessionOpen
       $commands = @(Get-ClientAccessArray).Count + @(Get-ExchangeServer).Count
       $pending = @(Get-ExchangeLabFault).Count
       $r = [ordered]@{ Commands = $commands; Pending = $pending; Caught = $false; Message = ''; Reason = ''; Fqid = ''; Category = ''; Next = ''; Left = -1 }
       try { Import-Module ${psq(LAB_MODULE)} -Force -Global -ErrorAction Stop }
       catch { $r.Caught = $true; $r.Message = $_.Exception.Message; $r.Reason = [string]$_.CategoryInfo.Reason; $r.Fqid = $_.FullyQualifiedErrorId; $r.Category = [string]$_.CategoryInfo.Category }
       Import-Module ${psq(LAB_MODULE)} -Force -Global -ErrorAction Stop
       $r.Next = (Get-ExchangeServer -Identity HO-EX2010-MB1).Name
       $r.Left = @(Get-ExchangeLabFault).Count
       Emit $r`,
      { statePath },
    );
    expect(resultOf(run)).toEqual({
      Commands: 3,
      Pending: 1,
      Caught: true,
      Message:
        "[ho-ex2010-mb1.exchangeserverpro.net] Connecting to remote server ho-ex2010-mb1.exchangeserverpro.net failed with the following error message : The WS-Management service cannot process the request. This user is allowed a maximum number of 18 concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. For more information, see the about_Remote_Troubleshooting Help topic.",
      Reason: "PSRemotingTransportException",
      Fqid: "PSSessionOpenFailed",
      Category: "OpenError",
      Next: "HO-EX2010-MB1",
      Left: 0,
    });
  });

  const clear = batch.add<{ Before: string[]; AfterOne: string[]; AfterAll: number }>(
    `$null = Add-ExchangeLabFault Get-ExchangeServer -Kind Exit -Times 3
     $null = Add-ExchangeLabFault Get-MailboxDatabase -Kind Hang
     $before = @(Get-ExchangeLabFault | ForEach-Object { '{0}/{1}/{2}' -f $_.Command, $_.Kind, $_.Times })
     Clear-ExchangeLabFault Get-ExchangeServer
     $afterOne = @(Get-ExchangeLabFault | ForEach-Object Command)
     Clear-ExchangeLabFault
     Emit ([ordered]@{ Before = $before; AfterOne = $afterOne; AfterAll = @(Get-ExchangeLabFault).Count })`,
  );
  it("lists and clears pending faults", async () => {
    expect(await clear()).toEqual({
      Before: ["Get-ExchangeServer/Exit/3", "Get-MailboxDatabase/Hang/1"],
      AfterOne: ["Get-MailboxDatabase"],
      AfterAll: 0,
    });
  });

  it("Hang: the command never returns", async () => {
    const { statePath } = newLab();
    const stop = new AbortController();
    const running = runPwsh(
      `$null = Add-ExchangeLabFault -Command Get-MailboxDatabase -Kind Hang
       'before'
       Get-MailboxDatabase
       'after'`,
      { statePath, timeoutMs: 500_000, abort: stop.signal },
    );
    // Stopped once Get-MailboxDatabase has taken its fault (the lab removes a consumed fault from
    // its state), whatever the machine's speed: from then on only a return could print 'after'.
    const pending = () => /"Kind"\s*:\s*"Hang"/.test(readFileSync(statePath, "utf8"));
    const added = pending;
    const consumed = () => !pending();
    const deadline = Date.now() + 490_000;
    while (!added() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    while (!consumed() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    // A whole other lab command, start to end, in another process: time scaled to this machine in
    // which a command that could return would have returned.
    expect((await runPwsh("Get-ExchangeServer | Out-Null", { statePath })).code).toBe(0);
    stop.abort();
    const run = await running;
    expect(run.timedOut).toBe(true);
    expect(run.stdout).toContain("before");
    expect(run.stdout).not.toContain("after");
  });

  it("Exit: the PowerShell process dies with exit code 1 in the middle of the script", async () => {
    const { statePath } = newLab();
    const run = await runPwsh(
      `$null = Add-ExchangeLabFault -Command Get-ExchangeServer -Kind Exit
       'before'
       Get-ExchangeServer
       'after'`,
      { statePath },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("before");
    expect(run.stdout).not.toContain("after");
  });

  it("consumes a fault exactly N times across processes calling at the same moment", async () => {
    const { statePath } = newLab();
    const start = Date.now() + 3500;
    const caller = `while ([DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() -lt ${start}) { Start-Sleep -Milliseconds 5 }
      $failed = 0
      for ($i = 0; $i -lt 10; $i++) { $c = Invoke-Captured { Get-ExchangeServer HO-EX2010-MB1 }; $failed += $c.Errors.Count }
      Emit $failed`;
    const setup = await runPwsh(`Emit (Add-ExchangeLabFault -Command Get-ExchangeServer -Kind Error -Times 5).Times`, {
      statePath,
    });
    expect(resultOf<number>(setup)).toBe(5);
    const [a, b] = await Promise.all([runPwsh(caller, { statePath }), runPwsh(caller, { statePath })]);
    expect(resultOf<number>(a) + resultOf<number>(b)).toBe(5);
  });
});
