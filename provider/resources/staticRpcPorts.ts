// StaticRpcPorts: `new StaticRpcPorts("ho-ports", { site, rpcClientAccess, addressBook, connection })`
// gives every Exchange 2010 Client Access server of an AD site the same two static RPC ports, so
// a load balancer can publish TCP 135 and those two ports. Runtime logic: runtime/staticRpcPorts.ts.
import * as pulumi from "@pulumi/pulumi";
import type { LoadBalancer } from "../runtime/rules";
import type { ServerPortState } from "../runtime/staticRpcPorts";
import type { ConnectionInput, ServerConnectionInput } from "../shell/connection";
import type { PortSetting } from "../windows/rpcPorts";
import { DynamicResource, thinProvider } from "./serializedProvider";

const provider = thinProvider("staticRpcPorts");

export interface StaticRpcPortsArgs {
  /** The AD site: every Client Access server in it gets the ports (Exchange 2010 SP1 or later). */
  site: pulumi.Input<string>;
  /** MSExchangeRPC's port (registry TCP/IP Port, REG_DWORD), e.g. 59532. 1024-65535; 59531-60554 recommended. */
  rpcClientAccess: pulumi.Input<number>;
  /** MSExchangeAB's port (registry RpcTcpPort, REG_SZ), e.g. 59533; must differ from rpcClientAccess. */
  addressBook: pulumi.Input<number>;
  /**
   * On delete: "restore" (default) puts every server back to the ports it had before (dynamic),
   * restarting one at a time; "retain" leaves them.
   */
  onDelete?: pulumi.Input<"restore" | "retain">;
  /** Where the Exchange cmdlets run (which servers the site has, and their versions). */
  connection: pulumi.Input<ConnectionInput>;
  /**
   * How each server is reached (Invoke-Command -ComputerName <server FQDN>): by default the lab's
   * servers for a lab connection, the jump host for an ssh connection, and WinRM from this machine
   * with the Exchange connection's account for an exchange connection.
   */
  serverConnection?: pulumi.Input<ServerConnectionInput>;
  /** Set by a CasArraySite: its plan has given the advice on the ports' range already. */
  plannedBySite?: pulumi.Input<boolean>;
}

/** One registry value and the service that reads it (windows/rpcPorts.ts owns the shape). */
export type ServerPortSetting = PortSetting;

/** One server as read: what is configured, what its services listen on (runtime/staticRpcPorts.ts owns the shape). */
export type StaticRpcPortsServer = ServerPortState;

export class StaticRpcPorts extends DynamicResource {
  declare readonly site: pulumi.Output<string>;
  declare readonly rpcClientAccess: pulumi.Output<number>;
  declare readonly addressBook: pulumi.Output<number>;
  /** Per server: the configured and the listening ports. */
  declare readonly servers: pulumi.Output<StaticRpcPortsServer[]>;
  /** What the load balancer must publish: TCP 135 and the two ports, with client-IP affinity. */
  declare readonly loadBalancer: pulumi.Output<LoadBalancer>;

  constructor(name: string, args: StaticRpcPortsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        ...args,
        onDelete: args.onDelete,
        serverConnection: args.serverConnection,
        siteName: undefined,
        servers: undefined,
        loadBalancer: undefined,
        previous: undefined,
      },
      opts,
      "exchange-cas",
      "StaticRpcPorts",
    );
  }
}
