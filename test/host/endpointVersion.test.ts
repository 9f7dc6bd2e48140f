// An Exchange 2013+ endpoint cannot change a 2010 CAS array nor set RpcClientAccessServer
// (LAB-FIDELITY C3). The provider reads the server its session runs on when the session opens
// and refuses anything but Exchange 2010 with one sentence, before any command of a resource runs.
import { describe, expect, onTestFinished } from "vitest";
import { create, resourceType } from "../support/apply";
import { modernEndpoint } from "../support/endpoint";
import { register, type Registration } from "../support/contract";
import { labTest as it } from "../support/fixtures";
import { urnOf } from "../support/host";
import { createLab, type Lab } from "../support/lab";

const REFUSAL =
  /(?:^|: )The Exchange endpoint of .+ runs on HO-EX2016, which runs Exchange 2013 or later \(Version 15\.1 \(Build 2507\.6\)\); CAS arrays and RpcClientAccessServer of Exchange 2010 can only be managed through an Exchange 2010 endpoint: connect to an Exchange 2010 server's \/PowerShell\/\.$/;

async function declareAll(lab: Lab): Promise<Registration[]> {
  return register((lib) => [
    new lib.ClientAccessArray("ho", {
      name: "cas-headoffice",
      fqdn: "outlook-ho.exchangeserverpro.net",
      site: "HeadOffice",
      connection: lab.connection,
    }),
    new lib.MailboxDatabaseRpcSetting("mb-ho-01", {
      database: "MB-HO-01",
      rpcClientAccessServer: "HO-EX2010-MB2",
      connection: lab.connection,
    }),
  ]);
}

async function labRpc(lab: Lab): Promise<string> {
  return (await lab.json<string[]>("(Get-MailboxDatabase -Identity MB-HO-01).RpcClientAccessServer"))[0] ?? "";
}

describe("endpoint version", () => {
  // The version is read when a session opens, and the file's host may already have a session open
  // on the file's lab (an Exchange 2010 endpoint). So this test has a lab of its own, whose session
  // endpoint is an Exchange 2016 server (HO-EX2016) of the same organisation: another connection,
  // so the host opens a new session for it, and checks that session's endpoint.
  it("an Exchange 2016 endpoint: the first command of each resource fails with the one sentence, and nothing changes", async ({
    host,
  }) => {
    const lab = createLab({ edit: modernEndpoint });
    onTestFinished(() => lab.remove());
    const regs = await declareAll(lab);
    for (const reg of regs) {
      const urn = urnOf(resourceType(reg), reg.name);
      const checked = await host.check(urn, {}, reg.inputs);
      const message = await host.create(urn, checked.inputs).then(
        () => "created",
        (e: Error) => e.message,
      );
      expect(message).toMatch(REFUSAL);
    }
    expect(await lab.json<unknown[]>("Get-ClientAccessArray")).toEqual([]);
    expect(await labRpc(lab)).toBe("HO-EX2010-MB1.exchangeserverpro.net");
  });

  it("an Exchange 2010 endpoint: the same resources are created", async ({ lab, host }) => {
    const regs = await declareAll(lab);
    for (const reg of regs) await create(host, reg);
    expect(
      (await lab.json<{ Fqdn: string }[]>("Get-ClientAccessArray | Select-Object Fqdn")).map((a) => a.Fqdn),
    ).toEqual(["outlook-ho.exchangeserverpro.net"]);
    expect(await labRpc(lab)).toBe("HO-EX2010-MB2.exchangeserverpro.net");
  });
});
