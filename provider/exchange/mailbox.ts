// Typed client for Get-Mailbox, used for counting only: how many mailboxes each database of some
// servers holds (a preview warns how many mailboxes a database's RpcClientAccessServer change
// affects). One command for all the servers: Get-Mailbox runs once per server (server side), the
// grouping by database runs in the workstation's pwsh, and one row per database and server comes
// back (summed here).
//
// Exchange returns the first 1000 mailboxes unless told otherwise, so the command always says
// -ResultSize Unlimited; a truncation warning anyway makes the count fail rather than be wrong.
import { z } from "zod";
import { parseRows, psQuote, psQuoteArray, sessions, type Connection, type Envelope } from "../shell";
import { ExchangeCasError } from "../errors";

const SELECT = ["Name", "Count"] as const;

/** One group of Group-Object -NoElement: the database (as its ADObjectId prints: the name) and its mailboxes. */
const CountRow = z.object({ Name: z.string(), Count: z.number().int().nonnegative() });

/** What Exchange warns when it returned fewer items than there are (the default 1000, or -ResultSize N). */
const TRUNCATION_WARNING = /\bResultSize\b|\bonly the first \d+ items\b/i;

const GROUP = "Group-Object -Property { [string]$_.Database } -NoElement";

/**
 * The script that counts the mailboxes of `servers` by database, in one command. Get-Mailbox's
 * warnings must reach the wrapper's warning stream (3>&1), and from a remote session they do not:
 * PowerShell replicates a remote command's warnings as host output, which no redirection and no
 * -WarningVariable of an imported (implicit remoting) command catches. Invoke-Command's own
 * -WarningVariable does, so over a remote session (bootstrapScript's $global:ExcasRemoteSession)
 * each server gets an Invoke-Command of one Get-Mailbox with literal arguments (what a
 * no-language endpoint accepts), and the warnings are written again locally. On the lab, imported
 * into the session itself, Get-Mailbox's warnings reach the stream as they are.
 */
export function countMailboxesScript(servers: readonly string[]): string {
  const remote = servers.map(
    (server, i) =>
      "  Invoke-Command -Session $global:ExcasRemoteSession -ScriptBlock { Get-Mailbox " +
      `-Server ${psQuote(server)} -ResultSize Unlimited } -WarningVariable ` +
      `excasWarnings${i} | ${GROUP}`,
  );
  const warnings = servers.map((_, i) => `@($excasWarnings${i})`).join(" + ");
  return [
    "if ($null -ne $global:ExcasRemoteSession) {",
    ...remote,
    `  foreach ($excasWarning in (${warnings})) { if ($null -ne $excasWarning) ` +
      "{ Write-Warning -Message ([string]$excasWarning) } }",
    "} else {",
    `  ${psQuoteArray(servers)} | ForEach-Object { Get-Mailbox -Server $_ -ResultSize Unlimited } | ${GROUP}`,
    "}",
  ].join("\n");
}

/**
 * The number of mailboxes on each database of `servers` (server names, as Get-Mailbox -Server
 * takes them), keyed by the database's name in lower case. Databases without mailboxes are
 * absent. One command, one round trip, whatever the number of servers; none when there are no
 * servers. Throws PowerShellError when Exchange reports an error (an unknown server, a missing
 * permission) and an Error when Exchange says it cut the result short: never a partial count.
 */
export async function countMailboxesByDatabase(
  connection: Connection,
  servers: string[],
): Promise<Map<string, number>> {
  const seen = new Set<string>();
  const unique = servers.filter((s) => {
    const key = s.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (unique.length === 0) return new Map();
  const spec = {
    cmdlet: "Get-Mailbox",
    target: unique.join(", "),
    script: countMailboxesScript(unique),
    select: SELECT,
  };
  return mailboxCounts(spec.target, await sessions().invoke(connection, spec));
}

/**
 * The counts in the envelope of countMailboxesScript's command (`target`: its servers, for the
 * message), keyed by lower-case database name; throws when Exchange warned that it returned
 * only part of the mailboxes.
 */
export function mailboxCounts(target: string, envelope: Envelope): Map<string, number> {
  const truncated = envelope.warnings.find((w) => TRUNCATION_WARNING.test(w));
  if (truncated !== undefined) {
    throw new ExchangeCasError(
      "unexpected-output",
      `Get-Mailbox '${target}' returned only part of the mailboxes, ` +
        `so they cannot be counted (Exchange warned: ${truncated})`,
      {
        target,
        warning: truncated,
      },
    );
  }
  const counts = new Map<string, number>();
  for (const row of parseRows("Get-Mailbox", envelope.data, CountRow)) {
    if (row.Name === "") continue; // a mailbox without a database is on none of them
    const key = row.Name.toLowerCase();
    counts.set(key, (counts.get(key) ?? 0) + row.Count);
  }
  return counts;
}
