// The site program of the root Pulumi.yaml: one stack per AD site (Pulumi.<site>.yaml). The
// stack's config names the site, the array's FQDN, the DNS zone and server, the addresses (one
// CAS server's IP or the load balancer's VIP) and the connection: the lab by default, a real
// Exchange 2010 endpoint by changing `exchange-cas:connection` (see README).
import * as pulumi from "@pulumi/pulumi";
import { CasArraySite, labConnection, type CasArraySiteArgs, type ConnectionInput, type ServerConnectionInput } from "exchange-cas";

const config = new pulumi.Config();
// The lab's paths stay relative to the project root (where Pulumi.yaml, lab/ and .lab/ are) in
// inputs and state; the provider resolves them when it opens the session, so a moved or re-cloned
// checkout previews as no change.

type ConnectionConfig = { kind: "lab"; statePath?: string; modulePath?: string } | ({ kind: "exchange" } & Record<string, unknown>);

function connection(key: string): ConnectionInput | undefined {
  const c = config.getObject<ConnectionConfig>(key);
  if (c === undefined) return undefined;
  if (c.kind === "lab") {
    return labConnection(c.statePath ?? ".lab/state.json", c.modulePath ?? "lab/ExchangeLab.psd1");
  }
  return c as ConnectionInput;
}

function onDelete(value: string | undefined): "restore" | "retain" | undefined {
  if (value === undefined || value === "restore" || value === "retain") return value;
  throw new Error(`exchange-cas:onDelete must be 'restore' or 'retain', not '${value}'.`);
}

/** exchange-cas:databaseResources: "each" (default) or "one". */
function databaseResources(value: string | undefined): "each" | "one" | undefined {
  if (value === undefined || value === "each" || value === "one") return value;
  throw new Error(`exchange-cas:databaseResources must be 'each' or 'one', not '${value}'.`);
}

/** A list-valued key; a single YAML value where the list belongs fails with a sentence saying to write a list. */
function list(key: string, what: string, example: string): string[] | undefined {
  const raw = config.get(key);
  if (raw === undefined) return undefined;
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a plain YAML scalar such as 10.1.0.11
  }
  if (!Array.isArray(value)) {
    throw new Error(`exchange-cas:${key} must be a list of ${what}, such as ["${example}"], not the single value ${raw}: in stack config write it as a YAML list (- ${example}).`);
  }
  return value as string[];
}

/** exchange-cas:rpcPorts, e.g. { rpcClientAccess: 59532, addressBook: 59533 }: checked by the site's plan. */
function rpcPorts(): { rpcClientAccess: number; addressBook: number } | undefined {
  return config.getObject<{ rpcClientAccess: number; addressBook: number }>("rpcPorts");
}

/** exchange-cas:verify: true, warn, strict, or { mode, tcp, tcpTimeoutMs } (checked by the site's plan). */
function verify(): unknown {
  const raw = config.get("verify");
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw; // a plain YAML scalar: warn, strict
  }
}

const siteName = config.require("site");
const site = new CasArraySite(siteName.toLowerCase(), {
  site: siteName,
  arrayName: config.get("arrayName"),
  fqdn: config.require("fqdn"),
  dns: {
    zone: config.require("dnsZone"),
    server: config.require("dnsServer"),
    addresses: list("addresses", "IPv4 addresses", "10.1.0.100") ?? config.requireObject<string[]>("addresses"),
    ttl: config.getNumber("ttl"),
  },
  // "all-in-site" (the default) or a YAML list of database names.
  databases: (config.get("databases") ?? "all-in-site") === "all-in-site" ? "all-in-site" : list("databases", "mailbox database names", "MB-HO-01"),
  exclude: list("exclude", "mailbox database names", "MB-HO-01"),
  // "each" (default): one MailboxDatabaseRpcSetting per database, each its own line in a preview;
  // "one": one MailboxDatabaseRpcSettings for all of them (a site of hundreds refreshes and previews faster).
  databaseResources: databaseResources(config.get("databaseResources")),
  adopt: config.getBoolean("adopt"),
  // "restore" (default): destroying the stack puts the databases back and removes what it created;
  // "retain": destroying the stack leaves Exchange and DNS as they are.
  onDelete: onDelete(config.get("onDelete")),
  connection: connection("connection") ?? labConnection(".lab/state.json", "lab/ExchangeLab.psd1"),
  dnsConnection: connection("dnsConnection"),
  // The load balancer's prerequisite: the same static RPC ports on every CAS of the site.
  rpcPorts: rpcPorts(),
  serverConnection: config.getObject<ServerConnectionInput>("serverConnection"),
  // Off unless asked: after the apply, the name at the DNS server, the array's members and (tcp) the VIP's ports.
  verify: verify() as CasArraySiteArgs["verify"],
});

export const arrayFqdn = site.fqdn;
export const members = site.members;
export const addresses = site.addresses;
export const databases = site.databases;
export const warnings = site.warnings;
/** With rpcPorts: per server the configured and listening ports, and what the load balancer must publish. */
export const rpcPortServers = site.rpcPortServers;
export const loadBalancer = site.loadBalancer;
/** With verify: what the last apply or refresh found. */
export const verification = site.verification;
