import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { descendants } from "../../provider/shell/processTree";
import { outputNoise } from "../../provider/shell/envelope";
import {
  parseEnvelope,
  PowerShellError,
  PowerShellSessionError,
  psQuote,
  PwshSession,
  findPwsh,
} from "../../provider/shell";
import { processState } from "../support/procs";

const sessions: PwshSession[] = [];
const others: ChildProcess[] = [];
async function start(owner?: number): Promise<PwshSession> {
  const s = await PwshSession.start(findPwsh(), 60_000, owner);
  sessions.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  for (const child of others.splice(0)) child.kill("SIGKILL");
});

describe("the result envelope", () => {
  it("is found behind noise and parsed", () => {
    const env = parseEnvelope(
      'banner\n\u001b[?1h##EXCAS-ENVELOPE##{"ok":true,"data":[{"a":1}],"errors":[],"warnings":[]}\n',
    );
    expect(env).toEqual({ ok: true, data: [{ a: 1 }], errors: [], warnings: [] });
  });

  it("accepts Windows PowerShell 5.1's unrolled one-element lists", () => {
    const env = parseEnvelope('##EXCAS-ENVELOPE##{"ok":true,"data":"x","errors":null,"warnings":"w"}');
    expect(env).toEqual({ ok: true, data: ["x"], errors: [], warnings: ["w"] });
  });

  it("keeps what else was printed, for messages: escapes and ssh's @ frames gone, the end kept", () => {
    const ssh =
      "@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@@@@\n\u001b[31mHost key verification failed.\u001b[0m\r\n";
    expect(outputNoise(`${ssh}##EXCAS-ENVELOPE##{"ok":false}\n`)).toBe(
      "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! Host key verification failed.",
    );
    expect(outputNoise("##EXCAS-BATCH##[]\n\n")).toBe("");
    const long = outputNoise(`${"x".repeat(600)}\nthe verdict`);
    expect(long.startsWith("…")).toBe(true);
    expect(long.endsWith("the verdict")).toBe(true);
    expect(long.length).toBe(501);
  });

  it("is a protocol error, with the raw text, when missing or malformed", () => {
    expect(() => parseEnvelope("Get-Foo : something broke")).toThrow(
      /no result envelope; its output was: Get-Foo : something broke/,
    );
    expect(() => parseEnvelope("##EXCAS-ENVELOPE##{nope")).toThrow(PowerShellSessionError);
    expect(() => parseEnvelope('##EXCAS-ENVELOPE##{"ok":"yes"}')).toThrow(/malformed result envelope/);
  });
});

