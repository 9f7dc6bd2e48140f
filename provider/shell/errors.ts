// Errors the PowerShell layer raises, and the builders of their message parts. Messages read as
// sentences an admin can act on; none of them ever carries a script text (which may hold a
// credential) or a secret.
import { ExchangeCasError } from "../errors";
import { describeConnection, type SessionConnection } from "./connection";
import { lookupPassword } from "./credentials";
import type { CommandSpec, PsErrorRecord } from "./types";

export type { PsErrorRecord } from "./types";

/** An Exchange or DNS cmdlet reported an error. */
export class PowerShellError extends Error {
  readonly cmdlet: string;
  readonly target: string;
  readonly exceptionType: string;
  readonly category: string;
  readonly fullyQualifiedErrorId: string;
  /** Exchange's own message, without our prefix. */
  readonly shortMessage: string;
  /** Every error record the command produced (the first is the one in the message). */
  readonly records: PsErrorRecord[];

  constructor(cmdlet: string, target: string, records: PsErrorRecord[]) {
    const first = records[0] ?? { type: "", category: "", fqid: "", message: "unknown error", target: "", cmdlet };
    const what = target ? `${cmdlet} '${target}'` : cmdlet;
    super(`${what} failed: ${first.message}${first.type ? ` (${first.type})` : ""}`);
    this.name = "PowerShellError";
    this.cmdlet = cmdlet;
    this.target = target;
    this.exceptionType = first.type;
    this.category = first.category;
    this.fullyQualifiedErrorId = first.fqid;
    this.shortMessage = first.message;
    this.records = records;
  }

  /** The Win32 code of a DNS (CIM) error, read from its FullyQualifiedErrorId `WIN32 nnnn,<cmdlet>`. */
  get win32Code(): number | undefined {
    const m = /^WIN32 (\d+)/.exec(this.fullyQualifiedErrorId);
    return m ? Number(m[1]) : undefined;
  }

  /**
   * Exchange could not find the object (matched on the exception type, never on localised text).
   * Only when every record says so: an identity Exchange refuses to parse (a space in a server or
   * array name) is a ParameterBindingArgumentTransformationException, and a command that met it
   * besides a not-found must not be read as "gone".
   */
  get isNotFound(): boolean {
    return this.records.length > 0 && this.records.every((r) => r.type === "ManagementObjectNotFoundException");
  }
}

/** The session itself failed: pwsh missing, died, hung past its timeout, or spoke garbage. */
export class PowerShellSessionError extends Error {
  readonly reason: "not-found" | "exited" | "timeout" | "protocol" | "bootstrap";
  constructor(reason: PowerShellSessionError["reason"], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PowerShellSessionError";
    this.reason = reason;
  }
}

/** A batch answered with fewer envelopes than commands: a bug here, never an Exchange error. */
export function noEnvelopeError(): ExchangeCasError {
  return new ExchangeCasError("internal-error", "internal error: a command produced no envelope");
}

/** A batched request its plan gave no outcome (see batcher.ts): a bug here, never an Exchange error. */
export function noAnswerError(): ExchangeCasError {
  return new ExchangeCasError("internal-error", "internal error: a batched request got no answer");
}

/** The pwsh process node-powershell started is not where this provider looks for it. */
export function shellInternalsError(): ExchangeCasError {
  return new ExchangeCasError(
    "internal-error",
    "internal error: node-powershell no longer keeps its pwsh process in 'process' " +
      "and 'exitPromise' (exchange-cas needs node-powershell 5.0).",
    {
      dependency: "node-powershell",
    },
  );
}

/** A session asked to watch a process that is not one. */
export function notAProcessError(owner: number): ExchangeCasError {
  return new ExchangeCasError("internal-error", `internal error: ${owner} is not a process id`, { owner });
}

/** A connection with a username and no password to go with it: said before any pwsh starts. */
export function missingPasswordError(connection: SessionConnection): ExchangeCasError {
  return new ExchangeCasError(
    "missing-password",
    `A username is set for ${describeConnection(connection)} but no password was found; ` +
      ("set it with 'pulumi config set --secret exchange-cas:password' or the " +
        "EXCHANGE_CAS_PASSWORD environment variable."),
    { connection: describeConnection(connection) },
  );
}

/** Exchange refused a session because the account has used up its shells (see registry.ts). */
export function shellQuotaMessage(connection: SessionConnection): string {
  return (
    `${describeConnection(connection)} refused to open a session because this ` +
    "account already has the most concurrent shells Exchange allows " +
    "(18 per user by default): close other Exchange Management Shell or remote PowerShell sessions of this account, " +
    "or wait for idle ones to time out, then run again."
  );
}

/** A session that would not open, with what the endpoint and the process said. */
export function sessionOpenMessage(
  connection: SessionConnection,
  errors: readonly PsErrorRecord[],
  noise: string,
): string {
  const reason = errors
    .map((e) => e.message)
    .join("; ")
    .replace(/\.?\s*$/, "");
  return (
    `Could not open a session to ${describeConnection(connection)}: ` +
    `${reason}${printed(connection, noise)}; check the connection settings and that ` +
    "the endpoint is reachable."
  );
}

/** A command whose session hung past its timeout and was stopped. */
export function timeoutMessage(what: string, timeoutMs: number): string {
  return (
    `${what} did not finish within ${Math.round(timeoutMs / 1000)} s; ` +
    "its PowerShell session was stopped and the next operation starts a new one. " +
    "Refresh to see whether the change was applied."
  );
}

/** A command whose pwsh exited under it. */
export function exitedMessage(what: string): string {
  return (
    `PowerShell exited while running ${what}; the next operation starts a new ` +
    "session. Refresh to see whether the change was applied."
  );
}

function describeCommand(spec: CommandSpec): string {
  return spec.target ? `${spec.cmdlet} '${spec.target}'` : spec.cmdlet;
}

/** What a turn ran, for messages: `Set-MailboxDatabase 'MB-HO-01'`, or a batch's commands. */
export function describeBatch(specs: readonly CommandSpec[]): string {
  if (specs.length === 1) return describeCommand(specs[0] as CommandSpec);
  const shown = specs.slice(0, 3).map(describeCommand).join(", ");
  return `${shown}${specs.length > 3 ? ` and ${specs.length - 3} more` : ""} (${specs.length} commands in one batch)`;
}

/**
 * The error one command of a batch reports when the whole batch failed (the session died, hung or
 * spoke garbage): the same error, naming that command first.
 */
export function batchMemberError(error: unknown, specs: readonly CommandSpec[], index: number): unknown {
  const spec = specs[index];
  if (specs.length < 2 || spec === undefined || !(error instanceof PowerShellSessionError)) return error;
  const batch = describeBatch(specs);
  if (!error.message.includes(batch)) return error;
  const member = `${describeCommand(spec)} (one of ${specs.length} commands in one batch)`;
  return new PowerShellSessionError(error.reason, error.message.replace(batch, member), { cause: error });
}

/**
 * What the session's process printed while the session failed to open (an SSH client's own
 * reason, such as "Host key verification failed."), for the message; never the password.
 */
export function printed(connection: SessionConnection, noise: string): string {
  if (noise === "") return "";
  const password = connection.kind === "exchange" || connection.kind === "winrm" ? lookupPassword() : undefined;
  const text = password ? noise.split(password).join("***") : noise;
  return (
    ` (${connection.kind === "ssh" ? "the SSH client said" : "PowerShell also printed"}: ` +
    `${text.replace(/\.?\s*$/, "")})`
  );
}
