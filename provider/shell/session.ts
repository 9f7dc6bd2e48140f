// One pwsh process driven through node-powershell. Commands run one at a time, each inside the
// wrapper (ps/wrapper.ps1) as a single stdin line, with a timeout; a session whose pwsh died or
// hung is marked dead and killed, and its command fails with a PowerShellSessionError. Several
// commands can share one line (one round trip to pwsh), each with its own envelope; and a
// command's text can be decided when its turn comes (runBatch), which is what batching needs.
import { setting } from "../settings";
import * as fs from "node:fs";
import * as path from "node:path";
import { ChildProcess } from "node:child_process";
import * as nps from "node-powershell";
import { psAssetText } from "./assets";
import { outputNoise, parseBatch, parseEnvelope, type Envelope } from "./envelope";
import {
  describeBatch,
  exitedMessage,
  noEnvelopeError,
  notAProcessError,
  PowerShellSessionError,
  shellInternalsError,
  timeoutMessage,
} from "./errors";
import { killTree } from "./processTree";
import type { CommandSpec } from "./types";

export type { CommandSpec } from "./types";

/** The first `exe` on PATH (then in the .NET global tools folder), or undefined. */
function onPath(exe: string, env: NodeJS.ProcessEnv): string | undefined {
  const dirs = (env.PATH ?? "").split(path.delimiter).filter(Boolean);
  if (env.HOME) dirs.push(path.join(env.HOME, ".dotnet", "tools"));
  for (const dir of dirs) {
    const candidate = path.join(dir, exe);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The PowerShell executable: EXCHANGE_CAS_PWSH (a path), else EXCHANGE_CAS_POWERSHELL (a path, or
 * a name looked up on PATH such as `powershell.exe` for Windows PowerShell 5.1), else pwsh on
 * PATH, else the .NET global tool's.
 */
export function findPwsh(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const explicit = setting("EXCHANGE_CAS_PWSH", env);
  if (explicit !== undefined) {
    if (fs.existsSync(explicit)) return explicit;
    throw new PowerShellSessionError(
      "not-found",
      `EXCHANGE_CAS_PWSH points at ${explicit}, which does not exist; fix the path or unset it.`,
    );
  }
  const chosen = setting("EXCHANGE_CAS_POWERSHELL", env) ?? "";
  if (chosen !== "") {
    if (chosen.includes("/") || chosen.includes("\\")) {
      if (fs.existsSync(chosen)) return chosen;
      throw new PowerShellSessionError(
        "not-found",
        `EXCHANGE_CAS_POWERSHELL points at ${chosen}, which does not exist; fix the path or unset it.`,
      );
    }
    const exe = platform === "win32" && path.extname(chosen) === "" ? `${chosen}.exe` : chosen;
    const found = onPath(exe, env);
    if (found !== undefined) return found;
    throw new PowerShellSessionError(
      "not-found",
      `EXCHANGE_CAS_POWERSHELL names ${exe}, which was not found on PATH; ` +
        "install it, give its full path, or unset EXCHANGE_CAS_POWERSHELL to use pwsh.",
    );
  }
  const found = onPath(platform === "win32" ? "pwsh.exe" : "pwsh", env);
  if (found !== undefined) return found;
  throw new PowerShellSessionError(
    "not-found",
    "pwsh (PowerShell 7) was not found on PATH; install it with 'dotnet tool install " +
      "--global PowerShell' (or run scripts/setup), " +
      "or set EXCHANGE_CAS_PWSH to its path.",
  );
}

/** pwsh's environment: ours, less the password variable (a child's environment is readable in /proc). */
function childEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", TERM: "dumb", POWERSHELL_TELEMETRY_OPTOUT: "1" };
  delete env.EXCHANGE_CAS_PASSWORD;
  return env;
}

/** How a turn takes its place on the session (see PwshSession.runBatch). */
export interface TurnOptions {
  gather?: boolean;
  first?: boolean;
}

/**
 * The pwsh child process and its exit promise, which node-powershell 5.0 (child-shell's Shell)
 * keeps in the private fields `process` and `exitPromise`: the session watches the child's exit
 * and kills its process tree. Read by name and checked, so another version fails here, loudly.
 */
function shellInternals(shell: nps.PowerShell): { child: ChildProcess; exited: Promise<unknown> } {
  const child: unknown = Reflect.get(shell, "process");
  const exited: unknown = Reflect.get(shell, "exitPromise");
  if (!(child instanceof ChildProcess) || !(exited instanceof Promise)) {
    throw shellInternalsError();
  }
  return { child, exited };
}

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

export class PwshSession {
  private readonly shell: nps.PowerShell;
  private readonly child: ChildProcess;
  /** Turns waiting for the session, in order; `first` turns go before the others. */
  private readonly turns: { first: boolean; start(): void }[] = [];
  private busy = false;
  private dead: string | undefined;
  /** The last command's stdout, kept by reference: only a failed session open looks into it. */
  private lastOutput = "";

  /** What the last command printed besides its envelope (see outputNoise), for error messages. */
  get lastNoise(): string {
    return outputNoise(this.lastOutput);
  }

  private constructor(executable: string) {
    this.shell = new nps.PowerShell({
      executable,
      executableOptions: { "-NoProfile": true, "-NonInteractive": true },
      spawnOptions: { env: childEnvironment() },
      throwOnInvocationError: false,
    });
    const { child, exited } = shellInternals(this.shell);
    this.child = child;
    // node-powershell rejects this when pwsh is killed; we learn of the exit from the child itself.
    exited.catch(() => undefined);
    this.child.once("exit", () => {
      this.dead ??= "exited";
    });
  }

  /**
   * Starts pwsh and loads the wrapper. `owner` is the process whose death stops a batch between
   * two commands (Set-ExcasOwner in the wrapper): this one, which alone reads the answers.
   */
  static async start(executable: string, timeoutMs: number, owner: number = process.pid): Promise<PwshSession> {
    if (!Number.isSafeInteger(owner) || owner <= 0) throw notAProcessError(owner);
    // Found before pwsh starts: an incomplete package starts no process it would leave behind.
    const wrapper = psAssetText("wrapper.ps1");
    const session = new PwshSession(executable);
    try {
      await session.raw(
        ". ([scriptblock]::Create([System.Text.Encoding]::UTF8.GetString(" +
          `[System.Convert]::FromBase64String('${base64(wrapper)}')))); Set-ExcasOwner -ProcessId ${owner}`,
        timeoutMs,
        "starting PowerShell",
      );
    } catch (e) {
      session.kill();
      throw e;
    }
    session.next();
    return session;
  }

  /**
   * Whether this session keeps the Node.js process alive: only while a command runs or waits.
   * An idle session must not: a Pulumi program that planned its site through it would otherwise
   * never exit (the language host waits for it), and the engine would wait for the program
   * forever. In the dynamic-provider host the gRPC server keeps the process alive anyway.
   */
  private keepAlive(on: boolean): void {
    // The pipes are sockets (ref/unref), though typed as plain streams.
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as unknown as ({
      ref?(): void;
      unref?(): void;
    } | null)[];
    for (const handle of handles) {
      if (on) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  /** Runs one command in the wrapper; commands queue behind each other. */
  async run(spec: CommandSpec, timeoutMs: number): Promise<Envelope> {
    const [envelope] = await this.runBatch(() => [spec], timeoutMs);
    if (envelope === undefined) throw noEnvelopeError();
    return envelope;
  }

  /**
   * Queues a turn on this session. When the turn comes, `build` is called and says what to run:
   * one command (one envelope), several (one stdin line, one envelope each, in order), or none.
   * Work that arrives while the turn waits can therefore still join it. With `gather`, the turn
   * first yields one event-loop turn, so requests arriving together join it even when the
   * session is idle. A `first` turn goes before every waiting turn that is not (a batch of reads
   * many requests wait on; reads change nothing, and none of the turns it passes was requested
   * after it finished). A batch gets `timeoutMs` per command.
   */
  runBatch(build: () => readonly CommandSpec[], timeoutMs: number, options: TurnOptions = {}): Promise<Envelope[]> {
    return this.enqueue(async () => {
      if (options.gather === true) await new Promise((resolve) => setImmediate(resolve));
      const specs = build();
      if (specs.length === 0) return [];
      const what = describeBatch(specs);
      if (specs.length === 1) {
        const spec = specs[0] as CommandSpec;
        const line =
          `Invoke-ExcasCommand -ScriptBase64 '${base64(spec.script)}' -SelectBase64 ` +
          `'${base64(JSON.stringify(spec.select ?? []))}'`;
        return [parseEnvelope(await this.raw(line, timeoutMs, what))];
      }
      const commands = specs.map((spec) => ({ script: spec.script, select: spec.select ?? [] }));
      const line = `Invoke-ExcasBatch -CommandsBase64 '${base64(JSON.stringify(commands))}'`;
      return parseBatch(await this.raw(line, timeoutMs * specs.length, what), specs.length);
    }, options.first === true);
  }

  private enqueue<T>(work: () => Promise<T>, first: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const turn = {
        first,
        start: () => {
          work()
            .then(resolve, reject)
            .finally(() => {
              this.busy = false;
              this.next();
            });
        },
      };
      const at = first ? this.turns.findIndex((t) => !t.first) : -1;
      if (at < 0) this.turns.push(turn);
      else this.turns.splice(at, 0, turn);
      // Start on a microtask, so that turns queued in the same moment are ordered first.
      queueMicrotask(() => this.next());
    });
  }

  private next(): void {
    if (this.busy) return;
    const turn = this.turns.shift();
    this.keepAlive(turn !== undefined);
    if (turn === undefined) return;
    this.busy = true;
    turn.start();
  }

  private async raw(line: string, timeoutMs: number, what: string): Promise<string> {
    if (this.dead !== undefined) {
      throw new PowerShellSessionError(
        "exited",
        `PowerShell is no longer running (it ${this.dead}); ${what} was not run.`,
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.dead = `hung for more than ${Math.round(timeoutMs / 1000)} s`;
        this.kill();
        reject(new PowerShellSessionError("timeout", timeoutMessage(what, timeoutMs)));
      }, timeoutMs);
    });
    // What ended the command when it did not answer: the error it failed with, if any.
    let failure: unknown;
    try {
      const result = await Promise.race([this.shell.invoke(line), timeout]);
      // node-powershell keeps every command in memory; a bootstrap may hold a credential.
      this.shell.history.length = 0;
      // Set by the exit and timeout handlers while the command ran, which the type narrowing cannot see.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (this.dead === undefined) {
        const stdout = result.stdout?.toString("utf8") ?? result.raw;
        this.lastOutput = stdout;
        return stdout;
      }
    } catch (e) {
      if (e instanceof PowerShellSessionError) throw e;
      failure = e;
    } finally {
      clearTimeout(timer);
      this.shell.history.length = 0;
    }
    // pwsh died under the command (its exit seen while it ran, or node-powershell failing).
    this.dead ??= "exited";
    this.kill();
    throw new PowerShellSessionError(
      "exited",
      exitedMessage(what),
      failure === undefined ? undefined : { cause: failure },
    );
  }

  /** Runs a last script (best effort, bounded) and ends the process. */
  async close(teardown?: string): Promise<void> {
    if (this.dead === undefined && teardown !== undefined) {
      await this.run({ cmdlet: "Remove-PSSession", target: "", script: teardown }, 5000).catch(() => undefined);
    }
    this.dead ??= "closed";
    this.kill();
  }

  /** Ends the process at once (synchronous: usable from an 'exit' handler). */
  kill(): void {
    this.dead ??= "was stopped";
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined)
      killTree(this.child.pid);
  }
}