describe("a pwsh session", () => {
  it("returns the selected properties of each output object, flattened", async () => {
    const s = await start();
    const env = await s.run(
      {
        cmdlet: "test",
        target: "",
        script:
          "[pscustomobject]@{ Name = 'a'; List = @('one'); Ttl = [TimeSpan]::FromHours(1); Nested = [pscustomobject]@{ Ip = [System.Net.IPAddress]::Parse('10.0.0.1') } }",
        select: ["Name", "List", "Ttl", "Nested.Ip", "Missing"],
      },
      60_000,
    );
    expect(env).toEqual({
      ok: true,
      data: [{ Name: "a", List: ["one"], Ttl: 3600, "Nested.Ip": "10.0.0.1", Missing: null }],
      errors: [],
      warnings: [],
    });
  });

  it("collects non-terminating errors from the error stream, with type, id and target, and keeps going", async () => {
    const s = await start();
    const env = await s.run(
      {
        cmdlet: "test",
        target: "x",
        script:
          "Write-Error -Message 'first' -TargetObject 't1' -ErrorId 'Id1' -Category ObjectNotFound; 'after'; Write-Warning 'careful'",
      },
      60_000,
    );
    expect(env.ok).toBe(false);
    expect(env.data).toEqual(["after"]);
    expect(env.warnings).toEqual(["careful"]);
    expect(env.errors).toHaveLength(1);
    expect(env.errors[0]).toMatchObject({
      message: "first",
      target: "t1",
      category: "ObjectNotFound",
      type: "WriteErrorException",
    });
    expect(env.errors[0]?.fqid).toMatch(/^Id1/);
    const err = new PowerShellError("Set-Thing", "x", env.errors);
    expect(err.message).toBe("Set-Thing 'x' failed: first (WriteErrorException)");
  });

  it("turns a terminating error into an error record", async () => {
    const s = await start();
    const env = await s.run({ cmdlet: "test", target: "", script: "throw 'stop here'" }, 60_000);
    expect(env.ok).toBe(false);
    expect(env.errors[0]?.message).toBe("stop here");
  });

  it("passes values with newlines and quotes intact (the script travels as base64)", async () => {
    const s = await start();
    const value = "line1\nline2 'q' \u2019 $(x) `n";
    const env = await s.run({ cmdlet: "test", target: "", script: `${psQuote(value)}` }, 60_000);
    expect(env.data).toEqual([value]);
  });

  it("kills a hung command at its timeout, fails it clearly and refuses further commands", async () => {
    const s = await start();
    await expect(s.run({ cmdlet: "Get-Slow", target: "db1", script: "Start-Sleep -Seconds 30" }, 1500)).rejects.toThrow(
      /Get-Slow 'db1' did not finish within 2 s; its PowerShell session was stopped/,
    );
    expect(s.alive).toBe(false);
    await expect(s.run({ cmdlet: "test", target: "", script: "1" }, 5000)).rejects.toMatchObject({ reason: "exited" });
  });

  it("reports a pwsh killed in the middle of a command as an exited session", async () => {
    const s = await start();
    const running = s.run({ cmdlet: "Set-Thing", target: "x", script: "Start-Sleep -Seconds 30" }, 60_000);
    setTimeout(() => process.kill(s.pid ?? 0, "SIGKILL"), 300);
    await expect(running).rejects.toThrow(/PowerShell exited while running Set-Thing 'x'/);
    expect(s.alive).toBe(false);
  });

  it("says what to do when pwsh cannot be found", () => {
    expect(() => findPwsh({ PATH: "/nonexistent" })).toThrow(/pwsh \(PowerShell 7\) was not found on PATH; install it/);
    expect(() => findPwsh({ EXCHANGE_CAS_PWSH: "/no/such/pwsh" })).toThrow(
      /EXCHANGE_CAS_PWSH points at \/no\/such\/pwsh/,
    );
  });
});

