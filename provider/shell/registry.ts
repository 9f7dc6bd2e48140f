// The process-wide session registry. One dynamic-provider host serves every resource of an
// operation concurrently, so sessions are shared by connection: created lazily behind one
// promise (concurrent first calls wait for the same pwsh), commands on a session serialized,
// a dead session replaced on the next command, all sessions closed when the process ends.
import { setting } from "../settings";
import { bootstrapScript, teardownScript } from "./bootstrap";
import { commandTimeoutMs, connectionKey, type SessionConnection } from "./connection";
import { lookupPassword } from "./credentials";
import { ENDPOINT_CHECK, endpointRefusal } from "./endpoint";
import type { Envelope } from "./envelope";
import {
  noEnvelopeError,
  PowerShellError,
  PowerShellSessionError,
  sessionOpenMessage,
  shellQuotaMessage,
} from "./errors";
import { processGlobal } from "./processGlobal";
import { findPwsh, PwshSession, type TurnOptions } from "./session";
import type { CommandSpec, PsErrorRecord } from "./types";
import { isNoWsmanError, needsWsman, noWsmanMessage, WSMAN_CHECK, wsmanRefusal } from "./wsman";

/** Error types that mean the remote session itself is unusable. */
const BROKEN_SESSION_ERRORS = new Set([
  "PSRemotingTransportException",
  "PSRemotingDataStructureException",
  "InvalidRunspaceStateException",
  "PSInvalidOperationException",
]);

/**
 * Exchange's WinRM refusing a shell over the per-user quota (PSSessionOpenFailed, "This user is
 * allowed a maximum number of 18 concurrent shells, which has been exceeded"): the session open
 * fails, not a command. Told by the error type and id; the quota text only confirms it.
 */
function isShellQuotaRefusal(error: PsErrorRecord): boolean {
  return (
    error.type === "PSRemotingTransportException" &&
    /PSSessionOpenFailed/.test(error.fqid) &&
    /concurrent shells/i.test(error.message)
  );
}

interface Entry {
  connection: SessionConnection;
  session: Promise<PwshSession>;
}

/** What the sessions of this process did, for tests and benchmarks (EXCHANGE_CAS_STATS=1 prints it at exit). */
export interface SessionStats {
  /** pwsh processes started (one per session opened). */
  sessionsOpened: number;
  /** Commands run, by cmdlet (a session's bootstrap not counted). */
  commands: Record<string, number>;
  /** Lines sent to pwsh: a batch of several commands is one. */
  roundTrips: number;
}

export class SessionRegistry {
  private readonly entries = new Map<string, Entry>();
  private exitHooksInstalled = false;
  /** pwsh processes started by this registry (for tests and benchmarks). */
  started = 0;
  readonly stats: SessionStats = { sessionsOpened: 0, commands: {}, roundTrips: 0 };

  /** Runs `spec` on the session for `connection`; returns the envelope (errors included). */
  async run(connection: SessionConnection, spec: CommandSpec): Promise<Envelope> {
    const [envelope] = await this.runBatch(connection, () => [spec]);
    if (envelope === undefined) throw noEnvelopeError();
    return envelope;
  }

  /**
   * Takes a turn on the session for `connection` and runs what `build` returns when the turn
   * comes (see PwshSession.runBatch): one envelope per command, in order.
   */
  async runBatch(
    connection: SessionConnection,
    build: () => readonly CommandSpec[],
    options: TurnOptions = {},
  ): Promise<Envelope[]> {
    const session = await this.session(connection);
    const envelopes = await session.runBatch(
      () => {
        const specs = build();
        for (const spec of specs) this.stats.commands[spec.cmdlet] = (this.stats.commands[spec.cmdlet] ?? 0) + 1;
        if (specs.length > 0) this.stats.roundTrips++;
        return specs;
      },
      commandTimeoutMs(connection),
      options,
    );
    // A broken or refused remote session (transport failure, throttling) is not reused: the
    // next command opens a fresh one instead of failing the same way.
    if (envelopes.some((envelope) => envelope.errors.some((e) => BROKEN_SESSION_ERRORS.has(e.type)))) session.kill();
    return envelopes;
  }

  /** Runs `spec` and throws a PowerShellError if it reported errors. */
  async invoke(connection: SessionConnection, spec: CommandSpec): Promise<Envelope> {
    const envelope = await this.run(connection, spec);
    if (!envelope.ok) throw new PowerShellError(spec.cmdlet, spec.target, envelope.errors);
    return envelope;
  }

