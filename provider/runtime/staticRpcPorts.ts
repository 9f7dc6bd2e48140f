// StaticRpcPorts: the same two static RPC ports on every Exchange 2010 Client Access server of an
// AD site, the prerequisite for load balancing its CAS array (LB-WIRING §1). A load balancer can
// publish TCP 135 and two fixed ports; it cannot publish the dynamic ports each CAS picks.
//
// Per server: MSExchangeRPC\ParametersSystem "TCP/IP Port" (REG_DWORD) and MSExchangeAB\Parameters
// "RpcTcpPort" (REG_SZ, Exchange 2010 SP1 and later), then MSExchangeRPC and MSExchangeAB restart,
// because a service binds its port when it starts. A restart drops every Outlook session on that
// server, so servers are changed one at a time, the next only once the last listens on both
// ports; nothing is changed before every server of the site has been read and accepted (Exchange
// 2010 SP1 or later, reachable). Drift: a value missing (an upgrade that lost it), of the wrong
// type, another port, or a service still listening on the port it had before its value changed.
// Delete puts every server back to what it had before (dynamic ports, unless it had static ones).
// What a server had is kept on the server itself before its first change (StaticRpcPorts.ps1),
// so an interrupted create or update cannot lose it. A server that cannot be reached blocks only
// what needs it: a first apply and new ports are refused, its ports keep their last known state
// otherwise, and a destroy fails until it answers (or onDelete is retain).
import { z } from "zod";
import { listExchangeServers, type ExchangeServer } from "../exchange";
import {
  ConnectionSchema,
  describeConnection,
  PowerShellSessionError,
  ServerConnectionSchema,
  siteConnections,
  type ServerConnection,
} from "../shell";
import {
  configuredPorts,
  DYNAMIC_PORTS,
  forgetServerPorts,
  PortPairSchema,
  PortSettingSchema,
  readServerPorts,
  restoreServerPorts,
  setServerPorts,
  type PortPair,
  type PortSetting,
  type ServerPorts,
} from "../windows/rpcPorts";
import { checkProperties, containsUnknown, parseChecked, inputsAmong, plain, type CheckFailure } from "./check";
import type { ResourceDefinition } from "./contract";
import { diffInputs, sameName, type DiffRules } from "./diff";
import { info, warn } from "./log";
import { droppingSessions } from "../messages";
import {
  exchangeVersion,
  loadBalancerFor,
  LoadBalancerSchema,
  OnDelete,
  PlannedBySite,
  portRangeAdvice,
  portsOutsideRange,
  SiteName,
  StaticRpcPort,
  StaticRpcPortPair,
} from "./rules";
import { causeOf, ExchangeCasError, isExchangeCasError } from "../errors";

const shape = {
  /** The AD site: every Client Access server in it gets the ports. */
  site: SiteName,
  rpcClientAccess: StaticRpcPort,
  addressBook: StaticRpcPort,
  onDelete: OnDelete("put every server back to the ports it had before", "leave the ports as they are").optional(),
  /** Where the Exchange cmdlets run (which servers, which versions). */
  connection: ConnectionSchema,
  /** How each server is reached; by default the lab's servers, the SSH jump host, or WinRM with the Exchange connection's account. */
  serverConnection: ServerConnectionSchema.optional(),
  /** Set by a CasArraySite: its plan gave the port advice already. */
  plannedBySite: PlannedBySite,
};
const InputsSchema = z.object(shape);
export type StaticRpcPortsInputs = z.infer<typeof InputsSchema>;

const Previous = PortPairSchema.extend({ server: z.string() });
type Previous = z.infer<typeof Previous>;

/**
 * How diff compares each input with state. Another site is another set of servers (replaced:
 * the old site's servers are put back first); ports and connections change in place.
 */
export const staticRpcPortsDiffRules: DiffRules<StaticRpcPortsOutputs> = {
  site: { compare: "name", replaces: true },
  rpcClientAccess: { compare: "value" },
  addressBook: { compare: "value" },
  onDelete: { compare: "value", default: "restore" },
  connection: { compare: "value" },
  serverConnection: { compare: "value", default: null },
  plannedBySite: { compare: "ignored" },
};

