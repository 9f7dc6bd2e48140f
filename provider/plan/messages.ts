// The site plan's findings as the sentences an admin reads: one function per code, each the exact
// wording the plan has always given (the scenario tests assert them). Sentences other modules own
// are theirs: the catalogue (provider/messages.ts), the port advice (runtime/rules.ts), the load
// balancer's (runtime/siteLoadBalancer.ts, carried in its findings as text).
import { arrayTakenOver, databaseChanges, fqdnOutsideZone } from "../messages";
import { staticRpcPortAdvice } from "../runtime/rules";
import type { Finding } from "./judge";

/** A site's databases for a sentence: "A, B" sorted by the caller, or "none". */
function listOrNone(names: readonly string[]): string {
  return names.length > 0 ? names.join(", ") : "none";
}

/** A database's RpcClientAccessServer as a sentence shows it. */
function value(rpcClientAccessServer: string): string {
  return rpcClientAccessServer || "(empty)";
}

/** A database with a copy in the site but its home elsewhere, as "dbs-passive-here" lists it. */
function passiveCopy(d: {
  name: string;
  homeSite: string;
  activeServer: string;
  rpcClientAccessServer: string;
}): string {
  return (
    `${d.name} (home ${d.homeSite}, active on ${d.activeServer}, ` +
    `RpcClientAccessServer ${value(d.rpcClientAccessServer)})`
  );
}

/**
 * A Client Access server that cannot be read (its datacenter is down) blocks only the changes
 * that need it: StaticRpcPorts refuses a first apply or new ports while it is unreachable, and
 * keeps its last known state otherwise.
 */
export function casUnreachable(site: string, server: string, reason: string): string {
  return (
    `Static RPC ports of site ${site}: ${server} cannot be reached with PowerShell ` +
    `remoting (${reason}). Its ports keep their last known state, ` +
    "and only changing them waits until it is back (a first apply of rpcPorts or new " +
    "ports are refused meanwhile); the DNS record, " +
    "the array and the databases go ahead."
  );
}

/**
 * The sentences of one finding (most have one; the databases that change have one per database up
 * to a readable number).
 */
