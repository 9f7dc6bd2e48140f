// NlbCluster: `new NlbCluster("ho-nlb", { site, vip, subnetMask, interface, ports, connection })` puts
// Windows Network Load Balancing on the Exchange 2010 Client Access servers of an AD site: the VIP
// a CAS array's name can point at without a hardware load balancer. Refused on DAG members.
// Runtime logic: runtime/nlbCluster.ts (rules: runtime/nlbRules.ts).
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionInput, ServerConnectionInput } from "../shell/connection";
import { DynamicResource, thinProvider } from "./serializedProvider";

const provider = thinProvider("nlbCluster");

export interface NlbClusterArgs {
  /** The AD site: its Client Access servers are the nodes (at least two, none a DAG member). */
  site: pulumi.Input<string>;
  /** The cluster's IP address: free, in the nodes' subnet, never a server's own. Changing it replaces the cluster. */
  vip: pulumi.Input<string>;
  /** The VIP's subnet mask, the nodes' (e.g. 255.255.255.0). */
  subnetMask: pulumi.Input<string>;
  /** The network interface NLB is bound to on every node, by name (e.g. "Local Area Connection"). */
  interface: pulumi.Input<string>;
  /** "unicast" (NLB's default; the switch floods its traffic), "multicast" or "igmpMulticast". */
  mode?: pulumi.Input<"unicast" | "multicast" | "igmpMulticast">;
  /**
   * The TCP ports the VIP forwards, each with affinity Single: 135 and the static RPC ports, e.g.
   * [135, 59532, 59533].
   */
  ports: pulumi.Input<pulumi.Input<number>[]>;
  /** New-NlbCluster -ClusterName (default: the VIP); usually the array's FQDN. */
  clusterName?: pulumi.Input<string>;
  /** Seconds a leaving node drains before its remaining Outlook sessions are cut (default 60). */
  drainTimeoutSeconds?: pulumi.Input<number>;
  /** Seconds each change may take to converge (default 60). */
  convergenceTimeoutSeconds?: pulumi.Input<number>;
  /** The array's name and its A record: the cluster is not removed while that name points at the VIP. */
  dns?: pulumi.Input<{
    fqdn: pulumi.Input<string>;
    zone: pulumi.Input<string>;
    dnsServer: pulumi.Input<string>;
    connection: pulumi.Input<ConnectionInput>;
  }>;
  /** On delete: "restore" (default) removes the cluster from its nodes; "retain" leaves it. */
  onDelete?: pulumi.Input<"restore" | "retain">;
  /** Where the Exchange cmdlets run (which servers the site has, which DAGs). */
  connection: pulumi.Input<ConnectionInput>;
  /** How each server is reached (as for StaticRpcPorts). */
  serverConnection?: pulumi.Input<ServerConnectionInput>;
}

export interface NlbClusterNode {
  server: string;
  fqdn: string;
  /** The node's address on the NLB interface. */
  address: string;
  /** Converged, Converged(default), Converging, Draining, Stopped, Suspended. */
  state: string;
  hostId: number;
}

export class NlbCluster extends DynamicResource {
  declare readonly site: pulumi.Output<string>;
  /** The VIP: what the array's DNS name points at. */
  declare readonly vip: pulumi.Output<string>;
  declare readonly nodes: pulumi.Output<NlbClusterNode[]>;
  declare readonly portRules: pulumi.Output<
    { startPort: number; endPort: number; protocol: string; filteringMode: string; affinity: string }[]
  >;
  /** Every node converged and the rules exactly the ports. */
  declare readonly inSync: pulumi.Output<boolean>;
  declare readonly loadBalancer: pulumi.Output<{ vip: string; protocol: "TCP"; ports: number[]; affinity: string }>;

  constructor(name: string, args: NlbClusterArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        ...args,
        mode: args.mode,
        clusterName: args.clusterName,
        drainTimeoutSeconds: args.drainTimeoutSeconds,
        convergenceTimeoutSeconds: args.convergenceTimeoutSeconds,
        dns: args.dns,
        onDelete: args.onDelete,
        serverConnection: args.serverConnection,
        siteName: undefined,
        reportedMode: undefined,
        nodes: undefined,
        portRules: undefined,
        inSync: undefined,
        loadBalancer: undefined,
      },
      opts,
      "exchange-cas",
      "NlbCluster",
    );
  }
}
