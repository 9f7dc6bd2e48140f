// CasArraySite's `loadBalancer` option: the load balancer itself, declared. Today one kind,
// `{ kind: "nlb", vip, subnetMask, interface, mode }`: Windows NLB on the site's Client Access
// servers (NlbCluster). Small rules of their own, each with its unit tests, which the site plan
// (site.ts) calls: the option's schema, what the declaration needs besides it (static RPC ports;
// the record's addresses left to the VIP), and the NLB plan (refusals read from Exchange and the
// servers, the warning, the nodes).
import { z } from "zod";
import type { Connection, ServerConnection } from "../shell";
import { surveyNlb, DEFAULT_CONVERGENCE_SECONDS, DEFAULT_DRAIN_SECONDS } from "./nlbCluster";
import { modeName, nlbRefusals, nlbWarning, SubnetMask } from "./nlbRules";
import { IPv4Address } from "./rules";
import { NLB_MODES, type NlbMode } from "../windows/nlb";
import { isExchangeCasError } from "../errors";

/** The option as a program writes it. */
export interface NlbLoadBalancerOption {
  kind: "nlb";
  /** The cluster's IP address: the array's name points at it. Free, in the nodes' subnet. */
  vip: string;
  /** The VIP's subnet mask, the nodes' (e.g. 255.255.255.0). */
  subnetMask: string;
  /** The network interface NLB is bound to on every node, by name (e.g. "Local Area Connection"). */
  interface: string;
  /** "unicast" (NLB's default), "multicast" or "igmpMulticast". */
  mode?: "unicast" | "multicast" | "igmpMulticast";
  /** Seconds a leaving node drains before its sessions are cut (default 60). */
  drainTimeoutSeconds?: number;
  /** Seconds each change may take to converge (default 60). */
  convergenceTimeoutSeconds?: number;
}
export type LoadBalancerOption = NlbLoadBalancerOption;

const modes = ["unicast", "multicast", "igmpMulticast"] as const;

export const LoadBalancerSchema = z.discriminatedUnion(
  "kind",
  [
    z
      .object({
        kind: z.literal("nlb"),
        vip: IPv4Address,
        subnetMask: SubnetMask,
        interface: z
          .string({ error: "must be the name of a network interface, such as Local Area Connection" })
          .min(1, "must not be empty"),
        mode: z
          .string()
          .refine((v) => modes.some((m) => m.toLowerCase() === v.toLowerCase()), {
            message: 'must be "unicast", "multicast" or "igmpMulticast"',
          })
          .transform((v) => modes.find((m) => m.toLowerCase() === v.toLowerCase()) ?? "unicast")
          .optional(),
        drainTimeoutSeconds: z.number().int().min(0).max(3600).optional(),
        convergenceTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
      })
      .strict(),
  ],
  {
    error:
      'must be { kind: "nlb", vip, subnetMask, interface, mode }: ' +
      "Windows NLB on the site's Client Access servers (the only kind so far)",
  },
);

/** The declared mode as NLB names it. */
export function nlbMode(option: Pick<NlbLoadBalancerOption, "mode">): NlbMode {
  return NLB_MODES.find((m) => m.toLowerCase() === (option.mode ?? "unicast").toLowerCase()) ?? "Unicast";
}

/**
 * What the rest of the declaration must be for the load balancer: static RPC ports (the cluster
 * forwards TCP 135 and those two, nothing else), and the record's addresses left to the VIP.
 */
export function loadBalancerDeclarationErrors(
  option: NlbLoadBalancerOption,
  rpcPorts: unknown,
  addresses: readonly string[] | undefined,
): string[] {
  const errors: string[] = [];
  if (rpcPorts === undefined) {
    errors.push(
      "loadBalancer (Windows NLB) needs rpcPorts: the cluster forwards TCP 135 and the " +
        "two static RPC ports and nothing else, and Exchange's dynamic ports cannot be " +
        "published; add rpcPorts: { rpcClientAccess: 59532, addressBook: 59533 }.",
    );
  }
  if (addresses !== undefined && !(addresses.length === 1 && addresses[0] === option.vip)) {
    errors.push(
      "dns.addresses must be left out with loadBalancer (the array's name points at " +
        `the NLB cluster's VIP ${option.vip}), not ${addresses.join(", ")}.`,
    );
  }
  return errors;
}

export interface NlbPlan {
  /** The nodes, the site's Client Access servers, sorted. */
  nodes: string[];
  mode: NlbMode;
  drainTimeoutSeconds: number;
  convergenceTimeoutSeconds: number;
  warnings: string[];
}

/**
 * The NLB part of the site's plan: refused when a rule says no (DAG members first, from Exchange,
 * before any server is contacted), else the warning and what the apply makes.
 */
export async function planNlbSite(
  request: { site: string; fqdn: string; connection: Connection; serverConnection?: ServerConnection },
  option: NlbLoadBalancerOption,
  ports: readonly number[],
): Promise<{ errors: string[]; cause?: unknown } | NlbPlan> {
  const mode = nlbMode(option);
  const declared = {
    site: request.site,
    vip: option.vip,
    subnetMask: option.subnetMask,
    interface: option.interface,
    mode,
    ports: [...ports].sort((a, b) => a - b),
  };
  let found;
  try {
    found = await surveyNlb(
      {
        ...declared,
        clusterName: request.fqdn,
        connection: request.connection,
        ...(request.serverConnection !== undefined ? { serverConnection: request.serverConnection } : {}),
      },
      { probe: true, refuse: true },
    );
  } catch (e) {
    if (isExchangeCasError(e, "refused")) {
      const refusals = e.details.refusals;
      // The refusal's sentences join the site's; the error itself stays their cause.
      return { errors: Array.isArray(refusals) ? (refusals as string[]) : [e.message], cause: e };
    }
    throw e;
  }
  const refusals = nlbRefusals(declared, found.nodes);
  if (refusals.length > 0) return { errors: refusals };
  const nodes = found.nodes.map((n) => n.server);
  return {
    nodes,
    mode,
    drainTimeoutSeconds: option.drainTimeoutSeconds ?? DEFAULT_DRAIN_SECONDS,
    convergenceTimeoutSeconds: option.convergenceTimeoutSeconds ?? DEFAULT_CONVERGENCE_SECONDS,
    warnings: [
      nlbWarning(request.site, mode),
      `Windows NLB cluster ${option.vip} (${modeName(mode)}) ` +
        `on ${nodes.join(" and ")}: TCP ${declared.ports.join(", ")} with affinity ` +
        "Single, nothing else through the VIP; the static RPC ports first, " +
        `then the cluster, then ${request.fqdn} moves to ${option.vip}.`,
    ],
  };
}
