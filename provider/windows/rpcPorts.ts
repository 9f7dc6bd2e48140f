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

/** A TCP port as the server's registry holds it: 1-65535 (a missing value is dynamic: null). */
const Port = z.number().int().min(1).max(65535);

/** Two ports, null meaning dynamic: what a server has, had, or is to have. */
export const PortPairSchema = z.object({ rpcClientAccess: Port.nullable(), addressBook: Port.nullable() });
export type PortPair = z.infer<typeof PortPairSchema>;

/** Both ports dynamic: what a server has with neither value set. */
export const DYNAMIC_PORTS: Readonly<PortPair> = { rpcClientAccess: null, addressBook: null };

/** One registry value and the service that reads it. */
export const PortSettingSchema = z.object({
  /** The port the value configures, when it is there with the type the service reads; else null (dynamic). */
  configured: z.number().nullable(),
  /** The value's registry type as .NET names it (DWord, String, ...), or None when it is absent. */
  kind: z.string(),
  /** The value as text, whatever its type ("" when absent). */
  value: z.string(),
  /** The TCP ports the service listens on now: bound when it last started. */
  listening: z.array(z.number()),
  /** The service's status (Running, Stopped, ... or Missing). */
  state: z.string(),
});
export type PortSetting = z.infer<typeof PortSettingSchema>;

/** One server's static RPC ports as its script reports them. */
export const ServerPortsSchema = z.object({
  rpcClientAccess: PortSettingSchema,
  addressBook: PortSettingSchema,
  /** Outlook users connected to RPC Client Access now (the counter), when the server says. */
  outlookSessions: z.number().int().optional(),
  restarted: z.boolean(),
  /**
   * What the server had before exchange-cas first changed its ports (null: dynamic), kept on the
   * server itself (HKLM\SOFTWARE\exchange-cas) so that no interruption loses it; undefined when
   * nothing is kept.
   */
  kept: PortPairSchema.optional(),
});
export type ServerPorts = z.infer<typeof ServerPortsSchema>;

/** The ports a server is configured with now, as the services read them (null: dynamic). */
export function configuredPorts(ports: ServerPorts): PortPair {
  return { rpcClientAccess: ports.rpcClientAccess.configured, addressBook: ports.addressBook.configured };
}

/**
 * What the script is asked to do: read; set `ports` (keeping `before` on the server first, unless
 * something is kept there already); put `ports` back and forget what was kept; only forget.
 */
export const ServerPortsRequestSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("Read") }),
  z.object({ action: z.literal("Set"), ports: PortPairSchema, before: PortPairSchema.optional() }),
  z.object({ action: z.literal("Restore"), ports: PortPairSchema }),
  z.object({ action: z.literal("Forget") }),
]);
export type ServerPortsRequest = z.infer<typeof ServerPortsRequestSchema>;

function setting(
  kind: string,
  value: string | null,
  wanted: "DWord" | "String",
  listening: number[],
  state: string,
): PortSetting {
  const text = value ?? "";
  const port = /^\d{1,5}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  const configured = kind === wanted && Port.safeParse(port).success ? port : null;
  return { configured, kind, value: text, listening: [...listening].sort((a, b) => a - b), state };
}

/**
 * The script's parameters (ps/server/StaticRpcPorts.ps1's param block, in its order: a test
 * checks it), each from the request by name. The restricted endpoint of a jump host takes only
 * literal arguments, so they travel as Invoke-Command's -ArgumentList, in this order; this is
 * the one place where a port becomes the script's number (0: dynamic; -1: nothing to keep).
 */
export const SCRIPT_PARAMETERS = [
  "Action",
  "RpcClientAccessPort",
  "AddressBookPort",
  "RpcClientAccessBefore",
  "AddressBookBefore",
] as const;

function scriptArguments(request: ServerPortsRequest): Record<(typeof SCRIPT_PARAMETERS)[number], string | number> {
  const port = (p: number | null) => p ?? 0;
  const ports = "ports" in request ? request.ports : DYNAMIC_PORTS;
  const before = "before" in request ? request.before : undefined;
  return {
    Action: request.action,
    RpcClientAccessPort: port(ports.rpcClientAccess),
    AddressBookPort: port(ports.addressBook),
    RpcClientAccessBefore: before === undefined ? -1 : port(before.rpcClientAccess),
    AddressBookBefore: before === undefined ? -1 : port(before.addressBook),
  };
}

/** The command that runs `request` on `server` (its FQDN), every value checked and quoted. */
export function serverPortsSpec(server: string, request: ServerPortsRequest): CommandSpec {
  const checked = ServerPortsRequestSchema.safeParse(request);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const at = issue?.path.join(".") ?? "";
    const port: unknown = issue?.path.reduce<unknown>((o, k) => (o as Record<PropertyKey, unknown>)[k], request);
    throw new ExchangeCasError(
      "invalid-inputs",
      `Invalid port ${String(port)} (${at}) for ${server}: a static RPC port is 1-65535, or null for dynamic.`,
      { server, at, port },
    );
  }
  const named = scriptArguments(checked.data);
  const list = SCRIPT_PARAMETERS.map((name) => {
    const value = named[name];
    return typeof value === "number" ? String(value) : psQuote(value);
  }).join(", ");
  // One command with literal arguments, run where the session's ExcasServer module is: this
  // machine (lab, winrm) or, imported from it, the SSH jump host, which reaches the server.
  const script = `Invoke-ExcasServerScript -ComputerName ${psQuote(server)} -Script ${psQuote(staticRpcPortsScript())} -ArgumentList ${list}`;
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
  return runServerPorts(connection, server, { action: "Read" });
}

/**
 * Keeps `before` on the server (unless something is kept there already), writes `ports` (null:
 * remove the value, back to dynamic) and restarts MSExchangeRPC and MSExchangeAB there, which
 * drops the server's Outlook sessions; returns what it reads after.
 */
export async function setServerPorts(
  connection: SessionConnection,
  server: string,
  ports: PortPair,
  before?: PortPair,
): Promise<ServerPorts> {
  return runServerPorts(connection, server, { action: "Set", ports, ...(before !== undefined ? { before } : {}) });
}

/** Puts back what `server` had (the same restarts as setServerPorts), then forgets what was kept there. */
export async function restoreServerPorts(
  connection: SessionConnection,
  server: string,
  ports: PortPair,
): Promise<ServerPorts> {
  return runServerPorts(connection, server, { action: "Restore", ports });
}

/** Forgets what was kept on `server` (it is back as it was); changes no port and restarts nothing. */
export async function forgetServerPorts(connection: SessionConnection, server: string): Promise<ServerPorts> {
  return runServerPorts(connection, server, { action: "Forget" });
}

/** Runs one action of the script on `server`; a server that cannot be reached is said as such (access.ts). */
async function runServerPorts(
  connection: SessionConnection,
  server: string,
  request: ServerPortsRequest,
): Promise<ServerPorts> {
  const envelope = await sessions()
    .invoke(connection, serverPortsSpec(server, request))
    .catch((e: unknown) => {
      throw serverAccessError(server, connection, e);
    });
  return parseServerPorts(server, envelope.data);
}
