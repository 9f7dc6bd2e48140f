// Real pwsh for the tests. Two ways in:
// - runPwsh: a fresh `pwsh -Command -` per script, for what must start its own process (a module
//   import under test, a timeout, an environment of its own), and LabBatch, many lab scenarios in
//   one such process;
// - the worker's console (labConsole): one long-lived pwsh per test worker with the lab imported,
//   for the tests' own reads and changes of a lab (the admin at the console), switched to a lab's
//   state file per call. It saves a pwsh start and a module import per read.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { psQuote } from "../../provider/shell/quote";
import { LAB_MODULE, pwshPath, ROOT } from "./paths";

export const RESULT_MARKER = "<<<LAB-RESULT>>>";

export interface RunOptions {
  /** Value of EXCHANGE_LAB_STATE; omitted → unset. */
  statePath?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Import the module before the script (default true). */
  importModule?: boolean;
  /** The script is a complete batch script (prelude included). */
  batch?: boolean;
  /** Kills the process (and reports timedOut) when aborted: for a test that decides on an event when to stop it. */
  abort?: AbortSignal;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

// Helpers every script can use: Emit hands back the result; Invoke-Captured runs a block and
// returns its output and its error records (with the fields the provider looks at) separately;
// Edit-LabState changes the current state file as a test fixture would.
export const prelude = (importModule: boolean, batch: boolean): string => `
$ErrorActionPreference = 'Continue'
$ProgressPreference = 'SilentlyContinue'
if ($PSVersionTable.PSVersion.Major -ge 7) { $PSStyle.OutputRendering = 'PlainText' }
${importModule ? `Import-Module ${psQuote(LAB_MODULE)} -ErrorAction Stop` : ""}
${batch ? "function Emit { param($Value) $global:__labResult = $Value }" : `function Emit { param($Value) '${RESULT_MARKER}' + (ConvertTo-Json -InputObject $Value -Depth 10 -Compress) }`}
function Get-ErrInfo {
  param($Record)
  [ordered]@{
    Message = $Record.Exception.Message
    Type = $Record.Exception.GetType().FullName
    Reason = $Record.CategoryInfo.Reason
    Category = [string]$Record.CategoryInfo.Category
    Activity = $Record.CategoryInfo.Activity
    Fqid = $Record.FullyQualifiedErrorId
    Target = [string]$Record.TargetObject
  }
}
function Invoke-Captured {
  param([scriptblock]$Block)
  $all = @(& $Block 2>&1)
  [ordered]@{
    Out = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
    Errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object { Get-ErrInfo $_ })
  }
}
function Edit-LabState {
  param([scriptblock]$Change)
  $state = [System.IO.File]::ReadAllText($env:EXCHANGE_LAB_STATE) | ConvertFrom-Json
  & $Change $state
  [System.IO.File]::WriteAllText($env:EXCHANGE_LAB_STATE, (ConvertTo-Json -InputObject $state -Depth 32))
}
`;

// One line on stdin: with -Command -, pwsh runs stdin line by line like a console, where a
// multi-line statement needs a trailing blank line. Dot-sourcing the decoded script avoids that.
function stdinFor(script: string): string {
  const body = Buffer.from(script, "utf8").toString("base64");
  return `. ([scriptblock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${body}'))))\n`;
}

/** Runs a PowerShell script in a fresh `pwsh -NoProfile -NonInteractive -Command -`. */
export function runPwsh(script: string, options: RunOptions = {}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: "dumb", NO_COLOR: "1", ...(options.env ?? {}) };
  delete env.EXCHANGE_LAB_STATE;
  if (options.statePath !== undefined) env.EXCHANGE_LAB_STATE = options.statePath;
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    // Its own process group: ~/.dotnet/tools/pwsh is a shim that runs pwsh as a child, and a
    // timeout must kill both, or the orphan keeps stdout open (and sleeps on).
    const ownGroup = process.platform !== "win32";
    const child = spawn(pwshPath(), ["-NoProfile", "-NonInteractive", "-Command", "-"], {
      env,
      cwd: ROOT,
      detached: ownGroup,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const kill = () => {
      timedOut = true;
      if (ownGroup && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      else child.kill("SIGKILL");
    };
    const timer = setTimeout(kill, options.timeoutMs ?? 300_000);
    options.abort?.addEventListener("abort", kill, { once: true });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, timedOut, durationMs: Date.now() - started });
    });
    const full = options.batch === true ? script : prelude(options.importModule ?? true, false) + "\n" + script + "\n";
    child.stdin.end(stdinFor(full));
  });
}

/** The value the script passed to Emit (the last one), parsed. */
export function resultOf<T>(run: RunResult): T {
  // pwsh may put terminal escape sequences in front of a line, so look for the marker anywhere.
  const lines = run.stdout.split(/\r?\n/).filter((line) => line.includes(RESULT_MARKER));
  const last = lines[lines.length - 1];
  if (last === undefined) {
    throw new Error(
      `script emitted no result (exit ${String(run.code)})\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`,
    );
  }
  return JSON.parse(last.slice(last.indexOf(RESULT_MARKER) + RESULT_MARKER.length)) as T;
}

/** Runs a script against a lab state and returns what it emitted. */
export async function runLab<T>(
  script: string,
  statePath: string,
  options: Omit<RunOptions, "statePath"> = {},
): Promise<T> {
  return resultOf<T>(await runPwsh(script, { ...options, statePath }));
}

