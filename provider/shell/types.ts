// The shapes every part of the shell speaks in: a command to run and an error record as the
// wrapper reports it. The base of shell/: it imports nothing, so envelope, errors and session can
// all depend on it without depending on each other.

/** One command for a session to run. */
export interface CommandSpec {
  /** The cmdlet, for messages. */
  cmdlet: string;
  /** The object concerned, for messages. */
  target: string;
  /** PowerShell source; every value in it comes from psQuote. */
  script: string;
  /** Property paths (dotted) to return from each output object. */
  select?: readonly string[];
}

/** One error record as the wrapper reports it (see wrapper.ps1). */
export interface PsErrorRecord {
  type: string;
  category: string;
  fqid: string;
  message: string;
  target: string;
  cmdlet: string;
}
