// A site whose load balancer is declared: CasArraySite with loadBalancer { kind: "nlb", ... } puts
// Windows NLB on the site's two dedicated Client Access servers (lab/scenarios/nlb.json, the
// headoffice-nlb stack), in the order ports, cluster, name, array, databases; refuses the
// article's HeadOffice, whose Client Access servers are DAG members, with one sentence; and, with
// verify { tcp: true }, proves that the VIP forwards: the lab's cluster is given real listeners on
// loopback (test/support/nlbForwarder.ts), where a drained or stopped node stops receiving new
// connections while the other answers.
import { createRequire } from "node:module";
import * as path from "node:path";
import { describe, expect } from "vitest";
import { create, refresh, resourceType, up, type Applied } from "../support/apply";
import type { Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import type { Host } from "../support/host";
import { labDatabases, labRecord, type Lab } from "../support/lab";
import { CAS1, CAS2, IFACE, labClusters, nlbScenario, onServer, setInterface } from "../support/nlb";
import { startForwarder, type Forwarder } from "../support/nlbForwarder";
import { runExample, stackFileConfig } from "../support/program";
import { ROOT } from "../support/paths";
import { declareSite, HO_FQDN } from "../support/site";

const RPC_PORTS = { rpcClientAccess: 59532, addressBook: 59533 };
const NLB = {
  kind: "nlb" as const,
  vip: "10.1.0.100",
  subnetMask: "255.255.255.0",
  interface: IFACE,
  mode: "multicast" as const,
};

/** `pulumi up` in the order the engine follows here (each resource after those it depends on). */
async function applyInOrder(host: Host, regs: readonly Registration[], state: Map<string, Applied>): Promise<void> {
  for (const reg of regs) {
    const existing = state.get(reg.name);
    state.set(reg.name, existing === undefined ? await create(host, reg) : (await up(host, existing, reg)).state);
  }
}

/** `pulumi destroy`: dependents first, the reverse of the registration order. */
async function destroyInOrder(host: Host, regs: readonly Registration[], state: Map<string, Applied>): Promise<void> {
  for (const reg of [...regs].reverse()) {
    const s = state.get(reg.name);
    if (s === undefined) continue;
    await host.delete(s.id, s.urn, s.outputs);
    state.delete(reg.name);
  }
}

function byType(regs: readonly Registration[], type: string): Registration {
  const found = regs.find((r) => resourceType(r) === type);
  if (found === undefined) throw new Error(`no ${type} registered`);
  return found;
}

function stackConfig(lab: Lab): Record<string, string> {
  return { ...stackFileConfig("headoffice-nlb"), "exchange-cas:connection": JSON.stringify(lab.connection) };
}

describe("a site with Windows NLB declared (loadBalancer: { kind: nlb })", () => {
  it("refuses the article's HeadOffice, whose Client Access servers are DAG members, with one sentence and declares nothing", async ({
    lab,
  }) => {
    const declared = await declareSite(lab.connection, {
      dns: { addresses: undefined },
      rpcPorts: RPC_PORTS,
      loadBalancer: NLB,
    });
    expect(declared.regs).toEqual([]);
    expect(declared.code).toBe("refused");
    expect(declared.error).toBe(
      "CasArraySite HeadOffice: Windows NLB cannot be used for the Client Access servers of site HeadOffice: HO-EX2010-MB1 and HO-EX2010-MB2 are members of database availability group HO-DAG01, and Network Load Balancing and Failover Clustering cannot run on the same server (Microsoft does not support NLB on DAG members; NLB logs event 4096 and may stop working on them). Use a hardware or virtual load balancer instead: give its team the loadBalancer output (TCP 135 and the two static RPC ports, client-IP affinity for the whole Outlook session) and point the array's name at its VIP.",
    );
  });

  it("keeps the load balancer's refusal as the cause of the site's", async ({ lab }) => {
    // The program's runtime, as the site program plans through it (the fixtures close its sessions).
    const { planSite } = createRequire(path.join(ROOT, "package.json"))(
      "exchange-cas/runtime",
    ) as typeof import("exchange-cas/runtime");
    const request = {
      site: "HeadOffice",
      fqdn: HO_FQDN,
      zone: "exchangeserverpro.net",
      dnsServer: "DC01",
      databases: "all-in-site" as const,
      exclude: [],
    };
    const refused = await planSite({
      ...request,
      connection: lab.connection,
      rpcPorts: RPC_PORTS,
      loadBalancer: NLB,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({
      name: "ExchangeCasError",
      code: "refused",
      cause: { name: "ExchangeCasError", code: "refused" },
    });
  });

  it("refuses a load balancer without static RPC ports, or with addresses other than its VIP, before reading any server", async ({
    lab,
  }) => {
    const declared = await declareSite(lab.connection, { dns: { addresses: ["10.1.0.11"] }, loadBalancer: NLB });
    expect(declared.regs).toEqual([]);
    expect(declared.error).toMatch(
      /loadBalancer \(Windows NLB\) needs rpcPorts: .* add rpcPorts: \{ rpcClientAccess: 59532, addressBook: 59533 \}\./,
    );
    expect(declared.error).toMatch(
      /dns\.addresses must be left out with loadBalancer \(the array's name points at the NLB cluster's VIP 10\.1\.0\.100\), not 10\.1\.0\.11\./,
    );
  });

  it("takes Pulumi.headoffice-nlb.yaml in one up: ports, then the cluster, then the name on its VIP, the array and the databases; destroy takes the name off the VIP before the cluster", async ({
    lab,
    host,
  }) => {
    lab.reset(nlbScenario());
    const run = await runExample(stackConfig(lab));
    expect(run.error).toBeUndefined();
    const regs = run.regs;
    expect(regs.map(resourceType)).toEqual([
      "CasArraySiteClaim",
      "StaticRpcPorts",
      "NlbCluster",
      "DnsARecord",
      "ClientAccessArray",
      "MailboxDatabaseRpcSetting",
      "MailboxDatabaseRpcSetting",
      "MailboxDatabaseRpcSetting",
      "CasArrayVerification",
    ]);
    const [claim, ports, nlb, record, verification] = [
      "CasArraySiteClaim",
      "StaticRpcPorts",
      "NlbCluster",
      "DnsARecord",
      "CasArrayVerification",
    ].map((t) => byType(regs, t));
    // The claim before everything (the cluster waits for it), the cluster after the ports, the
    // name after the cluster (its addresses are the cluster's VIP output).
    expect(claim?.dependencies).toEqual([]);
    expect(claim?.inputs).toMatchObject({
      site: "HeadOffice",
      fqdn: "outlook-ho.exchangeserverpro.net",
      addresses: ["10.1.0.100"],
    });
    expect(ports?.dependencies).toEqual([claim?.urn]);
    expect(nlb?.dependencies).toContain(claim?.urn);
    expect(nlb?.dependencies).toContain(ports?.urn);
    expect(record?.dependencies).toContain(nlb?.urn);
    expect(record?.inputs.addresses).toEqual(["10.1.0.100"]);
    expect(verification?.dependencies).toContain(nlb?.urn);
    expect(nlb?.inputs).toMatchObject({
      site: "HeadOffice",
      vip: "10.1.0.100",
      ports: [135, 59532, 59533],
      clusterName: "outlook-ho.exchangeserverpro.net",
      mode: "multicast",
    });
    expect(run.printed).toContain("Microsoft recommends a hardware or virtual load balancer for Exchange 2010");

    const state = new Map<string, Applied>();
    await applyInOrder(host, regs, state);
    const [cluster] = await labClusters(lab);
    expect(cluster?.Nodes.map((n) => `${n.Name} ${n.Shown}`)).toEqual([
      `${CAS1} Converged(default)`,
      `${CAS2} Converged`,
    ]);
    expect(cluster?.PortRules.map((r) => r.StartPort)).toEqual([135, 59532, 59533]);
    expect(await labRecord(lab)).toEqual(["10.1.0.100"]);
    expect(await labDatabases(lab)).toMatchObject({
      "MB-HO-01": "outlook-ho.exchangeserverpro.net",
      "MB-HO-02": "outlook-ho.exchangeserverpro.net",
      "MB-HO-03": "outlook-ho.exchangeserverpro.net",
    });
    expect(state.get(verification?.name ?? "")?.outputs.verification).toMatchObject({
      ok: true,
      dns: { resolved: ["10.1.0.100"] },
      members: { names: [CAS1, CAS2] },
    });
    // A second up changes nothing.
    for (const reg of regs) expect((await up(host, state.get(reg.name) as Applied, reg)).changed, reg.name).toBe(false);

    await destroyInOrder(host, regs, state);
    expect(await labRecord(lab)).toEqual([]);
    expect(await labClusters(lab)).toEqual([]);
  });

  it("with verify { tcp: true }, the VIP forwards: connections land on both nodes, a drained node takes no new ones but keeps its own, a stopped one loses them; a missing rule fails the check until up puts it back", async ({
    lab,
    host,
  }) => {
    lab.reset(nlbScenario());
    let fwd: Forwarder | undefined;
    try {
      fwd = await startForwarder(lab.statePath, [CAS1, CAS2], [135, 59532, 59533]);
      const f = fwd;
      lab.edit((s) => {
        setInterface(s, CAS1, f.addresses[CAS1] ?? "");
        setInterface(s, CAS2, f.addresses[CAS2] ?? "");
      });
      const declared = await declareSite(lab.connection, {
        dns: { addresses: undefined },
        rpcPorts: RPC_PORTS,
        loadBalancer: { ...NLB, vip: f.vip },
        verify: { tcp: true },
      });
      expect(declared.error).toBeUndefined();
      const state = new Map<string, Applied>();
      const verification = declared.regs[declared.regs.length - 1] as Registration;
      await applyInOrder(
        host,
        declared.regs.filter((r) => r !== verification),
        state,
      );
      await f.sync();
      await applyInOrder(host, [verification], state);
      const checked = () =>
        state.get(verification.name)?.outputs.verification as {
          ok: boolean;
          tcp: { port: number; result: string }[];
          failures: string[];
        };
      expect(checked().tcp.map((t) => `${t.port} ${t.result}`)).toEqual(["135 open", "59532 open", "59533 open"]);
      expect(checked().ok).toBe(true);

      // Affinity Single: each client address on one node, both nodes in use.
      const clients = [0, 1, 2, 3, 4, 5].map((i) => f.client(i));
      const landed = async () =>
        Promise.all(
          clients.map(async (c) => {
            const { node, socket } = await f.connect(59532, c);
            socket.destroy();
            return node;
          }),
        );
      expect(new Set(await landed())).toEqual(new Set([CAS1, CAS2]));
      const clientOfCas2 = clients[(await landed()).indexOf(CAS2)] ?? "";
      const kept = await f.connect(59532, clientOfCas2);
      expect(kept.node).toBe(CAS2);

      // Drained at the console while Outlook sessions are open on it (the static ports' restart
      // ended the earlier ones; these came back): no new connection reaches it, the one it has
      // keeps working.
      await lab.pwsh(`Set-ExchangeLabServerWindows -Server '${CAS2}' -OutlookSessions 2 | Out-Null`);
      await onServer(lab, CAS1, `Stop-NlbClusterNode -HostName '${CAS2}' -Drain | Out-Null`);
      await f.sync();
      expect(new Set(await landed())).toEqual(new Set([CAS1]));
      kept.socket.write("still here\n");
      const echo = await new Promise<string>((resolve, reject) => {
        kept.socket.once("data", (d: Buffer) => resolve(d.toString("utf8")));
        kept.socket.once("close", () => reject(new Error(`the connection to ${CAS2} was cut while it drained`)));
      });
      expect(echo).toBe("still here\n");

      // Stopped: its connections are cut.
      const cut = new Promise<void>((resolve) => kept.socket.once("close", () => resolve()));
      await onServer(lab, CAS1, `Stop-NlbClusterNode -HostName '${CAS2}' | Out-Null`);
      await f.sync();
      await cut;

      // The rule for 59533 removed at the console: the VIP publishes it no more, and the check says so.
      await onServer(
        lab,
        CAS1,
        "Get-NlbClusterPortRule -InterfaceName 'Local Area Connection' -Port 59533 | Remove-NlbClusterPortRule -Force",
      );
      await f.sync();
      const stale = state.get(verification.name) as Applied;
      const refreshed = await refresh(host, stale);
      state.set(verification.name, refreshed as Applied);
      expect(checked().tcp.map((t) => `${t.port} ${t.result}`)).toEqual(["135 open", "59532 open", "59533 refused"]);
      expect(checked().failures).toEqual([
        expect.stringMatching(
          new RegExp(`^From the machine running Pulumi, ${f.vip.replace(/\./g, "\\.")}:59533 refused the connection`),
        ),
      ]);

      // The next up puts the cluster back (CAS2 started, the rule added), and the check passes again.
      const nlb = declared.regs.find((r) => resourceType(r) === "NlbCluster") as Registration;
      const cluster = await refresh(host, state.get(nlb.name) as Applied);
      state.set(nlb.name, cluster as Applied);
      await applyInOrder(host, [nlb], state);
      await f.sync();
      const again = await refresh(host, state.get(verification.name) as Applied);
      expect((again?.outputs.verification as { ok: boolean }).ok).toBe(true);
      expect(new Set(await landed())).toEqual(new Set([CAS1, CAS2]));
    } finally {
      await fwd?.close();
    }
  });
});
