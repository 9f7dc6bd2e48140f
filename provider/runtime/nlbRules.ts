// The rules of Windows NLB on a site's Client Access servers, as pure functions of what was read
// (LB-WIRING 2): what is refused before anything changes, the warning every NLB site gets, and
// the changes an apply makes, one node at a time, with the sentence the preview says for each.
// NlbCluster (runtime/nlbCluster.ts) and CasArraySite's plan (plan/site.ts) both use them.
import { z } from "zod";
import type { NlbCluster, NlbHostReport, NlbMode } from "../windows/nlb";

/** One Client Access server of the site, as the rules see it once it has been read. */
export interface NlbNodeFacts {
  server: string;
  /** The database availability group it is a member of (Get-DatabaseAvailabilityGroup Servers). */
  dag?: string;
  report: NlbHostReport;
}

export interface NlbDeclaration {
  site: string;
  vip: string;
  subnetMask: string;
  interface: string;
  mode: NlbMode;
  ports: readonly number[];
}

/** A subnet mask: four octets, contiguous ones then zeros (255.255.255.0). */
export const SubnetMask = z
  .string({ error: "must be a subnet mask such as 255.255.255.0" })
  .trim()
  .refine((v) => {
    const n = ipv4Number(v);
    if (n === undefined || n === 0) return false;
    const inverted = ~n >>> 0;
    return (inverted & (inverted + 1)) === 0;
  }, "must be a subnet mask such as 255.255.255.0 (ones, then zeros)");

/** An IPv4 address as a 32-bit number, or undefined. */
export function ipv4Number(address: string): number | undefined {
  const parts = address.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0) >>> 0;
}

/** Whether `a` and `b` are on one subnet under `mask`. */
export function sameSubnet(a: string, b: string, mask: string): boolean {
  const [x, y, m] = [ipv4Number(a), ipv4Number(b), ipv4Number(mask)];
  if (x === undefined || y === undefined || m === undefined) return false;
  return (x & m) >>> 0 === (y & m) >>> 0;
}

