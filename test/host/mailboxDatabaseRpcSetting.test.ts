// MailboxDatabaseRpcSetting through the real dynamic-provider host, with the __provider the SDK
// itself serializes, against the article's lab (MB-HO-01..03 and RDB-HO-01 on HO-EX2010-MB1 in
// HeadOffice, MB-BR-01 on BR-EX2010-MB in BranchOffice) in real pwsh.
import { describe, expect } from "vitest";
import { create, refresh, up } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { urnOf } from "../support/host";
import { labDatabases, type Lab } from "../support/lab";

const ARRAY_FQDN = "outlook-ho.exchangeserverpro.net";
const MB1_FQDN = "HO-EX2010-MB1.exchangeserverpro.net";
const MB2_FQDN = "HO-EX2010-MB2.exchangeserverpro.net";
const BR_FQDN = "BR-EX2010-MB.exchangeserverpro.net";
const MB_HO_01 = "b7e4d2c1-9f8a-4b3c-a1d2-e3f4a5b6c701";

interface SettingArgs {
  database?: string;
  rpcClientAccessServer: string;
  onDelete?: "restore" | "retain";
}

async function declare(lab: Lab, args: SettingArgs, resourceName = "mb-ho-01"): Promise<Registration> {
  const regs = await register(
    (lib) =>
      new lib.MailboxDatabaseRpcSetting(resourceName, { database: "MB-HO-01", ...args, connection: lab.connection }),
  );
  const reg = regs[0];
  if (reg === undefined) throw new Error("no registration");
  return reg;
}

/** The article's HeadOffice array, made at the console. */
async function labArray(lab: Lab): Promise<void> {
  await lab.pwsh(`New-ClientAccessArray -Name cas-headoffice -Fqdn ${ARRAY_FQDN} -Site HeadOffice | Out-Null`);
}

/** Deletes a database from the lab's state behind the provider's back (the lab has no Remove-MailboxDatabase). */
function labDeleteDatabase(lab: Lab, name: string): void {
  lab.edit((state) => {
    state.mailboxDatabases = (state.mailboxDatabases as { Name: string }[]).filter((d) => d.Name !== name);
  });
}