/** One server as read: what is configured, what its services listen on. */
const ServerPortStateSchema = z.object({
  server: z.string(),
  fqdn: z.string(),
  version: z.string(),
  rpcClientAccess: PortSettingSchema,
  addressBook: PortSettingSchema,
  outlookSessions: z.number().optional(),
  /** Configured as declared, with the right types, and both services listening on those ports. */
  inSync: z.boolean(),
  /** Set when the server could not be read: why; the rest is what it was last read as. */
  unreachable: z.string().optional(),
});
export type ServerPortState = z.infer<typeof ServerPortStateSchema>;

const OutputsSchema = InputsSchema.extend({
  siteName: z.string(),
  servers: z.array(ServerPortStateSchema),
  /** What the load balancer in front of the array must publish. */
  loadBalancer: LoadBalancerSchema,
  /** What each server had before this resource first changed it: put back on delete. */
  previous: z.array(Previous).catch([]),
});
export type StaticRpcPortsOutputs = z.infer<typeof OutputsSchema>;

/** How each server is reached: serverConnection, else its default (siteConnections, beside the schemas). */
export function serverConnectionOf(
  inputs: Pick<StaticRpcPortsInputs, "connection" | "serverConnection">,
): ServerConnection {
  return siteConnections(inputs).serverConnection;
}

function matches(setting: PortSetting, port: number | null): boolean {
  if (port === null) return setting.kind === "None" && setting.state === "Running";
  return setting.configured === port && setting.listening.includes(port) && setting.state === "Running";
}

function inSync(ports: ServerPorts, wanted: PortPair): boolean {
  return matches(ports.rpcClientAccess, wanted.rpcClientAccess) && matches(ports.addressBook, wanted.addressBook);
}

const VALUE_TYPE: Record<string, string> = {
  DWord: "REG_DWORD",
  String: "REG_SZ",
  ExpandString: "REG_EXPAND_SZ",
  QWord: "REG_QWORD",
  Binary: "REG_BINARY",
  MultiString: "REG_MULTI_SZ",
};

/** What is wrong with one value and its service, in words ("RpcTcpPort is not set"). */
function describeSetting(
  name: string,
  service: string,
  setting: PortSetting,
  port: number | null,
  wantedType: string,
): string | undefined {
  if (port === null) {
    return setting.kind === "None"
      ? undefined
      : `${name} is ${setting.value} (${VALUE_TYPE[setting.kind] ?? setting.kind})`;
  }
  if (setting.kind === "None") return `${name} is not set (dynamic)`;
  if (VALUE_TYPE[setting.kind] !== wantedType)
    return `${name} is a ${VALUE_TYPE[setting.kind] ?? setting.kind} '${setting.value}', a type ${service} does not read (it must be ${wantedType})`;
  if (setting.configured !== port) return `${name} is ${setting.value}`;
  if (setting.state !== "Running") return `${service} is ${setting.state.toLowerCase()}`;
  if (!setting.listening.includes(port)) {
    return `${service} still listens on ${setting.listening.join(", ") || "no port"}, not ${port} (it has not restarted since the value was set)`;
  }
  return undefined;
}

function describeDrift(ports: ServerPorts, wanted: PortPair): string {
  const parts = [
    describeSetting("TCP/IP Port", "MSExchangeRPC", ports.rpcClientAccess, wanted.rpcClientAccess, "REG_DWORD"),
    describeSetting("RpcTcpPort", "MSExchangeAB", ports.addressBook, wanted.addressBook, "REG_SZ"),
  ].filter((p): p is string => p !== undefined);
  return parts.join("; ");
}

function describeTarget(wanted: PortPair, tense: "will be" | "was"): string {
  const rpc =
    wanted.rpcClientAccess === null
      ? `TCP/IP Port ${tense} removed`
      : `TCP/IP Port ${tense} set to ${wanted.rpcClientAccess} (REG_DWORD)`;
  const ab = wanted.addressBook === null ? "RpcTcpPort removed" : `RpcTcpPort to '${wanted.addressBook}' (REG_SZ)`;
  return `${rpc} and ${ab}`;
}

