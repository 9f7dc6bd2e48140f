// The site program of the root Pulumi.yaml: one stack per AD site (Pulumi.<site>.yaml). The
// stack's config names the site, the array's FQDN, the DNS zone and server, the addresses (one
// CAS server's IP or the load balancer's VIP) and the connection: the lab by default, a real
// Exchange 2010 endpoint by changing `exchange-cas:connection` (see README).
import * as pulumi from "@pulumi/pulumi";
import {
  CasArraySite,
  labConnection,
  type CasArraySiteArgs,
  type ConnectionInput,
  type ServerConnectionInput,
} from "exchange-cas";
import { checkStackConfig } from "./config";

// Every key, value and secret of the stack config first (examples/config.ts): a misspelt key, a
// password in plain text or a mode written wrong stops the program with one error before anything
// is declared.
checkStackConfig();
const config = new pulumi.Config();
// The lab's paths stay relative to the project root (where Pulumi.yaml, lab/ and .lab/ are) in
// inputs and state; the provider resolves them when it opens the session, so a moved or re-cloned
// checkout previews as no change.

type ConnectionConfig =
  { kind: "lab"; statePath?: string; modulePath?: string } | ({ kind: "exchange" } & Record<string, unknown>);

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
  throw new pulumi.RunError(`exchange-cas:onDelete must be 'restore' or 'retain', not '${value}'.`);
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
    throw new pulumi.RunError(
      `exchange-cas:${key} must be a list of ${what}, such as ["${example}"], not the single value ${raw}: in stack config write it as a YAML list (- ${example}).`,
    );
  }
  return value as string[];
}

/** exchange-cas:rpcPorts, e.g. { rpcClientAccess: 59532, addressBook: 59533 }: checked by the site's plan. */
function rpcPorts(): { rpcClientAccess: number; addressBook: number } | undefined {
  return config.getObject<{ rpcClientAccess: number; addressBook: number }>("rpcPorts");
}

/** exchange-cas:loadBalancer, e.g. { kind: nlb, vip: 10.1.0.100, subnetMask: 255.255.255.0, interface: Local Area Connection, mode: multicast }: checked by the site's plan. */
function loadBalancerOption(): CasArraySiteArgs["loadBalancer"] {
  return config.getObject<NonNullable<CasArraySiteArgs["loadBalancer"]>>("loadBalancer");
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
const balancer = loadBalancerOption();
const site = new CasArraySite(siteName.toLowerCase(), {
  site: siteName,
  arrayName: config.get("arrayName"),
  fqdn: config.require("fqdn"),
  dns: {
    zone: config.require("dnsZone"),
    server: config.require("dnsServer"),
    // With a load balancer declared, the name points at its VIP: no addresses.
    addresses:
      list("addresses", "IPv4 addresses", "10.1.0.100") ??
      (balancer === undefined ? config.requireObject<string[]>("addresses") : undefined),
    ttl: config.getNumber("ttl"),
  },
  // "all-in-site" (the default) or a YAML list of database names.
  databases:
    (config.get("databases") ?? "all-in-site") === "all-in-site"
      ? "all-in-site"
      : list("databases", "mailbox database names", "MB-HO-01"),
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
  // The load balancer itself: Windows NLB on the site's Client Access servers (never on DAG members).
  loadBalancer: balancer,
});

// The stack's outputs: those that do not apply to this stack are absent (no rpcPortServers or
// loadBalancer without rpcPorts, no verification without verify), not empty shells, and the SDK
// has no undefined output to warn about.
const ports = rpcPorts() !== undefined;
const verified = ![undefined, false, "false"].includes(verify() as string | boolean | undefined);
export = {
  arrayFqdn: site.fqdn,
  members: site.members,
  addresses: site.addresses,
  databases: site.databases,
  warnings: site.warnings,
  /** With rpcPorts: per server the configured and listening ports, and what the load balancer must publish. */
  ...(ports ? { rpcPortServers: site.rpcPortServers, loadBalancer: site.loadBalancer } : {}),
  /** With verify: what the last apply or refresh found. */
  ...(verified ? { verification: site.verification } : {}),
  /** With loadBalancer: the NLB cluster's nodes and their states. */
  ...(balancer !== undefined ? { nlbNodes: site.nlbNodes } : {}),
};
