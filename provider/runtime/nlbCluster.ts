// NlbCluster: Windows Network Load Balancing on the Client Access servers of an AD site, the VIP
// a CAS array's name can point at when there is no hardware load balancer (LB-WIRING 2, 8 #5).
//
// The cluster is made on the site's Client Access servers through PowerShell remoting (the NLB
// cmdlets run on the servers: ps/server/NlbCluster.ps1, PowerShell 2.0): New-NlbCluster on the
// first, Add-NlbClusterNode for the others, and port rules for exactly the declared ports (TCP 135
// and the static RPC ports), each with affinity Single; the all-ports rule a new cluster has is
// replaced. Refused before anything changes: DAG members and servers running the Cluster service
// (NLB and Failover Clustering cannot share a server), fewer than two servers, a VIP that is a
// server's own, outside its nodes' subnet, or already answering. Changes go one node at a time,
// each once the cluster has converged; a node that leaves is drained first and never the last
// started one. Drift (a node stopped, suspended or added by hand, a rule edited, the mode changed)
// is seen on refresh and put back by the next up. Delete refuses while the array's name still
// points at the VIP, then removes the cluster; onDelete "retain" leaves it.
import { z } from "zod";
import { getARecords } from "../dns";
import { listDatabaseAvailabilityGroups, listExchangeServers, type ExchangeServer } from "../exchange";
import { ConnectionSchema, describeConnection, ServerConnectionSchema, siteConnections } from "../shell";
import {
  NLB_MODES,
  runNlb,
  type NlbArguments,
  type NlbCluster,
  type NlbHostReport,
  type NlbMode,
} from "../windows/nlb";
import { checkProperties, containsUnknown, parseChecked, inputsAmong, plain, type CheckFailure } from "./check";
import type { ResourceDefinition } from "./contract";
import { diffInputs, sameName, type DiffRules } from "./diff";
import { warn } from "./log";
import {
  announceStep,
  isConverged,
  membershipRefusals,
  nlbRefusals,
  nlbWarning,
  nodeIs,
  planNlbSteps,
  SubnetMask,
  type NlbNodeFacts,
  type NlbStep,
} from "./nlbRules";
import { DnsServerName, DnsZoneName, Fqdn, IPv4Address, OnDelete, relativeRecordName, SiteName } from "./rules";
import { causeOf, ExchangeCasError } from "../errors";

const NlbPort = z
  .number({ error: "must be a TCP port number such as 135" })
  .int("must be a whole TCP port number")
  .min(1, "must be a TCP port from 1 to 65535")
  .max(65535, "must be a TCP port from 1 to 65535");

/** The mode as the user writes it (any case), as NLB names it. */
const Mode = z.string({ error: 'must be "unicast", "multicast" or "igmpMulticast"' }).transform((v, ctx) => {
  const found = NLB_MODES.find((m) => m.toLowerCase() === v.toLowerCase());
  if (found === undefined)
    ctx.addIssue({
      code: "custom",
      message: `"${v}" is not an NLB operation mode: use "unicast", "multicast" or "igmpMulticast"`,
    });
  return found ?? "Unicast";
});

/** The record whose name may point at the VIP: delete refuses while it does. */
const DnsGuard = z
  .object(
    { fqdn: Fqdn, zone: DnsZoneName, dnsServer: DnsServerName, connection: ConnectionSchema },
    { error: "must be { fqdn, zone, dnsServer, connection }: the array's name and where its A record is" },
  )
  .strict();

