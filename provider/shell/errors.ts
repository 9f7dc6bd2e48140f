// Errors the PowerShell layer raises, and the builders of their message parts. Messages read as
// sentences an admin can act on; none of them ever carries a script text (which may hold a
// credential) or a secret.
import type { SessionConnection } from "./connection";
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
  constructor(reason: PowerShellSessionError["reason"], message: string) {
    super(message);
    this.name = "PowerShellSessionError";
    this.reason = reason;
  }
}

/** A batch answered with fewer envelopes than commands: a bug here, never an Exchange error. */
export function noEnvelopeError(): Error {
  return new Error("internal error: a command produced no envelope");
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
  return new PowerShellSessionError(error.reason, error.message.replace(batch, member));
}

/**
 * What the session's process printed while the session failed to open (an SSH client's own
 * reason, such as "Host key verification failed."), for the message; never the password.
 */
export function printed(connection: SessionConnection, noise: string): string {
  if (noise === "") return "";
  const password = connection.kind === "exchange" || connection.kind === "winrm" ? lookupPassword() : undefined;
  const text = password ? noise.split(password).join("***") : noise;
  return ` (${connection.kind === "ssh" ? "the SSH client said" : "PowerShell also printed"}: ${text.replace(/\.?\s*$/, "")})`;
}
