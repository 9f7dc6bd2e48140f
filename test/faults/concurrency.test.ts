// Fifty operations at once through one host process, as the engine's parallel steps arrive:
// one pwsh for the connection, every answer delivered to the operation that asked, and the
// lab's state intact afterwards.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { create, refresh, type Applied } from "../support/apply";
import { register } from "../support/contract";
import { Host } from "../support/host";
import type { Lab } from "../support/lab";
import { useLabHost } from "../support/labHost";
import { pwshChildren } from "../support/procs";

let lab: Lab;
let host: Host;
useLabHost("all", (fixture) => ({ lab, host } = fixture));

const N = 50;

describe("fifty operations in flight", () => {
  let created: Applied[] = [];

  it("creates fifty records at once on one pwsh, each answer going to its own resource", async () => {
    const regs = await register((lib) =>
      Array.from(
        { length: N },
        (_, i) => new lib.DnsARecord(`r${i}`, { zone: "exchangeserverpro.net", name: `host-${i}`, addresses: [`10.9.0.${i + 1}`], dnsServer: "DC01", connection: lab.connection }),
      ),
    );
    expect(regs).toHaveLength(N);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, pwshChildren(host.child.pid ?? 0).length)), 20);
    created = await Promise.all(regs.map((r) => create(host, r)));
    clearInterval(sampler);
    created.forEach((c, i) => {
      expect(c.outputs).toMatchObject({ name: `host-${i}`, fqdn: `host-${i}.exchangeserverpro.net`, addresses: [`10.9.0.${i + 1}`] });
      expect(c.id).toBe(`dc01/exchangeserverpro.net/host-${i}`);
    });
    expect(peak).toBe(1);
    const state = JSON.parse(fs.readFileSync(lab.statePath, "utf8")) as { dns: { servers: { Name: string; Zones: { Name: string; Records: { HostName: string }[] }[] }[] } };
    const zone = state.dns.servers.find((s) => s.Name === "DC01")?.Zones.find((z) => z.Name === "exchangeserverpro.net");
    expect(zone?.Records.filter((r) => r.HostName.startsWith("host-"))).toHaveLength(N);
  });

  it("refreshes all fifty at once, each read returning its own record", async () => {
    const read = await Promise.all(created.map((c) => refresh(host, c)));
    read.forEach((r, i) => expect(r?.outputs).toMatchObject({ name: `host-${i}`, addresses: [`10.9.0.${i + 1}`] }));
    expect(pwshChildren(host.child.pid ?? 0)).toHaveLength(1);
  });
});
