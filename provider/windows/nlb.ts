// Typed client for Windows Network Load Balancing on one Exchange 2010 Client Access server. The
// NLB cmdlets run on the server itself (the NetworkLoadBalancingClusters module of Windows Server
// 2008 R2, PowerShell 2.0): the script ps/server/NlbCluster.ps1 is sent with Invoke-Command
// -ComputerName exactly as the static RPC ports' script is (rpcPorts.ts): from this machine, the
// lab's servers, or an SSH jump host, through ExcasServer's Invoke-ExcasServerScript. Every action
// answers with the same report (what the server and its cluster look like after it), so each write
// is followed by a read. Values reach the script only as quoted literals or validated numbers.
import { z } from "zod";
import { parseRows, psAssetText, psQuote, sessions, type CommandSpec, type SessionConnection } from "../shell";
import { ExchangeCasError } from "../errors";

/** ps/server/NlbCluster.ps1, read once. */
export function nlbScript(): string {
  return psAssetText("server/NlbCluster.ps1");
}

/** NLB's operation modes, as New-NlbCluster -OperationMode takes them. */
export const NLB_MODES = ["Unicast", "Multicast", "IgmpMulticast"] as const;
export type NlbMode = (typeof NLB_MODES)[number];

export type NlbAction = "Read" | "Create" | "Join" | "Leave" | "Start" | "Rules" | "Mode" | "Remove";

/** What an action needs besides the server; unused ones are sent empty. */
export interface NlbArguments {
  interface: string;
  vip?: string;
  subnetMask?: string;
  mode?: NlbMode;
  clusterName?: string;
  ports?: readonly number[];
  /** The node joining (Join: its FQDN), or this server's name (Leave, Start). */
  node?: string;
  nodeInterface?: string;
  drainSeconds?: number;
  /** How long the script waits for the cluster to converge after a change (0: not at all). */
  waitSeconds?: number;
}

const SELECT = [
  "Kind",
  "ClusterService",
  "NlbModule",
  "ModuleError",
  "Sessions",
  "SessionsCut",
  "Converged",
  "VipAnswers",
  "InterfaceName",
  "InterfaceIP",
  "InterfaceSubnetMask",
  "DhcpEnabled",
  "NlbBound",
  "ClusterPrimaryIP",
  "Name",
  "IPAddress",
  "SubnetMask",
  "Mode",
  "State",
  "HostID",
  "VirtualIPAddress",
  "StartPort",
  "EndPort",
  "Protocol",
  "FilteringMode",
  "Affinity",
  "PortState",
] as const;

const text = z
  .string()
  .nullable()
  .transform((v) => v ?? "");
const Row = z.discriminatedUnion("Kind", [
  z.object({
    Kind: z.literal("Host"),
    ClusterService: z.string(),
    NlbModule: z.boolean(),
    ModuleError: z.string().nullable(),
    Sessions: z.number().int(),
    SessionsCut: z.number().int(),
    Converged: z.boolean(),
    VipAnswers: z.boolean().nullable(),
  }),
  z.object({
    Kind: z.literal("Interface"),
    InterfaceName: z.string(),
    InterfaceIP: text,
    InterfaceSubnetMask: text,
    DhcpEnabled: z.boolean(),
    NlbBound: z.boolean(),
    ClusterPrimaryIP: text,
  }),
  z.object({ Kind: z.literal("Cluster"), Name: text, IPAddress: z.string(), SubnetMask: text, Mode: z.string() }),
  z.object({
    Kind: z.literal("Node"),
    Name: z.string(),
    State: z.string(),
    HostID: z.number().int(),
    InterfaceName: text,
  }),
  z.object({
    Kind: z.literal("Rule"),
    VirtualIPAddress: text,
    StartPort: z.number().int(),
    EndPort: z.number().int(),
    Protocol: z.string(),
    FilteringMode: z.string(),
    Affinity: text,
    PortState: z.string(),
  }),
]);

export interface NlbInterface {
  name: string;
  address: string;
  subnetMask: string;
  dhcp: boolean;
  /** NLB is bound to it: the server is a node of a cluster there. */
  nlbBound: boolean;
  /** The VIP of the cluster bound to it ("" when none). */
  clusterVip: string;
}

export interface NlbNode {
  /** As NLB names the host (the server's name, perhaps its FQDN). */
  name: string;
  /** Converged, Converged(default), Converging, Draining, Stopped, Suspended, ... */
  state: string;
  hostId: number;
  interface: string;
}

export interface NlbPortRule {
  /** 255.255.255.255 (every cluster IP) or one VIP. */
  vip: string;
  startPort: number;
  endPort: number;
  protocol: string;
  /** Multiple, Single or Disabled. */
  filteringMode: string;
  affinity: string;
  state: string;
}