function list(names: readonly string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1] ?? ""}`;
}

/** The modes as an admin reads them in Get-NlbCluster. */
export function modeName(mode: string): string {
  return mode.toLowerCase() === "igmpmulticast" ? "IGMP multicast" : mode.toLowerCase();
}

/** The alternative every refusal of NLB names. */
export const HARDWARE_ALTERNATIVE =
  "Use a hardware or virtual load balancer instead: " +
  "give its team the loadBalancer output (TCP 135 and the two static RPC ports, " +
  "client-IP affinity for the whole Outlook session) " +
  "and point the array's name at its VIP.";

/** What Exchange (and, once read, the server) says about a node's clustering. */
export interface NlbMembership {
  server: string;
  /** The database availability group it is a member of (Get-DatabaseAvailabilityGroup Servers). */
  dag?: string;
  /** ClusSvc's status on the server ("Missing": not installed); unknown before the server is read. */
  clusterService?: string;
}

/**
 * Nodes that cannot run NLB: members of a DAG (Failover Clustering, which a DAG runs on, and NLB
 * cannot share a server [MS-LB]), or servers running the Cluster service for another reason.
 * Undefined when there are none.
 */
export function clusteringRefusal(site: string, nodes: readonly NlbMembership[]): string | undefined {
  const byDag = new Map<string, string[]>();
  for (const n of nodes) if (n.dag !== undefined) byDag.set(n.dag, [...(byDag.get(n.dag) ?? []), n.server]);
  const clusSvc = nodes
    .filter((n) => n.dag === undefined && n.clusterService !== undefined && n.clusterService !== "Missing")
    .map((n) => n.server);
  if (byDag.size === 0 && clusSvc.length === 0) return undefined;
  const reasons = [
    ...[...byDag.entries()].map(
      ([dag, servers]) =>
        `${list(servers)} ${servers.length === 1 ? "is a member" : "are members"} of ` +
        `database availability group ${dag}`,
    ),
    ...(clusSvc.length > 0
      ? [
          `${list(clusSvc)} ${clusSvc.length === 1 ? "runs" : "run"} the Cluster service ` +
            "(Failover Clustering is installed)",
        ]
      : []),
  ];
  const all = [...[...byDag.values()].flat(), ...clusSvc];
  return (
    `Windows NLB cannot be used for the Client Access servers of site ${site}: ` +
    `${reasons.join(", and ")}, and Network Load Balancing and Failover Clustering ` +
    "cannot run on the same server (Microsoft does not support NLB on DAG members; " +
    "NLB logs event 4096 and may stop working on " +
    `${all.length === 1 ? "it" : "them"}). ${HARDWARE_ALTERNATIVE}`
  );
}

/** What Exchange alone refuses (before any server is read): too few nodes, DAG members. */
export function membershipRefusals(site: string, nodes: readonly NlbMembership[]): string[] {
  const count = nodeCountRefusal(
    site,
    nodes.map((n) => n.server),
  );
  const clustering = clusteringRefusal(site, nodes);
  return [count, clustering].filter((r): r is string => r !== undefined);
}

/** NLB on fewer than two servers balances nothing. */
export function nodeCountRefusal(site: string, servers: readonly string[]): string | undefined {
  if (servers.length >= 2) return undefined;
  const have = servers.length === 0 ? "none" : `only ${servers[0] ?? ""}`;
  return (
    `Windows NLB for site ${site} needs at least two Client Access servers to ` +
    `balance between, and the site has ${have}: add a second Client Access server, ` +
    "or point the array's name at the server itself (no load balancer)."
  );
}

/**
 * What is wrong with the declared interface and VIP on each node: the interface missing or on
 * DHCP, the VIP a node's own address, or outside a node's subnet.
 */
export function addressRefusals(
  declared: Pick<NlbDeclaration, "vip" | "subnetMask" | "interface">,
  nodes: readonly NlbNodeFacts[],
): string[] {
  const refusals: string[] = [];
  for (const n of nodes) {
    const found = n.report.interfaces.find((i) => i.name.toLowerCase() === declared.interface.toLowerCase());
    if (found === undefined) {
      const names = n.report.interfaces.map((i) => `'${i.name}' (${i.address})`);
      refusals.push(
        `${n.server} has no network interface named '${declared.interface}' (its ` +
          `interfaces: ${names.length > 0 ? names.join(", ") : "none"}); ` +
          "give the interface NLB is to be bound to on every node.",
      );
      continue;
    }
    if (found.dhcp) {
      refusals.push(
        `${n.server}'s interface '${found.name}' gets its address from DHCP: ` +
          "NLB needs a static address on every node (New-NlbCluster would overwrite the " +
          "DHCP setting); give it a static address first.",
      );
    }
    const own = n.report.interfaces.find((i) => i.address === declared.vip);
    if (own !== undefined) {
      refusals.push(
        `The VIP ${declared.vip} is ${n.server}'s own address (interface '${own.name}'): ` +
          "the cluster needs an address of its own, which no server uses.",
      );
    } else if (!sameSubnet(declared.vip, found.address, found.subnetMask)) {
      refusals.push(
        `The VIP ${declared.vip} is outside the subnet of ${n.server}'s interface ` +
          `'${found.name}' (${found.address}, mask ${found.subnetMask}): ` +
          "NLB answers for the VIP only on the network its nodes are on; " +
          "choose a free address in that subnet.",
      );
    } else if (declared.subnetMask !== found.subnetMask) {
      refusals.push(
        `The subnet mask ${declared.subnetMask} is not the mask of ${n.server}'s ` +
          `interface '${found.name}' (${found.subnetMask}); ` +
          "give the cluster the mask of its nodes' network.",
      );
    }
  }
  return refusals;
}

