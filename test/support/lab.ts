// A private copy of the article's organisation for one test, and direct access to it through
// pwsh (to change things behind the provider's back, as an admin at the console would).
//
// With EXCHANGE_CAS_TEST_REMOTE=ssh the provider reaches the lab the way it reaches Exchange: over
// a real remote session. Each lab then gets its own sshd (test/support/sshd.ts) serving that
// lab's state as a restricted PowerShell endpoint, and `connection` is an `ssh` connection to it.
// `pwsh()` and `json()` stay local, on the same state file: the admin at the console.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { psQuote } from "../../provider/shell/quote";
import { ROOT } from "./host";
import { startSshd, type SshConnectionData, type Sshd } from "./sshd";

export const LAB_MODULE = fs.existsSync(path.join(ROOT, "lab/ExchangeLab.psd1")) ? path.join(ROOT, "lab/ExchangeLab.psd1") : path.join(ROOT, "lab/ExchangeLab.psm1");

export const SCENARIO = path.join(ROOT, "lab/scenarios/article.json");

export interface LabConnectionData {
  kind: "lab";
  statePath: string;
  modulePath: string;
  commandTimeoutSeconds?: number;
}

/** How the tests reach the lab: "local" (the lab module imported into the session) or "ssh". */
export const TEST_REMOTE: "local" | "ssh" = (() => {
  const value = (process.env.EXCHANGE_CAS_TEST_REMOTE ?? "").trim().toLowerCase();
  if (value === "" || value === "local") return "local";
  if (value === "ssh") return "ssh";
  throw new Error(`EXCHANGE_CAS_TEST_REMOTE='${process.env.EXCHANGE_CAS_TEST_REMOTE}' is not understood: use 'ssh', or leave it unset for the local lab.`);
})();

export interface Lab {
  dir: string;
  statePath: string;
  connection: LabConnectionData | SshConnectionData;
  /** The lab's own sshd when the tests run over SSH. */
  sshd?: Sshd;
  /** Runs PowerShell against this lab in a separate pwsh; returns stdout, throws on failure. */
  pwsh(script: string): string;
  /** Runs a PowerShell expression and returns its output as a JSON array (always an array). */
  json<T = unknown>(script: string): T;
  remove(): void;
}

export function pwshPath(): string {
  const dirs = (process.env.PATH ?? "").split(path.delimiter);
  if (process.env.HOME) dirs.push(path.join(process.env.HOME, ".dotnet/tools"));
  for (const d of dirs) {
    const p = path.join(d, "pwsh");
    if (d && fs.existsSync(p)) return p;
  }
  throw new Error("pwsh is not installed: run scripts/setup (the tests need real PowerShell 7).");
}

export function createLab(): Lab {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "excas-lab-"));
  const statePath = path.join(dir, "state.json");
  fs.copyFileSync(SCENARIO, statePath);
  const pwsh = (script: string): string => {
    const full = `$ErrorActionPreference = 'Stop'\nImport-Module ${psQuote(LAB_MODULE)} -Force -DisableNameChecking\n${script}\n`;
    const r = spawnSync(pwshPath(), ["-NoProfile", "-NonInteractive", "-Command", "-"], {
      input: full,
      env: { ...process.env, EXCHANGE_LAB_STATE: statePath, NO_COLOR: "1", TERM: "dumb" },
      encoding: "utf8",
    });
    if (r.status !== 0 || /\S/.test(r.stderr)) throw new Error(`pwsh failed (${r.status}): ${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };
  let sshd: Sshd | undefined;
  if (TEST_REMOTE === "ssh") {
    try {
      sshd = startSshd({ statePath, pwsh: pwshPath(), dir: path.join(dir, "ssh") });
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }
  return {
    dir,
    statePath,
    connection: sshd ? sshd.connection : { kind: "lab", statePath, modulePath: LAB_MODULE },
    ...(sshd ? { sshd } : {}),
    pwsh,
    json<T>(script: string): T {
      const out = pwsh(`ConvertTo-Json -InputObject @(${script}) -Depth 6 -Compress`);
      const line = out
        .split(/\r?\n/)
        .filter((l) => l.trim() !== "")
        .pop();
      return JSON.parse(line ?? "null") as T;
    },
    remove() {
      sshd?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every mailbox database's RpcClientAccessServer, by database name, as the lab has it now. */
export function labDatabases(lab: Pick<Lab, "json">): Record<string, string> {
  const rows = lab.json<{ Name: string; RpcClientAccessServer: string }[]>("Get-MailboxDatabase | Select-Object Name,RpcClientAccessServer");
  return Object.fromEntries(rows.map((r) => [r.Name, r.RpcClientAccessServer]));
}

/** The A records' addresses at `name` in exchangeserverpro.net on DC01, as the lab has them now. */
export function labRecord(lab: Pick<Lab, "json">, name = "outlook-ho"): string[] {
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
