// Identities Exchange refuses to parse (LAB-FIDELITY I1): a ServerIdParameter, and the array and
// CAS-or-array parameters built on it, accept a GUID, a DN, a legacyDN, a name without space or
// ` ~ ! @ # & ^ ( ) + [ ] { } < > ? = , : | . / \ ; or an FQDN of such names. Anything else is a
// parameter-binding error (ParameterArgumentTransformationError, InvalidData), never "not found".
// Database identities are DatabaseIdParameter (names with spaces are fine) and are not checked.
import { afterEach, describe, expect, it } from "vitest";
import { makeLab, type Lab } from "../support/lab";
import { runLab, type Captured } from "../support/pwsh";

let lab: Lab | undefined;
afterEach(() => {
  lab?.remove();
  lab = undefined;
});

type Result = Record<string, Captured<string>>;

const binding = (cmdlet: string) => ({
  Reason: "ParameterBindingArgumentTransformationException",
  Category: "InvalidData",
  Fqid: `ParameterArgumentTransformationError,${cmdlet}`,
});

describe("ServerIdParameter syntax", () => {
  it("rejects a space or a forbidden character as a binding error on every server, array and CAS-or-array parameter", async () => {
    lab = makeLab();
    const result = await runLab<Result>(
      `$null = New-ClientAccessArray -Name 'China CAS Array' -Fqdn casarrayap.exchangeserverpro.net -Site BranchOffice
       function Names { process { [string]$_.Name } }
       Emit ([ordered]@{
         GetArray = Invoke-Captured { Get-ClientAccessArray 'China CAS Array' | Names }
         SetArray = Invoke-Captured { Set-ClientAccessArray 'China CAS Array' -Fqdn x.exchangeserverpro.net }
         RemoveArray = Invoke-Captured { Remove-ClientAccessArray 'China CAS Array' -Confirm:$false }
         Semicolon = Invoke-Captured { Get-ClientAccessArray 'outlook;ho' | Names }
         Server = Invoke-Captured { Get-ExchangeServer 'HO EX2010 MB1' | Names }
         DbServer = Invoke-Captured { Get-MailboxDatabase -Server 'HO-EX2010-MB1 ' | Names }
         Rpc = Invoke-Captured { Set-MailboxDatabase MB-HO-01 -RpcClientAccessServer 'outlook ho' }
         Left = Invoke-Captured { Get-ClientAccessArray casarrayap.exchangeserverpro.net | Names } })`,
      lab.statePath,
    );
    expect(result.GetArray?.Errors).toEqual([expect.objectContaining(binding("Get-ClientAccessArray"))]);
    expect(result.GetArray?.Errors[0]?.Message).toContain("'China CAS Array'");
    expect(result.SetArray?.Errors).toEqual([expect.objectContaining(binding("Set-ClientAccessArray"))]);
    expect(result.RemoveArray?.Errors).toEqual([expect.objectContaining(binding("Remove-ClientAccessArray"))]);
    expect(result.Semicolon?.Errors).toEqual([expect.objectContaining(binding("Get-ClientAccessArray"))]);
    expect(result.Server?.Errors).toEqual([expect.objectContaining(binding("Get-ExchangeServer"))]);
    expect(result.DbServer?.Errors).toEqual([expect.objectContaining(binding("Get-MailboxDatabase"))]);
    expect(result.Rpc?.Errors).toEqual([expect.objectContaining(binding("Set-MailboxDatabase"))]);
    // Nothing was changed or removed.
    expect(result.Left).toEqual({ Out: ["China CAS Array"], Errors: [] });
  });

  it("accepts name, FQDN, GUID, DN and legacyDN; an unknown valid name is still 'not found'; piped items fail one by one", async () => {
    lab = makeLab();
    const result = await runLab<Result>(
      `function Names { process { [string]$_.Name } }
       Emit ([ordered]@{
         Forms = Invoke-Captured { 'HO-EX2010-MB1', 'ho-ex2010-mb1.exchangeserverpro.net', '8c3f1a2b-4d5e-4f60-8a71-b2c3d4e5f601',
             '/o=ExchangeServerPro/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=HO-EX2010-MB1',
             'CN=HO-EX2010-MB1,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=ExchangeServerPro,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=exchangeserverpro,DC=net' |
             ForEach-Object { Get-ExchangeServer $_ | Names } }
         Unknown = Invoke-Captured { Get-ExchangeServer 'HO-EX2010-MB9' | Names }
         Piped = Invoke-Captured { 'a b', 'HO-EX2010-MB2' | ForEach-Object { [pscustomobject]@{ Identity = $_ } } | Get-ExchangeServer | Names }
         Database = Invoke-Captured { Get-MailboxDatabase 'Mailbox Database 0123456789' | Names } })`,
      lab.statePath,
    );
    expect(result.Forms).toEqual({ Out: Array(5).fill("HO-EX2010-MB1"), Errors: [] });
    expect(result.Unknown?.Errors).toEqual([expect.objectContaining({ Reason: "ManagementObjectNotFoundException" })]);
    expect(result.Piped?.Out).toEqual(["HO-EX2010-MB2"]);
    expect(result.Piped?.Errors).toEqual([expect.objectContaining(binding("Get-ExchangeServer"))]);
    // A database name may hold spaces (DatabaseIdParameter): not found, not a binding error.
    expect(result.Database?.Errors).toEqual([expect.objectContaining({ Reason: "ManagementObjectNotFoundException" })]);
  });
});
