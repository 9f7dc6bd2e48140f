// ClientAccessArray through the real dynamic-provider host, with the __provider the SDK itself
// serializes, against the article's lab in real pwsh.
import * as fs from "node:fs";
import { describe, expect } from "vitest";
import { create, refresh, up } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { urnOf } from "../support/host";
import { labDatabases, type Lab } from "../support/lab";
import { pwshChildren } from "../support/procs";

interface ArrayArgs {
  name?: string;
  fqdn: string;
  site: string;
  adopt?: boolean;
  restore?: { database: string; rpcClientAccessServer: string }[];
}

async function declare(lab: Lab, args: ArrayArgs, resourceName = "ho"): Promise<Registration> {
  const regs = await register(
    (lib) => new lib.ClientAccessArray(resourceName, { ...args, connection: lab.connection }),
  );
  const reg = regs[0];
  if (reg === undefined) throw new Error("no registration");
  return reg;
}

const HO = { name: "cas-headoffice", fqdn: "outlook-ho.exchangeserverpro.net", site: "HeadOffice" };

interface LabArray {
  Name: string;
  Fqdn: string;
  Guid: string;
  SiteName: string;
}
function labArrays(lab: Lab): Promise<LabArray[]> {
  return lab.json<LabArray[]>(
    "Get-ClientAccessArray | Select-Object Name,Fqdn,SiteName,@{n='Guid';e={[string]$_.Guid}}",
  );
}

