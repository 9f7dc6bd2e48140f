// Typed client for the static RPC ports of one Exchange 2010 Client Access server. They live in
// the server's registry, which the Exchange endpoint cannot reach, so the PowerShell 2.0 script
// ps/server/StaticRpcPorts.ps1 is sent to the server itself with Invoke-Command -ComputerName:
// from this machine (winrm connection; the lab's servers on a lab connection), or from an SSH
// jump host (ssh connection: the jump host runs the Invoke-Command), through the ExcasServer
// module's Invoke-ExcasServerScript. The script travels as a literal and is rebuilt there with
// [scriptblock]::Create; every value in the command is a quoted literal or a validated number.
import { z } from "zod";
import { parseRows, psAssetText, psQuote, sessions, type CommandSpec, type SessionConnection } from "../shell";
import { ExchangeCasError } from "../errors";
import { serverAccessError } from "./access";

/** Registry locations (LB-WIRING §1.2), for messages. */
export const RPC_CLIENT_ACCESS_VALUE =
  "HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeRPC\\ParametersSystem\\TCP/IP Port";
export const ADDRESS_BOOK_VALUE = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeAB\\Parameters\\RpcTcpPort";

/** ps/server/StaticRpcPorts.ps1, read once. */
export function staticRpcPortsScript(): string {
  return psAssetText("server/StaticRpcPorts.ps1");
}

const SELECT = [
  "RpcClientAccessKind",
  "RpcClientAccessValue",
  "AddressBookKind",
  "AddressBookValue",
  "RpcClientAccessState",
  "AddressBookState",
  "RpcClientAccessListening",
  "AddressBookListening",
  "UserCount",
  "Restarted",
  "RpcClientAccessBefore",
  "AddressBookBefore",
] as const;

const ports = z
  .union([z.array(z.number().int()), z.number().int(), z.null()])
  .transform((v) => (v === null ? [] : Array.isArray(v) ? v : [v]));

const Row = z.object({
  RpcClientAccessKind: z.string(),
  RpcClientAccessValue: z.string().nullable(),
  AddressBookKind: z.string(),
  AddressBookValue: z.string().nullable(),
  RpcClientAccessState: z.string(),
  AddressBookState: z.string(),
  RpcClientAccessListening: ports,
  AddressBookListening: ports,
  UserCount: z.number().int(),
  Restarted: z.boolean(),
  /** What exchange-cas kept of the server's ports before it first changed them (0 dynamic), -1 when nothing is kept. */
  RpcClientAccessBefore: z.number().int().default(-1),
  AddressBookBefore: z.number().int().default(-1),
});

/** One registry value and the service that reads it. */
export interface PortSetting {
  /** The port the value configures, when it is there with the type the service reads; else null (dynamic). */
  configured: number | null;
  /** The value's registry type as .NET names it (DWord, String, ...), or None when it is absent. */
  kind: string;
  /** The value as text, whatever its type ("" when absent). */
  value: string;
  /** The TCP ports the service listens on now: bound when it last started. */
  listening: number[];
  /** The service's status (Running, Stopped, ... or Missing). */
  state: string;
}

export interface ServerPorts {
  rpcClientAccess: PortSetting;
  addressBook: PortSetting;
  /** Outlook users connected to RPC Client Access now (the counter), when the server says. */
  outlookSessions?: number;
  restarted: boolean;
  /**
   * What the server had before exchange-cas first changed its ports (null: dynamic), kept on the
   * server itself (HKLM\SOFTWARE\exchange-cas) so that no interruption loses it; undefined when
   * nothing is kept.
   */
  kept?: PortPair;
}

/** Two ports, null meaning dynamic. */
export interface PortPair {
  rpcClientAccess: number | null;
  addressBook: number | null;
}

/** What the script does: read; set (keeping what was there first); put back and forget what was kept; only forget. */
export type ServerPortsAction = "Read" | "Set" | "Restore" | "Forget";

function setting(
  kind: string,
  value: string | null,
  wanted: "DWord" | "String",
  listening: number[],
  state: string,
): PortSetting {
  const text = value ?? "";
  const port = /^\d{1,5}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  const configured = kind === wanted && port >= 1 && port <= 65535 ? port : null;
  return { configured, kind, value: text, listening: [...listening].sort((a, b) => a - b), state };
}

/** A port as the script takes it: 0 for dynamic. */
function portArgument(port: number | null): number {
  return port ?? 0;
}

/**
 * The command that reads (Read), sets and restarts (Set, keeping `before` on the server first
 * unless something is kept already), puts back and restarts (Restore) or forgets what was kept
 * (Forget) for `server`; a port of 0 means dynamic.
 */
