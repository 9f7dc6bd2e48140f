// Where commands run. A connection is plain data (it is stored in state as an input), so it never
// holds a password: the password is looked up when a session opens (see credentials.ts). What a
// fresh session runs to reach it is in bootstrap.ts. A site's three connections and their
// defaults are resolved in one place, siteConnections, beside the schemas.
import * as path from "node:path";
import { z } from "zod";
import { ExchangeCasError } from "../errors";
import { describeIssue } from "../issues";

const timeouts = {
  /** Seconds one command may run before its session is killed and the command fails. */
  commandTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
};

export const LabConnectionSchema = z.object({
  kind: z.literal("lab"),
  /**
   * The lab's JSON state file (what EXCHANGE_LAB_STATE points at). A relative path (".lab/state.json")
   * is kept as given in inputs and state and resolved against the project root when a session opens
   * (see projectRoot), so a moved or re-cloned checkout has the same inputs; an absolute one is used as is.
   */
  statePath: z.string().min(1),
  /** The lab module (lab/ExchangeLab.psd1 or .psm1); relative paths as for statePath. */
  modulePath: z.string().min(1),
  ...timeouts,
});

export const ExchangeConnectionSchema = z.object({
  kind: z.literal("exchange"),
  /** Exchange 2010 remote PowerShell endpoint, e.g. http://ho-ex2010-mb1.contoso.com/PowerShell/ */
  connectionUri: z.url({ protocol: /^https?$/ }),
  authentication: z.enum(["Kerberos", "Negotiate", "Basic"]).default("Kerberos"),
  /** Account for -Credential; its password comes from stack config or the environment. */
  username: z.string().min(1).optional(),
  /** For https endpoints with a self-signed certificate. */
  skipCertificateChecks: z.boolean().optional(),
  ...timeouts,
});

export const SshConnectionSchema = z.object({
  kind: z.literal("ssh"),
  /** The host that serves the `powershell` SSH subsystem (for Exchange: a Windows jump host). */
  hostName: z.string().regex(/^[^\s@]+$/, "must be a host name or address, without spaces or a user@ part"),
  port: z.number().int().min(1).max(65535).optional(),
  userName: z.string().min(1),
  /** The private key for -KeyFilePath; SSH keys only, never a password. */
  keyFilePath: z.string().min(1),
  /** A known_hosts file that must hold the host's key (StrictHostKeyChecking=yes); else ~/.ssh/known_hosts. */
  knownHostsFile: z.string().min(1).optional(),
  /** The sshd_config Subsystem to start; PowerShell's default is `powershell`. */
  subsystem: z.string().min(1).optional(),
  ...timeouts,
});

/**
 * PowerShell remoting (WinRM) from this machine to each Exchange server, for what lives on the
 * server and not behind the Exchange endpoint (the static RPC ports in its registry). The
 * computer is each server's FQDN; these are the Invoke-Command settings. The remote side of a
 * Windows Server 2008 R2 server is PowerShell 2.0, and remoting must have been enabled there
 * (Enable-PSRemoting; on by default only from Windows Server 2012).
 */
export const WinrmConnectionSchema = z.object({
  kind: z.literal("winrm"),
  authentication: z.enum(["Default", "Kerberos", "Negotiate", "Basic", "CredSSP"]).default("Kerberos"),
  /** Account for -Credential; its password comes from stack config or the environment, as for exchange. */
  username: z.string().min(1).optional(),
  /** WinRM over HTTPS (5986) instead of HTTP (5985). */
  useSsl: z.boolean().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  /** For https listeners with a self-signed certificate. */
  skipCertificateChecks: z.boolean().optional(),
  ...timeouts,
});
export type WinrmConnection = z.infer<typeof WinrmConnectionSchema>;

const KINDS = "lab, exchange or ssh";

/** The error map of a union of connection kinds: one sentence naming the kinds to use. */
function kindErrors(kinds: string, what: string): z.core.$ZodErrorMap {
  return (issue) => {
    if (issue.code === "invalid_union") {
      const kind = (issue.input as { kind?: unknown } | undefined)?.kind;
      return kind === undefined
        ? `kind is missing: set kind to ${kinds}`
        : `kind ${JSON.stringify(kind)} is not a ${what} kind: use ${kinds}`;
    }
    if (issue.code === "invalid_type")
      return `must be a ${what}: an object whose kind is ${kinds}, with that kind's settings`;
    return undefined;
  };
}

export const ConnectionSchema = z.discriminatedUnion(
  "kind",
  [LabConnectionSchema, ExchangeConnectionSchema, SshConnectionSchema],
  {
    error: kindErrors(KINDS, "connection"),
  },
);
export type Connection = z.infer<typeof ConnectionSchema>;
export type ConnectionInput = z.input<typeof ConnectionSchema>;

const SERVER_KINDS = "lab, winrm or ssh";

/**
 * How the provider reaches each Client Access server itself: the lab's emulated servers, WinRM
 * from this machine, or WinRM from an SSH jump host (the ssh connection's host runs
 * Invoke-Command -ComputerName for each server).
 */
export const ServerConnectionSchema = z.discriminatedUnion(
  "kind",
  [LabConnectionSchema, WinrmConnectionSchema, SshConnectionSchema],
  {
    error: kindErrors(SERVER_KINDS, "server connection"),
  },
);
export type ServerConnection = z.infer<typeof ServerConnectionSchema>;
export type ServerConnectionInput = z.input<typeof ServerConnectionSchema>;