const shape = {
  /** The AD site: its Client Access servers are the cluster's nodes. */
  site: SiteName,
  /** The cluster's IP address (the VIP), free, in the nodes' subnet. */
  vip: IPv4Address,
  subnetMask: SubnetMask,
  /** The network interface NLB is bound to, by name, the same on every node (e.g. "Local Area Connection"). */
  interface: z
    .string({ error: "must be the name of a network interface, such as Local Area Connection" })
    .min(1, "must not be empty")
    .max(256, "must be at most 256 characters")
    // eslint-disable-next-line no-control-regex
    .refine((v) => !/[\u0000-\u001f]/.test(v), "must not contain control characters"),
  mode: Mode.optional(),
  /** The ports the VIP forwards (each a TCP rule with affinity Single): 135 and the static RPC ports. */
  ports: z
    .array(NlbPort, { error: "must be a list of TCP ports, such as [135, 59532, 59533]" })
    .min(1, "must name at least one port: the VIP forwards nothing else")
    .transform((list) => [...new Set(list)].sort((a, b) => a - b)),
  /** The cluster's name (New-NlbCluster -ClusterName); default: the VIP. */
  clusterName: z.string().min(1).max(255).optional(),
  /** Seconds a leaving node drains (Stop-NlbClusterNode -Drain -Timeout) before its remaining connections are cut. */
  drainTimeoutSeconds: z.number().int().min(0).max(3600).optional(),
  /** Seconds to wait for the cluster to converge after the changes of one step. */
  convergenceTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
  /** The array's name and A record: delete refuses while that name points at the VIP. */
  dns: DnsGuard.optional(),
  onDelete: OnDelete("remove the cluster from its nodes", "leave the cluster as it is").optional(),
  connection: ConnectionSchema,
  serverConnection: ServerConnectionSchema.optional(),
};
const InputsSchema = z.object(shape);
export type NlbClusterInputs = z.infer<typeof InputsSchema>;

export const DEFAULT_DRAIN_SECONDS = 60;
export const DEFAULT_CONVERGENCE_SECONDS = 60;

/**
 * How diff compares each input with state. Another site, VIP, mask or interface is another
 * cluster (replaced, the old one removed first: an interface has one cluster); the mode, name
 * and ports change in place, node by node.
 */
export const nlbClusterDiffRules: DiffRules<NlbClusterOutputs> = {
  site: { compare: "name", replaces: true },
  vip: { compare: "value", replaces: true },
  subnetMask: { compare: "value", replaces: true },
  interface: { compare: "name", replaces: true },
  mode: { compare: "value", default: "Unicast" },
  ports: { compare: "value" },
  clusterName: { compare: "name", default: null },
  drainTimeoutSeconds: { compare: "value", default: DEFAULT_DRAIN_SECONDS },
  convergenceTimeoutSeconds: { compare: "value", default: DEFAULT_CONVERGENCE_SECONDS },
  dns: { compare: "value", default: null },
  onDelete: { compare: "value", default: "restore" },
  connection: { compare: "value" },
  serverConnection: { compare: "value", default: null },
};

const NodeStateSchema = z.object({
  server: z.string(),
  fqdn: z.string(),
  address: z.string(),
  state: z.string(),
  hostId: z.number(),
});
const RuleSchema = z.object({
  startPort: z.number(),
  endPort: z.number(),
  protocol: z.string(),
  filteringMode: z.string(),
  affinity: z.string(),
});

const OutputsSchema = InputsSchema.extend({
  siteName: z.string(),
  /** The mode Get-NlbCluster reports (UNICAST, MULTICAST, IGMPMULTICAST). */
  reportedMode: z.string(),
  nodes: z.array(NodeStateSchema),
  portRules: z.array(RuleSchema),
  /** The cluster is as declared: every node converged, the rules exactly the ports. */
  inSync: z.boolean(),
  /** What the VIP publishes, for whoever reads the stack. */
  loadBalancer: z.object({
    vip: z.string(),
    protocol: z.literal("TCP"),
    ports: z.array(z.number()),
    affinity: z.string(),
  }),
});
export type NlbClusterOutputs = z.infer<typeof OutputsSchema>;

interface Settings extends NlbClusterInputs {
  mode: NlbMode;
  clusterName: string;
  drainSeconds: number;
  waitSeconds: number;
}

function settingsOf(inputs: NlbClusterInputs): Settings {
  return {
    ...inputs,
    mode: inputs.mode ?? "Unicast",
    clusterName: inputs.clusterName ?? inputs.vip,
    drainSeconds: inputs.drainTimeoutSeconds ?? DEFAULT_DRAIN_SECONDS,
    waitSeconds: inputs.convergenceTimeoutSeconds ?? DEFAULT_CONVERGENCE_SECONDS,
  };
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\.?\s*$/, "");
}

// The cluster's sentences, each built from its clauses (the host tests assert them exactly).
type Where = Pick<Settings, "vip" | "site">;

