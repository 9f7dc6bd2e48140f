// Confirmation prompts (LAB-FIDELITY C1, D8): Remove-ClientAccessArray is ConfirmImpact High in
// Exchange and Remove-DnsServerResourceRecord asks unless -Force. The tests' pwsh is
// -NonInteractive, like the provider's, so a prompt fails there the way it does in production.
import { afterAll, describe, expect, it } from "vitest";
import { LabBatch } from "../support/lab";

// One pwsh for the file: -NonInteractive, as runPwsh starts it; each prompt is caught inside its
// own scenario (Catch-Prompt), so nothing reaches the batch's own try/catch.
const batch = new LabBatch();
afterAll(() => batch.cleanup());

interface PromptResult {
  Caught: { Type: string; Fqid: string; Category: string; Message: string } | null;
  Left: number;
  AfterConfirmFalse: number;
}

const caught = `$caught = $null
function Catch-Prompt { param([scriptblock]$Block)
  try { & $Block; $null } catch { [ordered]@{ Type = $_.Exception.GetType().FullName; Fqid = $_.FullyQualifiedErrorId; Category = [string]$_.CategoryInfo.Category; Message = $_.Exception.Message } } }`;

/** The prompt failed as a -NonInteractive host fails it, nothing was removed, and the confirmed run removed the one object. */
function expectPromptRefusedThenRemoved(result: PromptResult, command: string): void {
  expect(result.Caught).toEqual({
    Type: "System.Management.Automation.PSInvalidOperationException",
    Fqid: `InvalidOperation,${command}`,
    Category: "InvalidOperation",
    Message: "PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.",
  });
  expect(result.Left).toBe(1);
  expect(result.AfterConfirmFalse).toBe(0);
}

describe("confirmation in a -NonInteractive pwsh", () => {
  const array = batch.add<PromptResult>(
    `${caught}
     $null = New-ClientAccessArray -Name cas-headoffice -Fqdn outlook-ho.exchangeserverpro.net -Site HeadOffice
     $c = Catch-Prompt { Remove-ClientAccessArray cas-headoffice }
     $left = @(Get-ClientAccessArray).Count
     Remove-ClientAccessArray cas-headoffice -Confirm:$false
     Emit ([ordered]@{ Caught = $c; Left = $left; AfterConfirmFalse = @(Get-ClientAccessArray).Count })`,
  );
  it("Remove-ClientAccessArray without -Confirm:$false fails on the prompt and removes nothing; with it, removes", async () => {
    expectPromptRefusedThenRemoved(await array(), "Remove-ClientAccessArray");
  });

  const missing = batch.add<{ Reason: string[] }>(
    `Emit ([ordered]@{ Reason = @(Remove-ClientAccessArray outlook-zz 2>&1 | ForEach-Object { $_.CategoryInfo.Reason }) })`,
  );
  it("Remove-ClientAccessArray of a missing array is not-found before any prompt", async () => {
    const result = await missing();
    expect(result.Reason).toEqual(["ManagementObjectNotFoundException"]);
  });

  const record = batch.add<PromptResult>(
    `${caught}
     $c = Catch-Prompt { Remove-DnsServerResourceRecord -ZoneName exchangeserverpro.net -RRType A -Name HO-DAG01 -RecordData 10.1.0.20 -ComputerName DC01 -Confirm:$false }
     $left = @(Get-DnsServerResourceRecord -ZoneName exchangeserverpro.net -Name HO-DAG01 -RRType A -ComputerName DC01).Count
     Remove-DnsServerResourceRecord -ZoneName exchangeserverpro.net -RRType A -Name HO-DAG01 -RecordData 10.1.0.20 -ComputerName DC01 -Force
     Emit ([ordered]@{ Caught = $c; Left = $left
       AfterConfirmFalse = @(Get-DnsServerResourceRecord -ZoneName exchangeserverpro.net -Name HO-DAG01 -RRType A -ComputerName DC01 -ErrorAction SilentlyContinue).Count })`,
  );
  it("Remove-DnsServerResourceRecord without -Force fails on the prompt even with -Confirm:$false; with -Force, removes", async () => {
    expectPromptRefusedThenRemoved(await record(), "Remove-DnsServerResourceRecord");
  });
});
