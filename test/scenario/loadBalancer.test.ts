// HeadOffice moved to a load balancer: the CasArraySite gives every CAS of the site the same static
// RPC ports first (one server restarted at a time, said at preview), then moves the name to the
// VIP, and verifies the wiring: the name resolves at DC01 to the VIP, the array has members, and
// the VIP accepts TCP on 135 and the two ports. The "VIP" is a loopback address of the test's own
// (loopback.ts: random, so two runs on one machine do not collide) whose listeners the test starts
// (never the scenario's 10.x addresses): verification connects from this machine.
import { describe, expect, onTestFinished } from "vitest";
import { applyAll, preview, refresh, resourceType, type Applied } from "../support/apply";
import { labTest as it } from "../support/fixtures";
import type { Lab } from "../support/lab";
import { listenOnLoopback, type Loopback } from "../support/loopback";
import { declareSite } from "../support/site";

const PORTS = { rpcClientAccess: 59532, addressBook: 59533 };
/** What the load balancer publishes: the endpoint mapper and the two static ports. */
const PUBLISHED = [135, PORTS.rpcClientAccess, PORTS.addressBook];
const RPC_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeRPC\\ParametersSystem";

/** A VIP of this test's own, listening on every published port; its listeners stop after the test. */
async function vipListening(): Promise<Loopback> {
  const vip = await listenOnLoopback(PUBLISHED);
  onTestFinished(() => vip.closeAll());
  return vip;
}

async function rpcPortOf(lab: Lab, server: string): Promise<unknown> {
  const [value] = await lab.json<unknown[]>(
    `(Get-ExchangeLabServerWindows -Server '${server}').Registry.'${RPC_KEY}'.'TCP/IP Port'`,
  );
  return value ?? null;
}

interface VerificationOut {
  ok: boolean;
  dns: { resolved: string[]; ok: boolean };
  members: { names: string[]; ok: boolean };
  tcp: { address: string; port: number; result: string }[];
  failures: string[];
}