/** A VIP that answers a ping while none of the site's servers has a cluster on it belongs to something else. */
export function vipInUseRefusal(vip: string, nodes: readonly NlbNodeFacts[]): string | undefined {
  const ours = nodes.some((n) => n.report.cluster?.vip === vip);
  const asker = nodes.find((n) => n.report.vipAnswers === true);
  if (ours || asker === undefined) return undefined;
  return (
    `The VIP ${vip} already answers on the network (a ping from ${asker.server} got ` +
    "a reply), and no Client Access server of the site has an NLB cluster on it: " +
    "another device uses that address, and a second one would make both unreachable; " +
    "choose a free address."
  );
}

/** A node already in another cluster on the interface (another VIP) is not ours to move. */
export function foreignClusterRefusals(
  declared: Pick<NlbDeclaration, "vip" | "interface">,
  nodes: readonly NlbNodeFacts[],
): string[] {
  return nodes
    .filter((n) => n.report.cluster !== undefined && n.report.cluster.vip !== declared.vip)
    .map(
      (n) =>
        `${n.server} is already a node of NLB cluster ${n.report.cluster?.name ?? ""} ` +
        `(VIP ${n.report.cluster?.vip ?? ""}) on '${declared.interface}': ` +
        "a server is in one cluster per interface; remove it from that cluster first " +
        "(Remove-NlbClusterNode), or declare that cluster's VIP.",
    );
}

/** Servers where the NetworkLoadBalancingClusters module would not load (the NLB feature missing). */
export function moduleRefusals(nodes: readonly NlbNodeFacts[]): string[] {
  return nodes
    .filter((n) => !n.report.nlbModule)
    .map(
      (n) =>
        `${n.server} cannot load the NetworkLoadBalancingClusters module ` +
        `(${(n.report.moduleError ?? "no reason given").replace(/\.$/, "")}): ` +
        "install the Network Load Balancing feature there first (Import-Module " +
        "ServerManager; Add-WindowsFeature NLB).",
    );
}

/** Every refusal, in the order an admin fixes them. */
export function nlbRefusals(declared: NlbDeclaration, nodes: readonly NlbNodeFacts[]): string[] {
  const membership = membershipRefusals(
    declared.site,
    nodes.map((n) => ({
      server: n.server,
      ...(n.dag !== undefined ? { dag: n.dag } : {}),
      clusterService: n.report.clusterService,
    })),
  );
  if (membership.length > 0) return membership;
  const modules = moduleRefusals(nodes);
  if (modules.length > 0) return modules;
  const inUse = vipInUseRefusal(declared.vip, nodes);
  return [
    ...foreignClusterRefusals(declared, nodes),
    ...addressRefusals(declared, nodes),
    ...(inUse !== undefined ? [inUse] : []),
  ];
}

/** The warning every NLB site gets (LB-WIRING 0.4, [QUISITIVE]). */
export function nlbWarning(site: string, mode: NlbMode): string {
  const flooding =
    mode === "Unicast"
      ? " In unicast mode every node's NIC answers with the cluster's MAC address, " +
        "so the switch floods the cluster's traffic to all its ports (and each node " +
        "needs a second NIC to talk to the others)."
      : "";
  return (
    `Site ${site} uses Windows NLB on its Client Access servers. ` +
    "Microsoft recommends a hardware or virtual load balancer for Exchange 2010: " +
    "NLB does not see whether Exchange's services run (a node whose RPC Client " +
    "Access is stopped keeps receiving clients), " +
    `and every node added or removed makes every Outlook client reconnect.${flooding}`
  );
}

// --- Changes, node by node ------------------------------------------------------------------------

export type NlbStep =
  | { kind: "create"; server: string }
  | { kind: "settings"; server: string; fromMode: string; toMode: NlbMode; fromName: string; toName: string }
  | { kind: "start"; server: string; from: string }
  | { kind: "join"; server: string; via: string }
  | {
      kind: "rules";
      server: string;
      add: number[];
      remove: { startPort: number; endPort: number; protocol: string }[];
      fix: number[];
    }
  | { kind: "leave"; server: string; sessions: number };

/** Whether NLB's node name is the server (NLB may name a node by its FQDN). */
export function nodeIs(nodeName: string, server: string): boolean {
  const a = nodeName.toLowerCase();
  const b = server.toLowerCase();
  return a === b || a.startsWith(`${b}.`);
}

