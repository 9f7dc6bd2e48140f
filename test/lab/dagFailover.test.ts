// A DAG database's Server follows its active copy (LAB-FIDELITY E6): Active Manager rewrites
// msExchOwningServer on every mount or move, possibly into another AD site (stretched DAG).
// `Servers` and `DatabaseCopies` list every copy host; Move-ActiveMailboxDatabase is the switchover.
import { afterAll, describe, expect, it } from "vitest";
import { LabBatch, type JsonObject } from "../support/lab";
import type { Captured } from "../support/pwsh";

const batch = new LabBatch();
afterAll(() => batch.cleanup());

/** HO-DAG01 stretched into BranchOffice: MB-HO-01 has copies on both HeadOffice servers and BR-EX2010-MB. */
function stretch(state: JsonObject): void {
  const dag = (state.databaseAvailabilityGroups as JsonObject[])[0] as JsonObject;
  dag.Servers = ["HO-EX2010-MB1", "HO-EX2010-MB2", "BR-EX2010-MB"];
  const db = (state.mailboxDatabases as JsonObject[]).find((d) => d.Name === "MB-HO-01") as JsonObject;
  db.Copies = ["HO-EX2010-MB1", "HO-EX2010-MB2", "BR-EX2010-MB"];
}

interface View {
  Server: string;
  Servers: string[];
  Copies: string[];
  Rpc: string;
  Master: string;
  MountedOn: string;
}
const view = (db: string): string =>
  `(Get-MailboxDatabase ${db} -Status | ForEach-Object { [ordered]@{ Server = $_.Server; Servers = @($_.Servers); Copies = @($_.DatabaseCopies)
     Rpc = $_.RpcClientAccessServer; Master = $_.MasterServerOrAvailabilityGroup; MountedOn = $_.MountedOnServer } })`;

describe("Move-ActiveMailboxDatabase in a stretched DAG", () => {
  const s0 = batch.add<{
    Before: View;
    Single: View;
    Prompt: string;
    AfterPrompt: string;
    Move: Captured<{ ActiveServerAtStart: string; ActiveServerAtEnd: string; Status: string }>;
    After: View;
    ByServer: string[];
    NoCopy: Captured<unknown>;
    Again: Captured<unknown>;
    Missing: Captured<unknown>;
  }>(
    `$before = ${view("MB-HO-01")}
     $single = ${view("MB-BR-01")}
     $prompt = try { Move-ActiveMailboxDatabase MB-HO-01 -ActivateOnServer BR-EX2010-MB; 'no prompt' } catch { $_.Exception.GetType().FullName }
     $afterPrompt = (Get-MailboxDatabase MB-HO-01).Server
     $move = Invoke-Captured { Move-ActiveMailboxDatabase MB-HO-01 -ActivateOnServer BR-EX2010-MB.exchangeserverpro.net -Confirm:$false | Select-Object ActiveServerAtStart,ActiveServerAtEnd,Status }
     Emit ([ordered]@{
       Before = $before; Single = $single; Prompt = $prompt; AfterPrompt = $afterPrompt; Move = $move
       After = ${view("MB-HO-01")}
       ByServer = @(Get-MailboxDatabase -Server BR-EX2010-MB | ForEach-Object Name)
       NoCopy = Invoke-Captured { Move-ActiveMailboxDatabase MB-BR-01 -ActivateOnServer HO-EX2010-MB1 -Confirm:$false }
       Again = Invoke-Captured { Move-ActiveMailboxDatabase MB-HO-01 -ActivateOnServer BR-EX2010-MB -Confirm:$false }
       Missing = Invoke-Captured { Move-ActiveMailboxDatabase MB-XX-01 -ActivateOnServer BR-EX2010-MB -Confirm:$false } })`,
    { edit: stretch },
  );

  it("lists every copy host in Servers and DatabaseCopies; a database without copies lists its server", async () => {
    const r = await s0();
    expect(r.Before).toMatchObject({
      Server: "HO-EX2010-MB1",
      Servers: ["HO-EX2010-MB1", "HO-EX2010-MB2", "BR-EX2010-MB"],
      Copies: ["MB-HO-01\\HO-EX2010-MB1", "MB-HO-01\\HO-EX2010-MB2", "MB-HO-01\\BR-EX2010-MB"],
      Master: "HO-DAG01",
    });
    expect(r.Single).toMatchObject({
      Server: "BR-EX2010-MB",
      Servers: ["BR-EX2010-MB"],
      Copies: ["MB-BR-01\\BR-EX2010-MB"],
    });
  });

  it("prompts (ConfirmImpact High): in a -NonInteractive host the move fails and nothing moves", async () => {
    const r = await s0();
    expect(r.Prompt).toBe("System.Management.Automation.PSInvalidOperationException");
    expect(r.AfterPrompt).toBe("HO-EX2010-MB1");
  });

  it("moves the active copy into the other site: Server, MountedOnServer and -Server follow it; RpcClientAccessServer does not", async () => {
    const r = await s0();
    expect(r.Move.Errors).toEqual([]);
    expect(r.Move.Out).toEqual([
      { ActiveServerAtStart: "HO-EX2010-MB1", ActiveServerAtEnd: "BR-EX2010-MB", Status: "Succeeded" },
    ]);
    expect(r.After).toEqual({
      Server: "BR-EX2010-MB",
      Servers: ["HO-EX2010-MB1", "HO-EX2010-MB2", "BR-EX2010-MB"],
      Copies: ["MB-HO-01\\HO-EX2010-MB1", "MB-HO-01\\HO-EX2010-MB2", "MB-HO-01\\BR-EX2010-MB"],
      Rpc: r.Before.Rpc,
      Master: "HO-DAG01",
      MountedOn: "BR-EX2010-MB.exchangeserverpro.net",
    });
    expect(r.ByServer).toEqual(["MB-HO-01", "MB-BR-01"]);
  });

  it("refuses a server without a copy, the server already active, and an unknown database", async () => {
    const r = await s0();
    expect(r.NoCopy.Errors[0]?.Message).toMatch(/Database 'MB-BR-01' has no copy on server 'HO-EX2010-MB1'/);
    expect(r.Again.Errors[0]?.Message).toMatch(/Database 'MB-HO-01' is already active on server 'BR-EX2010-MB'/);
    expect(r.Missing.Errors[0]?.Reason).toBe("ManagementObjectNotFoundException");
  });
});
