// A private copy of the article's organisation, and the admin's console on it: what every test
// that touches the lab starts from. One Lab type for every tier:
// - `pwsh`/`json` run PowerShell against this lab in the worker's long-lived console (pwsh.ts);
// - `reset` puts the scenario back over the same state file, so a host, a session or an sshd
//   that reaches this lab keeps working on it from one test to the next (their connection, and
//   so their session, stays the same);
// - `readState`/`writeState`/`edit` change the state file directly, as a fixture would.
//
// With EXCHANGE_CAS_TEST_REMOTE=ssh (the ssh project) the provider reaches the lab the way it
// reaches Exchange: over a real remote session. The lab then gets its own sshd (sshd.ts) serving
// its state as a restricted PowerShell endpoint, and `connection` is an `ssh` connection to it.
// `pwsh()` and `json()` stay local, on the same state file: the admin at the console.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { z } from "zod";
import type { LabConnectionSchema } from "../../provider/shell/connection";
import { LAB_MODULE, pwshPath, SCENARIO } from "./paths";
import { labConsole, prelude, psq, RESULT_MARKER, resultOf, runPwsh } from "./pwsh";
import { startSshd, type SshConnectionData, type Sshd } from "./sshd";

export { LAB_MODULE, SCENARIO } from "./paths";

/** The scenario as a plain JSON value, for tests that seed a variant of the organisation. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A lab connection as a resource takes it (plain data). */
export type LabConnectionData = z.input<typeof LabConnectionSchema> & { kind: "lab" };

/** How the tests reach the lab: "local" (the lab module imported into the session) or "ssh". */
export const TEST_REMOTE: "local" | "ssh" = (() => {
  const value = (process.env.EXCHANGE_CAS_TEST_REMOTE ?? "").trim().toLowerCase();
  if (value === "" || value === "local") return "local";
  if (value === "ssh") return "ssh";
  throw new Error(
    `EXCHANGE_CAS_TEST_REMOTE='${process.env.EXCHANGE_CAS_TEST_REMOTE}' is not understood: use 'ssh', or leave it unset for the local lab.`,
  );
})();

export interface Lab {
  dir: string;
  statePath: string;
  connection: LabConnectionData | SshConnectionData;
  /** The lab's own sshd when the lab is reached over SSH. */
  sshd?: Sshd;
  /** Runs PowerShell against this lab at the console; its output as text, a terminating error rejects. */
  pwsh(script: string): Promise<string>;
  /** Runs a PowerShell expression at the console and returns its output as a JSON array (always an array). */
  json<T = unknown>(script: string): Promise<T>;
  /** The state file, parsed. */
  readState(): JsonObject;
  /** Replaces the state file (atomically: a reader never sees half of it). */
  writeState(state: JsonObject): void;
  /** Reads, changes and writes the state file. */
  edit(change: (state: JsonObject) => void): void;
  /**
   * The scenario again (optionally edited), over the same state file, atomically. The lab's lock
   * file stays: it is an flock on a file that is never deleted, released by the kernel when its
   * holder ends, so removing it would let two writers in at once.
   */
  reset(edit?: (state: JsonObject) => void): void;
  remove(): void;
}

export interface LabOptions {
  /** Edits the scenario's copy before anything reads it. */
  edit?: (state: JsonObject) => void;
  /** "local" (the lab imported into the provider's session) or "ssh"; default: EXCHANGE_CAS_TEST_REMOTE. */
  transport?: "local" | "ssh";
  /** Over SSH: the jump host has an account of its own for the servers (see SshdOptions.jumpHostAccount). */
  jumpHostAccount?: boolean;
}

const scenarioText = (() => {
  let text: string | undefined;
  return () => (text ??= fs.readFileSync(SCENARIO, "utf8"));
})();

function writeAtomic(file: string, text: string): void {
  fs.writeFileSync(`${file}.reset`, text);
  fs.renameSync(`${file}.reset`, file);
}

function scenario(edit?: (state: JsonObject) => void): string {
  if (edit === undefined) return scenarioText();
  const state = JSON.parse(scenarioText()) as JsonObject;
  edit(state);
  return JSON.stringify(state, null, 2);
}

export function createLab(options: LabOptions = {}): Lab {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "excas-lab-"));
  const statePath = path.join(dir, "state.json");
  writeAtomic(statePath, scenario(options.edit));
  let sshd: Sshd | undefined;
  if ((options.transport ?? TEST_REMOTE) === "ssh") {
    try {
      sshd = startSshd({
        statePath,
        pwsh: pwshPath(),
        dir: path.join(dir, "ssh"),
        ...(options.jumpHostAccount === true ? { jumpHostAccount: true } : {}),
      });
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }
  const readState = () => JSON.parse(fs.readFileSync(statePath, "utf8")) as JsonObject;
  const writeState = (state: JsonObject) => writeAtomic(statePath, JSON.stringify(state, null, 2));
  const pwsh = (script: string) => labConsole().run(script, statePath);
  return {
    dir,
    statePath,
    connection: sshd ? sshd.connection : { kind: "lab", statePath, modulePath: LAB_MODULE },
    ...(sshd ? { sshd } : {}),
    pwsh,
    async json<T>(script: string): Promise<T> {
      const out = await pwsh(`ConvertTo-Json -InputObject @(${script}) -Depth 6 -Compress`);
      const line = out
        .split(/\r?\n/)
        .filter((l) => l.trim() !== "")
        .pop();
      return JSON.parse(line ?? "null") as T;
    },
    readState,
    writeState,
    edit(change) {
      const state = readState();
      change(state);
      writeState(state);
    },
    reset(edit) {
      writeAtomic(statePath, scenario(edit));
    },
    remove() {
      sshd?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A lab that only the lab's own tests use (no sshd, whatever the transport). */
export function makeLab(edit?: (state: JsonObject) => void): Lab {
  return createLab({ transport: "local", ...(edit ? { edit } : {}) });
}

/** Every mailbox database's RpcClientAccessServer, by database name, as the lab has it now. */
export async function labDatabases(lab: Pick<Lab, "json">): Promise<Record<string, string>> {
  const rows = await lab.json<{ Name: string; RpcClientAccessServer: string }[]>(
    "Get-MailboxDatabase | Select-Object Name,RpcClientAccessServer",
  );
  return Object.fromEntries(rows.map((r) => [r.Name, r.RpcClientAccessServer]));
}

/** The A records' addresses at `name` in exchangeserverpro.net on DC01, as the lab has them now. */
export function labRecord(lab: Pick<Lab, "json">, name = "outlook-ho"): Promise<string[]> {
  return lab.json<string[]>(
    `Get-DnsServerResourceRecord -ZoneName exchangeserverpro.net -Name ${name} -Node -RRType A -ComputerName DC01 -ErrorAction SilentlyContinue | ForEach-Object { [string]$_.RecordData.IPv4Address }`,
  );
}

/** Each database's RpcClientAccessServer in the article's lab before anything is applied. */
export const ARTICLE_DATABASES = {
  "MB-HO-01": "HO-EX2010-MB1.exchangeserverpro.net",
  "MB-HO-02": "HO-EX2010-MB1.exchangeserverpro.net",
  "MB-HO-03": "HO-EX2010-MB1.exchangeserverpro.net",
  "RDB-HO-01": "HO-EX2010-MB1.exchangeserverpro.net",
  "MB-BR-01": "BR-EX2010-MB.exchangeserverpro.net",
};

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
    for (const scenario of this.scenarios) scenario.lab.remove();
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
