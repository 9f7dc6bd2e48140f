// CasArrayVerification after its first apply, through the real dynamic-provider host: it finds
// exactly the declared addresses (an extra A record is a failure), it checks again when what it
// looks at changed although its inputs did not (and only then), and it says when it checked.
// No TCP check here: nothing is connected to.
import { describe, expect } from "vitest";
import { create, up } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { urnOf } from "../support/host";
import type { Lab } from "../support/lab";

const FQDN = "outlook-ho.exchangeserverpro.net";

async function declare(lab: Lab, addresses: string[]): Promise<Registration> {
  const regs = await register(
    (lib) =>
      new lib.CasArrayVerification("outlook-ho-verify", {
        fqdn: FQDN,
        site: "HeadOffice",
        dnsServer: "DC01",
        addresses,
        connection: lab.connection,
        dnsConnection: lab.connection,
      }),
  );
  const reg = regs[0];
  if (reg === undefined) throw new Error("no registration");
  return reg;
}

async function wire(lab: Lab, addresses: string[]): Promise<void> {
  const records = addresses.map(
    (a) =>
      `Add-DnsServerResourceRecordA -ZoneName exchangeserverpro.net -Name outlook-ho -IPv4Address '${a}' -ComputerName DC01`,
  );
  await lab.pwsh(
    [...records, `New-ClientAccessArray -Name cas-headoffice -Fqdn '${FQDN}' -Site HeadOffice | Out-Null`].join("\n"),
  );
}

interface Found {
  ok: boolean;
  dns: { resolved: string[]; ok: boolean };
  failures: string[];
  checkedAt: string;
}

describe("the wiring check", () => {
  it("fails on an A record besides the declared ones: exactly the declared addresses, not a set that contains them", async ({
    lab,
    host,
  }) => {
    await wire(lab, ["10.1.0.11", "10.1.0.99"]);
    const state = await create(host, await declare(lab, ["10.1.0.11"]));
    const found = state.outputs.verification as Found;
    expect(found.ok).toBe(false);
    expect(found.dns).toMatchObject({ resolved: ["10.1.0.11", "10.1.0.99"], ok: false });
    expect(found.failures).toEqual([
      expect.stringMatching(
        /^outlook-ho\.exchangeserverpro\.net resolves at DC01 to 10\.1\.0\.11, 10\.1\.0\.99, not to the declared 10\.1\.0\.11:/,
      ),
    ]);
  });

  it("checks again when what it looks at changed though its inputs did not, says when, and not when nothing changed", async ({
    lab,
    host,
  }) => {
    await wire(lab, ["10.1.0.11"]);
    const reg = await declare(lab, ["10.1.0.11"]);
    const state = await create(host, reg);
    const first = state.outputs.verification as Found;
    expect(first.ok).toBe(true);
    expect(Number.isNaN(Date.parse(first.checkedAt))).toBe(false);

    const same = await host.diff(
      state.id,
      state.urn,
      state.outputs,
      (await host.check(state.urn, state.inputs, reg.inputs)).inputs,
    );
    expect(same.changes).toBe("none");

    await lab.pwsh(
      "Add-DnsServerResourceRecordA -ZoneName exchangeserverpro.net -Name outlook-ho -IPv4Address 10.1.0.99 -ComputerName DC01",
    );
    const { state: again, changed } = await up(host, state, reg);
    expect(changed).toBe(true);
    const second = again.outputs.verification as Found;
    expect(second.ok).toBe(false);
    expect(Date.parse(second.checkedAt)).toBeGreaterThan(Date.parse(first.checkedAt));
    expect(urnOf("CasArrayVerification", "outlook-ho-verify")).toBe(state.urn);
  });
});