/** Why a server cannot take static RPC ports from this provider, or undefined. */
function versionRefusal(server: ExchangeServer): string | undefined {
  const version = exchangeVersion(server.adminDisplayVersion);
  if (version === undefined)
    return (
      `${server.name} did not report its Exchange version (AdminDisplayVersion '${server.adminDisplayVersion}'), ` +
      "so it cannot be told to be Exchange 2010 SP1 or later"
    );
  if (version.major !== 14) {
    const which = version.major >= 15 ? "Exchange 2013 or later" : "an Exchange version other than 2010";
    return (
      `${server.name} runs ${which} (${server.adminDisplayVersion}), ` +
      "where these registry values are not Exchange 2010's static RPC ports"
    );
  }
  if (version.minor === 0) {
    return (
      `${server.name} runs Exchange 2010 RTM (${server.adminDisplayVersion}), whose Address Book takes its port ` +
      "from microsoft.exchange.addressbook.service.exe.config, not from the registry " +
      "(and Service Pack 1 drops that setting): install Service Pack 1 or later first"
    );
  }
  return undefined;
}

/** The site's Client Access servers, every one accepted, or why not (one sentence). */
async function targets(inputs: StaticRpcPortsInputs): Promise<ExchangeServer[]> {
  const all = await listExchangeServers(inputs.connection);
  const inSite = all.filter((s) => sameName(s.siteName, inputs.site));
  const cas = inSite.filter((s) => s.isClientAccessServer).sort((a, b) => a.name.localeCompare(b.name));
  if (cas.length === 0) {
    const known = inSite.map((s) => s.name).join(", ");
    throw new ExchangeCasError(
      "refused",
      `Site ${inputs.site} has no Client Access server` +
        (known === "" ? " (Exchange knows no server in it)" : ` (its servers: ${known})`) +
        ", so it has no server to give static RPC ports to.",
      { site: inputs.site },
    );
  }
  const refusals = cas.map(versionRefusal).filter((r): r is string => r !== undefined);
  if (refusals.length > 0) {
    throw new ExchangeCasError(
      "refused",
      `Static RPC ports of site ${inputs.site} cannot be managed: ${refusals.join("; ")}. No server was changed.`,
      { site: inputs.site, refusals },
    );
  }
  return cas;
}

interface Survey {
  servers: { server: ExchangeServer; ports: ServerPorts }[];
  /** The servers that could not be read, each with why (one clause) and the error that said so. */
  unreachable: { server: ExchangeServer; reason: string; error: unknown }[];
}

/**
 * Reads every target server. One that cannot be read is listed in `unreachable`, not thrown:
 * it blocks only the changes that need it (refuseUnreachable), so a site outage never stops the
 * DNS move that is the way out of it (DOMAIN.md §1.10).
 */
export async function surveyStaticRpcPorts(inputs: StaticRpcPortsInputs): Promise<Survey> {
  return survey(inputs);
}

async function survey(inputs: StaticRpcPortsInputs): Promise<Survey> {
  const cas = await targets(inputs);
  const via = serverConnectionOf(inputs);
  const found: Survey = { servers: [], unreachable: [] };
  for (const server of cas) {
    try {
      found.servers.push({ server, ports: await readServerPorts(via, server.fqdn) });
    } catch (e) {
      // This machine cannot reach any server (no WSMan client, its session would not open): said
      // once, as the fault it is, not as every server's.
      if (
        e instanceof PowerShellSessionError ||
        (isExchangeCasError(e, "server-unreachable") && e.details.reason === "no-wsman")
      ) {
        throw new ExchangeCasError(
          "refused",
          `Static RPC ports of site ${inputs.site}: ${(e as Error).message.replace(/\.?\s*$/, "")}. No server was changed.`,
          { site: inputs.site },
          { cause: e },
        );
      }
      found.unreachable.push({ server, reason: (e as Error).message.replace(/\.?\s*$/, ""), error: e });
    }
  }
  return found;
}