/** An error record as Get-ErrInfo reports it. */
export interface ErrInfo {
  Message: string;
  Type: string;
  Reason: string;
  Category: string;
  Activity: string;
  Fqid: string;
  Target: string;
}

export interface Captured<T> {
  Out: T[];
  Errors: ErrInfo[];
}

/** The Exchange FullyQualifiedErrorId shape: "<8 hex>,Microsoft.Exchange.Management.SystemConfigurationTasks.<Task>". */
export function exchangeFqid(task: string): RegExp {
  return new RegExp(`^[0-9A-F]{8},Microsoft\\.Exchange\\.Management\\.SystemConfigurationTasks\\.${task}$`);
}

/** Single-quoted PowerShell literal: the provider's one quoting function (it also doubles the typographic quotes PowerShell reads as single quotes). */
export const psq = psQuote;

const CONSOLE_MARKER = "<<<EXCAS-CONSOLE";

// The console's one function: runs a script (base64) against a state file (base64) with errors
// made terminating, and prints its output, or its error, base64 on one marked line.
const CONSOLE_PRELUDE = `
$ProgressPreference = 'SilentlyContinue'
if ($PSVersionTable.PSVersion.Major -ge 7) { $PSStyle.OutputRendering = 'PlainText' }
Import-Module ${psQuote(LAB_MODULE)} -DisableNameChecking -ErrorAction Stop
function global:Invoke-ExcasConsole([string]$Id, [string]$Script, [string]$State) {
  $decode = { param($b) [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($b)) }
  $env:EXCHANGE_LAB_STATE = & $decode $State
  $ok = 'ok'
  try {
    $block = [scriptblock]::Create((& $decode $Script))
    $text = & { $ErrorActionPreference = 'Stop'; & $block 6>&1 } | Out-String -Width 4096
  } catch {
    $ok = 'failed'
    $text = ($_ | Out-String -Width 4096) + [string]$_.InvocationInfo.PositionMessage
  }
  [Console]::Out.WriteLine('${CONSOLE_MARKER} ' + $Id + ' ' + $ok + ' ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$text)) + '>>>')
}
'${CONSOLE_MARKER} ready ok >>>'
`;

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/**
 * The console's environment: this process's as the worker loaded it, so a variable a test sets for
 * a while (LC_ALL, EXCHANGE_LAB_WIRE...) never stays with the console for the worker's life.
 */
const CONSOLE_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  TERM: "dumb",
  NO_COLOR: "1",
  POWERSHELL_TELEMETRY_OPTOUT: "1",
  EXCHANGE_LAB_STATE: "",
};

/**
 * One long-lived pwsh with the lab module imported, shared by every test of this worker process:
 * what the admin types at a console, against any lab's state file. Calls are answered in order.
 */
export class LabConsole {
  private child: ChildProcessWithoutNullStreams | undefined;
  private ready: Promise<void> | undefined;
  private buffer = "";
  private next = 0;
  private readonly waiting = new Map<string, { resolve(text: string): void; reject(error: Error): void }>();
  private stderr = "";

  private start(): Promise<void> {
    this.ready ??= new Promise<void>((resolve, reject) => {
      const child = spawn(pwshPath(), ["-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-"], {
        cwd: ROOT,
        env: CONSOLE_ENV,
      });
      this.child = child;
      this.waiting.set("ready", { resolve: () => resolve(), reject });
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => this.receive(chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
      child.on("error", (error) => this.fail(error));
      child.on("close", (code) =>
        this.fail(new Error(`the lab console (pwsh) exited (${String(code)}): ${this.stderr}`)),
      );
      child.stdin.write(
        `. ([scriptblock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${b64(CONSOLE_PRELUDE)}'))))\n`,
      );
    });
    return this.ready;
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const at = this.buffer.indexOf(CONSOLE_MARKER);
      const end = at < 0 ? -1 : this.buffer.indexOf(">>>", at);
      if (end < 0) return;
      const [, id = "", ok = "", payload = ""] = this.buffer.slice(at, end).split(" ");
      this.buffer = this.buffer.slice(end + 3);
      const waiter = this.waiting.get(id);
      this.waiting.delete(id);
      const text = Buffer.from(payload, "base64").toString("utf8");
      if (ok === "ok") waiter?.resolve(text);
      else waiter?.reject(new Error(`pwsh failed: ${text}`));
    }
  }

  private fail(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
    this.child = undefined;
    this.ready = undefined;
  }

  /** Runs `script` against the lab state at `statePath`; its output as text (a terminating error rejects). */
  async run(script: string, statePath: string): Promise<string> {
    await this.start();
    const id = `c${this.next++}`;
    const answer = new Promise<string>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.child?.stdin.write(`Invoke-ExcasConsole ${id} '${b64(script)}' '${b64(statePath)}'\n`);
    return answer;
  }

  /** Ends the console's pwsh (the worker's exit does it too). */
  close(): void {
    this.child?.stdin.end();
    this.child?.kill();
    this.child = undefined;
    this.ready = undefined;
  }
}

let shared: LabConsole | undefined;

/** This worker's console, started on first use and ended when the worker exits. */
export function labConsole(): LabConsole {
  if (shared === undefined) {
    const console = new LabConsole();
    shared = console;
    process.once("exit", () => console.close());
  }
  return shared;
}
