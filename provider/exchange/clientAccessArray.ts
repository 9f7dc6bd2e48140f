// Typed client for Get/New/Set/Remove-ClientAccessArray (Exchange 2010). Identities passed in are
// the array's Guid wherever we know it, so renames never lose the object.
import { z } from "zod";
import { PowerShellError, psQuote, query, sessions, stringList, type Connection } from "../shell";
import { beginDatabaseRenderingChange } from "./mailboxDatabase";
import { leafName } from "./rows";
import { ExchangeCasError } from "../errors";

/** Runs an array write; databases read while or after it runs are read fresh (they show the array's FQDN). */
async function arrayWrite<T>(connection: Connection, write: () => Promise<T>): Promise<T> {
  const ended = beginDatabaseRenderingChange(connection);
  try {
    return await write();
  } finally {
    ended();
  }
}

const SELECT = ["Name", "Fqdn", "Site", "Members", "Guid", "DistinguishedName", "ExchangeLegacyDN"] as const;

const CasArrayRow = z
  .object({
    Name: z.string(),
    Fqdn: z.string(),
    Site: z.string(),
    Members: stringList,
    Guid: z.string(),
    DistinguishedName: z.string(),
    ExchangeLegacyDN: z.string(),
  })
  .transform((r) => ({
    name: r.Name,
    fqdn: r.Fqdn,
    site: r.Site,
    siteName: leafName(r.Site),
    members: [...r.Members].sort((a, b) => a.localeCompare(b)),
    guid: r.Guid,
    distinguishedName: r.DistinguishedName,
    exchangeLegacyDn: r.ExchangeLegacyDN,
  }));

export type CasArray = z.output<typeof CasArrayRow>;

/** The array with this identity, or undefined when Exchange says it does not exist. */
export async function getClientAccessArray(connection: Connection, identity: string): Promise<CasArray | undefined> {
  try {
    const rows = await query(
      connection,
      {
        cmdlet: "Get-ClientAccessArray",
        target: identity,
        script: `Get-ClientAccessArray -Identity ${psQuote(identity)}`,
        select: SELECT,
      },
      CasArrayRow,
    );
    return rows[0];
  } catch (e) {
    if (e instanceof PowerShellError && e.isNotFound) return undefined;
    throw e;
  }
}

/** Every array, or those of one AD site. */
export async function listClientAccessArrays(connection: Connection, site?: string): Promise<CasArray[]> {
  const script = site === undefined ? "Get-ClientAccessArray" : `Get-ClientAccessArray -Site ${psQuote(site)}`;
  return query(
    connection,
    { cmdlet: "Get-ClientAccessArray", target: site ?? "", script, select: SELECT },
    CasArrayRow,
  );
}

export async function newClientAccessArray(
  connection: Connection,
  args: { name: string; fqdn: string; site: string },
): Promise<CasArray> {
  const spec = {
    cmdlet: "New-ClientAccessArray",
    target: args.name,
    script: `New-ClientAccessArray -Name ${psQuote(args.name)} -Fqdn ${psQuote(args.fqdn)} -Site ${psQuote(args.site)}`,
    select: SELECT,
  };
  const rows = await arrayWrite(connection, () => query(connection, spec, CasArrayRow));
  const created = rows[0];
  if (created === undefined)
    throw new ExchangeCasError(
      "unexpected-output",
      `New-ClientAccessArray '${args.name}' reported success but returned no array.`,
      { name: args.name },
    );
  return created;
}

export async function setClientAccessArray(
  connection: Connection,
  identity: string,
  changes: { name?: string; fqdn?: string; site?: string },
): Promise<void> {
  const parts = [`Set-ClientAccessArray -Identity ${psQuote(identity)}`];
  if (changes.name !== undefined) parts.push(`-Name ${psQuote(changes.name)}`);
  if (changes.fqdn !== undefined) parts.push(`-Fqdn ${psQuote(changes.fqdn)}`);
  if (changes.site !== undefined) parts.push(`-Site ${psQuote(changes.site)}`);
  if (parts.length === 1) return;
  await arrayWrite(connection, () =>
    sessions().invoke(connection, { cmdlet: "Set-ClientAccessArray", target: identity, script: parts.join(" ") }),
  );
}

/** Removes the array; false when it was already gone. */
export async function removeClientAccessArray(connection: Connection, identity: string): Promise<boolean> {
  try {
    await arrayWrite(connection, () =>
      sessions().invoke(connection, {
        cmdlet: "Remove-ClientAccessArray",
        target: identity,
        script: `Remove-ClientAccessArray -Identity ${psQuote(identity)} -Confirm:$false`,
      }),
    );
    return true;
  } catch (e) {
    if (e instanceof PowerShellError && e.isNotFound) return false;
    throw e;
  }
}
