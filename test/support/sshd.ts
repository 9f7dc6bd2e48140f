// A private OpenSSH server (Debian's /usr/sbin/sshd) that serves the lab as a PowerShell remoting
// endpoint, the way a Windows jump host serves Exchange and DnsServer over WinRM. Everything it
// needs lives in one temp folder: its own sshd_config, host key, a throwaway client key, the
// authorized_keys and a known_hosts for the client, its PidFile and its log. It listens on a free
// loopback port (127.0.0.1 only) and never touches ~/.ssh or /etc/ssh.
//
// The `powershell` subsystem is a small sh script: it points EXCHANGE_LAB_STATE at the lab's state
// and PSModulePath at a folder holding only the lab module, then execs `pwsh -sshs` with a session
// configuration file (RestrictedRemoteServer): no language (so no script block is accepted), and
// only the lab's Exchange and DnsServer cmdlets visible (and the provider's ExcasDns commands, as an
// admin installs them on a DNS jump host), as Exchange's own endpoint restricts a remote shell. DNS
// records and errors cross as CIM objects, as from a Windows server (EXCHANGE_LAB_WIRE=clixml). Nothing is sent from the client: no profile, no script.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { z } from "zod";
import type { SshConnectionSchema } from "../../provider/shell/connection";
import { descendants, killTree } from "../../provider/shell/processTree";
import { psQuote } from "../../provider/shell/quote";
import { ROOT } from "./paths";

export const SSHD = "/usr/sbin/sshd";

/** The lab's Exchange 2010 and DnsServer cmdlets (what the lab module exports besides its administration). */
export const LAB_ENDPOINT_COMMANDS = [
  "Get-ExchangeServer",
  "Get-DatabaseAvailabilityGroup",
  "Get-ClientAccessArray",
  "New-ClientAccessArray",
  "Set-ClientAccessArray",
  "Remove-ClientAccessArray",
  "Get-MailboxDatabase",
  "Set-MailboxDatabase",
  "New-MailboxDatabase",
  "Move-ActiveMailboxDatabase",
  "Get-Mailbox",
  "Get-DnsServerResourceRecord",
  "Add-DnsServerResourceRecordA",
  "Remove-DnsServerResourceRecord",
  "Set-DnsServerResourceRecord",
  "Resolve-DnsName",
] as const;

/** What the fixture endpoint shows: the lab's cmdlets, and the provider's DNS commands (provider/ps/ExcasDns) as an admin installs them on a DNS jump host; not the lab's administration. */
export const ENDPOINT_COMMANDS = [
  ...LAB_ENDPOINT_COMMANDS,
  "Get-ExcasDnsARecord",
  "Add-ExcasDnsARecord",
  "Remove-ExcasDnsARecord",
  "Set-ExcasDnsARecordTtl",
  "Resolve-ExcasDnsName",
  // provider/ps/ExcasServer, as an admin installs it on a jump host that reaches the Exchange servers with WinRM.
  "Invoke-ExcasServerScript",
] as const;

/** An ssh connection as a resource takes it (plain data). */
export type SshConnectionData = z.input<typeof SshConnectionSchema> & {
  kind: "ssh";
  port: number;
  knownHostsFile: string;
};

export interface Sshd {
  dir: string;
  hostName: string;
  port: number;
  userName: string;
  keyFilePath: string;
  knownHostsFile: string;
  /** The listening sshd's process id. */
  pid: number;
  /** An `ssh` connection (plain data, as a resource takes it) to this server's lab endpoint. */
  connection: SshConnectionData;
  /** sshd's log (LogLevel VERBOSE). */
  log(): string;
  /** Stops sshd and every process it started (sessions, their pwsh); synchronous, idempotent. */
  stop(): void;
}

export interface SshdOptions {
  /** The lab state the remote side works on (EXCHANGE_LAB_STATE of the subsystem). */
  statePath: string;
  /** pwsh for the subsystem. */
  pwsh: string;
  /** The folder for sshd's files; a new temp folder when omitted (removed by stop()). */
  dir?: string;
  /**
   * The jump host's own account for the Exchange servers: the endpoint's startup script sets
   * $global:ExcasServerOptions with a Credential, as an admin configures a jump host whose SSH key
   * logon has no Kerberos ticket to hand on (the second hop). Without it, Invoke-Command
   * -ComputerName from the endpoint is denied, as from a real key logon.
   */
  jumpHostAccount?: boolean;
}

const running = new Set<Sshd>();
let exitHookInstalled = false;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw new Error(`${cmd} could not be run (${r.error.message}); run scripts/setup to install OpenSSH.`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
}

/** Ports something listens on over TCP (IPv4 and IPv6), from /proc. */
function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[3] === "0A") ports.add(parseInt(cols[1]?.split(":")[1] ?? "0", 16));
    }
  }
  return ports;
}

function pickPort(tried: Set<number>): number {
  const busy = listeningPorts();
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    if (!busy.has(port) && !tried.has(port)) return port;
  }
}