/** The nodes as a sentence shows them: "CAS1 Converged, CAS2 Stopped". */
function nodeStates(cluster: NlbCluster | undefined): string {
  return (cluster?.nodes ?? []).map((n) => `${n.name} ${n.state}`).join(", ");
}

function unreadableServers(at: Where, unreachable: readonly string[], via: string): string {
  const servers = unreachable.length === 1 ? "a server" : `${unreachable.length} servers`;
  return (
    `NLB cluster ${at.vip} of site ${at.site}: ${servers} could not be read through ${via} ` +
    `(${unreachable.join("; ")}). Every Client Access server of the site must be ` +
    "reachable with PowerShell remoting (run Enable-PSRemoting on Windows Server " +
    "2008 R2) before any is changed; nothing was changed."
  );
}

function stillConverging(at: Settings, cluster: NlbCluster | undefined): string {
  return (
    `NLB cluster ${at.vip} of site ${at.site} is still converging after ` +
    `${at.waitSeconds} s (nodes: ${nodeStates(cluster)}), ` +
    "so no change was made: a change now would start another convergence. " +
    "Look at the NLB events on the nodes, then run up again."
  );
}

function lastStartedNode(server: string, vip: string): string {
  return (
    `${server} is the last started node of NLB cluster ${vip}: ` +
    "removing it would leave the VIP with no server behind it. Start another node first."
  );
}

function stepFailed(at: Where, step: NlbStep, cause: string, done: readonly string[], left: readonly string[]): string {
  const before = done.length > 0 ? ` Done before: ${done.join(", ")}.` : "";
  const notDone = left.length > 0 ? ` Not done: ${left.join(", ")}.` : "";
  return (
    `NLB cluster ${at.vip} of site ${at.site}: ${step.kind} on ${step.server} failed: ` +
    `${cause}.${before}${notDone} The next up starts from what the servers report.`
  );
}

function notConverged(at: Settings, step: NlbStep, cluster: NlbCluster | undefined, left: readonly string[]): string {
  const notDone = left.length > 0 ? ` (not done: ${left.join(", ")})` : "";
  return (
    `NLB cluster ${at.vip} of site ${at.site} did not converge within ` +
    `${at.waitSeconds} s after ${step.kind} on ${step.server} ` +
    `(nodes: ${nodeStates(cluster) || "none"}); no further change was made${notDone}. ` +
    "Look at the NLB events on the nodes (a configuration that differs between nodes " +
    "keeps them converging), then run up again."
  );
}

function stepDone(vip: string, step: NlbStep): string {
  const reconnected =
    step.kind === "leave" && step.sessions > 0
      ? " (its Outlook sessions reconnected through the VIP to the other nodes)"
      : "";
  return `NLB cluster ${vip}: ${step.kind} on ${step.server} done${reconnected}; the cluster has converged.`;
}

function takenOver(at: Where): string {
  return (
    `NLB cluster ${at.vip} already exists on the Client Access servers of site ${at.site} ` +
    "(an earlier apply, perhaps interrupted): it is taken as this stack's and brought to the declaration."
  );
}

function namePointsAtVip(at: Where, dns: { fqdn: string; dnsServer: string } | undefined): string {
  return (
    `NLB cluster ${at.vip} of site ${at.site} is not removed: ` +
    `${dns?.fqdn ?? "the array's name"} still points at it ` +
    `(A record on ${dns?.dnsServer ?? "the DNS server"}), and removing the cluster would leave ` +
    "Outlook clients with a name that answers nothing. " +
    "Move the name off the VIP first (point it at a Client Access server or another " +
    "load balancer and apply), then remove the cluster."
  );
}

function cannotRemoveNow(at: Where, unreachable: readonly string[]): string {
  return (
    `NLB cluster ${at.vip} of site ${at.site} cannot be removed now: ` +
    `none of the servers that could be read has it, and ${unreachable.join("; ")}. ` +
    "Bring a node back (or remove the cluster at its console with Remove-NlbCluster), " +
    "or set onDelete to retain to let the stack forget it."
  );
}

function removed(at: Where, cluster: NlbCluster): string {
  return (
    `NLB cluster ${at.vip} of site ${at.site} was removed from ` +
    `${cluster.nodes.map((n) => n.name).join(", ")} (Remove-NlbCluster).`
  );
}

