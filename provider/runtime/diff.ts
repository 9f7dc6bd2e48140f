// What each resource's diff decides from its stored outputs and the new inputs alone: whether an
// input changed, and which changes mean another object (a replace). No Exchange, no pwsh, so the
// unit tests (and mutation testing) reach it; each resource's diff calls it and adds what needs
// the servers (StaticRpcPorts surveys them for drift).
import { DEFAULT_TCP_TIMEOUT_MS } from "../verify/tcp";
import type { ClientAccessArrayOutputs } from "./clientAccessArray";
import type { DnsARecordOutputs } from "./dnsARecord";
import type { MailboxDatabaseRpcSettingOutputs } from "./mailboxDatabaseRpcSetting";
import { compareIPv4 } from "./rules";
import type { StaticRpcPortsOutputs } from "./staticRpcPorts";
import type { CasArrayVerificationOutputs } from "./verification";

type News = Record<string, unknown>;

/** Two names Exchange and DNS treat as one: equal but for case. */
function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** sameName for values that may not be strings: anything but two strings differs. */
function same(a: unknown, b: unknown): boolean {
  return typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();
}

/** ClientAccessArray: every change is made in place (Set-ClientAccessArray). */
export function clientAccessArrayChanged(olds: ClientAccessArrayOutputs, news: News): boolean {
  return (
    news.name !== olds.arrayName ||
    typeof news.fqdn !== "string" ||
    !sameName(news.fqdn, olds.fqdn) ||
    typeof news.site !== "string" ||
    !sameName(news.site, olds.siteName) ||
    JSON.stringify(news.restore ?? []) !== JSON.stringify(olds.restore ?? []) ||
    (news.onDelete ?? "restore") !== (olds.onDelete ?? "restore") ||
    JSON.stringify(news.connection) !== JSON.stringify(olds.connection)
  );
}

/** The properties whose change means another record: the DnsARecord's identity. */
export const DNS_A_RECORD_REPLACE_ON = ["zone", "name", "dnsServer"] as const;

/** DnsARecord: another zone, name or server is another record; the rest changes in place. */
export function dnsARecordDiff(olds: DnsARecordOutputs, news: News): { changes: boolean; replaces: string[] } {
  const replaces = DNS_A_RECORD_REPLACE_ON.filter((key) => !same(news[key], olds[key]));
  const addresses = Array.isArray(news.addresses) ? [...(news.addresses as string[])].sort(compareIPv4) : news.addresses;
  const changes =
    replaces.length > 0 ||
    JSON.stringify(addresses) !== JSON.stringify(olds.addresses) ||
    news.ttl !== olds.ttl ||
    (olds.records ?? []).some((r) => r.ttl !== news.ttl) ||
    (news.adopt ?? false) !== (olds.adopt ?? false) ||
    (news.onDelete ?? "restore") !== (olds.onDelete ?? "restore") ||
    JSON.stringify(news.connection) !== JSON.stringify(olds.connection);
  return { changes, replaces };
}

/**
 * MailboxDatabaseRpcSetting: another database is another resource (named by its name or its
 * Guid); a value Exchange reports other than the one applied (drift) is a change.
 */
export function mailboxDatabaseRpcSettingDiff(olds: MailboxDatabaseRpcSettingOutputs, news: News): { changes: boolean; replaces: string[] } {
  const replaces = same(news.database, olds.database) || same(news.database, olds.guid) ? [] : ["database"];
  const changes =
    replaces.length > 0 ||
    !same(news.rpcClientAccessServer, olds.wantedRpcClientAccessServer) ||
    !same(olds.rpcClientAccessServer, olds.appliedRpcClientAccessServer) ||
    news.onDelete !== olds.onDelete ||
    JSON.stringify(news.connection) !== JSON.stringify(olds.connection);
  return { changes, replaces };
}

/** StaticRpcPorts, from the inputs alone: another site is a replace; drift needs a survey. */
export function staticRpcPortsDiff(olds: StaticRpcPortsOutputs, news: News): { inputsChanged: boolean; replaces: string[] } {
  const replaces = typeof news.site === "string" && !sameName(news.site, olds.site) ? ["site"] : [];
  const inputsChanged =
    news.rpcClientAccess !== olds.rpcClientAccess ||
    news.addressBook !== olds.addressBook ||
    (news.onDelete ?? "restore") !== (olds.onDelete ?? "restore") ||
    JSON.stringify(news.connection) !== JSON.stringify(olds.connection) ||
    JSON.stringify(news.serverConnection ?? null) !== JSON.stringify(olds.serverConnection ?? null);
  return { inputsChanged, replaces };
}

/** CasArrayVerification owns nothing: any change is checked again in place. */
export function casArrayVerificationChanged(olds: CasArrayVerificationOutputs, news: News): boolean {
  return (
    !same(news.fqdn, olds.fqdn) ||
    !same(news.dnsServer, olds.dnsServer) ||
    !same(news.site, olds.site) ||
    JSON.stringify(news.addresses) !== JSON.stringify(olds.addresses) ||
    JSON.stringify(news.ports ?? []) !== JSON.stringify(olds.ports ?? []) ||
    (news.mode ?? "warn") !== (olds.mode ?? "warn") ||
    (news.tcpTimeoutMs ?? DEFAULT_TCP_TIMEOUT_MS) !== (olds.tcpTimeoutMs ?? DEFAULT_TCP_TIMEOUT_MS) ||
    JSON.stringify(news.connection) !== JSON.stringify(olds.connection) ||
    JSON.stringify(news.dnsConnection) !== JSON.stringify(olds.dnsConnection)
  );
}
