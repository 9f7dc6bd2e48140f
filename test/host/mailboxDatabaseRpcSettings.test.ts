// MailboxDatabaseRpcSettings (several databases as one resource, CasArraySite's databaseResources
// "one") through the real dynamic-provider host against the article's lab: each database handled
// as its own MailboxDatabaseRpcSetting would be, and what a partial failure leaves in the stack.
import { createRequire } from "node:module";
import { describe, expect } from "vitest";
import { create } from "../support/apply";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { urnOf, type Host } from "../support/host";
import { labDatabases, type Lab } from "../support/lab";

const ARRAY = "outlook-ho.exchangeserverpro.net";
const MB1 = "HO-EX2010-MB1.exchangeserverpro.net";
const MB2 = "HO-EX2010-MB2.exchangeserverpro.net";
const URN = urnOf("MailboxDatabaseRpcSettings", "ho-databases");

interface Entry {
  declared: string;
  database: string;
  rpcClientAccessServer: string;
  wantedRpcClientAccessServer: string;
  appliedRpcClientAccessServer: string;
  previousRpcClientAccessServer: string;
}

async function declare(
  lab: Lab,
  databases: string[],
  rpcClientAccessServer = ARRAY,
  onDelete?: "restore" | "retain",
): Promise<Registration> {
  const [reg] = await register(
    (lib) =>
      new lib.MailboxDatabaseRpcSettings("ho-databases", {
        databases,
        rpcClientAccessServer,
        ...(onDelete ? { onDelete } : {}),
        connection: lab.connection,
      }),
  );
  if (reg === undefined) throw new Error("no registration");
  return reg;
}

const newArray = (lab: Lab) =>
  lab.pwsh(`$null = New-ClientAccessArray -Name cas-headoffice -Fqdn ${ARRAY} -Site HeadOffice`);
const entries = (outputs: Record<string, unknown>) => outputs.settings as Entry[];

// What the engine receives when an operation partly fails: the error, and the state to keep for the
// resource (ErrorResourceInitFailed in the gRPC status details).
const sdkRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const statusPb = sdkRequire("./proto/status_pb") as {
  Status: { deserializeBinary(b: Uint8Array): { getDetailsList(): { unpack(f: unknown, name: string): unknown }[] } };
};
const providerPb = sdkRequire("./proto/provider_pb") as {
  ErrorResourceInitFailed: { deserializeBinary: unknown };
};
interface InitFailed {
  message: string;
  id: string;
  properties: Record<string, unknown>;
  reasons: string[];
}
async function failed(call: Promise<unknown>): Promise<InitFailed | { message: string; id?: undefined }> {
  try {
    await call;
  } catch (e) {
    const error = e as Error & { metadata?: { get(key: string): (Buffer | string)[] } };
    const raw = error.metadata?.get("grpc-status-details-bin")[0];
    if (raw === undefined) return { message: error.message };
    const detail = statusPb.Status.deserializeBinary(raw as Uint8Array)
      .getDetailsList()[0]
      ?.unpack(providerPb.ErrorResourceInitFailed.deserializeBinary, "pulumirpc.ErrorResourceInitFailed") as {
      getId(): string;
      getProperties(): { toJavaScript(): Record<string, unknown> };
      getReasonsList(): string[];
    };
    return {
      message: error.message,
      id: detail.getId(),
      properties: detail.getProperties().toJavaScript(),
      reasons: detail.getReasonsList(),
    };
  }
  throw new Error("the call did not fail");
}

async function update(
  host: Host,
  id: string,
  olds: Record<string, unknown>,
  reg: Registration,
): Promise<{ changes: string; outputs?: Record<string, unknown> }> {
  const checked = await host.check(URN, {}, reg.inputs);
  expect(checked.failures).toEqual([]);
  const diff = await host.diff(id, URN, olds, checked.inputs);
  expect(diff.replaces).toEqual([]);
  if (diff.changes !== "some") return { changes: diff.changes };
  return { changes: diff.changes, outputs: await host.update(id, URN, olds, checked.inputs) };
}