describe("moving HeadOffice to a load balancer VIP with static RPC ports, verified", () => {
  it("sets the ports on both servers before the name moves, says so at preview, and verifies DNS, members and the VIP's ports", async ({
    lab,
    host,
  }) => {
    const state = new Map<string, Applied>();
    const first = await declareSite(lab.connection);
    expect((await applyAll(host, first.regs, state)).failed).toEqual([]);

    const listening = await vipListening();
    const vip = listening.address;
    const moved = await declareSite(lab.connection, {
      dns: { addresses: [vip] },
      rpcPorts: PORTS,
      verify: { tcp: true },
    });
    expect(moved.error).toBeUndefined();
    expect(moved.regs.map(resourceType).slice(0, 4)).toEqual([
      "CasArraySiteClaim",
      "StaticRpcPorts",
      "DnsARecord",
      "ClientAccessArray",
    ]);
    expect(moved.regs.map(resourceType).at(-1)).toBe("CasArrayVerification");
    expect(moved.warnings).toContain(
      "Static RPC ports 59532 (RPC Client Access) and 59533 (Address Book) on HO-EX2010-MB1 and HO-EX2010-MB2, one server restarted at a time: the load balancer must publish TCP 135, 59532 and 59533 to these servers, with client-IP affinity for the whole Outlook session.",
    );

    const { result: planned, printed } = await host.printedBy(() => preview(host, moved.regs, state));
    expect(planned.failures).toEqual([]);
    expect(planned.creates).toEqual(["headoffice-rpc-ports", "headoffice-verify"]);
    expect(planned.updates).toEqual(["headoffice-dns"]);
    expect(printed).toMatch(/server 2 of 2, HO-EX2010-MB2/);
    expect(printed).toMatch(/server 1 of 2, HO-EX2010-MB1 .*dropping its 4 Outlook sessions/);
    expect(await rpcPortOf(lab, "HO-EX2010-MB1")).toBeNull();

    const outcome = await applyAll(host, moved.regs, state);
    expect(outcome.failed).toEqual([]);
    expect(outcome.created).toEqual(["headoffice-rpc-ports", "headoffice-verify"]);
    expect(outcome.updated).toEqual(["headoffice-dns"]);
    for (const s of ["HO-EX2010-MB1", "HO-EX2010-MB2"])
      expect(await rpcPortOf(lab, s)).toEqual({ Kind: "DWord", Value: 59532 });
    expect(state.get("headoffice-rpc-ports")?.outputs.loadBalancer).toMatchObject({
      protocol: "TCP",
      ports: [135, 59532, 59533],
    });

    const verified = state.get("headoffice-verify")?.outputs.verification as VerificationOut;
    expect(verified).toMatchObject({
      ok: true,
      dns: { resolved: [vip], ok: true },
      members: { names: ["HO-EX2010-MB1", "HO-EX2010-MB2"], ok: true },
      failures: [],
    });
    expect(verified.tcp).toEqual([135, 59532, 59533].map((port) => ({ address: vip, port, result: "open" })));

    // The load balancer stops publishing the Address Book port: the next refresh says so.
    await listening.close(PORTS.addressBook);
    const after = await refresh(host, state.get("headoffice-verify") as Applied);
    const found = after?.outputs.verification as VerificationOut;
    expect(found.ok).toBe(false);
    expect(found.failures).toEqual([
      expect.stringMatching(new RegExp(`${listening.pattern}:59533 refused the connection`)),
    ]);
  });

  it("strict verification fails the apply when the VIP does not publish a static port", async ({ lab, host }) => {
    // Picked with the Address Book port free there too, then not published.
    const listening = await vipListening();
    await listening.close(PORTS.addressBook);
    const vip = listening.address;
    const site = await declareSite(lab.connection, {
      dns: { addresses: [vip] },
      rpcPorts: PORTS,
      verify: { mode: "strict", tcp: true },
    });
    expect(site.error).toBeUndefined();
    const outcome = await applyAll(host, site.regs, new Map<string, Applied>());
    expect(outcome.failed).toEqual([
      {
        name: "headoffice-verify",
        error: expect.stringMatching(
          new RegExp(`failed 1 check.*${listening.pattern}:59533 refused the connection`, "s"),
        ),
      },
    ]);
  });

  it("refuses the first apply of the ports at preview, changing no server, when a Client Access server cannot be reached for them; the plan names the server", async ({
    lab,
    host,
  }) => {
    await lab.pwsh("Set-ExchangeLabServerWindows -Server HO-EX2010-MB2 -Remoting Disabled");
    // An unreachable server blocks only what needs it (a site outage must never stop the DNS
    // move): the plan goes ahead and says so; the static ports, which need every server, refuse
    // their first apply at preview, and everything after them in the site waits for them.
    const site = await declareSite(lab.connection, { rpcPorts: PORTS });
    expect(site.error).toBeUndefined();
    expect(site.warnings).toContainEqual(
      expect.stringMatching(
        /^Static RPC ports of site HeadOffice: HO-EX2010-MB2 cannot be reached with PowerShell remoting \(.*The client cannot connect to the destination.*\)\. Its ports keep their last known state, and only changing them waits until it is back \(a first apply of rpcPorts or new ports are refused meanwhile\)/,
      ),
    );
    expect(site.warnings.filter((w) => w.includes("HO-EX2010-MB1 cannot be reached"))).toEqual([]);
    const seen = await preview(host, site.regs, new Map<string, Applied>());
    expect(seen.failures).toEqual([
      {
        name: "headoffice-rpc-ports",
        property: "site",
        reason: expect.stringMatching(
          /^Static RPC ports of site HeadOffice: a server could not be read .*\(HO-EX2010-MB2: .*The client cannot connect to the destination.*\)\. Every Client Access server of the site must be reachable with PowerShell remoting before any is changed; no server was changed\.$/,
        ),
      },
    ]);
    for (const s of ["HO-EX2010-MB1", "HO-EX2010-MB2"]) expect(await rpcPortOf(lab, s)).toBeNull();
  });

  it("refuses equal ports and an unknown verify setting in the plan, registering nothing", async ({ lab }) => {
    const same = await declareSite(lab.connection, { rpcPorts: { rpcClientAccess: 59532, addressBook: 59532 } });
    expect(same.regs).toEqual([]);
    expect(same.error).toMatch(/rpcPorts rpcClientAccess and addressBook must be two different ports/);
    const wrong = await declareSite(lab.connection, { verify: "always" as never });
    expect(wrong.regs).toEqual([]);
    expect(wrong.error).toMatch(/verify must be true, "warn", "strict" or \{ mode, tcp, tcpTimeoutMs \}/);
  });
});
