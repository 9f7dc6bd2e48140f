// CasArraySite's loadBalancer option without pwsh: its schema, and what the rest of the
// declaration must be for it (static RPC ports; the record's addresses left to the VIP).
import { describe, expect, it } from "vitest";
import { LoadBalancerSchema, loadBalancerDeclarationErrors, nlbMode } from "../../provider/runtime/siteLoadBalancer";

const NLB = {
  kind: "nlb" as const,
  vip: "10.1.0.100",
  subnetMask: "255.255.255.0",
  interface: "Local Area Connection",
  mode: "multicast" as const,
};
const PORTS = { rpcClientAccess: 59532, addressBook: 59533 };

describe("CasArraySite's loadBalancer option", () => {
  it("takes { kind: nlb, vip, subnetMask, interface, mode }, the mode in any case", () => {
    expect(LoadBalancerSchema.parse(NLB)).toEqual(NLB);
    expect(LoadBalancerSchema.parse({ ...NLB, mode: "IGMPMULTICAST" }).mode).toBe("igmpMulticast");
    expect(nlbMode({ mode: "igmpMulticast" })).toBe("IgmpMulticast");
    expect(nlbMode({})).toBe("Unicast");
  });

  it("refuses another kind, an unknown setting, a bad VIP, mask or mode, each with what to write", () => {
    const reasons = (value: unknown) => (LoadBalancerSchema.safeParse(value).error?.issues ?? []).map((i) => i.message);
    expect(reasons({ ...NLB, kind: "f5" })).toEqual([
      'must be { kind: "nlb", vip, subnetMask, interface, mode }: Windows NLB on the site\'s Client Access servers (the only kind so far)',
    ]);
    expect(reasons({ ...NLB, vips: ["10.1.0.100"] })[0]).toMatch(/vips/);
    expect(reasons({ ...NLB, vip: "10.1.0.300" })).toEqual([
      "10.1.0.300 is not an IPv4 address: each of its four numbers must be 0-255",
    ]);
    expect(reasons({ ...NLB, subnetMask: "255.0.255.0" })).toEqual([
      "must be a subnet mask such as 255.255.255.0 (ones, then zeros)",
    ]);
    expect(reasons({ ...NLB, mode: "broadcast" })).toEqual(['must be "unicast", "multicast" or "igmpMulticast"']);
  });

  it("needs static RPC ports, and the name on the VIP (addresses left out or the VIP itself)", () => {
    expect(loadBalancerDeclarationErrors(NLB, PORTS, undefined)).toEqual([]);
    expect(loadBalancerDeclarationErrors(NLB, PORTS, ["10.1.0.100"])).toEqual([]);
    expect(loadBalancerDeclarationErrors(NLB, undefined, undefined)).toEqual([
      "loadBalancer (Windows NLB) needs rpcPorts: the cluster forwards TCP 135 and the two static RPC ports and nothing else, and Exchange's dynamic ports cannot be published; add rpcPorts: { rpcClientAccess: 59532, addressBook: 59533 }.",
    ]);
    expect(loadBalancerDeclarationErrors(NLB, PORTS, ["10.1.0.11", "10.1.0.100"])).toEqual([
      "dns.addresses must be left out with loadBalancer (the array's name points at the NLB cluster's VIP 10.1.0.100), not 10.1.0.11, 10.1.0.100.",
    ]);
  });
});