export function render(f: Finding): string[] {
  switch (f.code) {
    case "no-site-servers":
      return [
        `No Exchange server is in AD site '${f.site}'; ` +
          `check the site name (sites with servers: ${f.sitesWithServers.join(", ")}).`,
      ];
    case "no-client-access-server":
      return [
        `AD site '${f.site}' has no Client Access server (its servers: ` +
          `${f.servers.map((s) => `${s.name} (${s.role || "no role"})`).join(", ")}); ` +
          "a CAS array's members are the site's Client Access servers, " +
          "so an array here would have none and Outlook could not connect. " +
          "Install the Client Access role in the site first.",
      ];
    case "fqdn-is-server":
      return [
        `The array FQDN '${f.fqdn}' is the name of Exchange server ${f.server}; ` +
          `give the array a name of its own (such as outlook-ho.${f.zone}), ` +
          "so it can later point at a load balancer.",
      ];
    case "fqdn-is-dag":
      return [
        `The array FQDN '${f.fqdn}' is the name of database availability group ${f.dag}; ` +
          "the DAG's cluster name and the CAS array are separate and cannot share a name.",
      ];
    case "fqdn-outside-zone":
      return [fqdnOutsideZone(f.fqdn, f.zone)];
    case "array-taken-over": {
      const changes = [
        ...(f.renamedTo !== undefined ? [`renamed to '${f.renamedTo}'`] : []),
        ...(f.fqdnTo !== undefined ? [`its FQDN changed from ${f.array.fqdn} to ${f.fqdnTo}`] : []),
      ];
      return [arrayTakenOver(f.array, f.site, changes.join(" and "))];
    }
    case "exclude-not-in-site":
      return [
        `'exclude' names '${f.name}', which is not a mailbox database of site ` +
          `${f.site}${f.inSite !== undefined ? ` (it is in site ${f.inSite})` : ""}; ` +
          `the site's databases are: ${listOrNone(f.siteDatabases)}. ` +
          "Correct the name, or the database you meant to leave alone would be changed.",
      ];
    case "db-missing":
      return [
        `Mailbox database '${f.name}' does not exist; ` +
          `the databases of site ${f.site} are: ${listOrNone(f.siteDatabases)}.`,
      ];
    case "db-in-other-site":
      return [
        `Mailbox database '${f.database}' is in AD site ${f.homeSite} (server ` +
          `${f.homeServer}), not ${f.site}; declare it in the ${f.homeSite} stack.`,
      ];
    case "db-is-recovery":
      return [
        `Mailbox database '${f.database}' is a recovery database: ` +
          "Outlook clients never connect to a recovery database, " +
          "so its RpcClientAccessServer is not managed; remove it from 'databases'.",
      ];
    case "db-named-from-other-site":
      return [
        `Mailbox database '${f.database}' belongs to AD site ${f.homeSite} (its ` +
          `preferred copy, ActivationPreference 1, is on ${f.homeServer}), not ${f.site}, ` +
          "where it has a copy; it is declared here by name, " +
          `so its RpcClientAccessServer becomes ${f.fqdn}. ` +
          `Do not declare it in the ${f.homeSite} stack as well, ` +
          "or the two stacks would fight over its value.",
      ];
    case "db-active-elsewhere":
      return [
        `Mailbox database '${f.database}' is active in AD site ${f.activeSite} now (on ` +
          `${f.activeServer}, after a failover or switchover), ` +
          `but its home is ${f.site} (its preferred copy, ActivationPreference 1, ` +
          `is on ${f.homeServer}): it stays in this plan and its RpcClientAccessServer ` +
          `stays ${f.fqdn}; its Outlook clients connect across sites until it moves back. ` +
          `In a datacenter switchover repoint the DNS name ${f.fqdn}, not the database.`,
      ];
    case "db-stretched":
      return [
        `Mailbox database '${f.database}' has copies in AD sites ` +
          `${f.sites.join(" and ")} (servers ${f.servers.join(", ")}): ` +
          `after a failover to ${f.otherSites.join(" or ")} its Outlook clients still ` +
          `connect to this site's array ${f.fqdn}, because Exchange 2010 does not change ` +
          "RpcClientAccessServer when the active copy moves; " +
          `in a datacenter switchover repoint the DNS name ${f.fqdn} at a Client Access ` +
          "server or load balancer there instead of changing the database.",
      ];
    case "db-visiting":
      return [
        `Mailbox database '${f.database}' is active in ${f.site} (on ${f.activeServer}) ` +
          "only because of a failover or switchover: its preferred copy " +
          `(ActivationPreference 1) is on ${f.homeServer} in ${f.homeSite}, its home site, ` +
          "whose stack keeps it, so 'all-in-site' does not take it here and its " +
          `RpcClientAccessServer (${value(f.rpcClientAccessServer)}) is left alone. ` +
          `While ${f.homeSite} is down, repoint ${f.homeSite}'s array name, ` +
          "not the database.",
      ];
    case "dbs-passive-here":
      return [
        `Not in this plan, though they have a copy in ${f.site}: ` +
          `${f.databases.map((d) => passiveCopy(d)).join(", ")}. ` +
          "A database belongs to the site of its preferred copy (ActivationPreference 1); " +
          "name it in 'databases' to manage it here instead.",
      ];
    case "dns-round-robin":
      return [
        `${f.fqdn} has ${f.addresses.length} A records (${f.addresses.join(", ")}): ` +
          "DNS round robin is not load balancing; clients keep using an address whose " +
          "server is down. Point the name at one load balancer VIP.",
      ];
    case "address-is-server":
      return [
        `${f.fqdn} points at ${f.address}, the address of Client Access server ` +
          `${f.server}: this works, but gives no high availability; ` +
          "move it to a load balancer VIP later (an in-place change).",
      ];
    case "address-unread":
      return [
        `The A records of Client Access server ${f.server} could not be read, ` +
          "so whether the array's address is its own was not checked.",
      ];
    case "dbs-left-on-server":
      return [
        `Databases of site ${f.site} left pointing at a single server: ` +
          `${f.databases.map((d) => `${d.name} → ${d.rpcClientAccessServer}`).join(", ")}. ` +
          "Their Outlook clients do not use the array.",
      ];
    case "dbs-left-on-array":
      return [
        `Not declared, so left as they are: ${f.databases.join(", ")} ` +
          `(RpcClientAccessServer ${f.fqdn}). A database that leaves the declaration keeps ` +
          "its value and is no longer managed; destroying the whole site puts it back with " +
          "the others.",
      ];
    case "nlb-refused":
    case "nlb-planned":
    case "ports-refused":
      return [f.text];
    case "port-outside-range": {
      const advice = staticRpcPortAdvice(f.label, f.port);
      return advice === undefined ? [] : [advice];
    }
    case "cas-unreachable":
      return [casUnreachable(f.site, f.server, f.reason)];
    case "ports-published":
      return [
        `Static RPC ports ${f.rpcClientAccess} (RPC Client Access) ` +
          `and ${f.addressBook} (Address Book) on ${f.servers.join(" and ")}, ` +
          "one server restarted at a time: the load balancer must publish TCP 135, " +
          `${f.rpcClientAccess} and ${f.addressBook} to these servers, ` +
          "with client-IP affinity for the whole Outlook session.",
      ];
    case "databases-change":
      return databaseChanges(f.site, f.changes, f.fqdn);
  }
}

/** The sentences of the findings of one severity, in order. */
export function sentences(findings: readonly Finding[], severity: Finding["severity"]): string[] {
  return findings.filter((f) => f.severity === severity).flatMap(render);
}
