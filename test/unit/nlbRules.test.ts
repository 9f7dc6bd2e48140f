// The rules of Windows NLB on a site's Client Access servers, as pure functions (no pwsh): the
// refusals and their sentences, the warning, and the node-by-node plan with its preview lines.
import { describe, expect, it } from "vitest";
import {
  addressRefusals,
  announceStep,
  clusteringRefusal,
  describeStep,
  foreignClusterRefusals,
  moduleRefusals,
  nlbRefusals,
  nlbWarning,
  nodeCountRefusal,
  nodeIs,
  planNlbSteps,
  ruleChanges,
  sameSubnet,
  SubnetMask,
  vipInUseRefusal,
  type NlbNodeFacts,
} from "../../provider/runtime/nlbRules";
import type { NlbCluster, NlbHostReport } from "../../provider/windows/nlb";

const DECLARED = {
  site: "HeadOffice",
  vip: "10.1.0.100",
  subnetMask: "255.255.255.0",
  interface: "Local Area Connection",
  mode: "Multicast" as const,
  ports: [135, 59532, 59533],
};
const PLAN = { ...DECLARED, clusterName: "outlook-ho.exchangeserverpro.net", drainSeconds: 60 };

function report(address: string, extra: Partial<NlbHostReport> = {}): NlbHostReport {
  return {
    clusterService: "Missing",
    nlbModule: true,
    outlookSessions: 2,
    sessionsCut: -1,
    converged: true,
    interfaces: [
      {
        name: "Local Area Connection",
        address,
        subnetMask: "255.255.255.0",
        dhcp: false,
        nlbBound: false,
        clusterVip: "",
      },
    ],
    ...extra,
  };
}
const node = (
  server: string,
  address: string,
  extra: Omit<Partial<NlbNodeFacts>, "report"> & { report?: Partial<NlbHostReport> } = {},
): NlbNodeFacts => ({
  server,
  ...(extra.dag !== undefined ? { dag: extra.dag } : {}),
  report: report(address, extra.report),
});
const CAS = [node("HO-EX2010-CAS1", "10.1.0.13"), node("HO-EX2010-CAS2", "10.1.0.14")];

const rule = (startPort: number, endPort = startPort, over: Partial<NlbCluster["rules"][number]> = {}) => ({
  vip: "255.255.255.255",
  startPort,
  endPort,
  protocol: "Tcp",
  filteringMode: "Multiple",
  affinity: "Single",
  state: "Enabled",
  ...over,
});
function cluster(over: Partial<NlbCluster> = {}): NlbCluster {
  return {
    name: "outlook-ho.exchangeserverpro.net",
    vip: "10.1.0.100",
    subnetMask: "255.255.255.0",
    mode: "MULTICAST",
    nodes: [
      { name: "HO-EX2010-CAS1", state: "Converged(default)", hostId: 1, interface: "Local Area Connection" },
      { name: "HO-EX2010-CAS2", state: "Converged", hostId: 2, interface: "Local Area Connection" },
    ],
    rules: [rule(135), rule(59532), rule(59533)],
    ...over,
  };
}

