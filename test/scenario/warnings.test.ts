// One fact, one line, once per operation: what an up of the article's HeadOffice site tells the
// admin, from the program (the site's plan, as the Node.js language host logs it) and from the
// provider (the dynamic-provider host, applying the site's children). Each database change and
// the adoption of the site's array are said once, by the plan; a port change done as the preview
// said is information, not a warning.
import { describe, expect } from "vitest";
import { applyAll, type Applied } from "../support/apply";
import { labTest as it } from "../support/fixtures";
import { runInLanguageHost } from "../support/languageHost";
import { declareSite } from "../support/site";
import { stackFileConfig } from "../support/program";

const TO = "outlook-ho.exchangeserverpro.net";
const MB1 = "HO-EX2010-MB1.exchangeserverpro.net";
const PROFILES =
  "Existing Outlook profiles keep connecting to the old endpoint until they are repaired or recreated; plan a profile repair, and keep the old name resolvable meanwhile.";

describe("one warning per fact", () => {
  it("each database change is warned once per up: by the site's plan, not again by the databases' apply", async ({
    lab,
    host,
  }) => {
    const declared = await declareSite(lab.connection);
    expect(declared.warnings.filter((w) => w.includes("RpcClientAccessServer changes"))).toEqual([
      `3 mailbox databases of site HeadOffice (6 mailboxes): RpcClientAccessServer changes to ${TO}. ${PROFILES} The list is in the \`databases\` output.`,
      `Mailbox database 'MB-HO-01' (3 mailboxes): RpcClientAccessServer changes from ${MB1} to ${TO}.`,
      `Mailbox database 'MB-HO-02' (2 mailboxes): RpcClientAccessServer changes from ${MB1} to ${TO}.`,
      `Mailbox database 'MB-HO-03' (1 mailbox): RpcClientAccessServer changes from ${MB1} to ${TO}.`,
    ]);
    const { result: outcome, printed } = await host.printedBy(() =>
      applyAll(host, declared.regs, new Map<string, Applied>()),
    );
    expect(outcome.failed).toEqual([]);
    expect(outcome.created).toContain("headoffice-mb-ho-01");
    expect(printed).not.toMatch(/Mailbox database|Outlook profiles/);
  });

  it("adopting the site's array is said once, by the plan, not again by the array's check", async ({ lab, host }) => {
    await lab.pwsh(
      "New-ClientAccessArray -Name legacy-ho -Fqdn legacy.exchangeserverpro.net -Site HeadOffice | Out-Null",
    );
    const declared = await declareSite(lab.connection, { adopt: true });
    expect(declared.warnings.filter((w) => w.includes("taken over"))).toEqual([
      `CAS array 'legacy-ho' (legacy.exchangeserverpro.net) of site HeadOffice will be taken over (adopt) and renamed to 'cas-headoffice' and its FQDN changed from legacy.exchangeserverpro.net to ${TO}; on destroy it is released, not removed.`,
    ]);
    const { result: outcome, printed } = await host.printedBy(() =>
      applyAll(host, declared.regs, new Map<string, Applied>()),
    );
    expect(outcome.failed).toEqual([]);
    expect(printed).not.toMatch(/CAS array .* taken over/);
  });

  it("round robin is warned once, by the plan, not again by the record's apply", async ({ lab, host }) => {
    const declared = await declareSite(lab.connection, { dns: { addresses: ["10.1.0.11", "10.1.0.12"] } });
    expect(declared.warnings.filter((w) => w.includes("round robin"))).toHaveLength(1);
    const { result: outcome, printed } = await host.printedBy(() =>
      applyAll(host, declared.regs, new Map<string, Applied>()),
    );
    expect(outcome.failed).toEqual([]);
    expect(printed).not.toMatch(/round robin/);
  });

  it("a port change done as the preview said is information (a plain line), the restart ahead a warning", async ({
    lab,
    host,
  }) => {
    const declared = await declareSite(lab.connection, { rpcPorts: { rpcClientAccess: 59532, addressBook: 59533 } });
    const { result: outcome, printed } = await host.printedBy(() =>
      applyAll(host, declared.regs, new Map<string, Applied>()),
    );
    expect(outcome.failed).toEqual([]);
    const lines = printed.split("\n");
    expect(lines.filter((l) => /^warning: Static RPC ports of site HeadOffice, server \d of 2/.test(l))).toHaveLength(
      2,
    );
    expect(lines.filter((l) => /dropping its 4 Outlook sessions/.test(l))).toHaveLength(1);
    const done = lines.filter((l) => /^HO-EX2010-MB\d: TCP\/IP Port was set/.test(l));
    expect(done.map((l) => l.slice(0, 13))).toEqual(["HO-EX2010-MB1", "HO-EX2010-MB2"]);
    expect(printed).not.toMatch(/warning: HO-EX2010-MB\d: TCP\/IP Port was set/);
  });

  it("a static port outside the recommended range is advised once, by the plan, not again by the ports' check", async ({
    lab,
    host,
  }) => {
    const declared = await declareSite(lab.connection, { rpcPorts: { rpcClientAccess: 59000, addressBook: 59533 } });
    expect(declared.warnings.filter((w) => w.includes("recommends for static RPC ports"))).toEqual([
      "RPC Client Access port 59000 is outside 59531-60554, the range Exchange's Best Practices Analyzer recommends for static RPC ports: it lies above the dynamic range (6005-59530) that Exchange 2010 gives RPC, so no other service can take the port first.",
    ]);
    const { result: outcome, printed } = await host.printedBy(() =>
      applyAll(host, declared.regs, new Map<string, Applied>()),
    );
    expect(outcome.failed).toEqual([]);
    expect(outcome.created).toContain("headoffice-rpc-ports");
    expect(printed).not.toMatch(/recommends for static RPC ports/);
  });

  it("a preview as the CLI shows it: each of the plan's warnings once, on the site", async ({ lab }) => {
    const config = { ...stackFileConfig("headoffice"), "exchange-cas:connection": JSON.stringify(lab.connection) };
    const run = await runInLanguageHost(config);
    const warnings = run.logged.filter((l) => l.severity === "warning");
    expect(warnings.map((w) => w.message)).toEqual([
      `${TO} points at 10.1.0.11, the address of Client Access server HO-EX2010-MB1: this works, but gives no high availability; move it to a load balancer VIP later (an in-place change).`,
      `3 mailbox databases of site HeadOffice (6 mailboxes): RpcClientAccessServer changes to ${TO}. ${PROFILES} The list is in the \`databases\` output.`,
      `Mailbox database 'MB-HO-01' (3 mailboxes): RpcClientAccessServer changes from ${MB1} to ${TO}.`,
      `Mailbox database 'MB-HO-02' (2 mailboxes): RpcClientAccessServer changes from ${MB1} to ${TO}.`,
      `Mailbox database 'MB-HO-03' (1 mailbox): RpcClientAccessServer changes from ${MB1} to ${TO}.`,
    ]);
    expect(new Set(warnings.map((w) => w.urn))).toEqual(
      new Set(["urn:pulumi:headoffice::exchange-cas::exchange-cas:index:CasArraySite::headoffice"]),
    );
    expect(run.logged.filter((l) => l.severity === "error")).toEqual([]);
    // And the program ends once it has declared the site: its idle PowerShell session does not keep it running.
    expect(run.exitCode).toBe(0);
  });
});