interface Survey {
  /** The site's Client Access servers (the declared nodes), sorted by name, with what each reported. */
  nodes: (NlbNodeFacts & { fqdn: string })[];
  /** With `tolerate`: servers that could not be read, and why. */
  unreachable: string[];
  /** The errors that said so, in the same order (the cause of what refuses them). */
  failures: unknown[];
  /** Nodes of the cluster that are not Client Access servers of the site (added by hand). */
  strays: { server: string; fqdn: string; sessions: number }[];
  /** The cluster on the VIP, as a member sees it; undefined when none of the servers has it. */
  cluster?: NlbCluster;
}

/** The site's Client Access servers and the DAG each is in. */
async function siteServers(
  inputs: NlbClusterInputs,
): Promise<{ all: ExchangeServer[]; cas: ExchangeServer[]; dagOf: Map<string, string> }> {
  const [all, dags] = await Promise.all([
    listExchangeServers(inputs.connection),
    listDatabaseAvailabilityGroups(inputs.connection),
  ]);
  const cas = all
    .filter((s) => sameName(s.siteName, inputs.site) && s.isClientAccessServer)
    .sort((a, b) => a.name.localeCompare(b.name));
  const dagOf = new Map<string, string>();
  for (const dag of dags) for (const member of dag.servers) dagOf.set(member.toLowerCase(), dag.name);
  return { all, cas, dagOf };
}

/**
 * Reads every Client Access server of the site (and any stray node of the cluster); a server that
 * cannot be reached refuses the whole site. With `probe`, the first server pings the VIP.
 */
export async function surveyNlb(
  raw: NlbClusterInputs,
  options: { probe?: boolean; refuse?: boolean; tolerate?: boolean } = {},
): Promise<Survey> {
  const inputs = settingsOf(raw);
  const via = siteConnections(inputs).serverConnection;
  const { all, cas, dagOf } = await siteServers(inputs);
  if (options.refuse === true) {
    // What Exchange alone refuses (DAG members, too few servers), before any server is contacted.
    const membership = membershipRefusals(
      inputs.site,
      cas.map((s) => ({
        server: s.name,
        ...(dagOf.has(s.name.toLowerCase()) ? { dag: dagOf.get(s.name.toLowerCase()) } : {}),
      })),
    );
    if (membership.length > 0) refuseWith(inputs, membership);
  }
  const unreachable: string[] = [];
  const failures: unknown[] = [];
  const nodes: Survey["nodes"] = [];
  for (const [i, server] of cas.entries()) {
    try {
      const report = await runNlb(via, server.fqdn, "Read", {
        interface: inputs.interface,
        ...(options.probe === true && i === 0 ? { vip: inputs.vip } : {}),
      });
      const dag = dagOf.get(server.name.toLowerCase());
      nodes.push({ server: server.name, fqdn: server.fqdn, report, ...(dag !== undefined ? { dag } : {}) });
    } catch (e) {
      unreachable.push(`${server.name}: ${message(e)}`);
      failures.push(e);
    }
  }
  if (unreachable.length > 0 && options.tolerate !== true) {
    throw new ExchangeCasError(
      "refused",
      unreadableServers(inputs, unreachable, describeConnection(via)),
      { site: inputs.site, unreachable },
      causeOf(failures, `${unreachable.length} servers of site ${inputs.site} could not be read`),
    );
  }
  const views = nodes
    .map((n) => n.report.cluster)
    .filter((c): c is NlbCluster => c !== undefined && c.vip === inputs.vip);
  const cluster = views.find((c) => c.nodes.some((n) => isConverged(n.state))) ?? views[0];
  const strays: Survey["strays"] = [];
  for (const node of cluster?.nodes ?? []) {
    if (cas.some((s) => nodeIs(node.name, s.name))) continue;
    const known = all.find((s) => nodeIs(node.name, s.name));
    const fqdn = known?.fqdn ?? node.name;
    const sessions = await runNlb(via, fqdn, "Read", { interface: inputs.interface }).then(
      (r) => r.outlookSessions,
      () => -1,
    );
    strays.push({ server: known?.name ?? node.name, fqdn, sessions });
  }
  return { nodes, unreachable, failures, strays, ...(cluster !== undefined ? { cluster } : {}) };
}

