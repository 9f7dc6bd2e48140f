// Typed client for the Windows DNS Server cmdlets on the A records of one name. Every call names
// its DNS server with -ComputerName. The cmdlets are run through the ExcasDns commands
// (ps/ExcasDns), on the host that has the DnsServer module: the cmdlets' records and errors are
// CimInstances, which a remote session hands to a Linux/macOS pwsh as objects it cannot rebuild
// (no libmi); ExcasDns sends back primitives and plain errors instead. Errors are recognised by
// their Win32 code only (the message text is localised): 9714 the name does not exist, 9701 the
// record does not exist, 9711 the record already exists, 9601 the zone does not exist.
import { z } from "zod";
import { describeConnection, PowerShellError, psQuote, query, sessions, type Connection } from "../shell";
import { ExchangeCasError } from "../errors";

export const WIN32_ZONE_NOT_FOUND = 9601;
export const WIN32_RECORD_NOT_FOUND = 9701;
export const WIN32_RECORD_EXISTS = 9711;
export const WIN32_NAME_NOT_FOUND = 9714;

/** One name in one zone on one DNS server; `name` is relative to the zone. */
export interface DnsName {
  dnsServer: string;
  zone: string;
  name: string;
}

export interface ARecord {
  hostName: string;
  address: string;
  /** Seconds. */
  ttl: number;
}

/** The zone is not hosted by the DNS server (WIN32 9601). */
export class DnsZoneNotFoundError extends ExchangeCasError {
  readonly zone: string;
  readonly dnsServer: string;
  constructor(at: DnsName, cause: PowerShellError) {
    super(
      "not-found",
      `DNS server '${at.dnsServer}' does not host zone '${at.zone}' (WIN32 9601, ` +
        `from ${cause.cmdlet}): create the zone on that server, ` +
        "or set 'zone' and 'dnsServer' to a zone the server hosts.",
      { zone: at.zone, dnsServer: at.dnsServer },
      { cause },
    );
    this.name = "DnsZoneNotFoundError";
    this.zone = at.zone;
    this.dnsServer = at.dnsServer;
  }
}

const SELECT = ["HostName", "RecordType", "TimeToLive", "IPv4Address"] as const;

// What the ExcasDns commands send back: primitives only (TimeToLive in seconds).
const ARecordRow = z
  .object({
    HostName: z.string(),
    RecordType: z.string(),
    TimeToLive: z.number(),
    IPv4Address: z.string(),
  })
  .transform((r) => ({
    hostName: r.HostName,
    recordType: r.RecordType,
    address: r.IPv4Address,
    ttl: Math.round(r.TimeToLive),
  }));

function win32(e: unknown): number | undefined {
  return e instanceof PowerShellError ? e.win32Code : undefined;
}

/**
 * Rethrows `e`: as a DnsZoneNotFoundError when it is WIN32 9601; with what to install when the
 * host has no ExcasDns commands (a DNS jump host without the module).
 */
function rethrow(e: unknown, at: DnsName, connection: Connection): never {
  if (e instanceof PowerShellError && e.win32Code === WIN32_ZONE_NOT_FOUND) throw new DnsZoneNotFoundError(at, e);
  if (e instanceof PowerShellError && e.exceptionType === "CommandNotFoundException" && /Excas/.test(e.shortMessage)) {
    throw new ExchangeCasError(
      "missing-component",
      `The ExcasDns module is missing on ${describeConnection(connection)}: ` +
        "copy the exchange-cas package's ps/ExcasDns folder into a PSModulePath folder " +
        "on that host (a restricted endpoint must also make its commands visible).",
      { component: "ExcasDns" },
      { cause: e },
    );
  }
  throw e;
}

const target = (at: DnsName) => `${at.name}.${at.zone}`;
const where = (at: DnsName) =>
  `-ZoneName ${psQuote(at.zone)} -Name ${psQuote(at.name)} -ComputerName ${psQuote(at.dnsServer)}`;

/**
 * The A records at exactly this name (children of the name are not included); an empty list
 * when the name does not exist (WIN32 9714).
 */
export async function getARecords(connection: Connection, at: DnsName): Promise<ARecord[]> {
  let rows: z.output<typeof ARecordRow>[];
  try {
    rows = await query(
      connection,
      {
        cmdlet: "Get-DnsServerResourceRecord",
        target: target(at),
        script: `Get-ExcasDnsARecord ${where(at)}`,
        select: SELECT,
      },
      ARecordRow,
    );
  } catch (e) {
    if (win32(e) === WIN32_NAME_NOT_FOUND) return [];
    rethrow(e, at, connection);
  }
  // Without -Node the server also returns records below the name (x.outlook-ho); keep the name's own.
  return rows
    .filter((r) => r.recordType.toUpperCase() === "A" && r.hostName.toLowerCase() === at.name.toLowerCase())
    .map(({ hostName, address, ttl }) => ({ hostName, address, ttl }));
}

/** Adds one A record; false when the name already had this address (WIN32 9711). */
export async function addARecord(
  connection: Connection,
  at: DnsName,
  address: string,
  ttlSeconds: number,
): Promise<boolean> {
  try {
    await sessions().invoke(connection, {
      cmdlet: "Add-DnsServerResourceRecordA",
      target: target(at),
      script:
        `Add-ExcasDnsARecord ${where(at)} -IPv4Address ${psQuote(address)} ` +
        `-TimeToLiveSeconds ${psQuote(String(ttlSeconds))}`,
    });
    return true;
  } catch (e) {
    if (win32(e) === WIN32_RECORD_EXISTS) return false;
    rethrow(e, at, connection);
  }
}

/**
 * Removes the one A record with this address. Always with -RecordData: by name alone the cmdlet
 * deletes every A record of the name. False when it was already gone (WIN32 9701 or 9714).
 */
export async function removeARecord(connection: Connection, at: DnsName, address: string): Promise<boolean> {
  try {
    await sessions().invoke(connection, {
      cmdlet: "Remove-DnsServerResourceRecord",
      target: target(at),
      script: `Remove-ExcasDnsARecord ${where(at)} -IPv4Address ${psQuote(address)}`,
    });
    return true;
  } catch (e) {
    const code = win32(e);
    if (code === WIN32_RECORD_NOT_FOUND || code === WIN32_NAME_NOT_FOUND) return false;
    rethrow(e, at, connection);
  }
}

/**
 * Sets the TTL of the A record with this address, the way Set-DnsServerResourceRecord wants it:
 * Set-ExcasDnsARecordTtl reads the record, edits a copy and hands both over, all on the DNS host, so
 * no record crosses a remote session. (The server makes the record static: its Timestamp goes.)
 * False when the record was not there.
 */
export async function setARecordTtl(
  connection: Connection,
  at: DnsName,
  address: string,
  ttlSeconds: number,
): Promise<boolean> {
  const script =
    `Set-ExcasDnsARecordTtl ${where(at)} -IPv4Address ${psQuote(address)} ` +
    `-TimeToLiveSeconds ${psQuote(String(ttlSeconds))}`;
  try {
    const envelope = await sessions().invoke(connection, {
      cmdlet: "Set-DnsServerResourceRecord",
      target: target(at),
      script,
    });
    return envelope.data.includes("set");
  } catch (e) {
    const code = win32(e);
    if (code === WIN32_RECORD_NOT_FOUND || code === WIN32_NAME_NOT_FOUND) return false;
    rethrow(e, at, connection);
  }
}