export function serverPortsSpec(
  server: string,
  action: ServerPortsAction,
  rpcClientAccess = 0,
  addressBook = 0,
  before?: PortPair,
): CommandSpec {
  // -1: nothing to keep (the script's default, so a command without it has no such arguments).
  const beforeRpc = before === undefined ? -1 : portArgument(before.rpcClientAccess);
  const beforeAb = before === undefined ? -1 : portArgument(before.addressBook);
  for (const port of [rpcClientAccess, addressBook]) {
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new ExchangeCasError(
        "invalid-inputs",
        `Invalid port ${port}: a static RPC port is 0 (dynamic) or 1-65535.`,
        { port },
      );
  }
  for (const port of [beforeRpc, beforeAb]) {
    if (!Number.isInteger(port) || port < -1 || port > 65535)
      throw new ExchangeCasError("invalid-inputs", `Invalid earlier port ${port}: it is 0 (dynamic) or 1-65535.`, {
        port,
      });
  }
  // One command with literal arguments, run where the session's ExcasServer module is: this
  // machine (lab, winrm) or, imported from it, the SSH jump host, which reaches the server.
  const script = `Invoke-ExcasServerScript -ComputerName ${psQuote(server)} -Script ${psQuote(staticRpcPortsScript())} -ArgumentList ${psQuote(action)}, ${rpcClientAccess}, ${addressBook}${before === undefined ? "" : `, ${beforeRpc}, ${beforeAb}`}`;
  return { cmdlet: "Invoke-ExcasServerScript", target: server, script, select: SELECT };
}

/** The server's ports as its script printed them. */
export function parseServerPorts(server: string, data: unknown[]): ServerPorts {
  const rows = parseRows(`Invoke-ExcasServerScript -ComputerName ${server}`, data, Row);
  const row = rows[0];
  if (row === undefined || rows.length !== 1)
    throw new ExchangeCasError(
      "unexpected-output",
      `${server} answered the static RPC port script with ${rows.length} objects instead of one.`,
      { server, objects: rows.length },
    );
  return {
    rpcClientAccess: setting(
      row.RpcClientAccessKind,
      row.RpcClientAccessValue,
      "DWord",
      row.RpcClientAccessListening,
      row.RpcClientAccessState,
    ),
    addressBook: setting(
      row.AddressBookKind,
      row.AddressBookValue,
      "String",
      row.AddressBookListening,
      row.AddressBookState,
    ),
    ...(row.UserCount >= 0 ? { outlookSessions: row.UserCount } : {}),
    restarted: row.Restarted,
    ...(row.RpcClientAccessBefore >= 0 && row.AddressBookBefore >= 0
      ? { kept: { rpcClientAccess: keptPort(row.RpcClientAccessBefore), addressBook: keptPort(row.AddressBookBefore) } }
      : {}),
  };
}

function keptPort(port: number): number | null {
  return port === 0 ? null : port;
}

/** Reads the static RPC ports of `server` (its FQDN), changing nothing. */
export async function readServerPorts(connection: SessionConnection, server: string): Promise<ServerPorts> {
  return runServerPorts(connection, server, serverPortsSpec(server, "Read"));
}

/**
 * Keeps `before` on the server (unless something is kept there already), writes the ports of
 * `server` (null: remove the value, back to dynamic) and restarts MSExchangeRPC
 * and MSExchangeAB there, which drops the server's Outlook sessions; returns what it reads after.
 */
export async function setServerPorts(
  connection: SessionConnection,
  server: string,
  rpcClientAccess: number,
  addressBook: number,
  before?: PortPair,
): Promise<ServerPorts> {
  return runServerPorts(connection, server, serverPortsSpec(server, "Set", rpcClientAccess, addressBook, before));
}

/** Puts back what `server` had (the same restarts as setServerPorts), then forgets what was kept there. */
export async function restoreServerPorts(
  connection: SessionConnection,
  server: string,
  wanted: PortPair,
): Promise<ServerPorts> {
  return runServerPorts(
    connection,
    server,
    serverPortsSpec(server, "Restore", portArgument(wanted.rpcClientAccess), portArgument(wanted.addressBook)),
  );
}

/** Forgets what was kept on `server` (it is back as it was); changes no port and restarts nothing. */
export async function forgetServerPorts(connection: SessionConnection, server: string): Promise<ServerPorts> {
  return runServerPorts(connection, server, serverPortsSpec(server, "Forget"));
}

/** Runs one action of the script on `server`; a server that cannot be reached is said as such (access.ts). */
async function runServerPorts(connection: SessionConnection, server: string, spec: CommandSpec): Promise<ServerPorts> {
  const envelope = await sessions()
    .invoke(connection, spec)
    .catch((e: unknown) => {
      throw serverAccessError(server, connection, e);
    });
  return parseServerPorts(server, envelope.data);
}
