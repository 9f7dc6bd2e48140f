// CasArrayVerification through the real dynamic-provider host, against the article's lab: the
// array name's A record points at loopback addresses, and where the TCP checks connect the test
// itself listens there (an address of its own, picked per run: loopback.ts), so they connect only
// to listeners it started. The other addresses are data only. Nothing here connects anywhere else.
import { describe, expect, onTestFinished } from "vitest";
import { create, refresh, up } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { urnOf } from "../support/host";
import type { Lab } from "../support/lab";
import { listenOnLoopback, type Loopback } from "../support/loopback";

const ZONE = "exchangeserverpro.net";
const FQDN = `outlook-ho.${ZONE}`;
const PORTS = [135, 59532, 59533];

interface VerifyArgs {
  addresses: string[];
  fqdn?: string;
  site?: string;
  dnsServer?: string;
  ports?: number[];
  mode?: "warn" | "strict";
  tcpTimeoutMs?: number;
}

async function declare(lab: Lab, args: VerifyArgs): Promise<Registration> {
  const full = {
    fqdn: FQDN,
    site: "HeadOffice",
    dnsServer: "DC01",
    ...args,
    connection: lab.connection,
    dnsConnection: lab.connection,
  };
  const regs = await register((lib) => new lib.CasArrayVerification("outlook-ho-verify", full));
  const reg = regs[0];
  if (reg === undefined) throw new Error("no registration");
  return reg;
}

/** The array name's A record(s) on DC01 and, unless `array` is false, the HeadOffice array with that FQDN. */
async function wire(lab: Lab, addresses: string[], array = true): Promise<void> {
  const lines = addresses.map(
    (a) => `Add-DnsServerResourceRecordA -ZoneName '${ZONE}' -Name outlook-ho -IPv4Address '${a}' -ComputerName DC01`,
  );
  if (array) lines.push(`New-ClientAccessArray -Name cas-headoffice -Fqdn '${FQDN}' -Site HeadOffice | Out-Null`);
  await lab.pwsh(lines.join("\n"));
}

