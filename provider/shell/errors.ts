// Errors the PowerShell layer raises. Messages read as sentences an admin can act on; none of
// them ever carries a script text (which may hold a credential) or a secret.

/** One error record as the wrapper reports it (see wrapper.ps1). */
export interface PsErrorRecord {
  type: string;
  category: string;
  fqid: string;
  message: string;
  target: string;
  cmdlet: string;
}

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