describe("a batch whose owner (the provider process) is gone", () => {
  const command = (script: string) => ({ cmdlet: "Set-Thing", target: script, script });
  const stopped = {
    ok: false,
    data: [],
    errors: [
      expect.objectContaining({
        fqid: "ExcasOwnerExited",
        message: "Not run: the process that sent this batch has exited.",
      }),
    ],
    warnings: [],
  };

  it("runs no command after its owner exited: each gets a failed envelope, and the session goes on", async () => {
    const owner = spawn("sleep", ["600"], { stdio: "ignore" });
    others.push(owner);
    const s = await start(owner.pid);
    // The first command kills the owner and waits until it is gone (Node reaps it).
    const kill = `$p = [System.Diagnostics.Process]::GetProcessById(${owner.pid ?? 0}); $p.Kill(); $p.WaitForExit(); 'killed'`;
    const envelopes = await s.runBatch(() => [command(kill), command("'second'"), command("'third'")], 60_000);
    expect(envelopes).toEqual([{ ok: true, data: ["killed"], errors: [], warnings: [] }, stopped, stopped]);
    expect(s.alive).toBe(true);
    expect((await s.run(command("'alone'"), 60_000)).data).toEqual(["alone"]);
  });

  it("counts an owner that exited but was not reaped (a zombie) as gone", async () => {
    // sh starts a sleep and becomes another sleep, which never reaps the first one.
    const parent = spawn("sh", ["-c", "sleep 600 & echo $!; exec sleep 600"], { stdio: ["ignore", "pipe", "ignore"] });
    others.push(parent);
    const owner = await new Promise<number>((resolve) =>
      parent.stdout?.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    const s = await start(owner);
    process.kill(owner, "SIGKILL");
    while (processState(owner) !== "Z") await new Promise((resolve) => setImmediate(resolve));
    const envelopes = await s.runBatch(() => [command("'first'"), command("'second'")], 60_000);
    expect(envelopes).toEqual([{ ok: true, data: ["first"], errors: [], warnings: [] }, stopped]);
  });

  it("counts its pid taken by a process started at another time (pid reuse) as gone", async () => {
    const s = await start();
    // The wrapper's record of the owner, seen from a command: make it another start time.
    // (Where /proc exists the wrapper compares the start time in clock ticks from /proc/<pid>/stat.)
    const reuse =
      "$ExcasOwner.StartTime = $ExcasOwner.StartTime.AddSeconds(-1); if ($ExcasOwner.Ticks) { $ExcasOwner.Ticks = [string]([long]$ExcasOwner.Ticks - 100) }; 'moved'";
    const envelopes = await s.runBatch(() => [command(reuse), command("'second'")], 60_000);
    expect(envelopes).toEqual([{ ok: true, data: ["moved"], errors: [], warnings: [] }, stopped]);
  });

  it("runs every command while its owner runs", async () => {
    const s = await start();
    const envelopes = await s.runBatch(() => [command("'a'"), command("'b'"), command("'c'")], 60_000);
    expect(envelopes.map((e) => e.data)).toEqual([["a"], ["b"], ["c"]]);
  });
});

describe("ending a session", () => {
  it("kills the real pwsh behind the .NET tool launcher too, not only the launcher", async () => {
    const s = await start();
    const tree = descendants(s.pid ?? 0);
    expect(tree.length).toBeGreaterThanOrEqual(1);
    await expect(
      s.run({ cmdlet: "Get-Slow", target: "", script: "Start-Sleep -Seconds 60" }, 1000),
    ).rejects.toMatchObject({ reason: "timeout" });
    await new Promise((r) => setTimeout(r, 300));
    // A killed process may linger as a zombie until its parent reaps it; that is not running.
    const alive = tree.filter((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });
});

describe("the wrapper under Windows PowerShell 5.1's ConvertFrom-Json", () => {
  // 5.1's ConvertFrom-Json writes a JSON list as ONE object; PowerShell 7 does that with -NoEnumerate.
  // A function named ConvertFrom-Json shadows the cmdlet, so the wrapper meets 5.1's behaviour here.
  it("reads a batch's commands and each select list as lists", () => {
    const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
    const wrapper = path.resolve(__dirname, "../../provider/ps/wrapper.ps1");
    const commands = [
      { script: "[pscustomobject]@{ A = 'one'; B = 'x' }", select: ["A"] },
      { script: "[pscustomobject]@{ A = 'two'; B = 'y' }", select: ["A", "B"] },
    ];
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "excas-ps51-")), "run.ps1");
    fs.writeFileSync(
      file,
      [
        "function ConvertFrom-Json { param([Parameter(Position = 0, ValueFromPipeline = $true)]$InputObject) Microsoft.PowerShell.Utility\\ConvertFrom-Json -InputObject $InputObject -NoEnumerate }",
        "'SHIM ' + @(ConvertFrom-Json '[1,2]').Count",
        `. ${psQuote(wrapper)}`,
        `Invoke-ExcasBatch -CommandsBase64 '${b64(JSON.stringify(commands))}'`,
        `Invoke-ExcasCommand -ScriptBase64 '${b64("[pscustomobject]@{ A = 'three'; B = 'z' }")}' -SelectBase64 '${b64(JSON.stringify(["A", "B"]))}'`,
      ].join("\n"),
    );
    try {
      const run = spawnSync(findPwsh(), ["-NoProfile", "-NonInteractive", "-File", file], { encoding: "utf8" });
      expect(run.stderr).toBe("");
      const lines = run.stdout.split(/\r?\n/);
      expect(lines).toContain("SHIM 1");
      const batch = lines.find((l) => l.startsWith("##EXCAS-BATCH##"))?.slice("##EXCAS-BATCH##".length) ?? "null";
      expect((JSON.parse(batch) as { data: unknown }[]).map((e) => e.data)).toEqual([
        [{ A: "one" }],
        [{ A: "two", B: "y" }],
      ]);
      expect(parseEnvelope(run.stdout).data).toEqual([{ A: "three", B: "z" }]);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});