describe("MailboxDatabaseRpcSetting through the dynamic-provider host", () => {
  it("registers under its own type token with a small __provider that captures no secret", async ({ lab }) => {
    const reg = await declare(lab, { rpcClientAccessServer: ARRAY_FQDN });
    expect(reg.type).toBe("pulumi-nodejs:dynamic/exchange-cas:MailboxDatabaseRpcSetting");
    expect(reg.providerIsSecret).toBe(false);
    expect(reg.provider).toContain('require("exchange-cas/runtime")');
    expect(reg.provider.length).toBeLessThan(4096);
  });

  it("adopts MB-HO-01: records its previous value, points it at the array, and warns about Outlook profiles", async ({
    lab,
    host,
  }) => {
    await labArray(lab);
    const reg = await declare(lab, { rpcClientAccessServer: ARRAY_FQDN });
    const { result: state, printed } = await host.printedBy(() => create(host, reg));
    expect(state.id).toBe(MB_HO_01);
    expect(state.outputs).toMatchObject({
      database: "MB-HO-01",
      guid: MB_HO_01,
      server: "HO-EX2010-MB1",
      recovery: false,
      rpcClientAccessServer: ARRAY_FQDN,
      wantedRpcClientAccessServer: ARRAY_FQDN,
      previousRpcClientAccessServer: MB1_FQDN,
      onDelete: "restore",
      connection: lab.connection,
    });
    expect((await labDatabases(lab))["MB-HO-01"]).toBe(ARRAY_FQDN);
    expect(printed).toContain(
      `Mailbox database 'MB-HO-01': RpcClientAccessServer changes from ${MB1_FQDN} to ${ARRAY_FQDN}. Existing Outlook profiles keep connecting to ${MB1_FQDN} until they are repaired`,
    );
  });

  it("takes the array's name, stores the FQDN Exchange reports, and a second apply reports no change", async ({
    lab,
    host,
  }) => {
    await labArray(lab);
    const reg = await declare(lab, { rpcClientAccessServer: "cas-headoffice" });
    const state = await create(host, reg);
    expect(state.outputs).toMatchObject({
      rpcClientAccessServer: ARRAY_FQDN,
      wantedRpcClientAccessServer: "cas-headoffice",
    });
    expect((await up(host, state, reg)).changed).toBe(false);
    const byFqdn = await create(
      host,
      await declare(lab, { database: "MB-HO-02", rpcClientAccessServer: ARRAY_FQDN.toUpperCase() }, "mb-ho-02"),
    );
    expect(byFqdn.outputs.rpcClientAccessServer).toBe(ARRAY_FQDN);
    expect(
      (
        await up(
          host,
          byFqdn,
          await declare(lab, { database: "mb-ho-02", rpcClientAccessServer: ARRAY_FQDN }, "mb-ho-02"),
        )
      ).changed,
    ).toBe(false);
  });

  it("updates the value in place, keeps the recorded previous value, and warns naming old and new", async ({
    lab,
    host,
  }) => {
    await labArray(lab);
    const state = await create(host, await declare(lab, { rpcClientAccessServer: ARRAY_FQDN }));
    const reg = await declare(lab, { rpcClientAccessServer: "HO-EX2010-MB2" });
    const {
      result: { state: after, changed },
      printed,
    } = await host.printedBy(() => up(host, state, reg));
    expect(changed).toBe(true);
    expect(after.id).toBe(MB_HO_01);
    expect(after.outputs).toMatchObject({ rpcClientAccessServer: MB2_FQDN, previousRpcClientAccessServer: MB1_FQDN });
    expect((await labDatabases(lab))["MB-HO-01"]).toBe(MB2_FQDN);
    expect(printed).toContain(
      `Mailbox database 'MB-HO-01': RpcClientAccessServer changes from ${ARRAY_FQDN} to ${MB2_FQDN}.`,
    );
  });

  it("restores the recorded previous value on delete (onDelete 'restore', the default)", async ({ lab, host }) => {
    await labArray(lab);
    const state = await create(host, await declare(lab, { rpcClientAccessServer: ARRAY_FQDN }));
    const { printed } = await host.printedBy(() => host.delete(state.id, state.urn, state.outputs));
    expect((await labDatabases(lab))["MB-HO-01"]).toBe(MB1_FQDN);
    expect(printed).toContain(`RpcClientAccessServer changes from ${ARRAY_FQDN} to ${MB1_FQDN}.`);
  });

  it("leaves the value on delete when onDelete is 'retain'", async ({ lab, host }) => {
    await labArray(lab);
    const state = await create(host, await declare(lab, { rpcClientAccessServer: ARRAY_FQDN, onDelete: "retain" }));
    expect(state.outputs.onDelete).toBe("retain");
    await host.delete(state.id, state.urn, state.outputs);
    expect((await labDatabases(lab))["MB-HO-01"]).toBe(ARRAY_FQDN);
  });

  it("fails with Exchange's own message when the value names no Client Access server or array (a bare load-balancer name)", async ({
    lab,
    host,
  }) => {
    const reg = await declare(lab, { rpcClientAccessServer: "lb-vip.exchangeserverpro.net" });
    const urn = urnOf("MailboxDatabaseRpcSetting", "mb-ho-01");
    const checked = await host.check(urn, {}, reg.inputs);
    expect(checked.failures).toEqual([]);
    await expect(host.create(urn, checked.inputs)).rejects.toThrow(
      "Set-MailboxDatabase 'MB-HO-01' failed: The operation couldn't be performed because object 'lb-vip.exchangeserverpro.net' couldn't be found on 'DC01.exchangeserverpro.net'. (ManagementObjectNotFoundException)",
    );
    expect((await labDatabases(lab))["MB-HO-01"]).toBe(MB1_FQDN);
  });

  it("fails create for a database that does not exist, naming it", async ({ lab, host }) => {
    const reg = await declare(lab, { database: "MB-HO-99", rpcClientAccessServer: MB1_FQDN });
    const urn = urnOf("MailboxDatabaseRpcSetting", "mb-ho-01");
    const checked = await host.check(urn, {}, reg.inputs);
    await expect(host.create(urn, checked.inputs)).rejects.toThrow(
      "Mailbox database 'MB-HO-99' does not exist in Exchange",
    );
  });

  it("points every HeadOffice database at the array and leaves BranchOffice's MB-BR-01 and the recovery database untouched", async ({
    lab,
    host,
  }) => {
    await labArray(lab);
    const regs: Registration[] = [];
    for (const database of ["MB-HO-01", "MB-HO-02", "MB-HO-03"]) {
      regs.push(await declare(lab, { database, rpcClientAccessServer: ARRAY_FQDN }, database.toLowerCase()));
    }
    // Concurrently, as the engine runs independent resources.
    await Promise.all(regs.map((r) => create(host, r)));
    expect(await labDatabases(lab)).toEqual({
      "MB-HO-01": ARRAY_FQDN,
      "MB-HO-02": ARRAY_FQDN,
      "MB-HO-03": ARRAY_FQDN,
      "MB-BR-01": BR_FQDN,
      "RDB-HO-01": MB1_FQDN,
    });
  });

  it("refuses the recovery database RDB-HO-01 when it is named explicitly: clients never connect to one", async ({
    lab,
    host,
  }) => {
    await labArray(lab);
    const before = (await labDatabases(lab))["RDB-HO-01"];
    await expect(
      create(host, await declare(lab, { database: "RDB-HO-01", rpcClientAccessServer: ARRAY_FQDN }, "rdb")),
    ).rejects.toThrow(
      /Mailbox database 'RDB-HO-01' is a recovery database: Outlook clients never connect to a recovery database/,
    );
    expect((await labDatabases(lab))["RDB-HO-01"]).toBe(before);
    expect(before).not.toBe(ARRAY_FQDN);
  });

  const DANGLING = "its RpcClientAccessServer names an object that no longer exists (a removed CAS array or server)";

  it("reads a database whose array was removed behind its back as '' (as Exchange shows it): drift, with a warning saying why", async ({
    lab,
    host,
  }) => {
    await labArray(lab);
    const reg = await declare(lab, { rpcClientAccessServer: ARRAY_FQDN });
    const state = await create(host, reg);
    await lab.pwsh("Remove-ClientAccessArray -Identity cas-headoffice -Confirm:$false");
    const { result: refreshed, printed } = await host.printedBy(() => refresh(host, state));
    expect(refreshed?.outputs).toMatchObject({ rpcClientAccessServer: "", appliedRpcClientAccessServer: ARRAY_FQDN });
    expect(printed).toContain(
      `Mailbox database 'MB-HO-01': ${DANGLING}; Exchange shows it as empty instead of ${ARRAY_FQDN}`,
    );
    if (refreshed === undefined) throw new Error("vanished");
    const checked = await host.check(refreshed.urn, refreshed.inputs, reg.inputs);
    expect((await host.diff(refreshed.id, refreshed.urn, refreshed.outputs, checked.inputs)).changes).toBe("some");
  });

  it("adopts a database whose value names a removed array: records no previous value and says delete leaves the new one", async ({
    lab,
    host,
  }) => {
    await labArray(lab);
    await lab.pwsh(
      "Set-MailboxDatabase -Identity MB-HO-01 -RpcClientAccessServer cas-headoffice; Remove-ClientAccessArray -Identity cas-headoffice -Confirm:$false",
    );
    expect((await labDatabases(lab))["MB-HO-01"]).toBe("");
    const reg = await declare(lab, { rpcClientAccessServer: "HO-EX2010-MB2" });
    const { result: state, printed } = await host.printedBy(() => create(host, reg));
    expect(state.outputs).toMatchObject({ rpcClientAccessServer: MB2_FQDN, previousRpcClientAccessServer: "" });
    expect(printed).toContain(
      `Mailbox database 'MB-HO-01': ${DANGLING}, so there is no previous value to put back; deleting this setting leaves it at ${MB2_FQDN}.`,
    );
    await host.delete(state.id, state.urn, state.outputs);
    expect((await labDatabases(lab))["MB-HO-01"]).toBe(MB2_FQDN);
  });

  it("on delete, does not fail when the previous value's array was removed since: leaves the value and says the previous one no longer exists", async ({
    lab,
    host,
  }) => {
    await labArray(lab);
    await lab.pwsh("Set-MailboxDatabase -Identity MB-HO-01 -RpcClientAccessServer cas-headoffice");
    const state = await create(host, await declare(lab, { rpcClientAccessServer: "HO-EX2010-MB2" }));
    expect(state.outputs.previousRpcClientAccessServer).toBe(ARRAY_FQDN);
    await lab.pwsh("Remove-ClientAccessArray -Identity cas-headoffice -Confirm:$false");
    const { printed } = await host.printedBy(() => host.delete(state.id, state.urn, state.outputs));
    expect((await labDatabases(lab))["MB-HO-01"]).toBe(MB2_FQDN);
    expect(printed).toContain(
      `Mailbox database 'MB-HO-01': its previous RpcClientAccessServer ${ARRAY_FQDN} no longer exists (a removed CAS array or server), so it was not restored; RpcClientAccessServer stays ${MB2_FQDN}`,
    );
  });

  it("shows a value changed behind its back as drift on refresh, and the next up repairs it", async ({ lab, host }) => {
    await labArray(lab);
    const reg = await declare(lab, { rpcClientAccessServer: ARRAY_FQDN });
    const state = await create(host, reg);
    await lab.pwsh("Set-MailboxDatabase -Identity MB-HO-01 -RpcClientAccessServer HO-EX2010-MB2");
    const refreshed = await refresh(host, state);
    expect(refreshed?.outputs).toMatchObject({
      rpcClientAccessServer: MB2_FQDN,
      wantedRpcClientAccessServer: ARRAY_FQDN,
    });
    expect(refreshed?.inputs).toMatchObject({ database: "MB-HO-01", rpcClientAccessServer: MB2_FQDN });
    if (refreshed === undefined) throw new Error("vanished");
    const { state: repaired, changed } = await up(host, refreshed, reg);
    expect(changed).toBe(true);
    expect(repaired.outputs.rpcClientAccessServer).toBe(ARRAY_FQDN);
    expect((await labDatabases(lab))["MB-HO-01"]).toBe(ARRAY_FQDN);
    expect((await up(host, repaired, reg)).changed).toBe(false);
  });

  it("shows an array FQDN rename through the database's read as drift, and converges when the array is named", async ({
    lab,
    host,
  }) => {
    await labArray(lab);
    const reg = await declare(lab, { rpcClientAccessServer: "cas-headoffice" });
    const state = await create(host, reg);
    await lab.pwsh("Set-ClientAccessArray -Identity cas-headoffice -Fqdn outlook.exchangeserverpro.net");
    const refreshed = await refresh(host, state);
    expect(refreshed?.outputs.rpcClientAccessServer).toBe("outlook.exchangeserverpro.net");
    if (refreshed === undefined) throw new Error("vanished");
    const checked = await host.check(refreshed.urn, refreshed.inputs, reg.inputs);
    expect((await host.diff(refreshed.id, refreshed.urn, refreshed.outputs, checked.inputs)).changes).toBe("some");
    const { state: converged } = await up(host, refreshed, reg);
    expect(converged.outputs).toMatchObject({
      rpcClientAccessServer: "outlook.exchangeserverpro.net",
      appliedRpcClientAccessServer: "outlook.exchangeserverpro.net",
    });
    expect((await up(host, converged, reg)).changed).toBe(false);
  });

  it("reads a database deleted behind its back as gone (id ''), and deleting it then succeeds", async ({
    lab,
    host,
  }) => {
    const state = await create(
      host,
      await declare(lab, { database: "MB-HO-02", rpcClientAccessServer: MB2_FQDN }, "mb-ho-02"),
    );
    labDeleteDatabase(lab, "MB-HO-02");
    expect(await refresh(host, state)).toBeUndefined();
    await host.delete(state.id, state.urn, state.outputs);
  });

  it("replaces on a database change (not when named by its Guid); value, onDelete and connection change in place", async ({
    lab,
    host,
  }) => {
    const state = await create(host, await declare(lab, { rpcClientAccessServer: MB1_FQDN }));
    const diffOf = async (args: SettingArgs, connection = lab.connection) => {
      const reg = await declare(lab, args);
      const checked = await host.check(state.urn, state.inputs, { ...reg.inputs, connection });
      expect(checked.failures).toEqual([]);
      return host.diff(state.id, state.urn, state.outputs, checked.inputs);
    };
    expect(await diffOf({ database: "MB-HO-02", rpcClientAccessServer: MB1_FQDN })).toEqual({
      changes: "some",
      replaces: ["database"],
      deleteBeforeReplace: false,
    });
    expect(await diffOf({ database: MB_HO_01, rpcClientAccessServer: MB1_FQDN })).toEqual({
      changes: "none",
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await diffOf({ rpcClientAccessServer: MB1_FQDN.toLowerCase() })).toEqual({
      changes: "none",
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await diffOf({ rpcClientAccessServer: MB2_FQDN })).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await diffOf({ rpcClientAccessServer: MB1_FQDN, onDelete: "retain" })).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(
      await diffOf({ rpcClientAccessServer: MB1_FQDN }, {
        ...lab.connection,
        commandTimeoutSeconds: 300,
      } as typeof lab.connection),
    ).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("rejects bad inputs in check with a reason per property, and lets unknown preview values through", async ({
    lab,
    host,
  }) => {
    const reg = await declare(lab, { rpcClientAccessServer: ARRAY_FQDN });
    const urn = urnOf("MailboxDatabaseRpcSetting", "mb-ho-01");
    const failures = async (news: Record<string, unknown>) =>
      (await host.check(urn, {}, { ...reg.inputs, ...news })).failures;
    expect((await failures({ rpcClientAccessServer: "outlook-ho\nSet-Mailbox x" })).map((f) => f.reason)).toContain(
      "must not contain control characters such as newlines",
    );
    expect((await failures({ rpcClientAccessServer: "https://outlook-ho.exchangeserverpro.net/" }))[0]?.reason).toMatch(
      /must name a Client Access server or CAS array/,
    );
    expect((await failures({ rpcClientAccessServer: "cas headoffice" })).map((f) => f.reason)).toContain(
      "must not contain spaces",
    );
    expect((await failures({ database: "" })).map((f) => f.property)).toEqual(["database"]);
    expect((await failures({ onDelete: "keep" }))[0]).toMatchObject({
      property: "onDelete",
      reason: expect.stringMatching(/'restore'.*'retain'/),
    });
    expect(await failures({ rpcClientAccessServer: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" })).toEqual([]);
    expect((await host.check(urn, {}, reg.inputs)).inputs.onDelete).toBe("restore");
  });
});
