// The catalogue of what the provider tells an admin about a site: each refusal, warning and piece
// of information it gathers here is a function from the facts to the sentence, in one place, so
// each reads once as an admin reads it and each entry's final wording is tested once
// (test/unit/messages.catalogue.test.ts). The site plan's judge (issue 26: facts, findings,
// messages) renders its findings with these.
//
// Rules of the house: one fact, one sentence (or a few, ending with a full stop); say what the
// admin can do; counts in words an admin reads ("no Outlook sessions", "1 mailbox", "1,500
// mailboxes"); a list of hundreds is cut to a readable number and the rest named as an output.

/** The most per-database lines a site's warning gives; the full list is the `databases` output. */
export const DATABASE_LINES = 10;

/** "1,500" with the thousands separated, whatever the machine's locale. */
function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** "no Outlook sessions", "1 Outlook session", "4 Outlook sessions". */
export function outlookSessions(n: number): string {
  return n === 0 ? "no Outlook sessions" : `${count(n)} Outlook session${n === 1 ? "" : "s"}`;
}

/** "no mailboxes", "1 mailbox", "1,500 mailboxes". */
export function mailboxes(n: number): string {
  return n === 0 ? "no mailboxes" : `${count(n)} mailbox${n === 1 ? "" : "es"}`;
}

/** What dropping a server's sessions means, for the restart of its RPC services. */
export function droppingSessions(sessions: number | undefined): string {
  return sessions === undefined
    ? "dropping its Outlook sessions"
    : sessions === 0
      ? "dropping no Outlook sessions"
      : `dropping its ${outlookSessions(sessions)}`;
}

/** The array's FQDN is not in the declared zone: a refusal. */
export function fqdnOutsideZone(fqdn: string, zone: string): string {
  return (
    `The array FQDN '${fqdn}' is outside DNS zone '${zone}': ` +
    `give the array a name in that zone (such as outlook-ho.${zone}), ` +
    `or set the zone to the one that holds ${fqdn}.`
  );
}

export interface DatabaseChange {
  name: string;
  /** What Exchange reports now ("" when its value names a removed object). */
  from: string;
  mailboxes: number;
}

/** One database whose RpcClientAccessServer changes, with its mailboxes. */
export function databaseChange(d: DatabaseChange, to: string): string {
  return (
    `Mailbox database '${d.name}' (${mailboxes(d.mailboxes)}): ` +
    `RpcClientAccessServer changes from ${d.from || "(empty)"} to ${to}.`
  );
}

/**
 * What the apply does to Outlook, as warnings: one sentence for the site (how many databases and
 * mailboxes, and what existing profiles do), then a line per database up to DATABASE_LINES and
 * one for the rest. A single database is one warning.
 */
export function databaseChanges(site: string, changes: readonly DatabaseChange[], to: string): string[] {
  if (changes.length === 0) return [];
  const profiles =
    "Existing Outlook profiles keep connecting to the old endpoint until they are " +
    "repaired or recreated; plan a profile repair, " +
    "and keep the old name resolvable meanwhile.";
  const [only] = changes;
  if (changes.length === 1 && only !== undefined)
    return [`${databaseChange(only, to)} ${profiles.replace("the old endpoint", only.from || "the old endpoint")}`];
  const total = changes.reduce((sum, d) => sum + d.mailboxes, 0);
  const summary =
    `${count(changes.length)} mailbox databases of site ${site} ` +
    `(${mailboxes(total)}): RpcClientAccessServer changes to ${to}. ` +
    `${profiles} The list is in the \`databases\` output.`;
  const shown = changes.slice(0, DATABASE_LINES).map((d) => databaseChange(d, to));
  const rest = changes.length - shown.length;
  return [
    summary,
    ...shown,
    ...(rest > 0
      ? [
          `And ${count(rest)} more mailbox database${rest === 1 ? "" : "s"} of site ` +
            `${site} (see the \`databases\` output).`,
        ]
      : []),
  ];
}

/** The site's existing array will be taken over (adopt): what changes, and what destroy does. */
export function arrayTakenOver(array: { name: string; fqdn: string }, site: string, changes: string): string {
  return (
    `CAS array '${array.name}' (${array.fqdn}) of site ${site} will be taken over ` +
    `(adopt) and ${changes}; on destroy it is released, not removed.`
  );
}