/** Anything a session can be opened for. */
export type SessionConnection = Connection | WinrmConnection;

/**
 * `value` parsed by `schema`, or one readable ExchangeCasError("invalid-inputs") (never a
 * ZodError's JSON dump), e.g. "Invalid connection of CasArraySite HeadOffice: kind \"lba\" is not
 * a connection kind: use lab, exchange or ssh." `property` names the setting (connection,
 * dnsConnection, serverConnection); `owner` what it belongs to.
 */
function parseSetting<T>(schema: z.ZodType<T>, value: unknown, property: string, owner?: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const reasons = parsed.error.issues.map((issue) => describeIssue(issue, property, value));
  const of = owner !== undefined ? ` of ${owner}` : "";
  const details = { property, ...(owner !== undefined ? { owner } : {}) };
  throw new ExchangeCasError(
    "invalid-inputs",
    `Invalid ${property}${of}: ${reasons.join("; ").replace(/\.$/, "")}.`,
    details,
  );
}

/** `value` as a connection (see parseSetting). */
export function parseConnection(value: unknown, property: string, owner?: string): Connection {
  return parseSetting(ConnectionSchema, value, property, owner);
}

/**
 * The default serverConnection, from the Exchange connection: the lab's own servers for a lab;
 * for Exchange, WinRM from this machine with the Exchange connection's account (Basic when the
 * endpoint uses Basic, else Kerberos); for SSH, the jump host itself, which runs Invoke-Command
 * -ComputerName for each server.
 */
export function defaultServerConnection(connection: Connection): ServerConnection {
  if (connection.kind === "exchange") {
    const authentication = connection.authentication === "Basic" ? "Basic" : "Kerberos";
    return {
      kind: "winrm",
      authentication,
      ...(connection.username !== undefined ? { username: connection.username } : {}),
    };
  }
  return connection;
}

/** A site's connections as declared: `connection` required, the other two optional. */
export interface SiteConnectionsInput {
  connection: unknown;
  dnsConnection?: unknown;
  serverConnection?: unknown;
}

/** Where each part of a site is reached, every default applied. */
export interface SiteConnections {
  /** Where the Exchange cmdlets run. */
  connection: Connection;
  /** Where the DnsServer cmdlets run: dnsConnection, else `connection`. */
  dnsConnection: Connection;
  /** How each Client Access server is reached: serverConnection, else defaultServerConnection(connection). */
  serverConnection: ServerConnection;
}

/**
 * A site's three connections, parsed once and with their defaults: the one place that decides
 * them. Throws one ExchangeCasError("invalid-inputs") naming the setting and `owner` when one is
 * invalid (undefined and null count as not given for the optional two).
 */
export function siteConnections(input: SiteConnectionsInput, owner?: string): SiteConnections {
  const connection = parseConnection(input.connection, "connection", owner);
  const given = (value: unknown) => value !== undefined && value !== null;
  return {
    connection,
    dnsConnection: given(input.dnsConnection)
      ? parseConnection(input.dnsConnection, "dnsConnection", owner)
      : connection,
    serverConnection: given(input.serverConnection)
      ? parseSetting(ServerConnectionSchema, input.serverConnection, "serverConnection", owner)
      : defaultServerConnection(connection),
  };
}

/**
 * Registry key: two resources with equal connections share one session. A lab's paths count as
 * resolved now, so the same relative paths under another project root are another lab.
 */
export function connectionKey(connection: SessionConnection): string {
  const resolved =
    connection.kind === "lab"
      ? {
          ...connection,
          statePath: resolveLabPath(connection.statePath),
          modulePath: resolveLabPath(connection.modulePath),
        }
      : connection;
  const entries = Object.entries(resolved).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify(entries);
}

/**
 * The project root, against which a lab connection's relative paths are resolved: the program's
 * root directory where the language host says so (PULUMI_NODEJS_ROOT_DIRECTORY), else the working
 * directory, which is the project root (where Pulumi.yaml is) for both the program and the
 * dynamic-provider host the engine starts.
 */
export function projectRoot(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.PULUMI_NODEJS_ROOT_DIRECTORY;
  return root !== undefined && path.isAbsolute(root) ? root : process.cwd();
}

/** A lab connection's path as the session uses it: absolute, relative ones against `root`. */
export function resolveLabPath(file: string, root: string = projectRoot()): string {
  return path.resolve(root, file);
}

/** A short, secret-free description for error messages. */
export function describeConnection(connection: SessionConnection): string {
  switch (connection.kind) {
    case "lab":
      return `the lab (state ${resolveLabPath(connection.statePath)})`;
    case "exchange":
      return `Exchange at ${connection.connectionUri}`;
    case "ssh":
      return `PowerShell over SSH at ${connection.userName}@${connection.hostName}:${connection.port ?? 22}`;
    case "winrm":
      return `PowerShell remoting (WinRM${connection.useSsl === true ? " over HTTPS" : ""}) from this machine`;
  }
}

export function commandTimeoutMs(connection: SessionConnection): number {
  return (connection.commandTimeoutSeconds ?? 120) * 1000;
}