/** Refuses a change that needs every server (a first apply, new ports) while one cannot be read. */
function refuseUnreachable(
  inputs: StaticRpcPortsInputs,
  found: Survey,
  change: "create" | "ports",
  olds?: PortPair,
): void {
  if (found.unreachable.length === 0) return;
  const via = serverConnectionOf(inputs);
  const list = found.unreachable.map((u) => `${u.server.name}: ${u.reason}`).join("; ");
  const which = found.unreachable.length === 1 ? "a server" : `${found.unreachable.length} servers`;
  const message =
    change === "create"
      ? `Static RPC ports of site ${inputs.site}: ${which} could not be read through ${describeConnection(via)} (${list}). ` +
        "Every Client Access server of the site must be reachable with PowerShell remoting before any is changed; " +
        "no server was changed."
      : `Static RPC ports of site ${inputs.site} cannot change` +
        (olds === undefined ? "" : ` from ${olds.rpcClientAccess ?? "dynamic"} and ${olds.addressBook ?? "dynamic"}`) +
        ` to ${inputs.rpcClientAccess} and ${inputs.addressBook}` +
        ` while ${which} cannot be read through ${describeConnection(via)} (${list}): ` +
        "every Client Access server of the array needs the same ports. " +
        `Keep rpcPorts as they were until ${found.unreachable.length === 1 ? "it is" : "they are"} back ` +
        "(the DNS record, the array and the databases can change meanwhile); no server was changed.";
  const cause = causeOf(
    found.unreachable.map((u) => u.error),
    `${which} of site ${inputs.site} could not be read`,
  );
  throw new ExchangeCasError(
    "refused",
    message,
    { site: inputs.site, unreachable: found.unreachable.map((u) => u.server.name) },
    cause,
  );
}

/** Says, for each server that cannot be read, that its ports keep their last known state. */
function warnUnreachable(site: string, found: Survey, last: ServerPortState[] = []): void {
  for (const { server, reason } of found.unreachable) {
    const known = last.find((l) => sameName(l.server, server.name));
    const state = known === undefined ? "" : ` (${describeKnown(known)})`;
    warn(
      `Static RPC ports of site ${site}: ${server.name} cannot be reached (${reason}), ` +
        `so its ports keep their last known state${state}; ` +
        "what does not need it (the DNS record, the array, the databases) goes ahead, " +
        "and changing the static RPC ports waits until it is back. The next 'pulumi up' once it answers checks it again.",
    );
  }
}

function describeKnown(known: ServerPortState): string {
  const port = (s: PortSetting) => (s.configured === null ? "dynamic" : String(s.configured));
  return `TCP/IP Port ${port(known.rpcClientAccess)}, RpcTcpPort ${port(known.addressBook)}, as last read`;
}

function wantedOf(inputs: Pick<StaticRpcPortsInputs, "rpcClientAccess" | "addressBook">): PortPair {
  return { rpcClientAccess: inputs.rpcClientAccess, addressBook: inputs.addressBook };
}

function describePair(pair: PortPair): string {
  return `TCP/IP Port ${pair.rpcClientAccess ?? "dynamic"}, RpcTcpPort ${pair.addressBook ?? "dynamic"}`;
}

/**
 * What the apply will do, server by server, as the preview says it. For a create (`first`), also
 * what an earlier, interrupted apply left kept on the servers (after a finished one, every server
 * it changed keeps what it had until the destroy, so only a create can tell).
 */
function announce(site: string, found: Survey, wanted: PortPair, first = false): void {
  const pending = found.servers.filter((s) => !inSync(s.ports, wanted));
  pending.forEach(({ server, ports }, i) => {
    const next = pending[i + 1];
    warn(
      `Static RPC ports of site ${site}, server ${i + 1} of ${pending.length}, ` +
        `${server.name} (${describeDrift(ports, wanted)}): ${describeTarget(wanted, "will be")}, ` +
        `then MSExchangeRPC and MSExchangeAB restart, ${droppingSessions(ports.outlookSessions)} ` +
        "(Outlook reconnects; drain the server at the load balancer first if it already serves the array). " +
        "Servers restart one at a time" +
        (next === undefined ? "" : `: ${next.server.name} only once ${server.name} listens on the new ports`) +
        ".",
    );
  });
  // An earlier run that was interrupted left what these servers had kept on them.
  for (const { server, ports } of found.servers) {
    if (!first || ports.kept === undefined) continue;
    warn(
      `Static RPC ports of site ${site}: ${server.name} was changed by an earlier apply that did not finish` +
        (inSync(ports, wanted) ? " (it already has the declared ports)" : "") +
        `; what it had before exchange-cas changed it (${describePair(ports.kept)}) ` +
        "is kept on the server and is what a destroy gives back.",
    );
  }
}