/** Converged or Converged(default). */
export function isConverged(state: string): boolean {
  return /^converged/i.test(state);
}

/** A port rule exactly as NlbCluster writes it for `port`. */
export function isDeclaredRule(
  rule: {
    startPort: number;
    endPort: number;
    protocol: string;
    filteringMode: string;
    affinity: string;
    state: string;
  },
  port: number,
): boolean {
  return (
    rule.startPort === port &&
    rule.endPort === port &&
    rule.protocol.toLowerCase() === "tcp" &&
    rule.filteringMode.toLowerCase() === "multiple" &&
    rule.affinity.toLowerCase() === "single" &&
    rule.state.toLowerCase() === "enabled"
  );
}

/** What the rules need: ports to add, rules to remove, declared ports whose rule is not as declared. */
export function ruleChanges(
  cluster: Pick<NlbCluster, "rules">,
  ports: readonly number[],
): { add: number[]; remove: { startPort: number; endPort: number; protocol: string }[]; fix: number[] } {
  const exact = (port: number) => cluster.rules.some((r) => isDeclaredRule(r, port));
  const covers = (r: { startPort: number; endPort: number }, port: number) => port >= r.startPort && port <= r.endPort;
  const fix = ports.filter((p) => !exact(p) && cluster.rules.some((r) => covers(r, p)));
  const add = ports.filter((p) => !exact(p) && !fix.includes(p));
  const remove = cluster.rules
    .filter((r) => !ports.some((p) => covers(r, p)))
    .map((r) => ({ startPort: r.startPort, endPort: r.endPort, protocol: r.protocol }));
  return { add: [...add].sort((a, b) => a - b), remove, fix: [...fix].sort((a, b) => a - b) };
}

/**
 * The changes that bring the cluster as found (`cluster`, seen from its nodes; undefined: none
 * yet) to the declaration on `servers` (the site's Client Access servers, sorted), in the order
 * they are made: the cluster on the first server, its settings, nodes stopped or suspended by
 * hand started again, missing nodes joined, port rules, then nodes that must go drained and
 * removed last (when every other node is up). Each step is made once the cluster has converged.
 */
export function planNlbSteps(
  declared: NlbDeclaration & { clusterName: string },
  servers: readonly string[],
  cluster: NlbCluster | undefined,
  sessionsOf: (server: string) => number,
): NlbStep[] {
  const first = servers[0];
  if (first === undefined) return [];
  if (cluster === undefined) {
    return [
      { kind: "create", server: first },
      ...servers.slice(1).map((server) => ({ kind: "join" as const, server, via: first })),
    ];
  }
  const member = (server: string) => cluster.nodes.find((n) => nodeIs(n.name, server));
  const operator =
    servers.find((s) => isConverged(member(s)?.state ?? "")) ?? servers.find((s) => member(s) !== undefined) ?? first;
  const steps: NlbStep[] = [];
  const modeChanged = cluster.mode.toLowerCase() !== declared.mode.toLowerCase();
  if (modeChanged || cluster.name.toLowerCase() !== declared.clusterName.toLowerCase()) {
    steps.push({
      kind: "settings",
      server: operator,
      fromMode: cluster.mode,
      toMode: declared.mode,
      fromName: cluster.name,
      toName: declared.clusterName,
    });
  }
  for (const server of servers) {
    const node = member(server);
    if (node !== undefined && !isConverged(node.state) && node.state !== "Converging")
      steps.push({ kind: "start", server, from: node.state });
  }
  for (const server of servers) if (member(server) === undefined) steps.push({ kind: "join", server, via: operator });
  const rules = ruleChanges(cluster, declared.ports);
  if (rules.add.length + rules.remove.length + rules.fix.length > 0)
    steps.push({ kind: "rules", server: operator, ...rules });
  for (const node of cluster.nodes) {
    if (!servers.some((s) => nodeIs(node.name, s)))
      steps.push({ kind: "leave", server: node.name, sessions: sessionsOf(node.name) });
  }
  return steps;
}

