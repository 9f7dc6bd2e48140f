// The article's organisation with an Exchange 2016 server (HO-EX2016) as the management session's
// endpoint (LAB-FIDELITY C3): one edit of the lab's state, shared by the lab's own tests and the
// provider's.

export const E15 = "Version 15.1 (Build 2507.6)";

/** Adds HO-EX2016 (a copy of the first server, Mailbox role, 15.1) and makes it the endpoint. */
export function modernEndpoint(state: Record<string, unknown>): void {
  const servers = state.servers as Record<string, unknown>[];
  const first = servers[0] ?? {};
  servers.push({
    ...first,
    Name: "HO-EX2016",
    Fqdn: "HO-EX2016.exchangeserverpro.net",
    Guid: "8c3f1a2b-4d5e-4f60-8a71-b2c3d4e5f6ff",
    ServerRole: ["Mailbox"],
    RpcClientAccessEnabled: false,
    AdminDisplayVersion: E15,
    ExchangeLegacyDN: String(first.ExchangeLegacyDN).replace(/HO-EX2010-MB1$/, "HO-EX2016"),
  });
  (state.organization as Record<string, unknown>).EndpointServer = "HO-EX2016";
}