function serverState(server: ExchangeServer, ports: ServerPorts, wanted: PortPair): ServerPortState {
  return {
    server: server.name,
    fqdn: server.fqdn,
    version: server.adminDisplayVersion,
    rpcClientAccess: ports.rpcClientAccess,
    addressBook: ports.addressBook,
    ...(ports.outlookSessions !== undefined ? { outlookSessions: ports.outlookSessions } : {}),
    inSync: inSync(ports, wanted),
  };
}

/** The outputs: every server as read now, and each one that cannot be read as it was last read. */
function outputs(
  inputs: StaticRpcPortsInputs,
  found: Survey,
  previous: Previous[],
  last: ServerPortState[] = [],
): StaticRpcPortsOutputs {
  const wanted = wantedOf(inputs);
  const read = found.servers.map(({ server, ports }) => serverState(server, ports, wanted));
  const kept = found.unreachable.flatMap(({ server, reason }) => {
    const known = last.find((l) => sameName(l.server, server.name));
    return known === undefined ? [] : [{ ...known, unreachable: reason }];
  });
  return plain({
    ...inputs,
    siteName: inputs.site,
    servers: [...read, ...kept].sort((a, b) => a.server.localeCompare(b.server)),
    loadBalancer: loadBalancerFor(inputs),
    previous,
  });
}

/**
 * What each server had before this stack first changed its ports, put back on delete. The first
 * record wins: what state holds (recorded when the stack first saw the server), then what the
 * server itself kept (an apply interrupted before it could record anything), then what the
 * server has now (a server this stack has not changed yet).
 */
export function recordPrevious(previous: Previous[], found: Pick<Survey, "servers">): Previous[] {
  const kept = new Map(previous.map((p) => [p.server.toLowerCase(), p]));
  for (const { server, ports } of found.servers) {
    if (kept.has(server.name.toLowerCase())) continue;
    const before = ports.kept ?? configuredPorts(ports);
    kept.set(server.name.toLowerCase(), { server: server.name, ...before });
  }
  return [...kept.values()].sort((a, b) => a.server.localeCompare(b.server));
}

function previousFor(previous: Previous[], server: string): PortPair | undefined {
  const p = previous.find((e) => sameName(e.server, server));
  return p === undefined ? undefined : { rpcClientAccess: p.rpcClientAccess, addressBook: p.addressBook };
}

/**
 * Brings each server that is not as wanted to `wanted`, one at a time: write, restart, read
 * back; a server that does not listen on its ports afterwards stops the run before the next.
 * "apply" keeps what each server had (`previous`) on the server before its first change;
 * "restore" puts it back and forgets it there (a server already as it was only forgets it).
 */