/** Whether `pid` still runs (a zombie, waiting for the event loop to reap it, does not). */
function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const s of [...running]) s.stop();
  });
}

export interface SshKeys {
  /** sshd's host key (private; its .pub beside it). */
  hostKey: string;
  /** The client's key (private; its .pub beside it). */
  clientKey: string;
}

let processKeys: SshKeys | undefined;

/** Generates a host key and a client key (ed25519, no passphrase) in `dir`. */
export function generateSshKeys(dir: string): SshKeys {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys = { hostKey: path.join(dir, "host_key"), clientKey: path.join(dir, "client_key") };
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "excas-lab-host", "-f", keys.hostKey]);
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "excas-lab-client", "-f", keys.clientKey]);
  return keys;
}

/**
 * The run's keys: made once per test run by the ssh project's global setup (EXCHANGE_CAS_TEST_SSH_KEYS
 * names their folder), else once for this process. Every sshd of the run serves the same host key
 * and authorizes the same client key; each has its own known_hosts, authorized_keys and port.
 */
export function sshKeys(): SshKeys {
  const dir = process.env.EXCHANGE_CAS_TEST_SSH_KEYS;
  if (dir !== undefined && dir !== "" && fs.existsSync(path.join(dir, "client_key.pub"))) {
    return { hostKey: path.join(dir, "host_key"), clientKey: path.join(dir, "client_key") };
  }
  if (processKeys === undefined) {
    const own = fs.mkdtempSync(path.join(os.tmpdir(), "excas-sshkeys-"));
    processKeys = generateSshKeys(path.join(own, "keys"));
    process.once("exit", () => fs.rmSync(own, { recursive: true, force: true }));
  }
  return processKeys;
}