function refuseWith(inputs: Pick<Settings, "vip" | "site">, refusals: string[]): never {
  throw new ExchangeCasError(
    "refused",
    `NLB cluster ${inputs.vip} of site ${inputs.site} is refused: ${refusals.join(" ")} Nothing was changed.`,
    { site: inputs.site, refusals },
  );
}

/** Refuses the declaration when a rule says no; nothing has been changed. */
function refuse(inputs: Settings, found: Survey): void {
  const refusals = nlbRefusals(inputs, found.nodes);
  if (refusals.length > 0) refuseWith(inputs, refusals);
}

function stepsOf(inputs: Settings, found: Survey): NlbStep[] {
  const sessions = (server: string) =>
    found.nodes.find((n) => sameName(n.server, server))?.report.outlookSessions ??
    found.strays.find((s) => nodeIs(s.server, server))?.sessions ??
    -1;
  return planNlbSteps(
    inputs,
    found.nodes.map((n) => n.server),
    found.cluster,
    sessions,
  );
}

/** Says what the apply will do, change by change, as the static ports do. */
function announce(inputs: Settings, steps: readonly NlbStep[]): void {
  steps.forEach((_, i) => warn(announceStep(inputs, steps, i)));
}

function fqdnOf(found: Survey, server: string): string {
  return (
    found.nodes.find((n) => sameName(n.server, server))?.fqdn ??
    found.strays.find((s) => nodeIs(s.server, server))?.fqdn ??
    server
  );
}

/**
 * Makes the steps, one at a time, each on a cluster that has converged; a step that fails or does
 * not converge stops the run, saying what was done and what was not.
 */
async function execute(inputs: Settings, found: Survey, steps: readonly NlbStep[]): Promise<NlbCluster | undefined> {
  const via = siteConnections(inputs).serverConnection;
  const base: NlbArguments = { interface: inputs.interface, waitSeconds: inputs.waitSeconds };
  const done: string[] = [];
  let cluster = found.cluster;
  const operator = () => {
    const member = found.nodes.find((n) =>
      cluster?.nodes.some((c) => nodeIs(c.name, n.server) && isConverged(c.state)),
    );
    return member?.server;
  };
  // The cluster as it is now, settled, before the first change.
  const settle = async (server: string | undefined): Promise<NlbHostReport | undefined> =>
    server === undefined ? undefined : runNlb(via, fqdnOf(found, server), "Read", base);
  const stable = (state: string) => isConverged(state) || state === "Stopped" || state === "Suspended";
  if (cluster !== undefined && steps.length > 0 && !cluster.nodes.every((n) => stable(n.state))) {
    const settled = await settle(operator() ?? found.nodes[0]?.server);
    if (settled !== undefined && !settled.converged) {
      throw new ExchangeCasError("server-failed", stillConverging(inputs, settled.cluster), {
        site: inputs.site,
        done: [],
        left: steps.map((s) => `${s.kind} ${s.server}`),
      });
    }
    if (settled?.cluster !== undefined) cluster = settled.cluster;
  }
  for (const [i, step] of steps.entries()) {
    const left = steps.slice(i + 1).map((s) => `${s.kind} ${s.server}`);
    let report: NlbHostReport;
    try {
      switch (step.kind) {
        case "create":
          report = await runNlb(via, fqdnOf(found, step.server), "Create", {
            ...base,
            vip: inputs.vip,
            subnetMask: inputs.subnetMask,
            mode: inputs.mode,
            clusterName: inputs.clusterName,
            ports: inputs.ports,
          });
          break;
        case "join":
          report = await runNlb(via, fqdnOf(found, step.via), "Join", {
            ...base,
            node: fqdnOf(found, step.server),
            nodeInterface: inputs.interface,
          });
          break;
        case "start":
          report = await runNlb(via, fqdnOf(found, step.server), "Start", { ...base, node: step.server });
          break;
        case "settings":
          report = await runNlb(via, fqdnOf(found, step.server), "Mode", {
            ...base,
            mode: inputs.mode,
            clusterName: inputs.clusterName,
          });
          break;
        case "rules":
          report = await runNlb(via, fqdnOf(found, step.server), "Rules", { ...base, ports: inputs.ports });
          break;
        case "leave": {
          const others = (cluster?.nodes ?? []).filter((n) => !nodeIs(n.name, step.server) && isConverged(n.state));
          if (others.length === 0) {
            throw new ExchangeCasError("refused", lastStartedNode(step.server, inputs.vip), { server: step.server });
          }
          await runNlb(via, fqdnOf(found, step.server), "Leave", {
            interface: inputs.interface,
            node: step.server,
            drainSeconds: inputs.drainSeconds,
          });
          // The others re-converge without it: read (and wait for) them from one that stays.
          const stays = found.nodes.find(
            (n) => !sameName(n.server, step.server) && others.some((o) => nodeIs(o.name, n.server)),
          );
          report = await runNlb(via, stays?.fqdn ?? fqdnOf(found, others[0]?.name ?? step.server), "Read", base);
          break;
        }
      }
    } catch (e) {
      throw new ExchangeCasError(
        "server-failed",
        stepFailed(inputs, step, message(e), done, left),
        { server: step.server, done, left },
        { cause: e },
      );
    }
    if (!report.converged) {
      throw new ExchangeCasError("server-failed", notConverged(inputs, step, report.cluster, left), {
        server: step.server,
        done,
        left,
      });
    }
    cluster = report.cluster ?? cluster;
    done.push(`${step.kind} ${step.server}`);
    warn(stepDone(inputs.vip, step));
  }
  return cluster;
}

