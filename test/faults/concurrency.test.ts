// Fifty operations at once through one host process, as the engine's parallel steps arrive:
// one pwsh for the connection, every answer delivered to the operation that asked, and the
// lab's state intact afterwards; then fifty refreshes at once. The test counts the host's pwsh, so
// it has a host of its own (freshHost), whose session opens under the fifty creates. It also runs
// over SSH (SSH_FILES): fifty commands in flight batched onto one remote session.
import { describe, expect } from "vitest";
import { create, refresh, type Applied } from "../support/apply";
import { register } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import type { Host } from "../support/host";
import type { Lab } from "../support/lab";
import { pwshChildren } from "../support/procs";

const N = 50;

/** Fifty A records created at once through `host`, and the most pwsh the host ran meanwhile. */
async function createFifty(lab: Lab, host: Host): Promise<{ created: Applied[]; peak: number }> {
  const regs = await register((lib) =>
    Array.from(
      { length: N },
      (_, i) =>
        new lib.DnsARecord(`r${i}`, {
          zone: "exchangeserverpro.net",
          name: `host-${i}`,
          addresses: [`10.9.0.${i + 1}`],
          dnsServer: "DC01",
          connection: lab.connection,
        }),
    ),
  );
  expect(regs).toHaveLength(N);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, pwshChildren(host.child.pid ?? 0).length)), 20);
  try {
    const created = await Promise.all(regs.map((r) => create(host, r)));
    return { created, peak };
  } finally {
    clearInterval(sampler);
  }
}

describe("fifty operations in flight", () => {
  // One test for both (merged: the refresh needs the fifty records, and creating them again under
  // a second host cost a host, a session and fifty creates in each tier).
  it("creates fifty records at once on one pwsh, each answer going to its own resource; then refreshes all fifty at once, each read returning its own record", async ({
    lab,
    freshHost: host,
  }) => {
    const { created, peak } = await createFifty(lab, host);
    created.forEach((c, i) => {
      expect(c.outputs).toMatchObject({
        name: `host-${i}`,
        fqdn: `host-${i}.exchangeserverpro.net`,
        addresses: [`10.9.0.${i + 1}`],
      });
      expect(c.id).toBe(`dc01/exchangeserverpro.net/host-${i}`);
    });
    expect(peak).toBe(1);
    const state = lab.readState() as unknown as {
      dns: { servers: { Name: string; Zones: { Name: string; Records: { HostName: string }[] }[] }[] };
    };
    const zone = state.dns.servers
      .find((s) => s.Name === "DC01")
      ?.Zones.find((z) => z.Name === "exchangeserverpro.net");
    expect(zone?.Records.filter((r) => r.HostName.startsWith("host-"))).toHaveLength(N);

    const read = await Promise.all(created.map((c) => refresh(host, c)));
    read.forEach((r, i) => expect(r?.outputs).toMatchObject({ name: `host-${i}`, addresses: [`10.9.0.${i + 1}`] }));
    expect(pwshChildren(host.child.pid ?? 0)).toHaveLength(1);
  });
});
