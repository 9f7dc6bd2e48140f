// Typed client for the Windows DNS Server cmdlets on the A records of one name. Every call names
// its DNS server with -ComputerName. Errors are recognised by their Win32 code only (the message
// text is localised): 9714 the name does not exist, 9701 the record does not exist, 9711 the
// record already exists, 9601 the zone does not exist.
import { z } from "zod";
import { query } from "../exchange/rows";
import { PowerShellError, psQuote, sessions, type Connection } from "../shell";

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
export class DnsZoneNotFoundError extends Error {
  readonly zone: string;
  readonly dnsServer: string;
  constructor(at: DnsName, cause: PowerShellError) {
    super(
      `DNS server '${at.dnsServer}' does not host zone '${at.zone}' (WIN32 9601, from ${cause.cmdlet}): create the zone on that server, or set 'zone' and 'dnsServer' to a zone the server hosts.`,
      { cause },
    );
    this.name = "DnsZoneNotFoundError";
    this.zone = at.zone;
    this.dnsServer = at.dnsServer;
  }
}

const SELECT = ["HostName", "RecordType", "TimeToLive", "RecordData.IPv4Address"] as const;

const ARecordRow = z
  .object({
    HostName: z.string(),
    RecordType: z.string(),
    TimeToLive: z.number(),
    "RecordData.IPv4Address": z.string(),
  })
  .transform((r) => ({ hostName: r.HostName, recordType: r.RecordType, address: r["RecordData.IPv4Address"], ttl: Math.round(r.TimeToLive) }));

function win32(e: unknown): number | undefined {
  return e instanceof PowerShellError ? e.win32Code : undefined;
}

/** Rethrows `e`, as a DnsZoneNotFoundError when it is WIN32 9601. */
function rethrow(e: unknown, at: DnsName): never {
  if (e instanceof PowerShellError && e.win32Code === WIN32_ZONE_NOT_FOUND) throw new DnsZoneNotFoundError(at, e);
  throw e;
}

const target = (at: DnsName) => `${at.name}.${at.zone}`;
const where = (at: DnsName) => `-ZoneName ${psQuote(at.zone)} -ComputerName ${psQuote(at.dnsServer)}`;

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
        script: `Get-DnsServerResourceRecord -Name ${psQuote(at.name)} -RRType 'A' ${where(at)}`,
        select: SELECT,
      },
      ARecordRow,
    );
  } catch (e) {
    if (win32(e) === WIN32_NAME_NOT_FOUND) return [];
    rethrow(e, at);
  }
  // Without -Node the server also returns records below the name (x.outlook-ho); keep the name's own.
  return rows
    .filter((r) => r.recordType.toUpperCase() === "A" && r.hostName.toLowerCase() === at.name.toLowerCase())
    .map(({ hostName, address, ttl }) => ({ hostName, address, ttl }));
}

/** Adds one A record; false when the name already had this address (WIN32 9711). */
export async function addARecord(connection: Connection, at: DnsName, address: string, ttlSeconds: number): Promise<boolean> {
  try {
    await sessions().invoke(connection, {
      cmdlet: "Add-DnsServerResourceRecordA",
      target: target(at),
      script: `Add-DnsServerResourceRecordA -Name ${psQuote(at.name)} -IPv4Address ${psQuote(address)} -TimeToLive (New-TimeSpan -Seconds ${psQuote(String(ttlSeconds))}) ${where(at)}`,
    });
    return true;
  } catch (e) {
    if (win32(e) === WIN32_RECORD_EXISTS) return false;
    rethrow(e, at);
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
      script: `Remove-DnsServerResourceRecord -Name ${psQuote(at.name)} -RRType 'A' -RecordData ${psQuote(address)} -Force ${where(at)}`,
    });
    return true;
  } catch (e) {
    const code = win32(e);
    if (code === WIN32_RECORD_NOT_FOUND || code === WIN32_NAME_NOT_FOUND) return false;
    rethrow(e, at);
  }
}

/**
 * Sets the TTL of the A record with this address, the way Set-DnsServerResourceRecord wants it:
 * read the record, edit a copy, hand both over. A CimInstance copies with Clone(); where that is
 * missing, [ciminstance]::new($old) does; a record that came back through a remote session as a
 * deserialized property bag (no methods) is copied with PSObject.Copy(). (The server makes the
 * record static: its Timestamp goes.) False when the record was not there.
 */
export async function setARecordTtl(connection: Connection, at: DnsName, address: string, ttlSeconds: number): Promise<boolean> {
  const script = [
    // Without -Node the Get also returns records below the name: only the name's own may be edited.
    `$excasOld = @(Get-DnsServerResourceRecord -Name ${psQuote(at.name)} -RRType 'A' ${where(at)} | Where-Object { [string]$_.HostName -eq ${psQuote(at.name)} -and [string]$_.RecordData.IPv4Address -eq ${psQuote(address)} }) | Select-Object -First 1`,
    `if ($null -ne $excasOld) {`,
    `  $excasNew = $null`,
    `  try { $excasNew = $excasOld.Clone() } catch { $excasNew = $null }`,
    `  if ($null -eq $excasNew) { try { $excasNew = [ciminstance]::new($excasOld) } catch { $excasNew = $null } }`,
    `  if ($null -eq $excasNew) { $excasNew = $excasOld.PSObject.Copy() }`,
    `  $excasNew.TimeToLive = New-TimeSpan -Seconds ${psQuote(String(ttlSeconds))}`,
    `  Set-DnsServerResourceRecord -OldInputObject $excasOld -NewInputObject $excasNew ${where(at)}`,
    `  'set'`,
    `}`,
  ].join("\n");
  try {
    const envelope = await sessions().invoke(connection, { cmdlet: "Set-DnsServerResourceRecord", target: target(at), script });
    return envelope.data.includes("set");
  } catch (e) {
    const code = win32(e);
    if (code === WIN32_RECORD_NOT_FOUND || code === WIN32_NAME_NOT_FOUND) return false;
    rethrow(e, at);
  }
}
