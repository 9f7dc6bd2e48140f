// Runs real pwsh against the lab module: finds pwsh, makes a private lab state from the scenario,
// and runs a script (on stdin) whose JSON result comes back on a marked stdout line.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { psQuote } from "../../provider/shell/quote";

const RESULT_MARKER = "<<<LAB-RESULT>>>";

/** The repository root: the nearest folder above the working directory that holds the lab module. */
export const repoRoot: string = (() => {
  let dir = process.cwd();
  for (;;) {
    if (existsSync(join(dir, "lab", "ExchangeLab.psd1"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`lab/ExchangeLab.psd1 not found above ${process.cwd()}`);
    dir = parent;
  }
})();

export const labModule = join(repoRoot, "lab", "ExchangeLab.psd1");
export const scenarioPath = join(repoRoot, "lab", "scenarios", "article.json");

/** pwsh from PATH, else ~/.dotnet/tools/pwsh. Throws (so tests fail, never skip) when neither exists. */
export function findPwsh(): string {
  const names = process.platform === "win32" ? ["pwsh.exe"] : ["pwsh"];
  for (const folder of (process.env.PATH ?? "").split(delimiter)) {
    for (const name of names) {
      const candidate = join(folder, name);
      if (folder !== "" && existsSync(candidate)) return candidate;
    }
  }
  const fallback = join(homedir(), ".dotnet", "tools", process.platform === "win32" ? "pwsh.exe" : "pwsh");
  if (existsSync(fallback)) return fallback;
  throw new Error("pwsh not found on PATH or at ~/.dotnet/tools/pwsh; the lab tests need PowerShell 7");
}

/** The scenario as a plain JSON value, for tests that seed a variant of the organisation. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Lab {
  dir: string;
  statePath: string;
  readState(): JsonObject;
  writeState(state: JsonObject): void;
  cleanup(): void;
}

/** A private copy of the scenario as lab state, optionally edited first. */
export function makeLab(edit?: (state: JsonObject) => void): Lab {
  const dir = mkdtempSync(join(tmpdir(), "exchange-lab-"));
  const statePath = join(dir, "state.json");
  const text = readFileSync(scenarioPath, "utf8");
  if (edit) {
    const state = JSON.parse(text) as JsonObject;
    edit(state);
    writeFileSync(statePath, JSON.stringify(state, null, 2));
  } else {
    writeFileSync(statePath, text);
  }
  return {
    dir,
    statePath,
    readState: () => JSON.parse(readFileSync(statePath, "utf8")) as JsonObject,
    writeState: (state) => writeFileSync(statePath, JSON.stringify(state, null, 2)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

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
const prelude = (importModule: boolean, batch: boolean): string => `
$ErrorActionPreference = 'Continue'
$ProgressPreference = 'SilentlyContinue'
if ($PSVersionTable.PSVersion.Major -ge 7) { $PSStyle.OutputRendering = 'PlainText' }
${importModule ? `Import-Module ${psQuote(labModule)} -ErrorAction Stop` : ""}
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
    const child = spawn(findPwsh(), ["-NoProfile", "-NonInteractive", "-Command", "-"], { env, cwd: repoRoot, detached: ownGroup });
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
    throw new Error(`script emitted no result (exit ${String(run.code)})\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
  return JSON.parse(last.slice(last.indexOf(RESULT_MARKER) + RESULT_MARKER.length)) as T;
}

/** Runs a script against a lab state and returns what it emitted. */
export async function runLab<T>(script: string, statePath: string, options: Omit<RunOptions, "statePath"> = {}): Promise<T> {
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

interface BatchEntry {
  Value: Json;
  Failed: string | null;
}

interface ScenarioOptions {
  /** Edits the scenario's copy of the state before the batch runs. */
  edit?: (state: JsonObject) => void;
  /** EXCHANGE_LAB_STATE for the scenario, when it is not the lab's state file. */
  statePath?: (lab: Lab) => string;
}

/**
 * Many scenarios in one pwsh process: each gets its own lab (the state path is read at every
 * call, so the script just switches EXCHANGE_LAB_STATE), runs in its own scope, and hands back
 * what it passed to Emit. Register scenarios while tests are collected; the batch runs on the
 * first await, and a scenario that throws fails only the tests that read it.
 */
export class LabBatch {
  private readonly scenarios: { key: string; script: string; lab: Lab; statePath: string }[] = [];
  private results: Promise<Record<string, BatchEntry>> | undefined;

  add<T>(script: string, options: ScenarioOptions = {}): () => Promise<T> {
    const key = `s${this.scenarios.length}`;
    const lab = makeLab(options.edit);
    this.scenarios.push({ key, script, lab, statePath: options.statePath ? options.statePath(lab) : lab.statePath });
    return async () => {
      const entry = (await this.run())[key];
      if (entry === undefined) throw new Error(`scenario ${key} produced no entry`);
      if (entry.Failed !== null) throw new Error(`scenario script failed: ${entry.Failed}`);
      return entry.Value as T;
    };
  }

  cleanup(): void {
    for (const scenario of this.scenarios) scenario.lab.cleanup();
  }

  private run(): Promise<Record<string, BatchEntry>> {
    this.results ??= (async () => {
      const parts = this.scenarios.map(
        ({ key, script, statePath }) => `
$env:EXCHANGE_LAB_STATE = ${psq(statePath)}
$global:__labResult = $null
$Error.Clear()
try {
  $null = & {
${script}
  }
  $__results[${psq(key)}] = [ordered]@{ Value = $global:__labResult; Failed = $null }
} catch {
  $__results[${psq(key)}] = [ordered]@{ Value = $null; Failed = [string]$_ + ' ' + $_.InvocationInfo.PositionMessage }
}`,
      );
      const script = `${prelude(true, true)}
$__results = [ordered]@{}
${parts.join("\n")}
'${RESULT_MARKER}' + (ConvertTo-Json -InputObject $__results -Depth 14 -Compress)
`;
      const run = await runPwsh(script, { batch: true, timeoutMs: 500_000 });
      return resultOf<Record<string, BatchEntry>>(run);
    })();
    return this.results;
  }
}
