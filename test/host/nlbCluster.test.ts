// NlbCluster through the real dynamic-provider host, against the lab's servers (PowerShell remoting
// to each Client Access server, the NLB cmdlets of Windows Server 2008 R2 there): Windows NLB on
// the two dedicated Client Access servers of lab/scenarios/nlb.json, and refused on the article's
// servers, which are DAG members.
import { describe, expect } from "vitest";
import { create, refresh, up, type Applied } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { urnOf } from "../support/host";
import type { JsonObject, Lab } from "../support/lab";
import {
  CAS1,
  CAS2,
  IFACE,
  labClusters,
  nlbScenario,
  onServer,
  PORTS,
  serverIn,
  sessionsOf,
  VIP,
} from "../support/nlb";

const URN = urnOf("NlbCluster", "ho-nlb");

async function declare(lab: Lab, args: Record<string, unknown> = {}): Promise<Registration> {
  const regs = await register(
    (lib) =>
      new lib.NlbCluster("ho-nlb", {
        site: "HeadOffice",
        vip: VIP,
        subnetMask: "255.255.255.0",
        interface: IFACE,
        mode: "multicast",
        ports: PORTS,
        clusterName: "outlook-ho.exchangeserverpro.net",
        convergenceTimeoutSeconds: 30,
        connection: lab.connection,
        ...args,
      } as never),
  );
  const reg = regs[0];
  if (reg === undefined) throw new Error("no registration");
  return reg;
}

interface NodeOut {
  server: string;
  state: string;
  address: string;
}
const nodesOf = (state: Applied) => (state.outputs.nodes as NodeOut[]).map((n) => `${n.server} ${n.state}`);
const rulesOf = (state: Applied) =>
  (state.outputs.portRules as { startPort: number; protocol: string; affinity: string }[]).map(
    (r) => `${r.protocol} ${r.startPort} ${r.affinity}`,
  );

/** A third dedicated Client Access server, HO-EX2010-CAS3 (10.1.0.15), like CAS2. */
function addCas3(state: JsonObject): void {
  const copy = JSON.parse(JSON.stringify(serverIn(state, CAS2))) as JsonObject;
  Object.assign(copy, {
    Name: "HO-EX2010-CAS3",
    Fqdn: "HO-EX2010-CAS3.exchangeserverpro.net",
    Guid: "8c3f1a2b-4d5e-4f60-8a71-b2c3d4e5f613",
    ExchangeLegacyDN:
      "/o=ExchangeServerPro/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=HO-EX2010-CAS3",
  });
  const windows = copy.Windows as JsonObject;
  windows.NetworkInterfaces = [
    { InterfaceName: IFACE, IPAddress: "10.1.0.15", SubnetMask: "255.255.255.0", DhcpEnabled: false },
  ];
  windows.OutlookSessions = 1;
  (state.servers as JsonObject[]).push(copy);
}