  private async session(connection: SessionConnection): Promise<PwshSession> {
    const key = connectionKey(connection);
    for (;;) {
      const entry = this.entries.get(key);
      if (entry === undefined) {
        const created: Entry = { connection, session: this.open(connection) };
        this.entries.set(key, created);
        created.session.catch(() => {
          if (this.entries.get(key) === created) this.entries.delete(key);
        });
        return created.session;
      }
      const session = await entry.session;
      if (session.alive) return session;
      if (this.entries.get(key) === entry) this.entries.delete(key);
    }
  }

  private async open(connection: SessionConnection): Promise<PwshSession> {
    this.installExitHooks();
    const executable = findPwsh();
    // Opening a remote session takes seconds (Exchange, SSH): it gets at least two minutes, even
    // when commands are given less.
    const timeout = Math.max(commandTimeoutMs(connection), 120_000);
    // Built first: a username without a password is a mistake in the declaration, said before any
    // pwsh starts (and before this machine's WSMan client is looked at).
    const script = bootstrapScript(connection, usesPassword(connection) ? lookupPassword() : undefined);
    this.started++;
    this.stats.sessionsOpened++;
    const session = await PwshSession.start(executable, timeout);
    // A session that speaks WSMan from here: whether this machine can, before Exchange is asked anything.
    if (needsWsman(connection)) {
      let probe: Envelope;
      try {
        probe = await session.run(WSMAN_CHECK, timeout);
      } catch (e) {
        session.kill();
        throw e;
      }
      const refusal = wsmanRefusal(connection, probe);
      if (refusal !== undefined) {
        session.kill();
        throw new PowerShellSessionError("bootstrap", refusal);
      }
    }
    let envelope: Envelope;
    try {
      envelope = await session.run({ cmdlet: "connect", target: "", script }, timeout);
    } catch (e) {
      session.kill();
      throw e;
    }
    if (!envelope.ok) {
      session.kill();
      // A WSMan client the check let through (a PSWSMan that does not work here) still fails at New-PSSession.
      if (envelope.errors.some(isNoWsmanError))
        throw new PowerShellSessionError("bootstrap", noWsmanMessage(connection));
      if (envelope.errors.some(isShellQuotaRefusal))
        throw new PowerShellSessionError("bootstrap", shellQuotaMessage(connection));
      throw new PowerShellSessionError("bootstrap", sessionOpenMessage(connection, envelope.errors, session.lastNoise));
    }
    let check: Envelope;
    try {
      check = await session.run(ENDPOINT_CHECK, timeout);
    } catch (e) {
      session.kill();
      throw e;
    }
    const refusal = endpointRefusal(connection, check);
    if (refusal !== undefined) {
      await session.close(teardownScript(connection));
      throw new PowerShellSessionError("bootstrap", refusal);
    }
    return session;
  }

  /** Live sessions' pwsh process ids. */
  async pids(): Promise<number[]> {
    const sessions = await Promise.allSettled([...this.entries.values()].map((e) => e.session));
    return sessions.flatMap((s) =>
      s.status === "fulfilled" && s.value.alive && s.value.pid !== undefined ? [s.value.pid] : [],
    );
  }

  async closeAll(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.allSettled(entries.map(async (e) => (await e.session).close(teardownScript(e.connection))));
  }

  private killAll(): void {
    for (const e of this.entries.values())
      e.session.then(
        (s) => s.kill(),
        () => undefined,
      );
  }

  private installExitHooks(): void {
    if (this.exitHooksInstalled) return;
    this.exitHooksInstalled = true;
    // The engine sends SIGINT, waits 5 s, then kills: close remote sessions within that.
    const onSignal = (signal: NodeJS.Signals) => {
      const timer = setTimeout(() => process.exit(signal === "SIGINT" ? 130 : 143), 3000);
      void this.closeAll().finally(() => {
        clearTimeout(timer);
        if (process.listenerCount(signal) === 0) process.exit(signal === "SIGINT" ? 130 : 143);
      });
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    process.once("exit", () => {
      this.killAll();
      // For benchmarks: what this process asked of PowerShell, on stderr (the engine shows it).
      if (setting("EXCHANGE_CAS_STATS")) process.stderr.write(`exchange-cas stats: ${JSON.stringify(this.stats)}\n`);
    });
  }
}

/** Whether a session of `connection` is opened with the account's password. */
function usesPassword(connection: SessionConnection): boolean {
  return (connection.kind === "exchange" || connection.kind === "winrm") && connection.username !== undefined;
}

/** The one registry of this process. */
export function sessions(): SessionRegistry {
  return processGlobal("exchange-cas.session-registry", () => new SessionRegistry());
}