/** The survey with the cluster as the last change reported it (each change reads back what it did). */
function after(found: Survey, cluster: NlbCluster | undefined): Survey {
  const { cluster: _before, ...rest } = found;
  return {
    ...rest,
    strays: rest.strays.filter((s) => cluster?.nodes.some((n) => nodeIs(n.name, s.server)) === true),
    ...(cluster !== undefined ? { cluster } : {}),
  };
}

function outputs(raw: NlbClusterInputs, found: Survey): NlbClusterOutputs {
  const inputs = settingsOf(raw);
  const cluster = found.cluster;
  const facts = (name: string) => found.nodes.find((n) => nodeIs(name, n.server));
  const steps = stepsOf(inputs, found);
  return plain({
    ...raw,
    siteName: raw.site,
    reportedMode: cluster?.mode ?? "",
    nodes: (cluster?.nodes ?? []).map((n) => {
      const f = facts(n.name);
      const address = f?.report.interfaces.find((i) => sameName(i.name, inputs.interface))?.address ?? "";
      return { server: f?.server ?? n.name, fqdn: f?.fqdn ?? n.name, address, state: n.state, hostId: n.hostId };
    }),
    portRules: (cluster?.rules ?? []).map((r) => ({
      startPort: r.startPort,
      endPort: r.endPort,
      protocol: r.protocol,
      filteringMode: r.filteringMode,
      affinity: r.affinity,
    })),
    inSync: cluster !== undefined && steps.length === 0,
    loadBalancer: {
      vip: raw.vip,
      protocol: "TCP" as const,
      ports: raw.ports,
      affinity: "Single: one node per client IP for the whole Outlook session (NLB's only persistence)",
    },
  });
}

/** The inputs among stored outputs. */
function pick(props: Partial<NlbClusterOutputs>): Record<string, unknown> {
  return inputsAmong(shape, props);
}

/**
 * The plan of a create or update: survey (the first server also pings the VIP: only a VIP that is
 * not yet the cluster's can answer as something else), refusals, steps; said at preview.
 */
async function plan(raw: NlbClusterInputs): Promise<{ inputs: Settings; found: Survey; steps: NlbStep[] }> {
  const inputs = settingsOf(raw);
  const found = await surveyNlb(inputs, { probe: true, refuse: true });
  refuse(inputs, found);
  return { inputs, found, steps: stepsOf(inputs, found) };
}

/** The A records at the guarded name that point at the VIP. */
async function nameOnVip(inputs: NlbClusterInputs): Promise<boolean> {
  if (inputs.dns === undefined) return false;
  const relative = relativeRecordName(inputs.dns.fqdn, inputs.dns.zone);
  if ("error" in relative) return false;
  const records = await getARecords(inputs.dns.connection, {
    dnsServer: inputs.dns.dnsServer,
    zone: inputs.dns.zone,
    name: relative.name,
  });
  return records.some((r) => r.address === inputs.vip);
}