describe("what NLB refuses", () => {
  it("names DAG members, their DAG and the alternative in one sentence", () => {
    expect(
      clusteringRefusal("HeadOffice", [
        { server: "HO-EX2010-MB1", dag: "HO-DAG01" },
        { server: "HO-EX2010-MB2", dag: "HO-DAG01" },
      ]),
    ).toBe(
      "Windows NLB cannot be used for the Client Access servers of site HeadOffice: HO-EX2010-MB1 and HO-EX2010-MB2 are members of database availability group HO-DAG01, and Network Load Balancing and Failover Clustering cannot run on the same server (Microsoft does not support NLB on DAG members; NLB logs event 4096 and may stop working on them). Use a hardware or virtual load balancer instead: give its team the loadBalancer output (TCP 135 and the two static RPC ports, client-IP affinity for the whole Outlook session) and point the array's name at its VIP.",
    );
  });

  it("names a server that runs the Cluster service without being in a DAG, and says 'it' for one", () => {
    const text = clusteringRefusal("HeadOffice", [
      { server: "CAS1", clusterService: "Missing" },
      { server: "CAS2", clusterService: "Stopped" },
    ]);
    expect(text).toContain(
      "site HeadOffice: CAS2 runs the Cluster service (Failover Clustering is installed), and Network Load Balancing",
    );
    expect(text).toContain("may stop working on it)");
    expect(text).not.toContain("CAS1");
  });

  it("lists several DAGs and the Cluster service together", () => {
    expect(
      clusteringRefusal("S", [
        { server: "A", dag: "D1" },
        { server: "B", dag: "D2" },
        { server: "C", clusterService: "Running" },
      ]),
    ).toContain(
      "A is a member of database availability group D1, and B is a member of database availability group D2, and C runs the Cluster service",
    );
  });

  it("lets servers that are in no DAG and have no Cluster service (or are not read yet) through", () => {
    expect(clusteringRefusal("S", [{ server: "A", clusterService: "Missing" }, { server: "B" }])).toBeUndefined();
  });

  it("needs two nodes", () => {
    expect(nodeCountRefusal("HeadOffice", ["CAS1"])).toBe(
      "Windows NLB for site HeadOffice needs at least two Client Access servers to balance between, and the site has only CAS1: add a second Client Access server, or point the array's name at the server itself (no load balancer).",
    );
    expect(nodeCountRefusal("HeadOffice", [])).toContain("and the site has none:");
    expect(nodeCountRefusal("HeadOffice", ["A", "B"])).toBeUndefined();
  });

  it("refuses a VIP that is a node's own address, outside a node's subnet, another mask, a missing or DHCP interface", () => {
    expect(addressRefusals({ ...DECLARED, vip: "10.1.0.14" }, CAS)).toEqual([
      "The VIP 10.1.0.14 is HO-EX2010-CAS2's own address (interface 'Local Area Connection'): the cluster needs an address of its own, which no server uses.",
    ]);
    expect(addressRefusals({ ...DECLARED, vip: "10.1.1.100" }, CAS)).toHaveLength(2);
    expect(addressRefusals({ ...DECLARED, vip: "10.1.1.100" }, CAS)[0]).toBe(
      "The VIP 10.1.1.100 is outside the subnet of HO-EX2010-CAS1's interface 'Local Area Connection' (10.1.0.13, mask 255.255.255.0): NLB answers for the VIP only on the network its nodes are on; choose a free address in that subnet.",
    );
    expect(addressRefusals({ ...DECLARED, subnetMask: "255.255.0.0" }, CAS)[0]).toContain(
      "The subnet mask 255.255.0.0 is not the mask of HO-EX2010-CAS1's interface",
    );
    expect(addressRefusals({ ...DECLARED, interface: "NLB" }, CAS)[0]).toBe(
      "HO-EX2010-CAS1 has no network interface named 'NLB' (its interfaces: 'Local Area Connection' (10.1.0.13)); give the interface NLB is to be bound to on every node.",
    );
    const dhcp = [
      node("A", "10.1.0.13", {
        report: {
          interfaces: [
            {
              name: "Local Area Connection",
              address: "10.1.0.13",
              subnetMask: "255.255.255.0",
              dhcp: true,
              nlbBound: false,
              clusterVip: "",
            },
          ],
        },
      }),
    ];
    expect(addressRefusals(DECLARED, dhcp)).toEqual([
      expect.stringContaining("A's interface 'Local Area Connection' gets its address from DHCP"),
    ]);
    expect(addressRefusals(DECLARED, CAS)).toEqual([]);
  });

  it("refuses a VIP that answers while no node has a cluster on it, not once the cluster is ours", () => {
    const answering = [node("CAS1", "10.1.0.13", { report: { vipAnswers: true } }), CAS[1] as NlbNodeFacts];
    expect(vipInUseRefusal("10.1.0.100", answering)).toContain(
      "The VIP 10.1.0.100 already answers on the network (a ping from CAS1 got a reply)",
    );
    expect(vipInUseRefusal("10.1.0.100", CAS)).toBeUndefined();
    const ours = [node("CAS1", "10.1.0.13", { report: { vipAnswers: true, cluster: cluster() } })];
    expect(vipInUseRefusal("10.1.0.100", ours)).toBeUndefined();
  });

  it("refuses a node of another cluster, and a node without the NLB module", () => {
    const foreign = [node("CAS1", "10.1.0.13", { report: { cluster: cluster({ vip: "10.1.0.90", name: "old" }) } })];
    expect(foreignClusterRefusals(DECLARED, foreign)).toEqual([
      expect.stringContaining("CAS1 is already a node of NLB cluster old (VIP 10.1.0.90) on 'Local Area Connection'"),
    ]);
    const missing = [
      node("CAS1", "10.1.0.13", {
        report: {
          nlbModule: false,
          moduleError: "The specified module 'NetworkLoadBalancingClusters' was not loaded.",
        },
      }),
    ];
    expect(moduleRefusals(missing)).toEqual([
      "CAS1 cannot load the NetworkLoadBalancingClusters module (The specified module 'NetworkLoadBalancingClusters' was not loaded): install the Network Load Balancing feature there first (Import-Module ServerManager; Add-WindowsFeature NLB).",
    ]);
  });

  it("says the DAG refusal first and alone: the rest does not matter until it is fixed", () => {
    const dagMembers = [node("MB1", "10.1.0.11", { dag: "HO-DAG01" }), node("MB2", "10.1.0.12", { dag: "HO-DAG01" })];
    const refusals = nlbRefusals({ ...DECLARED, vip: "10.1.0.11" }, dagMembers);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain("database availability group HO-DAG01");
    expect(nlbRefusals(DECLARED, CAS)).toEqual([]);
  });

  it("warns that Microsoft recommends a hardware load balancer, and about flooding in unicast mode", () => {
    expect(nlbWarning("HeadOffice", "Unicast")).toContain(
      "Microsoft recommends a hardware or virtual load balancer for Exchange 2010",
    );
    expect(nlbWarning("HeadOffice", "Unicast")).toContain("the switch floods the cluster's traffic to all its ports");
    expect(nlbWarning("HeadOffice", "Multicast")).not.toContain("floods");
  });

  it("reads subnet masks and subnets", () => {
    expect(SubnetMask.safeParse("255.255.255.0").success).toBe(true);
    expect(SubnetMask.safeParse("255.255.0.255").success).toBe(false);
    expect(SubnetMask.safeParse("0.0.0.0").success).toBe(false);
    expect(SubnetMask.safeParse("255.255.255.256").success).toBe(false);
    expect(sameSubnet("10.1.0.100", "10.1.0.13", "255.255.255.0")).toBe(true);
    expect(sameSubnet("10.1.1.100", "10.1.0.13", "255.255.255.0")).toBe(false);
    expect(sameSubnet("10.1.1.100", "10.1.0.13", "255.255.0.0")).toBe(true);
  });
});

