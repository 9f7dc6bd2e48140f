// The provider's own errors (the PowerShell layer has PowerShellError and PowerShellSessionError,
// provider/shell/errors.ts). Each has a code a caller or a test can branch on, the facts it is
// about as fields, and the error it wraps as `cause`; the message is the sentence an admin reads.

/** What went wrong, one code a kind of failure. */
export type ExchangeCasErrorCode =
  /** Inputs that check should have refused (check was bypassed). */
  | "invalid-inputs"
  /** State that is not what the provider keeps (another version, or edited by hand). */
  | "invalid-state"
  /** A write succeeded, and reading the object back found nothing, or not what was written. */
  | "gone-after-write"
  /** The object this resource manages no longer exists. */
  | "gone"
  /** The object named does not exist. */
  | "not-found"
  /** More than one object answers to the name. */
  | "ambiguous"
  /** Something not this stack's is in the way (A records, another array of the site). */
  | "foreign-object"
  /** The object is not one this resource may manage (a recovery database). */
  | "not-managed"
  /** A value could not be put back on delete. */
  | "restore-failed"
  /** The site or its servers cannot be managed as declared; nothing was changed. */
  | "refused"
  /** A change on one server failed or did not take; the error says which servers were changed. */
  | "server-failed"
  /** Some of the objects one resource manages failed; the error names them, the state keeps what was done. */
  | "partly-failed"
  /** A verification in strict mode failed. */
  | "verification-failed"
  /** A cmdlet or script answered with something the provider does not understand. */
  | "unexpected-output"
  /** A module or file the provider needs is missing on a host or from the package. */
  | "missing-component"
  /**
   * A server cannot be reached with PowerShell remoting (off there, denied, unreachable); the
   * message says what to do where.
   */
  | "server-unreachable"
  /** A connection names an account whose password is in neither the stack config nor the environment. */
  | "missing-password"
  /** A bug in exchange-cas, or a dependency in a version it does not support: never the admin's doing. */
  | "internal-error";

export class ExchangeCasError extends Error {
  readonly code: ExchangeCasErrorCode;
  /** The facts the error is about (names, addresses, servers), for callers and tests. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ExchangeCasErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ExchangeCasError";
    this.code = code;
    this.details = details;
  }
}

/** Whether `error` is the provider's own error with `code`. */
export function isExchangeCasError(error: unknown, code?: ExchangeCasErrorCode): error is ExchangeCasError {
  return error instanceof ExchangeCasError && (code === undefined || error.code === code);
}

/**
 * The cause of an error that sums up several failures (every server that could not be read): the
 * one failure itself, or an AggregateError holding them all; none when there was no failure.
 */
export function causeOf(failures: readonly unknown[], what: string): ErrorOptions | undefined {
  if (failures.length === 0) return undefined;
  if (failures.length === 1) return { cause: failures[0] };
  return { cause: new AggregateError(failures, what) };
}
