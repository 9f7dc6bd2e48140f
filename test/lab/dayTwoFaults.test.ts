// What the lab gives the day-two tests: a database's ActivationPreference (its home copy) that a
// switchover leaves alone; faults that wait for another command (-After) or hit one server's
// Windows commands (-Server), each Hang recorded before it sleeps (lab.hung); and a service that
// restarts without an error but does not listen on its configured port (-Kind IgnorePort).
import * as fs from "node:fs";
import { describe, expect } from "vitest";
import { labTest as it } from "../support/fixtures";
import { until } from "../support/interrupt";
import { runPwsh } from "../support/pwsh";

const RPC_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeRPC\\ParametersSystem";
const MB1 = "HO-EX2010-MB1.exchangeserverpro.net";
const MB2 = "HO-EX2010-MB2.exchangeserverpro.net";

/** HO-DAG01 stretched into BranchOffice: MB-HO-01 has copies on MB1 (preferred), MB2 and BR. */
function stretch(state: Record<string, unknown>): void {
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
}

describe("ActivationPreference", () => {
  it("numbers a database's copies in the order they were added, shown as Exchange 2010 shows them, and a switchover leaves it alone", async ({
    lab,
  }) => {
    lab.reset(stretch);
    const read = () =>
      lab.json<{ Server: string; Pairs: string[]; Key: string; Value: number }[]>(
        "$db = Get-MailboxDatabase MB-HO-01; [pscustomobject]@{ Server = $db.Server; Pairs = @($db.ActivationPreference | ForEach-Object { [string]$_ }); Key = $db.ActivationPreference[0].Key; Value = $db.ActivationPreference[0].Value }",
      );
    expect(await read()).toEqual([
      {
        Server: "HO-EX2010-MB1",
        Pairs: ["[HO-EX2010-MB1, 1]", "[HO-EX2010-MB2, 2]", "[BR-EX2010-MB, 3]"],
        Key: "HO-EX2010-MB1",
        Value: 1,
      },
    ]);
    await lab.pwsh("$null = Move-ActiveMailboxDatabase MB-HO-01 -ActivateOnServer BR-EX2010-MB -Confirm:$false");
    expect(await read()).toEqual([
      {
        Server: "BR-EX2010-MB",
        Pairs: ["[HO-EX2010-MB1, 1]", "[HO-EX2010-MB2, 2]", "[BR-EX2010-MB, 3]"],
        Key: "HO-EX2010-MB1",
        Value: 1,
      },
    ]);
    // A database without copies has one: its server, preferred.
    expect(await lab.json<string[]>("[string](Get-MailboxDatabase MB-BR-01).ActivationPreference[0]")).toEqual([
      "[BR-EX2010-MB, 1]",
    ]);
  });
});

describe("faults for the day-two tests", () => {
  it("-After: the fault fires on the first call after the named command ran, never on that command itself", async ({
    lab,
  }) => {
    await lab.pwsh("$null = Add-ExchangeLabFault Set-MailboxDatabase -Kind Error -After Set-MailboxDatabase");
    const outcome = await lab.json<{ First: string; Second: string; Left: number }[]>(`
      $errors = { param($block) @(& $block 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object { $_.Exception.Message }) }
      $first = & $errors { Set-MailboxDatabase MB-HO-01 -RpcClientAccessServer HO-EX2010-MB2 -ErrorAction Continue }
      $second = & $errors { Set-MailboxDatabase MB-HO-02 -RpcClientAccessServer HO-EX2010-MB2 -ErrorAction Continue }
      [pscustomobject]@{ First = $first -join ' | '; Second = $second -join ' | '; Left = @(Get-ExchangeLabFault).Count }`);
    expect(outcome).toEqual([
      {
        First: "",
        Second: expect.stringMatching(
          /^Active Directory server DC01\.exchangeserverpro\.net is not available\. [^|]*$/,
        ),
        Left: 0,
      },
    ]);
    expect(await lab.json<string[]>("(Get-MailboxDatabase MB-HO-02).RpcClientAccessServer")).toEqual([
      "HO-EX2010-MB1.exchangeserverpro.net",
    ]);
  });

  it("-Server: a Windows command hangs on that server only, and the lab records that it started before it sleeps", async ({
    lab,
  }) => {
    await lab.pwsh(`$null = Add-ExchangeLabFault Restart-Service -Kind Hang -Server HO-EX2010-MB2`);
    const pids = async () =>
      lab.json<number[]>(
        "foreach ($n in 'HO-EX2010-MB1','HO-EX2010-MB2') { (Get-ExchangeLabServerWindows $n).Services.MSExchangeRPC.ProcessId }",
      );
    const [mb1Before, mb2Before] = await pids();
    const abort = new AbortController();
    const run = runPwsh(
      `Invoke-Command -ComputerName ${MB1} -ScriptBlock { Restart-Service MSExchangeRPC -Force }
       Invoke-Command -ComputerName ${MB2} -ScriptBlock { Restart-Service MSExchangeRPC -Force }`,
      { statePath: lab.statePath, abort: abort.signal },
    );
    const hung = () =>
      (JSON.parse(fs.readFileSync(lab.statePath, "utf8")) as { lab?: { hung?: { Command: string; Server: string }[] } })
        .lab?.hung ?? [];
    await until(() => hung().length > 0, "Restart-Service to hang on MB2");
    abort.abort();
    expect((await run).timedOut).toBe(true);
    expect(hung()).toEqual([{ Command: "Restart-Service", Server: "HO-EX2010-MB2", At: expect.stringMatching(/Z$/) }]);
    const [mb1After, mb2After] = await pids();
    expect(mb1After).not.toBe(mb1Before);
    expect(mb2After).toBe(mb2Before);
  });

  it("-Kind IgnorePort: the next start of the service succeeds on a dynamic port instead of its configured one; the one after reads the registry", async ({
    lab,
  }) => {
    await lab.pwsh(
      `Set-ExchangeLabRegistryValue HO-EX2010-MB1 -Path '${RPC_KEY}' -Name 'TCP/IP Port' -Kind DWord -Value 59532`,
    );
    await lab.pwsh("Add-ExchangeLabServiceFault HO-EX2010-MB1 MSExchangeRPC -Kind IgnorePort");
    const restart = () =>
      lab.json<{ Status: string; Ports: number[] }[]>(
        `$s = (Restart-ExchangeLabService HO-EX2010-MB1 MSExchangeRPC).Services.MSExchangeRPC; [pscustomobject]@{ Status = $s.Status; Ports = @($s.ListeningPorts) }`,
      );
    const [first] = await restart();
    expect(first?.Status).toBe("Running");
    expect(first?.Ports).not.toContain(59532);
    expect(first?.Ports).toContain(6001);
    expect((await restart())[0]).toEqual({ Status: "Running", Ports: [6001, 59532] });
  });
});