/** Writes the fixture's files and starts sshd; returns once it listens. Throws when it cannot. */
export function startSshd(options: SshdOptions): Sshd {
  if (!fs.existsSync(SSHD))
    throw new Error(`${SSHD} is missing: run scripts/setup (it installs Debian's openssh-server).`);
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "excas-sshd-"));
  try {
    return start(options, dir, options.dir === undefined);
  } catch (e) {
    if (options.dir === undefined) fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

function start(options: SshdOptions, dir: string, ownDir: boolean): Sshd {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => path.join(dir, name);
  const userName = os.userInfo().username;

  // As root, sshd insists on its privilege-separation directory, which Debian's service unit
  // creates at start (we never start that service). Empty, root-owned, 0755: as the unit makes it.
  if (process.getuid?.() === 0 && !fs.existsSync("/run/sshd")) fs.mkdirSync("/run/sshd", { mode: 0o755 });

  const keys = sshKeys();

  // A module folder with only the lab in it, so `ExchangeLab` autoloads by name on the remote side.
  fs.mkdirSync(file("modules"));
  fs.symlinkSync(path.join(ROOT, "lab"), path.join(file("modules"), "ExchangeLab"), "dir");
  fs.symlinkSync(path.join(ROOT, "provider", "ps", "ExcasDns"), path.join(file("modules"), "ExcasDns"), "dir");
  fs.symlinkSync(path.join(ROOT, "provider", "ps", "ExcasServer"), path.join(file("modules"), "ExcasServer"), "dir");

  // The endpoint: what Exchange's Microsoft.Exchange endpoint is to a remote shell.
  fs.writeFileSync(
    file("endpoint.pssc"),
    [
      "@{",
      "    SchemaVersion = '2.0.0.0'",
      "    GUID = '3f0c6a57-58f4-4f37-9a3e-2f3a8f0e5b11'",
      "    Description = 'exchange-cas test fixture: the Exchange lab as a restricted remote endpoint'",
      "    SessionType = 'RestrictedRemoteServer'",
      "    LanguageMode = 'NoLanguage'",
      // The lab last: a module that fails to import (the lab's SessionOpen fault, a refused shell)
      // fails the session open only when it is the last one imported; listed first, the endpoint
      // opened anyway and autoloaded the lab on the first command.
      "    ModulesToImport = 'ExcasDns', 'ExcasServer', 'ExchangeLab'",
      `    VisibleFunctions = ${ENDPOINT_COMMANDS.map(psQuote).join(", ")}`,
      ...(options.jumpHostAccount === true ? [`    ScriptsToProcess = ${psQuote(file("jump-host-account.ps1"))}`] : []),
      "}",
      "",
    ].join("\n"),
  );

  if (options.jumpHostAccount === true) {
    // What an admin puts in the endpoint's startup: an account of the jump host's own (its password
    // stored on the jump host; a throwaway one here, the lab checks only that one is given).
    fs.writeFileSync(
      file("jump-host-account.ps1"),
      "$global:ExcasServerOptions = @{ Authentication = 'Kerberos'; Credential = (New-Object System.Management.Automation.PSCredential('CONTOSO\\svc-excas', (New-Object System.Security.SecureString))) }\n",
    );
  }
  const env = [
    `export EXCHANGE_LAB_STATE=${shQuote(options.statePath)}`,
    // The jump host's logon is an SSH key logon: a network logon with no credentials to hand on
    // to the Exchange servers (the second hop). See EXCHANGE_LAB_LOGON in the lab module.
    "export EXCHANGE_LAB_LOGON=Network",
    `export PSModulePath=${shQuote(file("modules"))}`,
    // DNS records and errors reach the client as a Windows server sends them: CIM objects, which
    // pwsh on Linux/macOS cannot rebuild (no libmi). See EXCHANGE_LAB_WIRE in the lab module.
    "export EXCHANGE_LAB_WIRE=clixml",
    "export POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off NO_COLOR=1 TERM=dumb",
  ];
  if (process.env.DOTNET_ROOT) env.push(`export DOTNET_ROOT=${shQuote(process.env.DOTNET_ROOT)}`);
  if (process.env.EXCHANGE_LAB_LOCK_TIMEOUT_MS)
    env.push(`export EXCHANGE_LAB_LOCK_TIMEOUT_MS=${shQuote(process.env.EXCHANGE_LAB_LOCK_TIMEOUT_MS)}`);
  fs.writeFileSync(
    file("powershell-subsystem"),
    [
      "#!/bin/sh",
      "# The `powershell` subsystem of the exchange-cas test sshd: the lab, behind PowerShell's SSH server mode.",
      ...env,
      `exec ${shQuote(options.pwsh)} -sshs -NoLogo -NoProfile -ConfigurationFile ${shQuote(file("endpoint.pssc"))}`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );

  // The client key can do one thing only: run that subsystem (no shell, no forwarding, no pty).
  const clientPub = fs.readFileSync(`${keys.clientKey}.pub`, "utf8").trim();
  fs.writeFileSync(
    file("authorized_keys"),
    `restrict,command=${JSON.stringify(file("powershell-subsystem"))} ${clientPub}\n`,
    { mode: 0o600 },
  );
  const hostPub = fs.readFileSync(`${keys.hostKey}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");

  const tried = new Set<number>();
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = pickPort(tried);
    tried.add(port);
    fs.writeFileSync(
      file("sshd_config"),
      [
        `ListenAddress 127.0.0.1:${port}`,
        `HostKey ${keys.hostKey}`,
        `PidFile ${file("sshd.pid")}`,
        `AuthorizedKeysFile ${file("authorized_keys")}`,
        `AllowUsers ${userName}`,
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "DisableForwarding yes",
        "PermitTTY no",
        "PrintMotd no",
        "UseDNS no",
        "LogLevel VERBOSE",
        `Subsystem powershell ${file("powershell-subsystem")}`,
        "",
      ].join("\n"),
    );
    fs.rmSync(file("sshd.pid"), { force: true });
    fs.writeFileSync(file("known_hosts"), `[127.0.0.1]:${port} ${hostPub}\n`);
    const args = ["-D", "-f", file("sshd_config"), "-E", file("sshd.log")];
    // setpriv --pdeathsig: sshd dies with this process even when it is killed without notice.
    const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => fs.existsSync(p));
    const child = setpriv
      ? spawn(setpriv, ["--pdeathsig", "KILL", "--", SSHD, ...args], { stdio: "ignore" })
      : spawn(SSHD, args, { stdio: "ignore" });
    child.on("error", () => undefined);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`${SSHD} could not be started.`);
    child.unref();
    const deadline = Date.now() + 15_000;
    let ready = false;
    while (Date.now() < deadline) {
      if (fs.existsSync(file("sshd.pid")) && fs.readFileSync(file("sshd.pid"), "utf8").trim() === String(pid)) {
        ready = true;
        break;
      }
      if (!isRunning(pid)) break;
      sleepSync(10);
    }
    const log = () => (fs.existsSync(file("sshd.log")) ? fs.readFileSync(file("sshd.log"), "utf8") : "");
    if (!ready) {
      killTree(pid);
      if (/Address already in use|Cannot bind any address/.test(log())) continue;
      throw new Error(`sshd did not start on 127.0.0.1:${port}: ${log() || "(no log)"}`);
    }
    let stopped = false;
    const sshd: Sshd = {
      dir,
      hostName: "127.0.0.1",
      port,
      userName,
      keyFilePath: keys.clientKey,
      knownHostsFile: file("known_hosts"),
      pid,
      connection: {
        kind: "ssh",
        hostName: "127.0.0.1",
        port,
        userName,
        keyFilePath: keys.clientKey,
        knownHostsFile: file("known_hosts"),
      },
      log,
      stop() {
        if (stopped) return;
        stopped = true;
        running.delete(sshd);
        killTree(pid);
        if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
      },
    };
    running.add(sshd);
    installExitHook();
    return sshd;
  }
  throw new Error(`sshd found no free port on 127.0.0.1 (tried ${[...tried].join(", ")}).`);
}

/** Processes sshd started (its sessions and their PowerShell), for tests that check clean-up. */
export function sshdChildren(sshd: Sshd): number[] {
  return descendants(sshd.pid).filter((p) => p !== sshd.pid && isRunning(p));
}