export interface NlbCluster {
  name: string;
  vip: string;
  subnetMask: string;
  /** UNICAST, MULTICAST or IGMPMULTICAST, as Get-NlbCluster shows it. */
  mode: string;
  nodes: NlbNode[];
  rules: NlbPortRule[];
}

/** One server as its script reported it after an action. */
export interface NlbHostReport {
  /** ClusSvc: Running, Stopped, ... or Missing (Failover Clustering not installed). */
  clusterService: string;
  /** The NetworkLoadBalancingClusters module loaded; otherwise why not. */
  nlbModule: boolean;
  moduleError?: string;
  /** RPC Client Access's user count now (-1: not known). */
  outlookSessions: number;
  /** Leave: the Outlook sessions open when the drain began (-1 otherwise). */
  sessionsCut: number;
  /** The change settled: no node converging or draining at the end. */
  converged: boolean;
  /** Read with a VIP: whether it answered a ping from this server. */
  vipAnswers?: boolean;
  interfaces: NlbInterface[];
  /** The cluster on the declared interface, if the server is a node of one. */
  cluster?: NlbCluster;
}

/** The command that runs `action` on `server` (its FQDN). */
export function nlbSpec(server: string, action: NlbAction, args: NlbArguments): CommandSpec {
  const numbers = [args.drainSeconds ?? 0, args.waitSeconds ?? 0, ...(args.ports ?? [])];
  for (const n of numbers) {
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      throw new ExchangeCasError(
        "invalid-inputs",
        `Invalid number ${n} for the NLB script: a port or a number of seconds is 0-65535.`,
        { value: n },
      );
  }
  const list = [
    action,
    args.interface,
    args.vip ?? "",
    args.subnetMask ?? "",
    args.mode ?? "",
    args.clusterName ?? "",
    (args.ports ?? []).join(","),
    args.node ?? "",
    args.nodeInterface ?? "",
  ]
    .map(psQuote)
    .join(", ");
  const script =
    `Invoke-ExcasServerScript -ComputerName ${psQuote(server)} -Script ${psQuote(nlbScript())} ` +
    `-ArgumentList ${list}, ${args.drainSeconds ?? 0}, ${args.waitSeconds ?? 0}`;
  return { cmdlet: "Invoke-ExcasServerScript", target: server, script, select: SELECT };
}

/** The report the script printed. */
export function parseNlbReport(server: string, data: unknown[]): NlbHostReport {
  const rows = parseRows(`Invoke-ExcasServerScript -ComputerName ${server} (NLB)`, data, Row);
  const host = rows.find((r) => r.Kind === "Host");
  if (host === undefined)
    throw new ExchangeCasError("unexpected-output", `${server} answered the NLB script without its report.`, {
      server,
    });
  const cluster = rows.find((r) => r.Kind === "Cluster");
  const report: NlbHostReport = {
    clusterService: host.ClusterService,
    nlbModule: host.NlbModule,
    ...(host.ModuleError !== null ? { moduleError: host.ModuleError } : {}),
    outlookSessions: host.Sessions,
    sessionsCut: host.SessionsCut,
    converged: host.Converged,
    ...(host.VipAnswers !== null ? { vipAnswers: host.VipAnswers } : {}),
    interfaces: rows.flatMap((r) =>
      r.Kind === "Interface"
        ? [
            {
              name: r.InterfaceName,
              address: r.InterfaceIP,
              subnetMask: r.InterfaceSubnetMask,
              dhcp: r.DhcpEnabled,
              nlbBound: r.NlbBound,
              clusterVip: r.ClusterPrimaryIP,
            },
          ]
        : [],
    ),
  };
  if (cluster === undefined) return report;
  return {
    ...report,
    cluster: {
      name: cluster.Name,
      vip: cluster.IPAddress,
      subnetMask: cluster.SubnetMask,
      mode: cluster.Mode,
      nodes: rows
        .flatMap((r) =>
          r.Kind === "Node" ? [{ name: r.Name, state: r.State, hostId: r.HostID, interface: r.InterfaceName }] : [],
        )
        .sort((a, b) => a.hostId - b.hostId),
      rules: rows
        .flatMap((r) =>
          r.Kind === "Rule"
            ? [
                {
                  vip: r.VirtualIPAddress,
                  startPort: r.StartPort,
                  endPort: r.EndPort,
                  protocol: r.Protocol,
                  filteringMode: r.FilteringMode,
                  affinity: r.Affinity,
                  state: r.PortState,
                },
              ]
            : [],
        )
        .sort((a, b) => a.startPort - b.startPort),
    },
  };
}

/** Runs `action` on `server` and returns what the server reports afterwards. */
export async function runNlb(
  connection: SessionConnection,
  server: string,
  action: NlbAction,
  args: NlbArguments,
): Promise<NlbHostReport> {
  const envelope = await sessions().invoke(connection, nlbSpec(server, action, args));
  return parseNlbReport(server, envelope.data);
}