export const nlbCluster = {
  kind: "NlbCluster",
  inputs: shape,
  outputs: OutputsSchema,
  diffRules: nlbClusterDiffRules,

  async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    const { inputs, failures } = checkProperties(shape, news);
    // A create: read the servers now, so the preview refuses what the apply would refuse and says
    // what it will do, node by node. (An update is read by diff, which has the old state.)
    if (olds.site === undefined && failures.length === 0 && !containsUnknown(inputs)) {
      try {
        const planned = await plan(parseChecked(InputsSchema, inputs, "NlbCluster"));
        warn(nlbWarning(planned.inputs.site, planned.inputs.mode));
        announce(planned.inputs, planned.steps);
      } catch (e) {
        failures.push({ property: "site", reason: e instanceof Error ? e.message : String(e) } satisfies CheckFailure);
      }
    }
    return { inputs, failures };
  },

  async diff(_id: string, olds: NlbClusterOutputs, news: Record<string, unknown>) {
    const { changes: inputsChanged, replaces } = diffInputs(nlbClusterDiffRules, olds, news);
    if (replaces.length > 0 || containsUnknown(news)) return { changes: true, replaces, deleteBeforeReplace: true };
    const planned = await plan(parseChecked(InputsSchema, news, "NlbCluster"));
    announce(planned.inputs, planned.steps);
    return { changes: inputsChanged || planned.steps.length > 0, replaces, deleteBeforeReplace: true };
  },

  async create(raw: Record<string, unknown>) {
    const planned = await plan(parseChecked(InputsSchema, raw, "NlbCluster"));
    if (planned.found.cluster !== undefined) {
      warn(takenOver(planned.inputs));
    }
    const cluster = await execute(planned.inputs, planned.found, planned.steps);
    return { id: planned.inputs.site, outs: outputs(planned.inputs, after(planned.found, cluster)) };
  },

  async read(id: string, props: NlbClusterOutputs) {
    const inputs = parseChecked(InputsSchema, pick(props), "NlbCluster");
    const found = await surveyNlb(inputs);
    // Removed by hand from every node: gone; the next up creates it again.
    if (found.cluster === undefined) return { id: "" };
    return { id, props: outputs(inputs, found), inputs: pick(inputs) };
  },

  async update(_id: string, _olds: NlbClusterOutputs, news: Record<string, unknown>) {
    const planned = await plan(parseChecked(InputsSchema, news, "NlbCluster"));
    const cluster = await execute(planned.inputs, planned.found, planned.steps);
    return { outs: outputs(planned.inputs, after(planned.found, cluster)) };
  },

  async delete(_id: string, props: NlbClusterOutputs) {
    const inputs = settingsOf(parseChecked(InputsSchema, pick(props), "NlbCluster"));
    if (inputs.onDelete === "retain") {
      warn(`NLB cluster ${inputs.vip} of site ${inputs.site} is left on its nodes (onDelete is retain).`);
      return;
    }
    if (await nameOnVip(inputs)) {
      throw new ExchangeCasError("refused", namePointsAtVip(inputs, inputs.dns), {
        site: inputs.site,
        vip: inputs.vip,
      });
    }
    // One node is enough to remove the cluster from all of them: a server that is down does not
    // keep the stack from being destroyed.
    const found = await surveyNlb(inputs, { tolerate: true });
    const member = found.nodes.find((n) => n.report.cluster?.vip === inputs.vip);
    if (member === undefined && found.unreachable.length > 0) {
      throw new ExchangeCasError(
        "server-failed",
        cannotRemoveNow(inputs, found.unreachable),
        { site: inputs.site, unreachable: found.unreachable },
        causeOf(found.failures, `${found.unreachable.length} servers of site ${inputs.site} could not be read`),
      );
    }
    if (found.cluster === undefined || member === undefined) return;
    await runNlb(siteConnections(inputs).serverConnection, member.fqdn, "Remove", { interface: inputs.interface });
    warn(removed(inputs, found.cluster));
  },
} satisfies ResourceDefinition<NlbClusterOutputs>;