describe("the changes, node by node", () => {
  const sessions = (server: string) => ({ "HO-EX2010-CAS2": 2, "BR-EX2010-MB": 0 })[server] ?? -1;
  const servers = ["HO-EX2010-CAS1", "HO-EX2010-CAS2"];

  it("makes a new cluster on the first server, then joins the others one at a time", () => {
    expect(planNlbSteps(PLAN, servers, undefined, sessions)).toEqual([
      { kind: "create", server: "HO-EX2010-CAS1" },
      { kind: "join", server: "HO-EX2010-CAS2", via: "HO-EX2010-CAS1" },
    ]);
  });

  it("has nothing to do for a cluster as declared (node names may be FQDNs)", () => {
    const fqdns = cluster({ nodes: cluster().nodes.map((n) => ({ ...n, name: `${n.name}.exchangeserverpro.net` })) });
    expect(planNlbSteps(PLAN, servers, fqdns, sessions)).toEqual([]);
    expect(nodeIs("HO-EX2010-CAS1.exchangeserverpro.net", "ho-ex2010-cas1")).toBe(true);
    expect(nodeIs("HO-EX2010-CAS10", "HO-EX2010-CAS1")).toBe(false);
  });

  it("puts drift back in order: settings, nodes started, nodes joined, rules, then nodes that leave", () => {
    const drifted = cluster({
      mode: "UNICAST",
      nodes: [
        { name: "HO-EX2010-CAS1", state: "Converged(default)", hostId: 1, interface: "x" },
        { name: "BR-EX2010-MB", state: "Converged", hostId: 3, interface: "x" },
        { name: "HO-EX2010-CAS2", state: "Suspended", hostId: 2, interface: "x" },
      ],
      rules: [rule(135), rule(59532), rule(59533, 59533, { affinity: "None" })],
    });
    const steps = planNlbSteps(PLAN, [...servers, "HO-EX2010-CAS3"], drifted, sessions);
    expect(steps.map((s) => `${s.kind} ${s.server}`)).toEqual([
      "settings HO-EX2010-CAS1",
      "start HO-EX2010-CAS2",
      "join HO-EX2010-CAS3",
      "rules HO-EX2010-CAS1",
      "leave BR-EX2010-MB",
    ]);
    expect(steps[3]).toEqual({ kind: "rules", server: "HO-EX2010-CAS1", add: [], remove: [], fix: [59533] });
    expect(steps[4]).toEqual({ kind: "leave", server: "BR-EX2010-MB", sessions: 0 });
  });

  it("replaces the default all-ports rule, and moves a port's rule", () => {
    expect(ruleChanges({ rules: [rule(0, 65535, { protocol: "Both" })] }, [135, 59532, 59533])).toEqual({
      add: [],
      remove: [],
      fix: [135, 59532, 59533],
    });
    expect(ruleChanges(cluster(), [135, 59600, 59533])).toEqual({
      add: [59600],
      remove: [{ startPort: 59532, endPort: 59532, protocol: "Tcp" }],
      fix: [],
    });
    expect(
      ruleChanges(
        cluster({ rules: [rule(135), rule(59532), rule(59533), rule(80, 80, { protocol: "Both" })] }),
        [135, 59532, 59533],
      ).remove,
    ).toEqual([{ startPort: 80, endPort: 80, protocol: "Both" }]);
  });

  it("says each change as the preview shows it", () => {
    const steps = planNlbSteps(PLAN, servers, undefined, sessions);
    expect(announceStep(PLAN, steps, 0)).toBe(
      "NLB cluster 10.1.0.100 of site HeadOffice, change 1 of 2, HO-EX2010-CAS1: New-NlbCluster outlook-ho.exchangeserverpro.net (VIP 10.1.0.100, mask 255.255.255.0, multicast) on its 'Local Area Connection'; the default all-ports rule is replaced by TCP 135, 59532 and 59533, each with affinity Single (one node per client IP for the whole Outlook session), and nothing else goes through the VIP. The next change waits until every node has converged.",
    );
    expect(announceStep(PLAN, steps, 1)).toBe(
      "NLB cluster 10.1.0.100 of site HeadOffice, change 2 of 2, HO-EX2010-CAS2: joins the cluster (Add-NlbClusterNode from HO-EX2010-CAS1); every node re-converges, and clients may move to it.",
    );
    expect(describeStep(PLAN, { kind: "leave", server: "X", sessions: 1 })).toBe(
      "leaves the cluster: drained first (Stop-NlbClusterNode -Drain -Timeout 60: no new clients; its 1 Outlook session ends or is cut after 60 s and reconnects through the VIP to the other nodes), then Remove-NlbClusterNode",
    );
    expect(
      describeStep(PLAN, {
        kind: "settings",
        server: "X",
        fromMode: "UNICAST",
        toMode: "IgmpMulticast",
        fromName: "a",
        toName: "a",
      }),
    ).toBe(
      "Set-NlbCluster: operation mode unicast → IGMP multicast; every node re-converges and every Outlook client reconnects",
    );
  });

  it("starts the cluster's work on a node that is up, leaves a converging node alone, and plans a rules step for a removal alone", () => {
    const cas1Stopped = cluster({
      nodes: [
        { name: "HO-EX2010-CAS1", state: "Stopped", hostId: 1, interface: "x" },
        { name: "HO-EX2010-CAS2", state: "Converging", hostId: 2, interface: "x" },
      ],
      rules: [rule(135), rule(59532), rule(59533), rule(443)],
    });
    const steps = planNlbSteps(PLAN, servers, cas1Stopped, sessions);
    expect(steps).toEqual([
      { kind: "start", server: "HO-EX2010-CAS1", from: "Stopped" },
      {
        kind: "rules",
        server: "HO-EX2010-CAS1",
        add: [],
        remove: [{ startPort: 443, endPort: 443, protocol: "Tcp" }],
        fix: [],
      },
    ]);
    const up = cluster({
      nodes: [
        { name: "HO-EX2010-CAS1", state: "Stopped", hostId: 1, interface: "x" },
        { name: "HO-EX2010-CAS2", state: "Converged(default)", hostId: 2, interface: "x" },
      ],
      mode: "UNICAST",
    });
    expect(planNlbSteps(PLAN, servers, up, sessions)[0]).toMatchObject({ kind: "settings", server: "HO-EX2010-CAS2" });
  });

  it("replaces a rule that differs in protocol, filtering mode or state; sorts what it adds", () => {
    for (const over of [
      { protocol: "Both" },
      { filteringMode: "Single" },
      { state: "Disabled" },
      { affinity: "Network" },
    ]) {
      expect(
        ruleChanges(cluster({ rules: [rule(135), rule(59532, 59532, over), rule(59533)] }), [135, 59532, 59533]).fix,
      ).toEqual([59532]);
    }
    expect(ruleChanges({ rules: [] }, [59533, 135, 59532]).add).toEqual([135, 59532, 59533]);
    expect(ruleChanges({ rules: [rule(0, 65535, { protocol: "Both" })] }, [59533, 135]).fix).toEqual([135, 59533]);
  });

  it("says a renamed cluster, one port, and sessions unknown, one, or several", () => {
    expect(
      describeStep(PLAN, {
        kind: "settings",
        server: "X",
        fromMode: "MULTICAST",
        toMode: "Multicast",
        fromName: "a",
        toName: "b",
      }),
    ).toBe("Set-NlbCluster: cluster name a → b; every node re-converges and every Outlook client reconnects");
    expect(describeStep(PLAN, { kind: "rules", server: "X", add: [59600], remove: [], fix: [] })).toContain(
      "port rules: add TCP 59600 (new rules",
    );
    expect(describeStep(PLAN, { kind: "leave", server: "X", sessions: -1 })).toContain(
      "no new clients; its Outlook sessions end or are cut after 60 s and reconnect through",
    );
    expect(describeStep(PLAN, { kind: "leave", server: "X", sessions: 0 })).toContain(
      "its 0 Outlook sessions end or are cut",
    );
    expect(describeStep(PLAN, { kind: "leave", server: "X", sessions: 3 })).toContain(
      "its 3 Outlook sessions end or are cut",
    );
    expect(planNlbSteps(PLAN, [], undefined, sessions)).toEqual([]);
  });
});