/** A VIP of this test's own (a random loopback address, loopback.ts) listening on `ports`; stopped after the test. */
async function vipListening(ports: readonly number[] = PORTS): Promise<Loopback> {
  const vip = await listenOnLoopback(ports);
  onTestFinished(() => vip.closeAll());
  return vip;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** When a check ran: an ISO 8601 time (the verification says when it checked). */
const ISO_TIME = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

/** A verification's outputs without the time of its check (for comparing two checks' findings). */
function findings(outputs: Record<string, unknown> | undefined): Record<string, unknown> {
  const verification = { ...(outputs?.verification as Record<string, unknown>) };
  delete verification.checkedAt;
  return { ...outputs, verification };
}

/** When the check of `outputs` ran, in ms since the epoch. */
const checkedAt = (outputs: Record<string, unknown> | undefined): number =>
  Date.parse(String((outputs?.verification as { checkedAt?: unknown } | undefined)?.checkedAt));

const open = (address: string) => PORTS.map((port) => ({ address, port, result: "open" }));
const HO_MEMBERS = { names: ["HO-EX2010-MB1", "HO-EX2010-MB2"], ok: true };

describe("CasArrayVerification through the dynamic-provider host", () => {
  it("registers under its own type token with a small __provider that captures no secret", async ({ lab }) => {
    const reg = await declare(lab, { addresses: ["127.0.0.161"] });
    expect(reg.type).toBe("pulumi-nodejs:dynamic/exchange-cas:CasArrayVerification");
    expect(reg.providerIsSecret).toBe(false);
    expect(reg.provider).toContain('require("exchange-cas/runtime")');
    expect(reg.provider.length).toBeLessThan(4096);
  });

  it("finds a wired array all ok: the name resolves at DC01 to the VIP, the array has members, 135 and the static ports accept connections", async ({
    lab,
    host,
  }) => {
    const vip = await vipListening();
    const VIP = vip.address;
    await wire(lab, [VIP]);
    const reg = await declare(lab, { addresses: [VIP], ports: [59533, 135, 59532, 135] });
    const { result: state, printed } = await host.printedBy(() => create(host, reg));
    expect(state.id).toBe(`${FQDN}@dc01`);
    expect(state.outputs).toMatchObject({
      fqdn: FQDN,
      dnsServer: "DC01",
      site: "HeadOffice",
      addresses: [VIP],
      ports: PORTS,
      mode: "warn",
    });
    expect(state.outputs.connection).toEqual(lab.connection);
    expect(state.outputs.dnsConnection).toEqual(lab.connection);
    expect(state.outputs.verification).toEqual({
      checkedAt: ISO_TIME,
      ok: true,
      dns: { server: "DC01", resolved: [VIP], expected: [VIP], ok: true },
      members: HO_MEMBERS,
      tcp: open(VIP),
      failures: [],
    });
    expect(printed).not.toMatch(/warning:/);
    // The listeners saw the connections.
    await Promise.all(PORTS.map((port) => vip.accepted(port)));
    // Same inputs: nothing to do; delete changes nothing.
    expect((await up(host, state, reg)).changed).toBe(false);
    await host.delete(state.id, state.urn, state.outputs);
    expect(
      await lab.json<string>(
        `Get-DnsServerResourceRecord -ZoneName '${ZONE}' -Name outlook-ho -Node -RRType A -ComputerName DC01 | ForEach-Object { [string]$_.RecordData.IPv4Address }`,
      ),
    ).toEqual([VIP]);
    expect(await lab.json<string>("Get-ClientAccessArray | ForEach-Object Name")).toEqual(["cas-headoffice"]);
  });

  it("reports the name resolving at DC01 to another address than declared, in one sentence; 'strict' fails create with it", async ({
    lab,
    host,
  }) => {
    await wire(lab, ["127.0.0.162"]);
    const expected = "127.0.0.163";
    const sentence = `${FQDN} resolves at DC01 to 127.0.0.162, not to the declared 127.0.0.163: Outlook clients that use DC01 are sent to that address; check the A records of the name on DC01 (a record added by hand, or a change that has not replicated yet).`;
    const reg = await declare(lab, { addresses: [expected] });
    const { result: state, printed } = await host.printedBy(() => create(host, reg));
    expect(state.outputs.verification).toEqual({
      checkedAt: ISO_TIME,
      ok: false,
      dns: { server: "DC01", resolved: ["127.0.0.162"], expected: [expected], ok: false },
      members: HO_MEMBERS,
      tcp: [],
      failures: [sentence],
    });
    expect(printed).toMatch(new RegExp(`warning: ${escape(sentence)}`));

    const strict = await declare(lab, { addresses: [expected], mode: "strict" });
    const urn = urnOf("CasArrayVerification", "outlook-ho-verify");
    const checked = await host.check(urn, {}, strict.inputs);
    expect(checked.failures).toEqual([]);
    await expect(host.create(urn, checked.inputs)).rejects.toThrow(
      `The wiring of CAS array ${FQDN} failed 1 check (mode "strict"):\n- ${sentence}`,
    );
  });

  it("reports a name the DNS server does not know (asked at DC02, which does not host the zone) as not existing there", async ({
    lab,
    host,
  }) => {
    await wire(lab, ["127.0.0.164"]);
    const reg = await declare(lab, { addresses: ["127.0.0.164"], dnsServer: "DC02" });
    const { result: state, printed } = await host.printedBy(() => create(host, reg));
    const sentence = `${FQDN} does not exist at DNS server DC02 (DNS name does not exist): Outlook clients that use DC02 cannot find the array until the name has its A record (127.0.0.164).`;
    expect(state.outputs.verification).toMatchObject({
      ok: false,
      dns: { server: "DC02", resolved: [], expected: ["127.0.0.164"], ok: false },
      failures: [sentence],
    });
    expect(printed).toMatch(new RegExp(escape(sentence)));
  });

  it("reports a site without a CAS array, and an array without members (no Client Access server left in its site), as failures", async ({
    lab,
    host,
  }) => {
    await wire(lab, ["127.0.0.165"], false);
    const noneReg = await declare(lab, { addresses: ["127.0.0.165"] });
    const { result: none, printed: nonePrinted } = await host.printedBy(() => create(host, noneReg));
    const noArray = `Site HeadOffice has no Client Access array, so Outlook clients sent to ${FQDN} reach no array: create it (New-ClientAccessArray -Fqdn ${FQDN} -Site 'HeadOffice').`;
    expect(none.outputs.verification).toMatchObject({
      ok: false,
      dns: { ok: true },
      members: { names: [], ok: false },
      failures: [noArray],
    });
    expect(nonePrinted).toMatch(new RegExp(escape(noArray)));

    // The branch's only Client Access server stops serving RPC Client Access: its array has no members.
    const BR = `outlook-br.${ZONE}`;
    await lab.pwsh(
      `Add-DnsServerResourceRecordA -ZoneName '${ZONE}' -Name outlook-br -IPv4Address 127.0.0.165 -ComputerName DC01\nNew-ClientAccessArray -Name cas-branch -Fqdn '${BR}' -Site BranchOffice | Out-Null`,
    );
    lab.edit((state) => {
      for (const server of state.servers as { Name: string; RpcClientAccessEnabled: boolean }[])
        if (server.Name === "BR-EX2010-MB") server.RpcClientAccessEnabled = false;
    });
    const emptyReg = await declare(lab, { addresses: ["127.0.0.165"], fqdn: BR, site: "BranchOffice" });
    const { result: empty, printed: emptyPrinted } = await host.printedBy(() => create(host, emptyReg));
    const noMembers = `The Client Access array cas-branch (${BR}) of site BranchOffice has no members: Exchange finds no Client Access server in the site, so no server answers the Outlook clients that connect to ${BR}.`;
    expect(empty.outputs.verification).toMatchObject({
      ok: false,
      dns: { ok: true },
      members: { names: [], ok: false },
      failures: [noMembers],
    });
    expect(emptyPrinted).toMatch(new RegExp(escape(noMembers)));
  });

  it("reports a port that refuses connections by address:port, among the ones that accept them; 'strict' fails create with it", async ({
    lab,
    host,
  }) => {
    // 59533 bound too, then closed: free at this address, so a connection to it is refused.
    const vip = await vipListening();
    await vip.close(59533);
    const VIP = vip.address;
    await wire(lab, [VIP]);
    const reg = await declare(lab, { addresses: [VIP], ports: PORTS });
    const { result: state, printed } = await host.printedBy(() => create(host, reg));
    const sentence = `From the machine running Pulumi, ${VIP}:59533 refused the connection: nothing listens on port 59533 there, so Outlook clients that reach the array at ${VIP} fail.`;
    expect(state.outputs.verification).toEqual({
      checkedAt: ISO_TIME,
      ok: false,
      dns: { server: "DC01", resolved: [VIP], expected: [VIP], ok: true },
      members: HO_MEMBERS,
      tcp: [
        { address: VIP, port: 135, result: "open" },
        { address: VIP, port: 59532, result: "open" },
        { address: VIP, port: 59533, result: "refused" },
      ],
      failures: [sentence],
    });
    expect(printed).toMatch(new RegExp(escape(sentence)));
    const urn = urnOf("CasArrayVerification", "outlook-ho-verify");
    const checked = await host.check(
      urn,
      {},
      (await declare(lab, { addresses: [VIP], ports: PORTS, mode: "strict" })).inputs,
    );
    await expect(host.create(urn, checked.inputs)).rejects.toThrow(`${VIP}:59533 refused the connection`);
  });

  it("re-checks on refresh: reports what changed behind its back (a moved record, a stopped listener), never failing, and the same outputs once repaired", async ({
    lab,
    host,
  }) => {
    const vip = await vipListening();
    const VIP = vip.address;
    await wire(lab, [VIP]);
    const reg = await declare(lab, { addresses: [VIP], ports: PORTS, mode: "strict" });
    const state = await create(host, reg);
    expect(state.outputs.verification).toMatchObject({ ok: true, failures: [] });

    // Nothing changed: a refresh finds exactly what create found, and says it checked again.
    const same = await refresh(host, state);
    expect(findings(same?.outputs)).toEqual(findings(state.outputs));
    expect(checkedAt(same?.outputs)).toBeGreaterThanOrEqual(checkedAt(state.outputs));
    expect(same?.inputs).toEqual(state.inputs);

    // Someone repoints the name and port 59532 stops listening.
    await lab.pwsh(
      `Add-DnsServerResourceRecordA -ZoneName '${ZONE}' -Name outlook-ho -IPv4Address 127.0.0.168 -ComputerName DC01\nRemove-DnsServerResourceRecord -ZoneName '${ZONE}' -Name outlook-ho -RRType A -RecordData '${VIP}' -Force -ComputerName DC01`,
    );
    await vip.close(59532);
    const { result: drifted, printed } = await host.printedBy(() => refresh(host, state));
    if (drifted === undefined) throw new Error("a verification never vanishes");
    expect(drifted.id).toBe(state.id);
    expect(drifted.inputs).toEqual(state.inputs);
    const moved = `${FQDN} resolves at DC01 to 127.0.0.168, not to the declared ${VIP}`;
    const refused = `${VIP}:59532 refused the connection`;
    expect(drifted.outputs.verification).toMatchObject({
      ok: false,
      dns: { resolved: ["127.0.0.168"], ok: false },
      tcp: [
        { address: VIP, port: 135, result: "open" },
        { address: VIP, port: 59532, result: "refused" },
        { address: VIP, port: 59533, result: "open" },
      ],
    });
    const failures = drifted.outputs.verification as { failures: string[] };
    expect(failures.failures).toHaveLength(2);
    expect(failures.failures[0]).toContain(moved);
    expect(failures.failures[1]).toContain(refused);
    expect(printed).toMatch(new RegExp(`${escape(moved)}[^]*${escape(refused)}`));

    // Repaired: the next refresh reports all ok again, exactly as at create.
    await lab.pwsh(
      `Add-DnsServerResourceRecordA -ZoneName '${ZONE}' -Name outlook-ho -IPv4Address '${VIP}' -ComputerName DC01\nRemove-DnsServerResourceRecord -ZoneName '${ZONE}' -Name outlook-ho -RRType A -RecordData 127.0.0.168 -Force -ComputerName DC01`,
    );
    await vip.reopen(59532);
    const repaired = await refresh(host, drifted);
    expect(findings(repaired?.outputs)).toEqual(findings(state.outputs));
    expect(checkedAt(repaired?.outputs)).toBeGreaterThanOrEqual(checkedAt(drifted.outputs));
  });

  it("changes in place when any input differs (connections included), never replaces; rejects bad inputs per property and lets unknowns through", async ({
    lab,
    host,
  }) => {
    await wire(lab, ["127.0.0.169"]);
    const reg = await declare(lab, { addresses: ["127.0.0.169"] });
    const state = await create(host, reg);
    const diffOf = async (args: VerifyArgs, connection = lab.connection) => {
      const next = await declare(lab, args);
      const checked = await host.check(state.urn, state.inputs, { ...next.inputs, connection });
      expect(checked.failures).toEqual([]);
      return host.diff(state.id, state.urn, state.outputs, checked.inputs);
    };
    const none = { changes: "none", replaces: [], deleteBeforeReplace: false };
    const some = { changes: "some", replaces: [], deleteBeforeReplace: false };
    expect(await diffOf({ addresses: ["127.0.0.169", "127.0.0.169"], dnsServer: "dc01", mode: "warn" })).toEqual(none);
    expect(await diffOf({ addresses: ["127.0.0.169", "127.0.0.170"] })).toEqual(some);
    expect(await diffOf({ addresses: ["127.0.0.169"], dnsServer: "DC02" })).toEqual(some);
    expect(await diffOf({ addresses: ["127.0.0.169"], site: "BranchOffice" })).toEqual(some);
    expect(await diffOf({ addresses: ["127.0.0.169"], ports: [135] })).toEqual(some);
    expect(await diffOf({ addresses: ["127.0.0.169"], mode: "strict" })).toEqual(some);
    expect(await diffOf({ addresses: ["127.0.0.169"], tcpTimeoutMs: 1000 })).toEqual(some);
    expect(
      await diffOf({ addresses: ["127.0.0.169"] }, {
        ...lab.connection,
        commandTimeoutSeconds: 300,
      } as typeof lab.connection),
    ).toEqual(some);

    const urn = urnOf("CasArrayVerification", "outlook-ho-verify");
    const reasons = async (news: Record<string, unknown>) =>
      (await host.check(urn, {}, { ...reg.inputs, ...news })).failures.map((f) => `${f.property}: ${f.reason}`);
    expect(await reasons({ ports: [0, 70000] })).toEqual([
      "ports: must be a TCP port number from 1 to 65535 (item 1 of ports)",
      "ports: must be a TCP port number from 1 to 65535 (item 2 of ports)",
    ]);
    expect(await reasons({ mode: "loud" })).toEqual([
      "mode: must be 'warn' (report failures as warnings) or 'strict' (fail the apply on any failure)",
    ]);
    expect((await reasons({ addresses: [] }))[0]).toMatch(/^addresses: must list at least one IPv4 address/);
    expect((await reasons({ tcpTimeoutMs: 5 }))[0]).toBe("tcpTimeoutMs: must be at least 100 ms");
    expect((await reasons({ fqdn: "outlook ho" }))[0]).toMatch(/^fqdn: must be a fully qualified DNS name/);
    expect(await reasons({ dnsConnection: { kind: "lba" } })).toEqual([
      'dnsConnection: kind "lba" is not a connection kind: use lab, exchange or ssh',
    ]);
    expect(await reasons({ verify: true })).toEqual(["verify: 'verify' is not a property of this resource."]);
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    expect((await host.check(urn, {}, { ...reg.inputs, addresses: [unknown], fqdn: unknown })).failures).toEqual([]);
  });
});