async function converge(
  inputs: StaticRpcPortsInputs,
  found: Survey,
  previous: Previous[],
  mode: "apply" | "restore",
): Promise<Survey> {
  const via = serverConnectionOf(inputs);
  const done: string[] = [];
  const after: Survey["servers"] = [];
  const wantedFor = (server: string): PortPair =>
    mode === "apply" ? wantedOf(inputs) : (previousFor(previous, server) ?? DYNAMIC_PORTS);
  for (const [i, { server, ports }] of found.servers.entries()) {
    const wanted = wantedFor(server.name);
    if (inSync(ports, wanted)) {
      after.push({
        server,
        ports: mode === "restore" && ports.kept !== undefined ? await forgetServerPorts(via, server.fqdn) : ports,
      });
      continue;
    }
    let now: ServerPorts;
    const untouched = found.servers.slice(i + 1).map((s) => s.server.name);
    const rest =
      untouched.length === 0 ? "" : ` ${untouched.join(", ")} ${untouched.length === 1 ? "was" : "were"} not touched.`;
    try {
      now =
        mode === "apply"
          ? await setServerPorts(via, server.fqdn, wanted, previousFor(previous, server.name) ?? configuredPorts(ports))
          : await restoreServerPorts(via, server.fqdn, wanted);
    } catch (e) {
      throw new ExchangeCasError(
        "server-failed",
        `Setting the static RPC ports of ${server.name} failed: ${(e as Error).message.replace(/\.?\s*$/, "")}.` +
          (done.length > 0
            ? ` ${done.join(", ")} ${done.length === 1 ? "was" : "were"} already changed and restarted.`
            : "") +
          rest,
        { server: server.name, changed: done, untouched },
        { cause: e },
      );
    }
    if (!inSync(now, wanted)) {
      throw new ExchangeCasError(
        "server-failed",
        `${server.name} was changed and its services restarted, but it is not as declared: ${describeDrift(now, wanted)}. ` +
          `Look at MSExchangeRPC and MSExchangeAB on ${server.name} before the other servers are changed.${rest}`,
        { server: server.name, changed: done, untouched },
      );
    }
    // Done as the preview said: information, not a risk (the restart was warned about before).
    info(
      `${server.name}: ${describeTarget(wanted, "was")}, MSExchangeRPC and MSExchangeAB restarted; ` +
        `MSExchangeRPC listens on ${now.rpcClientAccess.listening.join(", ")} ` +
        `and MSExchangeAB on ${now.addressBook.listening.join(", ")}.`,
    );
    done.push(server.name);
    after.push({ server, ports: now });
  }
  return { servers: after, unreachable: found.unreachable };
}

function portsChanged(
  olds: Record<string, unknown>,
  news: Pick<StaticRpcPortsInputs, "rpcClientAccess" | "addressBook">,
): boolean {
  return olds.rpcClientAccess !== news.rpcClientAccess || olds.addressBook !== news.addressBook;
}

function oldWanted(olds: Record<string, unknown>): PortPair {
  const port = (v: unknown) => (typeof v === "number" ? v : null);
  return { rpcClientAccess: port(olds.rpcClientAccess), addressBook: port(olds.addressBook) };
}

/** Why a destroy could not put every server back: the ones that cannot be reached, and what to do. */
function notGivenBack(site: string, found: Survey, previous: Previous[]): string {
  const names = found.unreachable.map((u) => u.server.name);
  const one = names.length === 1;
  const unreachable = found.unreachable
    .map(
      (u) =>
        `${u.server.name} cannot be reached (${u.reason}), ` +
        `so it could not be given back ${describePair(previousFor(previous, u.server.name) ?? DYNAMIC_PORTS)}`,
    )
    .join("; ");
  const putBack = found.servers.map((s) => s.server.name);
  return (
    `Static RPC ports of site ${site}: ${unreachable}. ` +
    (putBack.length > 0 ? `${putBack.join(", ")} ${putBack.length === 1 ? "was" : "were"} put back. ` : "") +
    `Run the destroy again once ${one ? "it answers" : "they answer"}; ` +
    `to leave ${one ? "its" : "their"} ports as they are instead, set onDelete: "retain" and run 'pulumi up' first.`
  );
}