describe("what NLB refuses, at the edges", () => {
  it("reads only dotted quads of 0-255 without leading zeros as addresses", () => {
    for (const bad of ["10.1.0", "10.1.0.256", "10.01.0.1", "a.1.0.1", "10.1.0.1.5", "10.1.0.1x"])
      expect(sameSubnet(bad, "10.1.0.13", "255.255.255.0"), bad).toBe(false);
    expect(sameSubnet("10.1.0.0", "10.1.0.13", "255.255.255.0")).toBe(true);
  });

  it("names three DAG members in one list, and a DAG member that also runs the Cluster service only once, for its DAG", () => {
    const text = clusteringRefusal("S", [
      { server: "A", dag: "D", clusterService: "Running" },
      { server: "B", dag: "D" },
      { server: "C", dag: "D" },
    ]);
    expect(text).toContain(
      "site S: A, B and C are members of database availability group D, and Network Load Balancing",
    );
    expect(text).not.toContain("runs the Cluster service");
  });

  it("takes a VIP one node already has as the cluster's (a ping answers), and a node on the declared VIP as ours", () => {
    const half = [
      node("CAS1", "10.1.0.13", { report: { vipAnswers: true, cluster: cluster() } }),
      node("CAS2", "10.1.0.14"),
    ];
    expect(vipInUseRefusal("10.1.0.100", half)).toBeUndefined();
    expect(foreignClusterRefusals(DECLARED, half)).toEqual([]);
    expect(nlbRefusals(DECLARED, half)).toEqual([]);
  });

  it("goes on past accepted membership to the module, and says a missing module alone (it hides the rest)", () => {
    const noModule = [node("CAS1", "10.1.0.13", { report: { nlbModule: false } }), node("CAS2", "10.1.0.14")];
    expect(nlbRefusals({ ...DECLARED, vip: "10.2.0.1" }, noModule)).toEqual([
      expect.stringContaining("CAS1 cannot load the NetworkLoadBalancingClusters module (no reason given)"),
    ]);
    expect(nlbRefusals({ ...DECLARED, vip: "10.2.0.1" }, CAS)).toHaveLength(2);
  });
});
