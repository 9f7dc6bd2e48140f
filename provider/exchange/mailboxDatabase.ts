// Typed client for Get-MailboxDatabase and Set-MailboxDatabase -RpcClientAccessServer (Exchange
// 2010). Exchange stores the value as the referenced server's or array's legacyExchangeDN and
// renders it as that object's current FQDN, whatever name was passed in.
import { z } from "zod";
import { PowerShellError, psQuote, sessions, type Connection } from "../shell";
import { leafName, query } from "./rows";

const SELECT = ["Name", "Guid", "Server", "RpcClientAccessServer", "Recovery", "ExchangeLegacyDN"] as const;

const MailboxDatabaseRow = z
  .object({
    Name: z.string(),
    Guid: z.string(),
    Server: z.string(),
    RpcClientAccessServer: z.string().nullable(),
    Recovery: z.boolean().nullable(),
    ExchangeLegacyDN: z.string().nullable(),
  })
  .transform((r) => ({
    name: r.Name,
    guid: r.Guid,
    server: leafName(r.Server),
    rpcClientAccessServer: r.RpcClientAccessServer ?? "",
    recovery: r.Recovery ?? false,
    exchangeLegacyDn: r.ExchangeLegacyDN ?? "",
  }));

export type MailboxDatabase = z.output<typeof MailboxDatabaseRow>;

/**
 * The database with this identity (name, Guid or DN), or undefined when Exchange does not find
 * it. Exchange returns every database of a duplicated name; that is an error here.
 */
export async function getMailboxDatabase(connection: Connection, identity: string): Promise<MailboxDatabase | undefined> {
  let rows: MailboxDatabase[];
  try {
    rows = await query(
      connection,
      { cmdlet: "Get-MailboxDatabase", target: identity, script: `Get-MailboxDatabase -Identity ${psQuote(identity)}`, select: SELECT },
      MailboxDatabaseRow,
    );
  } catch (e) {
    if (e instanceof PowerShellError && e.isNotFound) return undefined;
    throw e;
  }
  if (rows.length > 1) {
    throw new Error(
      `More than one mailbox database matches '${identity}' (${rows.map((r) => r.guid).join(", ")}); name the database by its Guid.`,
    );
  }
  return rows[0];
}

/** Every mailbox database, or those of one server. */
export async function listMailboxDatabases(connection: Connection, server?: string): Promise<MailboxDatabase[]> {
  const script = server === undefined ? "Get-MailboxDatabase" : `Get-MailboxDatabase -Server ${psQuote(server)}`;
  return query(connection, { cmdlet: "Get-MailboxDatabase", target: server ?? "", script, select: SELECT }, MailboxDatabaseRow);
}

/**
 * Points the database's RPC Client Access endpoint at a Client Access server or CAS array.
 * Exchange refuses a name that resolves to neither (a PowerShellError naming `label`).
 */
export async function setRpcClientAccessServer(
  connection: Connection,
  identity: string,
  value: string,
  label: string = identity,
): Promise<void> {
  await sessions().invoke(connection, {
    cmdlet: "Set-MailboxDatabase",
    target: label,
    script: `Set-MailboxDatabase -Identity ${psQuote(identity)} -RpcClientAccessServer ${psQuote(value)}`,
  });
}
