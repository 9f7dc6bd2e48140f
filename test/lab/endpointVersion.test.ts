// The endpoint the management session runs on (LAB-FIDELITY C3): an Exchange 2013+ endpoint
// refuses Set/Remove of a 2010 array with a TaskException and has no
// Set-MailboxDatabase -RpcClientAccessServer; an Exchange 2010 endpoint does both.
import { afterAll, describe, expect, it } from "vitest";
import { E15, modernEndpoint } from "../support/endpoint";
import { makeLab } from "../support/lab";
import { runLab, type Captured } from "../support/pwsh";

const versionTooOld =
  "Object cannot be changed because its ExchangeVersion property is 0.10 (14.0.100.0), which is not supported by the current version 0.20 (15.0.0.0). You will need an older version of Exchange.";

const labs = { modern: makeLab(modernEndpoint), classic: makeLab() };
afterAll(() => {
  labs.modern.remove();
  labs.classic.remove();
});

const script = `
$null = New-ClientAccessArray -Name cas-headoffice -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice
Emit ([ordered]@{
  Endpoint = @(Get-ExchangeServer -Identity ([System.Net.Dns]::GetHostName()) | ForEach-Object { [ordered]@{ Name = $_.Name; AdminDisplayVersion = $_.AdminDisplayVersion } })
  Set = Invoke-Captured { Set-ClientAccessArray -Identity cas-headoffice -Fqdn outlook.exchangeserverpro.net }
  Rpc = Invoke-Captured { Set-MailboxDatabase -Identity MB-HO-01 -RpcClientAccessServer HO-EX2010-MB2 }
  Remove = Invoke-Captured { Remove-ClientAccessArray -Identity cas-headoffice -Confirm:$false }
  Arrays = @(Get-ClientAccessArray | ForEach-Object { $_.Fqdn })
  Rpcs = @(Get-MailboxDatabase -Identity MB-HO-01 | ForEach-Object { $_.RpcClientAccessServer })
})`;

interface Outcome {
  Endpoint: { Name: string; AdminDisplayVersion: string }[];
  Set: Captured<unknown>;
  Rpc: Captured<unknown>;
  Remove: Captured<unknown>;
  Arrays: string[];
  Rpcs: string[];
}

describe("endpoint version (Exchange 2013+ endpoint in a 2010 organisation)", () => {
  it("an Exchange 2016 endpoint: Get-ExchangeServer of the local host name is that server; Set/Remove of a 2010 array is a TaskException and -RpcClientAccessServer is an unknown parameter; nothing changes", async () => {
    const r = await runLab<Outcome>(script, labs.modern.statePath);
    expect(r.Endpoint).toEqual([{ Name: "HO-EX2016", AdminDisplayVersion: E15 }]);
    expect(r.Set.Errors.map((e) => [e.Message, e.Reason])).toEqual([[versionTooOld, "TaskException"]]);
    expect(r.Remove.Errors.map((e) => [e.Message, e.Reason])).toEqual([[versionTooOld, "TaskException"]]);
    expect(r.Rpc.Errors.map((e) => [e.Message, e.Reason, e.Fqid])).toEqual([
      [
        "A parameter cannot be found that matches parameter name 'RpcClientAccessServer'.",
        "ParameterBindingException",
        "NamedParameterNotFound,Set-MailboxDatabase",
      ],
    ]);
    expect(r.Arrays).toEqual(["outlook-ho.exchangeserverpro.net"]);
    expect(r.Rpcs).toEqual(["HO-EX2010-MB1.exchangeserverpro.net"]);
  });

  it("an Exchange 2010 endpoint (the default: the first server): the same commands work", async () => {
    const r = await runLab<Outcome>(script, labs.classic.statePath);
    expect(r.Endpoint).toEqual([{ Name: "HO-EX2010-MB1", AdminDisplayVersion: "Version 14.3 (Build 123.4)" }]);
    expect(r.Set.Errors).toEqual([]);
    expect(r.Rpc.Errors).toEqual([]);
    expect(r.Remove.Errors).toEqual([]);
    expect(r.Arrays).toEqual([]);
    expect(r.Rpcs).toEqual(["HO-EX2010-MB2.exchangeserverpro.net"]);
  });
});
