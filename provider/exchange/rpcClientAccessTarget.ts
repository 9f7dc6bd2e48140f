// What Exchange shows as a database's RpcClientAccessServer once Set-MailboxDatabase has set it to
// a value: Exchange stores the legacyExchangeDN of the one CAS array or Client Access server the
// value names and shows that object's current FQDN (DOMAIN.md 1.7). A site sets hundreds of
// databases to the same value, so the value is looked up once per burst of database work (the
// databases' TableSnapshot.memo: again after this process wrote an array) instead of reading
// every database back after its Set.
import { PowerShellError, type Connection } from "../shell";
import { getClientAccessArray } from "./clientAccessArray";
import { listExchangeServers } from "./exchangeServer";
import { rememberForDatabases } from "./mailboxDatabase";

/**
 * The FQDN Exchange shows for a database whose RpcClientAccessServer was just set to `value`
 * (the Set succeeded, so the value names exactly one CAS array or Client Access server), or
 * undefined when this lookup cannot tell: the caller then reads the database back.
 */
export async function renderedRpcClientAccessServer(connection: Connection, value: string): Promise<string | undefined> {
  try {
    return await rememberForDatabases(connection, `rpc-target:${value.trim().toLowerCase()}`, async () => {
      const array = await getClientAccessArray(connection, value);
      if (array !== undefined) return array.fqdn;
      const servers = await listExchangeServers(connection, value).catch((e: unknown) => {
        if (e instanceof PowerShellError && e.isNotFound) return [];
        throw e;
      });
      const cas = servers.filter((s) => s.isClientAccessServer);
      return cas.length === 1 ? cas[0]?.fqdn : undefined;
    });
  } catch {
    // Not kept for the burst: the next Set looks again.
    return undefined;
  }
}