describe("ClientAccessArray through the dynamic-provider host", () => {
  it("registers under its own type token with a small __provider that captures no secret", async ({ lab }) => {
    const reg = await declare(lab, HO);
    expect(reg.type).toBe("pulumi-nodejs:dynamic/exchange-cas:ClientAccessArray");
    expect(reg.providerIsSecret).toBe(false);
    expect(reg.provider).toContain('require("exchange-cas/runtime")');
    expect(reg.provider.length).toBeLessThan(4096);
    expect(reg.provider).not.toMatch(/__vite_ssr/);
  });

  it("creates the article's cas-headoffice array with its computed members", async ({ lab, host }) => {
    const state = await create(host, await declare(lab, HO));
    expect(state.outputs).toMatchObject({
      arrayName: "cas-headoffice",
      fqdn: "outlook-ho.exchangeserverpro.net",
      site: "exchangeserverpro.net/Configuration/Sites/HeadOffice",
      siteName: "HeadOffice",
      members: ["HO-EX2010-MB1", "HO-EX2010-MB2"],
      guid: state.id,
    });
    expect(state.outputs.distinguishedName).toMatch(/^CN=cas-headoffice,CN=Arrays,/);
    expect(state.outputs.exchangeLegacyDn).toMatch(/cas-headoffice/);
    expect(await labArrays(lab)).toEqual([
      { Name: "cas-headoffice", Fqdn: "outlook-ho.exchangeserverpro.net", SiteName: "HeadOffice", Guid: state.id },
    ]);
  });

  it("defaults the name to the FQDN's host label, as New-ClientAccessArray does", async ({ lab, host }) => {
    const state = await create(
      host,
      await declare(lab, { fqdn: "outlook-br.exchangeserverpro.net", site: "BranchOffice" }),
    );
    expect(state.outputs.arrayName).toBe("outlook-br");
    expect(state.outputs.members).toEqual(["BR-EX2010-MB"]);
  });

  it("renames the array and changes its FQDN in place, keeping its Guid", async ({ lab, host }) => {
    const first = await create(host, await declare(lab, HO));
    const renamed = await declare(lab, { ...HO, name: "cas-ho", fqdn: "outlook.exchangeserverpro.net" });
    const { state, changed } = await up(host, first, renamed);
    expect(changed).toBe(true);
    expect(state.id).toBe(first.id);
    expect(state.outputs).toMatchObject({ arrayName: "cas-ho", fqdn: "outlook.exchangeserverpro.net", guid: first.id });
    expect(await labArrays(lab)).toEqual([
      { Name: "cas-ho", Fqdn: "outlook.exchangeserverpro.net", SiteName: "HeadOffice", Guid: first.id },
    ]);
    const again = await up(host, state, renamed);
    expect(again.changed).toBe(false);
  });

  it("shows drift made behind its back on refresh, and the next up repairs it", async ({ lab, host }) => {
    const reg = await declare(lab, HO);
    const state = await create(host, reg);
    await lab.pwsh("Set-ClientAccessArray -Identity cas-headoffice -Fqdn mail.exchangeserverpro.net -Name cas-renamed");
    const refreshed = await refresh(host, state);
    expect(refreshed?.outputs).toMatchObject({ fqdn: "mail.exchangeserverpro.net", arrayName: "cas-renamed" });
    expect(refreshed?.inputs).toMatchObject({
      fqdn: "mail.exchangeserverpro.net",
      name: "cas-renamed",
      site: "HeadOffice",
    });
    if (refreshed === undefined) throw new Error("vanished");
    const { state: repaired, changed } = await up(host, refreshed, reg);
    expect(changed).toBe(true);
    expect(repaired.outputs).toMatchObject({ fqdn: "outlook-ho.exchangeserverpro.net", arrayName: "cas-headoffice" });
    expect((await labArrays(lab))[0]).toMatchObject({
      Name: "cas-headoffice",
      Fqdn: "outlook-ho.exchangeserverpro.net",
    });
  });

  it("refuses a second array in the same site at preview (Check) and at create, naming the existing one and suggesting adopt", async ({
    lab,
    host,
  }) => {
    await create(host, await declare(lab, HO));
    const second = await declare(
      lab,
      { name: "cas-second", fqdn: "outlook2.exchangeserverpro.net", site: "HeadOffice" },
      "second",
    );
    const urn = urnOf("ClientAccessArray", "second");
    const refusal =
      /^Site HeadOffice already has CAS array 'cas-headoffice' \(outlook-ho\.exchangeserverpro\.net\), which this stack does not manage.*Set adopt: true to take it over \(it will be renamed to 'cas-second' and its FQDN changed from outlook-ho\.exchangeserverpro\.net to outlook2\.exchangeserverpro\.net\)/;
    const checked = await host.check(urn, {}, second.inputs);
    expect(checked.failures).toEqual([{ property: "site", reason: expect.stringMatching(refusal) }]);
    await expect(host.create(urn, checked.inputs)).rejects.toThrow(new RegExp(refusal.source.slice(1)));
    expect((await labArrays(lab)).map((a) => a.Name)).toEqual(["cas-headoffice"]);
  });

  it("takes an array identical to the declaration as its own (an interrupted apply), and removes it on delete", async ({
    lab,
    host,
  }) => {
    await lab.pwsh(
      "New-ClientAccessArray -Name cas-headoffice -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice | Out-Null",
    );
    const existing = (await labArrays(lab))[0];
    const { result: state, printed } = await host.printedBy(async () => create(host, await declare(lab, HO)));
    expect(printed).toMatch(
      /CAS array 'cas-headoffice' \(outlook-ho\.exchangeserverpro\.net\) already exists in site HeadOffice, exactly as declared/,
    );
    expect(state.id).toBe(existing?.Guid);
    expect(state.outputs.adopted).toBe(false);
    await host.delete(state.id, state.urn, state.outputs);
    expect(await labArrays(lab)).toEqual([]);
  });

  it("adopts the site's existing array when asked, converging it instead of failing; delete releases it", async ({
    lab,
    host,
  }) => {
    await lab.pwsh(
      "New-ClientAccessArray -Name legacy-ho -Fqdn legacy.exchangeserverpro.net -Site HeadOffice | Out-Null",
    );
    const existing = (await labArrays(lab))[0];
    const { result: state, printed } = await host.printedBy(async () =>
      create(host, await declare(lab, { ...HO, adopt: true })),
    );
    expect(printed).toMatch(
      /CAS array 'legacy-ho' \(legacy\.exchangeserverpro\.net\) of site HeadOffice will be taken over \(adopt\) and renamed to 'cas-headoffice' and its FQDN changed/,
    );
    expect(state.id).toBe(existing?.Guid);
    expect(state.outputs.adopted).toBe(true);
    expect(await labArrays(lab)).toEqual([
      {
        Name: "cas-headoffice",
        Fqdn: "outlook-ho.exchangeserverpro.net",
        SiteName: "HeadOffice",
        Guid: existing?.Guid,
      },
    ]);
    await host.delete(state.id, state.urn, state.outputs);
    expect(await labArrays(lab)).toEqual([
      {
        Name: "cas-headoffice",
        Fqdn: "outlook-ho.exchangeserverpro.net",
        SiteName: "HeadOffice",
        Guid: existing?.Guid,
      },
    ]);
  });

  it("puts the databases pointing at it back before it is removed: to the recorded value, else to a Client Access server of their site", async ({
    lab,
    host,
  }) => {
    const state = await create(
      host,
      await declare(lab, {
        ...HO,
        restore: [{ database: "MB-HO-02", rpcClientAccessServer: "HO-EX2010-MB2.exchangeserverpro.net" }],
      }),
    );
    await lab.pwsh("Set-MailboxDatabase -Identity MB-HO-01 -RpcClientAccessServer outlook-ho.exchangeserverpro.net");
    await lab.pwsh("Set-MailboxDatabase -Identity MB-HO-02 -RpcClientAccessServer outlook-ho.exchangeserverpro.net");
    await host.delete(state.id, state.urn, state.outputs);
    expect(await labArrays(lab)).toEqual([]);
    const values = await labDatabases(lab);
    expect(values["MB-HO-01"]).toBe("HO-EX2010-MB1.exchangeserverpro.net");
    expect(values["MB-HO-02"]).toBe("HO-EX2010-MB2.exchangeserverpro.net");
  });

  it("deletes the array; a second delete and a refresh of the vanished array are fine", async ({ lab, host }) => {
    const state = await create(host, await declare(lab, HO));
    await host.delete(state.id, state.urn, state.outputs);
    expect(await labArrays(lab)).toEqual([]);
    await host.delete(state.id, state.urn, state.outputs);
    expect(await refresh(host, state)).toBeUndefined();
  });

  it("never replaces: a site move and a connection change are updates in place", async ({ lab, host }) => {
    const state = await create(host, await declare(lab, HO));
    const moved = await declare(lab, { ...HO, site: "BranchOffice" });
    const checked = await host.check(state.urn, state.inputs, moved.inputs);
    const diff = await host.diff(state.id, state.urn, state.outputs, checked.inputs);
    expect(diff).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
    const otherConnection = { ...checked.inputs, connection: { ...lab.connection, commandTimeoutSeconds: 300 } };
    const diff2 = await host.diff(state.id, state.urn, state.outputs, otherConnection);
    expect(diff2.replaces).toEqual([]);
  });

  it("diffs a changed connection as a change (an update in place), and the same declaration as no change", async ({
    lab,
    host,
  }) => {
    const state = await create(host, await declare(lab, HO));
    const again = await declare(lab, HO);
    const same = await host.check(state.urn, state.inputs, again.inputs);
    expect(same.failures).toEqual([]);
    expect(await host.diff(state.id, state.urn, state.outputs, same.inputs)).toEqual({
      changes: "none",
      replaces: [],
      deleteBeforeReplace: false,
    });

    const slower = await register(
      (lib) =>
        new lib.ClientAccessArray("ho", { ...HO, connection: { ...lab.connection, commandTimeoutSeconds: 300 } }),
    );
    const checked = await host.check(state.urn, state.inputs, (slower[0] as Registration).inputs);
    expect(checked.failures).toEqual([]);
    expect(checked.inputs.connection).toMatchObject({ commandTimeoutSeconds: 300 });
    expect(await host.diff(state.id, state.urn, state.outputs, checked.inputs)).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    // The update stores the new connection: the next diff of the same declaration is no change.
    const outputs = await host.update(state.id, state.urn, state.outputs, checked.inputs);
    expect(await host.diff(state.id, state.urn, outputs, checked.inputs)).toEqual({
      changes: "none",
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("rejects bad inputs in check with one reason per property, and lets unknown preview values through", async ({
    lab,
    host,
  }) => {
    const reg = await declare(lab, HO);
    const urn = urnOf("ClientAccessArray", "ho");
    const bad = await host.check(
      urn,
      {},
      { ...reg.inputs, name: "x".repeat(65), fqdn: "not a host!", site: "Head;Office" },
    );
    expect(bad.failures.map((f) => f.property).sort()).toEqual(["fqdn", "name", "site"]);
    expect(bad.failures.find((f) => f.property === "fqdn")?.reason).toMatch(/fully qualified DNS name/);
    expect(bad.failures.find((f) => f.property === "name")?.reason).toMatch(/at most 64 characters/);
    // A space is legal in an AD site name ("Head Office"); a semicolon is not.
    expect(bad.failures.find((f) => f.property === "site")?.reason).toMatch(/must not contain ';'/);
    const preview = await host.check(urn, {}, { ...reg.inputs, fqdn: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
    expect(preview.failures).toEqual([]);
    const noConnection = await host.check(urn, {}, { ...reg.inputs, connection: { kind: "lab" } });
    expect(noConnection.failures.map((f) => f.property)).toEqual(["connection", "connection"]);
  });

  it("runs ten concurrent creates in ten sites on one pwsh session", async ({ lab, freshHost: host }) => {
    // Ten more AD sites, written into the lab's state the way its scenario files declare sites.
    const state = JSON.parse(fs.readFileSync(lab.statePath, "utf8")) as { sites: { Name: string; Guid: string }[] };
    const sites = Array.from({ length: 10 }, (_, i) => `Site${i}`);
    state.sites.push(
      ...sites.map((Name, i) => ({ Name, Guid: `00000000-0000-4000-8000-0000000000${String(i).padStart(2, "0")}` })),
    );
    fs.writeFileSync(lab.statePath, JSON.stringify(state));
    const regs = await register((lib) =>
      sites.map(
        (site, i) =>
          new lib.ClientAccessArray(`a${i}`, {
            name: `cas-${i}`,
            fqdn: `outlook-${i}.exchangeserverpro.net`,
            site,
            connection: lab.connection,
          }),
      ),
    );
    expect(regs).toHaveLength(10);
    const created = await Promise.all(regs.map((r) => create(host, r)));
    expect(new Set(created.map((c) => c.id)).size).toBe(10);
    expect(pwshChildren(host.child.pid ?? 0)).toHaveLength(1);
    expect(await labArrays(lab)).toHaveLength(10);
  });
});
