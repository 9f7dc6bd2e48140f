// Parses what Invoke-ExcasCommand (ps/wrapper.ps1) prints: one marker line followed by JSON, and
// what Invoke-ExcasBatch prints: one marker line followed by a JSON list of envelopes. Anything
// else on stdout (a profile's banner, terminal escapes) is ignored; no marker line is a protocol
// error.
import { z } from "zod";
import { PowerShellSessionError } from "./errors";
import type { PsErrorRecord } from "./types";

export const ENVELOPE_MARKER = "##EXCAS-ENVELOPE##";
export const BATCH_MARKER = "##EXCAS-BATCH##";

const ErrorRecordSchema = z.object({
  type: z.string(),
  category: z.string(),
  fqid: z.string(),
  message: z.string(),
  target: z.string(),
  cmdlet: z.string(),
});

// Windows PowerShell 5.1 turns a one-element array into a scalar in some places; accept both.
const listOf = <T extends z.ZodType>(item: T) =>
  z
    .union([z.array(item), item.transform((v) => [v])])
    .nullable()
    .transform((v) => v ?? []);

const EnvelopeSchema = z.object({
  ok: z.boolean(),
  data: listOf(z.unknown()),
  errors: listOf(ErrorRecordSchema),
  warnings: listOf(z.string()),
});

export interface Envelope {
  ok: boolean;
  data: unknown[];
  errors: PsErrorRecord[];
  warnings: string[];
}

/** The envelope in `stdout`, or a PowerShellSessionError("protocol") naming what was wrong. */
export function parseEnvelope(stdout: string): Envelope {
  const json = markedJson(stdout, ENVELOPE_MARKER, "result envelope");
  const result = EnvelopeSchema.safeParse(json);
  if (!result.success) {
    throw new PowerShellSessionError(
      "protocol",
      "PowerShell returned a malformed result envelope " +
        `(${result.error.issues[0]?.message ?? "invalid"}): ${truncate(JSON.stringify(json))}`,
      {
        cause: result.error,
      },
    );
  }
  return result.data;
}

/** The `count` envelopes of a batch in `stdout`, in order, or a PowerShellSessionError("protocol"). */
export function parseBatch(stdout: string, count: number): Envelope[] {
  const json = markedJson(stdout, BATCH_MARKER, "batch of result envelopes");
  const result = z.array(EnvelopeSchema).safeParse(json);
  if (!result.success || result.data.length !== count) {
    const why = result.success
      ? `${result.data.length} envelopes for ${count} commands`
      : (result.error.issues[0]?.message ?? "invalid");
    const cause = result.success ? undefined : { cause: result.error };
    throw new PowerShellSessionError(
      "protocol",
      `PowerShell returned a malformed batch of result envelopes (${why}): ${truncate(JSON.stringify(json))}`,
      cause,
    );
  }
  return result.data;
}

function markedJson(stdout: string, marker: string, what: string): unknown {
  const line = stdout
    .split(/\r?\n/)
    .reverse()
    .find((l) => l.includes(marker));
  if (line === undefined) {
    throw new PowerShellSessionError(
      "protocol",
      `PowerShell returned no ${what}; its output was: ${truncate(stdout.trim()) || "(nothing)"}`,
    );
  }
  const json = line.slice(line.indexOf(marker) + marker.length);
  try {
    return JSON.parse(json);
  } catch (cause) {
    throw new PowerShellSessionError("protocol", `PowerShell returned a result that is not JSON: ${truncate(json)}`, {
      cause,
    });
  }
}

/**
 * What `stdout` held besides the marker lines, as one line: terminal escapes and ssh's "@@@" banner
 * frames removed, blank lines dropped, the LAST 500 characters (the verdict comes last). An SSH
 * client's own complaint ("Host key verification failed.") arrives this way, not in PowerShell's
 * error record.
 */
export function outputNoise(stdout: string): string {
  const text = stdout
    // ANSI escape sequences (CSI, then any other ESC + one character).
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, "")
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b[@-_]/g, "")
    .split(/\r?\n/)
    .filter((l) => !l.includes(ENVELOPE_MARKER) && !l.includes(BATCH_MARKER))
    .map((l) => l.replace(/^@+\s*|\s*@+$/g, "").trim())
    .filter((l) => l !== "")
    .join(" ");
  return text.length > 500 ? `…${text.slice(-500)}` : text;
}

function truncate(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
