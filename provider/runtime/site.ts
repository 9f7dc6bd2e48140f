// What a CasArraySite needs to know about its AD site before it declares anything, asked of
// Exchange when the program runs: which databases are the site's, and whether the declaration
// breaks a rule (an error) or a best practice (a warning). The provider's resources re-check
// their own rules at apply time; this is the whole-site view no single resource has.
import { getARecords } from "../dns";
import { listDatabaseAvailabilityGroups, listClientAccessArrays, listExchangeServers, listMailboxDatabases, type MailboxDatabase } from "../exchange";
import { ConnectionSchema, type ConnectionInput } from "../shell";
import { relativeRecordName } from "./rules";

export interface SitePlanRequest {
  site: string;
  fqdn: string;
  arrayName?: string;
  zone: string;
  dnsServer: string;
  addresses: string[];
  databases: string[] | "all-in-site";
  exclude: string[];
  connection: ConnectionInput;
  dnsConnection?: ConnectionInput;
}

export interface SitePlan {
  /** Databases the site's array should serve, by name, sorted. */
  databases: { name: string; guid: string; server: string; rpcClientAccessServer: string }[];
  warnings: string[];
}

function lower(s: string): string {
  return s.toLowerCase();
}

export async function planSite(request: SitePlanRequest): Promise<SitePlan> {
  const connection = ConnectionSchema.parse(request.connection);
  const dnsConnection = ConnectionSchema.parse(request.dnsConnection ?? request.connection);
  const fqdn = lower(request.fqdn.replace(/\.$/, ""));
  const errors: string[] = [];
  const warnings: string[] = [];

  const [servers, dbs, dags, arrays] = await Promise.all([
    listExchangeServers(connection),
    listMailboxDatabases(connection),
    listDatabaseAvailabilityGroups(connection),
    listClientAccessArrays(connection),
  ]);
  const siteServers = servers.filter((s) => lower(s.siteName) === lower(request.site));
  if (siteServers.length === 0) {
    errors.push(`No Exchange server is in AD site '${request.site}'; check the site name (sites with servers: ${[...new Set(servers.map((s) => s.siteName))].join(", ")}).`);
  }

  // The array's name must be its own: not a server's FQDN, not a DAG's cluster name.
  const clashServer = servers.find((s) => lower(s.fqdn) === fqdn || lower(s.name) === fqdn.split(".")[0]);
  if (clashServer !== undefined) {
    errors.push(`The array FQDN '${request.fqdn}' is the name of Exchange server ${clashServer.name}; give the array a name of its own (such as outlook-ho.${request.zone}), so it can later point at a load balancer.`);
  }
  const clashDag = dags.find((d) => lower(d.name) === fqdn.split(".")[0]);
  if (clashDag !== undefined) {
    errors.push(`The array FQDN '${request.fqdn}' is the name of database availability group ${clashDag.name}; the DAG's cluster name and the CAS array are separate and cannot share a name.`);
  }
  const relative = relativeRecordName(fqdn, lower(request.zone));
  if ("error" in relative) errors.push(`The array FQDN '${request.fqdn}' is outside DNS zone '${request.zone}': ${relative.error}`);

  // Another array already in the site (brownfield) is taken over only with adopt; the resource
  // itself says so at apply time, where it knows whether the array is its own.
  const siteArray = arrays.find((a) => lower(a.siteName) === lower(request.site));
  if (siteArray !== undefined && request.arrayName !== undefined && siteArray.name !== request.arrayName && lower(siteArray.fqdn) !== fqdn) {
    warnings.push(`Site ${request.site} already has CAS array '${siteArray.name}' (${siteArray.fqdn}); set adopt: true to take it over and rename it, or Exchange will refuse a second array in the site.`);
  }

  const byName = new Map(dbs.map((d) => [lower(d.name), d]));
  const siteServerNames = new Set(siteServers.map((s) => lower(s.name)));
  const inSite = (d: MailboxDatabase) => siteServerNames.has(lower(d.server));
  const exclude = new Set(request.exclude.map(lower));
  let chosen: MailboxDatabase[];
  if (request.databases === "all-in-site") {
    chosen = dbs.filter((d) => inSite(d) && !d.recovery && !exclude.has(lower(d.name)));
  } else {
    chosen = [];
    for (const name of request.databases) {
      const db = byName.get(lower(name));
      if (db === undefined) {
        errors.push(`Mailbox database '${name}' does not exist.`);
      } else if (!inSite(db)) {
        const site = servers.find((s) => lower(s.name) === lower(db.server))?.siteName ?? "an unknown site";
        errors.push(`Mailbox database '${db.name}' is in AD site ${site} (server ${db.server}), not ${request.site}; declare it in the ${site} stack.`);
      } else if (!exclude.has(lower(db.name))) {
        chosen.push(db);
      }
    }
  }

  if (request.addresses.length > 1) {
    warnings.push(`${request.fqdn} has ${request.addresses.length} A records (${request.addresses.join(", ")}): DNS round robin is not load balancing; clients keep using an address whose server is down. Point the name at one load balancer VIP.`);
  }
  if (request.addresses.length === 1) {
    const cas = siteServers.filter((s) => s.isClientAccessServer);
    const ips = await Promise.all(
      cas.map(async (s) => {
        const rel = relativeRecordName(lower(s.fqdn), lower(request.zone));
        if ("error" in rel) return { server: s, addresses: [] as string[] };
        const records = await getARecords(dnsConnection, { dnsServer: request.dnsServer, zone: request.zone, name: rel.name }).catch(() => []);
        return { server: s, addresses: records.map((r) => r.address) };
      }),
    );
    const own = ips.find((i) => i.addresses.includes(request.addresses[0] ?? ""));
    if (own !== undefined) {
      warnings.push(`${request.fqdn} points at ${request.addresses[0]}, the address of Client Access server ${own.server.name}: this works, but gives no high availability; move it to a load balancer VIP later (an in-place change).`);
    }
  }

  const managed = new Set(chosen.map((d) => lower(d.name)));
  const serverFqdns = new Set(servers.map((s) => lower(s.fqdn)));
  const leftOnServer = dbs.filter(
    (d) => inSite(d) && !d.recovery && !managed.has(lower(d.name)) && serverFqdns.has(lower(d.rpcClientAccessServer)),
  );
  if (leftOnServer.length > 0) {
    warnings.push(
      `Databases of site ${request.site} left pointing at a single server: ${leftOnServer.map((d) => `${d.name} → ${d.rpcClientAccessServer}`).join(", ")}. Their Outlook clients do not use the array.`,
    );
  }

  if (errors.length > 0) throw new Error(`CasArraySite ${request.site}: ${errors.join(" ")}`);
  return {
    databases: chosen
      .map((d) => ({ name: d.name, guid: d.guid, server: d.server, rpcClientAccessServer: d.rpcClientAccessServer }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    warnings,
  };
}