export const staticRpcPorts = {
  kind: "StaticRpcPorts",
  inputs: shape,
  outputs: OutputsSchema,
  diffRules: staticRpcPortsDiffRules,

  async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    const { inputs, failures } = checkProperties(shape, news);
    const rpc = inputs.rpcClientAccess;
    const ab = inputs.addressBook;
    if (typeof rpc === "number" && typeof ab === "number") {
      // The pair's own rule (two different ports), as the site's plan checks it, beside any other failure.
      const pair = StaticRpcPortPair.safeParse({ rpcClientAccess: rpc, addressBook: ab });
      for (const issue of pair.success ? [] : pair.error.issues)
        failures.push({ property: "addressBook", reason: `${issue.message}.` });
      // The advice on the range, for a declaration that is otherwise accepted, unless the site's plan gave it.
      if (pair.success && failures.length === 0 && inputs.plannedBySite !== true)
        for (const { label, port } of portsOutsideRange(pair.data)) warn(portRangeAdvice(label, port));
    }
    // A create: read the site's servers now, so the preview refuses what the apply would refuse
    // and says which servers restart. (An update is surveyed by diff, which has the old state;
    // new ports are checked here, because they need every server.)
    const isCreate = olds.site === undefined;
    if (failures.length === 0 && !containsUnknown(inputs)) {
      const parsed = parseChecked(InputsSchema, inputs, "StaticRpcPorts");
      const newPorts = !isCreate && portsChanged(olds, parsed);
      if (isCreate || newPorts) {
        try {
          const found = await survey(parsed);
          refuseUnreachable(parsed, found, isCreate ? "create" : "ports", oldWanted(olds));
          if (isCreate) announce(parsed.site, found, wantedOf(parsed), true);
        } catch (e) {
          failures.push({ property: "site", reason: (e as Error).message } satisfies CheckFailure);
        }
      }
    }
    return { inputs, failures };
  },

  async diff(_id: string, olds: StaticRpcPortsOutputs, news: Record<string, unknown>) {
    const { changes: inputsChanged, replaces } = diffInputs(staticRpcPortsDiffRules, olds, news);
    // Another site: the old site's servers are put back before the new site's are changed.
    if (replaces.length > 0 || containsUnknown(news)) return { changes: true, replaces, deleteBeforeReplace: true };
    // The servers as they are now, not as last read: the preview tells what the update will do.
    const parsed = parseChecked(InputsSchema, news, "StaticRpcPorts");
    const found = await survey(parsed);
    warnUnreachable(parsed.site, found, olds.servers);
    const wanted = wantedOf(parsed);
    const drift = found.servers.some((s) => !inSync(s.ports, wanted));
    if (drift) announce(parsed.site, found, wanted);
    return { changes: inputsChanged || drift, replaces, deleteBeforeReplace: true };
  },

  async create(raw: Record<string, unknown>) {
    const inputs = parseChecked(InputsSchema, raw, "StaticRpcPorts");
    const found = await survey(inputs);
    refuseUnreachable(inputs, found, "create");
    const previous = recordPrevious([], found);
    const after = await converge(inputs, found, previous, "apply");
    return { id: inputs.site, outs: outputs(inputs, after, previous) };
  },

  async read(id: string, props: StaticRpcPortsOutputs) {
    const inputs = parseChecked(InputsSchema, pick(props), "StaticRpcPorts");
    const found = await survey(inputs);
    warnUnreachable(inputs.site, found, props.servers);
    const previous = recordPrevious(props.previous, found);
    return { id, props: outputs(inputs, found, previous, props.servers), inputs: plain(pick({ ...props, ...inputs })) };
  },

  async update(_id: string, olds: StaticRpcPortsOutputs, news: Record<string, unknown>) {
    const inputs = parseChecked(InputsSchema, news, "StaticRpcPorts");
    const found = await survey(inputs);
    if (portsChanged(olds, inputs)) refuseUnreachable(inputs, found, "ports", oldWanted(olds));
    warnUnreachable(inputs.site, found, olds.servers);
    const previous = recordPrevious(olds.previous, found);
    const after = await converge(inputs, found, previous, "apply");
    return { outs: outputs(inputs, after, previous, olds.servers) };
  },

  async delete(_id: string, props: StaticRpcPortsOutputs) {
    const inputs = parseChecked(InputsSchema, pick(props), "StaticRpcPorts");
    if (inputs.onDelete === "retain") {
      warn(`Static RPC ports of site ${inputs.site} are left as they are (onDelete is retain).`);
      return;
    }
    const found = await survey(inputs);
    const previous = recordPrevious(props.previous, found);
    await converge(inputs, found, previous, "restore");
    // Every server that answered is back; one that cannot be reached keeps the stack's ports
    // until it is: the delete fails (and runs again) rather than forget what to give back.
    if (found.unreachable.length > 0) {
      const names = found.unreachable.map((u) => u.server.name);
      throw new ExchangeCasError(
        "server-failed",
        notGivenBack(inputs.site, found, previous),
        { site: inputs.site, unreachable: names },
        causeOf(
          found.unreachable.map((u) => u.error),
          `${names.length} servers of site ${inputs.site} could not be read`,
        ),
      );
    }
  },
} satisfies ResourceDefinition<StaticRpcPortsOutputs>;

/** The inputs among stored outputs. */
function pick(props: Partial<StaticRpcPortsOutputs>): Record<string, unknown> {
  return inputsAmong(shape, props);
}