describe("NlbCluster through the dynamic-provider host", () => {
  it("says at preview what it does node by node, with Microsoft's advice; then makes the cluster on both Client Access servers with only the declared ports", async ({
    lab,
    host,
  }) => {
    lab.reset(nlbScenario());
    const reg = await declare(lab);
    const { result: checked, printed } = await host.printedBy(() => host.check(URN, {}, reg.inputs));
    expect(checked.failures).toEqual([]);
    expect(printed).toContain("Microsoft recommends a hardware or virtual load balancer for Exchange 2010");
    expect(printed).toContain(
      "NLB cluster 10.1.0.100 of site HeadOffice, change 1 of 2, HO-EX2010-CAS1: New-NlbCluster outlook-ho.exchangeserverpro.net (VIP 10.1.0.100, mask 255.255.255.0, multicast) on its 'Local Area Connection'; the default all-ports rule is replaced by TCP 135, 59532 and 59533, each with affinity Single",
    );
    expect(printed).toContain(
      "change 2 of 2, HO-EX2010-CAS2: joins the cluster (Add-NlbClusterNode from HO-EX2010-CAS1)",
    );
    // The preview changed nothing.
    expect(await labClusters(lab)).toEqual([]);

    const created = await host.create(URN, checked.inputs);
    expect(created.id).toBe("HeadOffice");
    const state: Applied = { urn: URN, id: created.id, outputs: created.properties, inputs: checked.inputs };
    expect(nodesOf(state)).toEqual([`${CAS1} Converged(default)`, `${CAS2} Converged`]);
    expect(rulesOf(state)).toEqual(["Tcp 135 Single", "Tcp 59532 Single", "Tcp 59533 Single"]);
    expect(state.outputs).toMatchObject({
      vip: VIP,
      inSync: true,
      reportedMode: "MULTICAST",
      loadBalancer: { vip: VIP, ports: PORTS },
    });
    const [cluster] = await labClusters(lab);
    expect(cluster).toMatchObject({ Name: "outlook-ho.exchangeserverpro.net", IPAddress: VIP, Mode: "Multicast" });
    expect(cluster?.PortRules.map((r) => [r.StartPort, r.EndPort, r.Protocol, r.Mode, r.Affinity])).toEqual([
      [135, 135, "Tcp", "Multiple", "Single"],
      [59532, 59532, "Tcp", "Multiple", "Single"],
      [59533, 59533, "Tcp", "Multiple", "Single"],
    ]);
    // Nothing left to do.
    expect((await up(host, state, reg)).changed).toBe(false);
  });

  it("refuses the article's Client Access servers, DAG members, up front with the sentence, and changes nothing", async ({
    lab,
    host,
  }) => {
    const reg = await declare(lab, { vip: "10.1.0.100" });
    const checked = await host.check(URN, {}, reg.inputs);
    expect(checked.failures).toEqual([
      {
        property: "site",
        reason:
          "NLB cluster 10.1.0.100 of site HeadOffice is refused: Windows NLB cannot be used for the Client Access servers of site HeadOffice: HO-EX2010-MB1 and HO-EX2010-MB2 are members of database availability group HO-DAG01, and Network Load Balancing and Failover Clustering cannot run on the same server (Microsoft does not support NLB on DAG members; NLB logs event 4096 and may stop working on them). Use a hardware or virtual load balancer instead: give its team the loadBalancer output (TCP 135 and the two static RPC ports, client-IP affinity for the whole Outlook session) and point the array's name at its VIP. Nothing was changed.",
      },
    ]);
    await expect(host.create(URN, checked.inputs)).rejects.toThrow(/members of database availability group HO-DAG01/);
    expect(await labClusters(lab)).toEqual([]);
  });

  it.for([
    [
      "a server that runs the Cluster service",
      (s: JsonObject) =>
        Object.assign((serverIn(s, CAS2).Windows as JsonObject).Services as JsonObject, {
          ClusSvc: { Status: "Running", ProcessId: 1600, ListeningPorts: [] },
        }),
      {},
      /HO-EX2010-CAS2 runs the Cluster service/,
    ],
    [
      "a site with one Client Access server",
      (s: JsonObject) => (serverIn(s, CAS2).ServerRole = ["HubTransport"]),
      {},
      /needs at least two Client Access servers to balance between, and the site has only HO-EX2010-CAS1/,
    ],
    [
      "a VIP that is a server's own address",
      () => undefined,
      { vip: "10.1.0.14" },
      /The VIP 10\.1\.0\.14 is HO-EX2010-CAS2's own address/,
    ],
    [
      "a VIP outside the nodes' subnet",
      () => undefined,
      { vip: "10.2.0.100" },
      /The VIP 10\.2\.0\.100 is outside the subnet of HO-EX2010-CAS1's interface 'Local Area Connection' \(10\.1\.0\.13, mask 255\.255\.255\.0\)/,
    ],
    [
      "a VIP that already answers on the network",
      (s: JsonObject) => (s.network = { Answering: ["10.1.0.100"] }),
      {},
      /The VIP 10\.1\.0\.100 already answers on the network \(a ping from HO-EX2010-CAS1 got a reply\)/,
    ],
    [
      "an interface the nodes do not have",
      () => undefined,
      { interface: "NLB" },
      /HO-EX2010-CAS1 has no network interface named 'NLB' \(its interfaces: 'Local Area Connection' \(10\.1\.0\.13\)\)/,
    ],
  ] as const)("refuses %s before anything changes", async ([, edit, args, reason], { lab, host }) => {
    lab.reset(nlbScenario(edit));
    const reg = await declare(lab, args);
    const checked = await host.check(URN, {}, reg.inputs);
    expect(checked.failures).toEqual([{ property: "site", reason: expect.stringMatching(reason) }]);
    expect(await labClusters(lab)).toEqual([]);
  });

  it("joins a Client Access server added to the site, and drains one that leaves before removing it, node by node", async ({
    lab,
    host,
  }) => {
    lab.reset(nlbScenario());
    const reg = await declare(lab);
    const first = await create(host, reg);
    expect(await sessionsOf(lab)).toMatchObject({ [CAS1]: 3, [CAS2]: 2 });

    // A third CAS in the site: it joins.
    lab.edit(addCas3);
    const { result: joined, printed } = await host.printedBy(() => up(host, first, reg));
    expect(printed).toContain(
      "NLB cluster 10.1.0.100 of site HeadOffice, change 1 of 1, HO-EX2010-CAS3: joins the cluster (Add-NlbClusterNode from HO-EX2010-CAS1)",
    );
    expect(joined.changed).toBe(true);
    expect(nodesOf(joined.state)).toEqual([
      `${CAS1} Converged(default)`,
      `${CAS2} Converged`,
      "HO-EX2010-CAS3 Converged",
    ]);

    // CAS2 stops being a Client Access server: drained (its 2 Outlook sessions cut after the
    // timeout, reconnecting to the others), then removed.
    lab.edit((s) => (serverIn(s, CAS2).ServerRole = ["HubTransport"]));
    const urn = joined.state.urn;
    const diff = await host.printedBy(async () => {
      const checked = await host.check(urn, joined.state.inputs, reg.inputs);
      return host.diff(joined.state.id, urn, joined.state.outputs, checked.inputs);
    });
    expect(diff.result.changes).toBe("some");
    expect(diff.printed).toContain(
      "change 1 of 1, HO-EX2010-CAS2: leaves the cluster: drained first (Stop-NlbClusterNode -Drain -Timeout 60: no new clients; its 2 Outlook sessions end or are cut after 60 s and reconnect through the VIP to the other nodes), then Remove-NlbClusterNode.",
    );
    const left = await up(host, joined.state, reg);
    expect(nodesOf(left.state)).toEqual([`${CAS1} Converged(default)`, "HO-EX2010-CAS3 Converged"]);
    expect(await sessionsOf(lab)).toMatchObject({ [CAS1]: 4, [CAS2]: 0, "HO-EX2010-CAS3": 2 });
    const [cluster] = await labClusters(lab);
    expect(cluster?.Nodes.map((n) => n.Name)).toEqual([CAS1, "HO-EX2010-CAS3"]);
    // Drained, with the declared timeout, before it was removed.
    expect(cluster?.Operations).toEqual([`Stop -Drain -Timeout 60 ${CAS2}`, `Remove ${CAS2}`]);
  });

  it("moves a port's rule when the static ports move: the new rule before the old one goes", async ({ lab, host }) => {
    lab.reset(nlbScenario());
    const first = await create(host, await declare(lab));
    const moved = await declare(lab, { ports: [135, 59600, 59533] });
    const checked = await host.check(first.urn, first.inputs, moved.inputs);
    const { result: diff, printed } = await host.printedBy(() =>
      host.diff(first.id, first.urn, first.outputs, checked.inputs),
    );
    expect(diff.changes).toBe("some");
    expect(printed).toContain(
      "HO-EX2010-CAS1: port rules: add TCP 59600; remove Tcp 59532 (new rules before old ones go, once the servers listen on the new ports), affinity Single.",
    );
    const outputs = await host.update(first.id, first.urn, first.outputs, checked.inputs);
    expect((outputs.portRules as { startPort: number }[]).map((r) => r.startPort)).toEqual([135, 59533, 59600]);
  });

  it("sees drift on refresh (a node stopped and one added by hand, a rule edited, the mode changed) and the next up puts it back, node by node", async ({
    lab,
    host,
  }) => {
    lab.reset(nlbScenario());
    const reg = await declare(lab);
    const state = await create(host, reg);
    await onServer(
      lab,
      CAS1,
      "Set-NlbCluster -InterfaceName 'Local Area Connection' -OperationMode Unicast | Out-Null",
    );
    await onServer(
      lab,
      CAS1,
      "Set-NlbClusterPortRule -InterfaceName 'Local Area Connection' -Port 59533 -NewAffinity None | Out-Null",
    );
    await onServer(
      lab,
      CAS1,
      "Get-NlbCluster | Add-NlbClusterNode -NewNodeName BR-EX2010-MB -NewNodeInterface 'Local Area Connection' -Force | Out-Null",
    );
    await onServer(lab, CAS2, "Stop-NlbClusterNode | Out-Null");

    const refreshed = await refresh(host, state);
    if (refreshed === undefined) throw new Error("the cluster read as gone");
    expect(refreshed.outputs).toMatchObject({ inSync: false, reportedMode: "UNICAST" });
    expect(nodesOf(refreshed)).toEqual([`${CAS1} Converged(default)`, `${CAS2} Stopped`, "BR-EX2010-MB Converged"]);
    expect(rulesOf(refreshed)).toContain("Tcp 59533 None");

    const { result: repaired, printed } = await host.printedBy(() => up(host, refreshed, reg));
    expect(repaired.changed).toBe(true);
    expect(printed).toContain("change 1 of 4, HO-EX2010-CAS1: Set-NlbCluster: operation mode unicast → multicast");
    expect(printed).toContain(
      "change 2 of 4, HO-EX2010-CAS2: is Stopped (stopped at the console?): Start-NlbClusterNode",
    );
    expect(printed).toContain("change 3 of 4, HO-EX2010-CAS1: port rules: replace the rules covering TCP 59533");
    expect(printed).toContain("change 4 of 4, BR-EX2010-MB: leaves the cluster: drained first");
    expect(nodesOf(repaired.state)).toEqual([`${CAS1} Converged(default)`, `${CAS2} Converged`]);
    expect(repaired.state.outputs).toMatchObject({ inSync: true, reportedMode: "MULTICAST" });
    expect(rulesOf(repaired.state)).toEqual(["Tcp 135 Single", "Tcp 59532 Single", "Tcp 59533 Single"]);
  });

  it("resumes and starts a node suspended at the console", async ({ lab, host }) => {
    lab.reset(nlbScenario());
    const reg = await declare(lab);
    const state = await create(host, reg);
    await onServer(lab, CAS2, "Suspend-NlbClusterNode | Out-Null");
    const refreshed = await refresh(host, state);
    if (refreshed === undefined) throw new Error("the cluster read as gone");
    expect(nodesOf(refreshed)).toContain(`${CAS2} Suspended`);
    const { result, printed } = await host.printedBy(() => up(host, refreshed, reg));
    expect(printed).toContain(
      "HO-EX2010-CAS2: is Suspended (stopped at the console?): Resume-NlbClusterNode, then Start-NlbClusterNode",
    );
    expect(nodesOf(result.state)).toEqual([`${CAS1} Converged(default)`, `${CAS2} Converged`]);
  });

  it("reads a cluster removed by hand as gone, and takes over one an interrupted create left on the first node", async ({
    lab,
    host,
  }) => {
    lab.reset(nlbScenario());
    const reg = await declare(lab);
    const state = await create(host, reg);
    await onServer(lab, CAS1, "Remove-NlbCluster -InterfaceName 'Local Area Connection' -Force");
    expect(await refresh(host, state)).toBeUndefined();

    // What an apply interrupted after New-NlbCluster leaves: one node, the default rule.
    await onServer(
      lab,
      CAS1,
      "New-NlbCluster -InterfaceName 'Local Area Connection' -ClusterPrimaryIP 10.1.0.100 -SubnetMask 255.255.255.0 -ClusterName outlook-ho.exchangeserverpro.net -OperationMode Multicast | Out-Null",
    );
    const { result: again, printed } = await host.printedBy(() => create(host, reg));
    expect(printed).toContain(
      "already exists on the Client Access servers of site HeadOffice (an earlier apply, perhaps interrupted): it is taken as this stack's",
    );
    expect(nodesOf(again)).toEqual([`${CAS1} Converged(default)`, `${CAS2} Converged`]);
    expect(rulesOf(again)).toEqual(["Tcp 135 Single", "Tcp 59532 Single", "Tcp 59533 Single"]);
  });

  it("refuses to remove the cluster while the array's name points at the VIP; once the name has moved it removes it, and retain leaves it", async ({
    lab,
    host,
  }) => {
    lab.reset(nlbScenario());
    const dns = {
      fqdn: "outlook-ho.exchangeserverpro.net",
      zone: "exchangeserverpro.net",
      dnsServer: "DC01",
      connection: lab.connection,
    };
    const state = await create(host, await declare(lab, { dns }));
    await lab.pwsh(
      "Add-DnsServerResourceRecordA -ZoneName exchangeserverpro.net -Name outlook-ho -IPv4Address 10.1.0.100 -ComputerName DC01",
    );
    await expect(host.delete(state.id, state.urn, state.outputs)).rejects.toThrow(
      "NLB cluster 10.1.0.100 of site HeadOffice is not removed: outlook-ho.exchangeserverpro.net still points at it (A record on DC01), and removing the cluster would leave Outlook clients with a name that answers nothing. Move the name off the VIP first",
    );
    expect(await labClusters(lab)).toHaveLength(1);

    await lab.pwsh(
      "Remove-DnsServerResourceRecord -ZoneName exchangeserverpro.net -Name outlook-ho -RRType A -RecordData 10.1.0.100 -ComputerName DC01 -Force",
    );
    await host.delete(state.id, state.urn, state.outputs);
    expect(await labClusters(lab)).toEqual([]);

    const kept = await create(host, await declare(lab, { onDelete: "retain" }));
    const { printed } = await host.printedBy(() => host.delete(kept.id, kept.urn, kept.outputs));
    expect(printed).toContain("NLB cluster 10.1.0.100 of site HeadOffice is left on its nodes (onDelete is retain).");
    expect(await labClusters(lab)).toHaveLength(1);
  });

  it("stops when the cluster does not converge, saying what was done and what was not; the next up carries on from there", async ({
    lab,
    host,
  }) => {
    lab.reset(nlbScenario());
    await onServer(
      lab,
      CAS1,
      "New-NlbCluster -InterfaceName 'Local Area Connection' -ClusterPrimaryIP 10.1.0.100 -SubnetMask 255.255.255.0 -ClusterName outlook-ho.exchangeserverpro.net -OperationMode Multicast | Out-Null",
    );
    // A configuration the nodes never agree on: they keep converging.
    lab.edit((s) => (((s.nlbClusters as JsonObject[])[0] as JsonObject).ConvergeReads = 1_000_000));
    const reg = await declare(lab, { convergenceTimeoutSeconds: 2 });
    await expect(create(host, reg)).rejects.toThrow(
      /NLB cluster 10\.1\.0\.100 of site HeadOffice did not converge within 2 s after join on HO-EX2010-CAS2 \(nodes: HO-EX2010-CAS1 Converging, HO-EX2010-CAS2 Converging\); no further change was made \(not done: rules HO-EX2010-CAS1\)\. Look at the NLB events/,
    );
    // Still converging: the next attempt makes no change at all.
    const before = await labClusters(lab);
    await expect(create(host, reg)).rejects.toThrow(
      /is still converging after 2 s \(nodes: HO-EX2010-CAS1 Converging, HO-EX2010-CAS2 Converging\), so no change was made/,
    );
    expect((await labClusters(lab))[0]?.PortRules).toEqual(before[0]?.PortRules);
    lab.edit((s) => {
      const cluster = (s.nlbClusters as JsonObject[])[0] as JsonObject;
      cluster.ConvergeReads = 1;
      for (const node of cluster.Nodes as JsonObject[]) node.Converging = 0;
    });
    const state = await create(host, reg);
    expect(nodesOf(state)).toEqual([`${CAS1} Converged(default)`, `${CAS2} Converged`]);
    expect(rulesOf(state)).toEqual(["Tcp 135 Single", "Tcp 59532 Single", "Tcp 59533 Single"]);
  });

  it("removes the cluster on destroy through a node that answers while another is down", async ({ lab, host }) => {
    lab.reset(nlbScenario());
    const state = await create(host, await declare(lab));
    await lab.pwsh(`Set-ExchangeLabServerWindows -Server ${CAS2} -Remoting Unreachable | Out-Null`);
    await host.delete(state.id, state.urn, state.outputs);
    expect(await labClusters(lab)).toEqual([]);
  });
});
