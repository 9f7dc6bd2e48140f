// StaticRpcPorts: `new StaticRpcPorts("ho-ports", { site, rpcClientAccess, addressBook, connection })`
// gives every Exchange 2010 Client Access server of an AD site the same two static RPC ports, so
// a load balancer can publish TCP 135 and those two ports. Runtime logic: runtime/staticRpcPorts.ts.
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionInput, ServerConnectionInput } from "../shell/connection";
import { DynamicResource, thinProvider } from "./serializedProvider";

const provider = thinProvider("staticRpcPorts");

export interface StaticRpcPortsArgs {
  /** The AD site: every Client Access server in it gets the ports (Exchange 2010 SP1 or later). */
  site: pulumi.Input<string>;
  /** MSExchangeRPC's port (registry TCP/IP Port, REG_DWORD), e.g. 59532. 1024-65535; 59531-60554 recommended. */
  rpcClientAccess: pulumi.Input<number>;
  /** MSExchangeAB's port (registry RpcTcpPort, REG_SZ), e.g. 59533; must differ from rpcClientAccess. */
  addressBook: pulumi.Input<number>;
  /** On delete: "restore" (default) puts every server back to the ports it had before (dynamic), restarting one at a time; "retain" leaves them. */
  onDelete?: pulumi.Input<"restore" | "retain">;
  /** Where the Exchange cmdlets run (which servers the site has, and their versions). */
  connection: pulumi.Input<ConnectionInput>;
  /**
   * How each server is reached (Invoke-Command -ComputerName <server FQDN>): by default the lab's
   * servers for a lab connection, the jump host for an ssh connection, and WinRM from this machine
   * with the Exchange connection's account for an exchange connection.
   */
  serverConnection?: pulumi.Input<ServerConnectionInput>;
}

export interface ServerPortSetting {
  /** The port configured with the type the service reads, or null (dynamic). */
  configured: number | null;
  /** The registry value's type (DWord, String, ...) or None. */
  kind: string;
  value: string;
  /** The ports the service listens on now (bound at its last start). */
  listening: number[];
  state: string;
}

export interface StaticRpcPortsServer {
  server: string;
  fqdn: string;
  version: string;
  rpcClientAccess: ServerPortSetting;
  addressBook: ServerPortSetting;
  outlookSessions?: number;
  inSync: boolean;
  /** Set when the server could not be read (its datacenter is down): why; the rest is as it was last read. */
  unreachable?: string;
}

export class StaticRpcPorts extends DynamicResource {
  declare readonly site: pulumi.Output<string>;
  declare readonly rpcClientAccess: pulumi.Output<number>;
  declare readonly addressBook: pulumi.Output<number>;
  /** Per server: the configured and the listening ports. */
  declare readonly servers: pulumi.Output<StaticRpcPortsServer[]>;
  /** What the load balancer must publish: TCP 135 and the two ports, with client-IP affinity. */
  declare readonly loadBalancer: pulumi.Output<{ protocol: "TCP"; ports: number[]; affinity: string }>;

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
