// The facts of a site plan: what Exchange, the site's DNS server and its Client Access servers
// say, each read once and typed, for the judge (plan/judge.ts). The four Exchange reads come
// first; the later reads (the addresses' owners, the load balancer, the ports survey, the
// mailbox counts) are made only while nothing is refused, as the orchestrator (plan/site.ts) decides.
import { getARecords } from "../dns";
import {
  countMailboxesByDatabase,
  listClientAccessArrays,
  listDatabaseAvailabilityGroups,
  listExchangeServers,
  listMailboxDatabases,
  type CasArray,
  type DatabaseAvailabilityGroup,
  type ExchangeServer,
  type MailboxDatabase,
} from "../exchange";
import type { Connection, ServerConnection } from "../shell";
import { relativeRecordName, type StaticRpcPortPair } from "../runtime/rules";
import { surveyStaticRpcPorts } from "../runtime/staticRpcPorts";
import { planNlbSite, type NlbLoadBalancerOption, type NlbPlan } from "../runtime/siteLoadBalancer";

/**
 * A Client Access server's own A records at the site's DNS server; `unreadable` when they could not
 * be read (taken as none).
 */
export interface AddressOwner {
  server: string;
  addresses: string[];
  unreadable?: unknown;
}

/** The load balancer's own plan, or what refuses it (and the error that said so). */
export type NlbFacts = NlbPlan | { errors: string[]; cause?: unknown };

/** The static RPC ports survey: the servers read and the ones unreachable, or the error that stopped it. */
export type PortFacts =
  | { servers: string[]; unreachable: { server: string; reason: string; error: unknown }[] }
  | { failed: unknown; message: string };

export interface SiteFacts {
  servers: ExchangeServer[];
  databases: MailboxDatabase[];
  dags: DatabaseAvailabilityGroup[];
  arrays: CasArray[];
  /** The site's Client Access servers' own addresses, when the declared addresses were checked. */
  addressOwners?: AddressOwner[];
  nlb?: NlbFacts;
  ports?: PortFacts;
  /** Mailboxes by database (lower-case name), when the plan was accepted. */
  mailboxCounts?: ReadonlyMap<string, number>;
}

/** The four reads of Exchange, at once. */
export async function readExchangeFacts(connection: Connection): Promise<SiteFacts> {
  const [servers, databases, dags, arrays] = await Promise.all([
    listExchangeServers(connection),
    listMailboxDatabases(connection),
    listDatabaseAvailabilityGroups(connection),
    listClientAccessArrays(connection),
  ]);
  return { servers, databases, dags, arrays };
}

export interface AddressSource {
  zone: string;
  dnsServer: string;
  dnsConnection: Connection;
}

/**
 * The A records of each Client Access server among `siteServers`, asked only for a single
 * declared address (the one rule that needs them). A server whose records cannot be read counts
 * as having none, and the error is kept.
 */
export async function readAddressOwners(
  at: AddressSource,
  addresses: readonly string[],
  siteServers: readonly ExchangeServer[],
): Promise<AddressOwner[]> {
  if (addresses.length !== 1) return [];
  return Promise.all(
    siteServers
      .filter((s) => s.isClientAccessServer)
      .map(async (s): Promise<AddressOwner> => {
        const rel = relativeRecordName(s.fqdn.toLowerCase(), at.zone);
        if ("error" in rel) return { server: s.name, addresses: [] };
        try {
          const records = await getARecords(at.dnsConnection, {
            dnsServer: at.dnsServer,
            zone: at.zone,
            name: rel.name,
          });
          return { server: s.name, addresses: records.map((r) => r.address) };
        } catch (e) {
          return { server: s.name, addresses: [], unreadable: e };
        }
      }),
  );
}

export interface ServerAccess {
  site: string;
  fqdn: string;
  connection: Connection;
  /** Only when declared: the children default it themselves. */
  serverConnection?: ServerConnection;
}

/** The load balancer read from every Client Access server of the site (refused on DAG members first). */
export async function readNlbFacts(
  at: ServerAccess,
  option: NlbLoadBalancerOption,
  ports: readonly number[],
): Promise<NlbFacts> {
  return planNlbSite(at, option, ports);
}

/** The static RPC ports survey of the site's Client Access servers; a failure is a fact, with its error. */
export async function readPortFacts(at: ServerAccess, rpcPorts: StaticRpcPortPair): Promise<PortFacts> {
  try {
    const surveyed = await surveyStaticRpcPorts({
      site: at.site,
      ...rpcPorts,
      connection: at.connection,
      ...(at.serverConnection !== undefined ? { serverConnection: at.serverConnection } : {}),
    });
    return {
      servers: surveyed.servers.map((s) => s.server.name),
      unreachable: surveyed.unreachable.map((u) => ({ server: u.server.name, reason: u.reason, error: u.error })),
    };
  } catch (e) {
    return { failed: e, message: e instanceof Error ? e.message : String(e) };
  }
}

/** Mailboxes by database on the given servers (one query; none when nothing changes). */
export async function readMailboxCounts(
  connection: Connection,
  servers: readonly string[],
  anythingChanges: boolean,
): Promise<ReadonlyMap<string, number>> {
  return anythingChanges ? countMailboxesByDatabase(connection, [...servers]) : new Map<string, number>();
}