function sessions(n: number): string {
  if (n < 0) return "its Outlook sessions";
  return `its ${n} Outlook session${n === 1 ? "" : "s"}`;
}

/** A port rule's range as a step names it: "TCP 135" or "TCP 6001-6004". */
function portRange(r: { protocol: string; startPort: number; endPort: number }): string {
  return r.startPort === r.endPort ? `${r.protocol} ${r.startPort}` : `${r.protocol} ${r.startPort}-${r.endPort}`;
}

function ports(list: readonly number[]): string {
  const words = list.map(String);
  return words.length <= 1
    ? `TCP ${words.join("")}`
    : `TCP ${words.slice(0, -1).join(", ")} and ${words[words.length - 1] ?? ""}`;
}

/** What one step does, as the preview says it. */
export function describeStep(
  declared: NlbDeclaration & { clusterName: string; drainSeconds: number },
  step: NlbStep,
): string {
  switch (step.kind) {
    case "create":
      return (
        `New-NlbCluster ${declared.clusterName} (VIP ${declared.vip}, ` +
        `mask ${declared.subnetMask}, ${modeName(declared.mode)}) ` +
        `on its '${declared.interface}'; the default all-ports rule is replaced by ` +
        `${ports(declared.ports)}, each with affinity Single (one node per client IP for ` +
        "the whole Outlook session), and nothing else goes through the VIP"
      );
    case "settings": {
      const parts = [
        ...(step.fromMode.toLowerCase() !== step.toMode.toLowerCase()
          ? [`operation mode ${modeName(step.fromMode)} → ${modeName(step.toMode)}`]
          : []),
        ...(step.fromName.toLowerCase() !== step.toName.toLowerCase()
          ? [`cluster name ${step.fromName} → ${step.toName}`]
          : []),
      ];
      return `Set-NlbCluster: ${parts.join(", ")}; every node re-converges and every Outlook client reconnects`;
    }
    case "start": {
      const resume = step.from === "Suspended" ? "Resume-NlbClusterNode, then " : "";
      return `is ${step.from} (stopped at the console?): ${resume}Start-NlbClusterNode, so it takes clients again`;
    }
    case "join":
      return (
        `joins the cluster (Add-NlbClusterNode from ${step.via}); ` +
        "every node re-converges, and clients may move to it"
      );
    case "rules": {
      const parts = [
        ...(step.add.length > 0 ? [`add ${ports(step.add)}`] : []),
        ...(step.fix.length > 0 ? [`replace the rules covering ${ports(step.fix)}`] : []),
        ...(step.remove.length > 0 ? [`remove ${step.remove.map((r) => portRange(r)).join(", ")}`] : []),
      ];
      return (
        `port rules: ${parts.join("; ")} (new rules before old ones go, ` +
        "once the servers listen on the new ports), affinity Single"
      );
    }
    case "leave":
      return (
        "leaves the cluster: drained first (Stop-NlbClusterNode -Drain -Timeout " +
        `${declared.drainSeconds}: no new clients; ${sessions(step.sessions)} ` +
        `${step.sessions === 1 ? "ends or is cut" : "end or are cut"} after ` +
        `${declared.drainSeconds} s and ${step.sessions === 1 ? "reconnects" : "reconnect"} ` +
        "through the VIP to the other nodes), then Remove-NlbClusterNode"
      );
  }
}

/** The preview's line for step `i` of `steps`. */
export function announceStep(
  declared: NlbDeclaration & { clusterName: string; drainSeconds: number },
  steps: readonly NlbStep[],
  i: number,
): string {
  const step = steps[i];
  if (step === undefined) return "";
  const next = steps[i + 1];
  const then = next === undefined ? "" : ` The next change waits until every node has converged.`;
  return (
    `NLB cluster ${declared.vip} of site ${declared.site}, ` +
    `change ${i + 1} of ${steps.length}, ${step.server}: ` +
    `${describeStep(declared, step)}.${then}`
  );
}