describe("MailboxDatabaseRpcSettings through the dynamic-provider host", () => {
  it("points every database at the array in one Create, each recorded with its previous value and warned about", async ({
    lab,
    host,
  }) => {
    await newArray(lab);
    const reg = await declare(lab, ["MB-HO-01", "mb-ho-02", "MB-HO-03"]);
    expect(reg.type).toBe("pulumi-nodejs:dynamic/exchange-cas:MailboxDatabaseRpcSettings");
    const { result: state, printed } = await host.printedBy(() => create(host, reg));
    expect(
      entries(state.outputs).map((e) => [
        e.declared,
        e.database,
        e.rpcClientAccessServer,
        e.appliedRpcClientAccessServer,
        e.previousRpcClientAccessServer,
      ]),
    ).toEqual([
      ["MB-HO-01", "MB-HO-01", ARRAY, ARRAY, MB1],
      ["mb-ho-02", "MB-HO-02", ARRAY, ARRAY, MB1],
      ["MB-HO-03", "MB-HO-03", ARRAY, ARRAY, MB1],
    ]);
    expect(await labDatabases(lab)).toMatchObject({
      "MB-HO-01": ARRAY,
      "MB-HO-02": ARRAY,
      "MB-HO-03": ARRAY,
      "MB-BR-01": "BR-EX2010-MB.exchangeserverpro.net",
    });
    for (const db of ["MB-HO-01", "MB-HO-02", "MB-HO-03"])
      expect(printed).toContain(`Mailbox database '${db}': RpcClientAccessServer changes from ${MB1} to ${ARRAY}.`);
    // The same declaration again (the names in another order and case) is no change.
    expect(
      (await update(host, state.id, state.outputs, await declare(lab, ["mb-ho-03", "MB-HO-01", "MB-HO-02"]))).changes,
    ).toBe("none");
  });

  it("keeps in the stack what a partly failed create did, names what failed, and the next up does the rest", async ({
    lab,
    host,
  }) => {
    await newArray(lab);
    const reg = await declare(lab, ["MB-HO-01", "RDB-HO-01", "MB-HO-99"]);
    const checked = await host.check(URN, {}, reg.inputs);
    const error = await failed(host.create(URN, checked.inputs));
    expect(error.message).toMatch(
      /Pointing 2 of 3 mailbox databases failed \('RDB-HO-01': Mailbox database 'RDB-HO-01' is a recovery database.*; 'MB-HO-99': Mailbox database 'MB-HO-99' does not exist in Exchange.*\); the other 1 was done and is kept in the stack/,
    );
    if (error.id === undefined) throw new Error("no state kept");
    expect(error.id).not.toBe("");
    expect(error.properties.declaredDatabases).toEqual(["MB-HO-01", "RDB-HO-01", "MB-HO-99"]);
    expect(
      entries(error.properties).map((e) => [e.database, e.rpcClientAccessServer, e.previousRpcClientAccessServer]),
    ).toEqual([["MB-HO-01", ARRAY, MB1]]);
    expect(error.reasons).toHaveLength(2);
    expect(await labDatabases(lab)).toMatchObject({ "MB-HO-01": ARRAY, "RDB-HO-01": MB1 });
    // Declared without the two: what is left is no change, MB-HO-01's previous value still known.
    const fixed = await update(host, error.id, error.properties, await declare(lab, ["MB-HO-01"]));
    expect(fixed.changes).toBe("some");
    expect(entries(fixed.outputs ?? {}).map((e) => [e.database, e.previousRpcClientAccessServer])).toEqual([
      ["MB-HO-01", MB1],
    ]);
  });

  it("adds a database, puts a released one back (onDelete restore), and points them all again when the value changes", async ({
    lab,
    host,
  }) => {
    await newArray(lab);
    const first = await create(host, await declare(lab, ["MB-HO-01", "MB-HO-02"]));
    const moved = await update(host, first.id, first.outputs, await declare(lab, ["MB-HO-02", "MB-HO-03"]));
    expect(entries(moved.outputs ?? {}).map((e) => [e.database, e.rpcClientAccessServer])).toEqual([
      ["MB-HO-02", ARRAY],
      ["MB-HO-03", ARRAY],
    ]);
    expect(await labDatabases(lab)).toMatchObject({ "MB-HO-01": MB1, "MB-HO-02": ARRAY, "MB-HO-03": ARRAY });
    const repointed = await update(
      host,
      first.id,
      moved.outputs ?? {},
      await declare(lab, ["MB-HO-02", "MB-HO-03"], "HO-EX2010-MB2"),
    );
    expect(
      entries(repointed.outputs ?? {}).map((e) => [
        e.database,
        e.rpcClientAccessServer,
        e.wantedRpcClientAccessServer,
        e.previousRpcClientAccessServer,
      ]),
    ).toEqual([
      ["MB-HO-02", MB2, "HO-EX2010-MB2", MB1],
      ["MB-HO-03", MB2, "HO-EX2010-MB2", MB1],
    ]);
    expect(await labDatabases(lab)).toMatchObject({ "MB-HO-02": MB2, "MB-HO-03": MB2 });
  });

  it("reads every database in one Read: a value changed behind its back is drift the next up repairs, a deleted database leaves the set", async ({
    lab,
    host,
  }) => {
    await newArray(lab);
    const reg = await declare(lab, ["MB-HO-01", "MB-HO-02"]);
    const state = await create(host, reg);
    await lab.pwsh("Set-MailboxDatabase MB-HO-01 -RpcClientAccessServer HO-EX2010-MB2");
    lab.edit((s) => {
      s.mailboxDatabases = (s.mailboxDatabases as { Name: string }[]).filter((d) => d.Name !== "MB-HO-02");
    });
    const read = await host.read(state.id, URN, state.outputs, state.inputs);
    expect(read.id).toBe(state.id);
    expect(
      entries(read.properties).map((e) => [e.database, e.rpcClientAccessServer, e.appliedRpcClientAccessServer]),
    ).toEqual([["MB-HO-01", MB2, ARRAY]]);
    expect(
      (await host.diff(state.id, URN, read.properties, (await host.check(URN, {}, reg.inputs)).inputs)).changes,
    ).toBe("some");
    const repaired = await update(host, state.id, read.properties, await declare(lab, ["MB-HO-01"]));
    expect(entries(repaired.outputs ?? {}).map((e) => [e.database, e.rpcClientAccessServer])).toEqual([
      ["MB-HO-01", ARRAY],
    ]);
    expect(await labDatabases(lab)).toMatchObject({ "MB-HO-01": ARRAY });
  });

  it("puts every database's previous value back on delete (onDelete restore), and leaves them with retain", async ({
    lab,
    host,
  }) => {
    await newArray(lab);
    const restored = await create(host, await declare(lab, ["MB-HO-01", "MB-HO-02"]));
    await host.delete(restored.id, URN, restored.outputs);
    expect(await labDatabases(lab)).toMatchObject({ "MB-HO-01": MB1, "MB-HO-02": MB1 });
    const retained = await create(host, await declare(lab, ["MB-HO-01", "MB-HO-02"], ARRAY, "retain"));
    await host.delete(retained.id, URN, retained.outputs);
    expect(await labDatabases(lab)).toMatchObject({ "MB-HO-01": ARRAY, "MB-HO-02": ARRAY });
  });
});
