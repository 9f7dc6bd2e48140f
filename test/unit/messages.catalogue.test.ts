// The catalogue of what the provider tells an admin about a site (provider/messages.ts): each
// entry's final wording, once, as an admin reads it.
import { describe, expect, it } from "vitest";
import {
  arrayTakenOver,
  databaseChange,
  databaseChanges,
  DATABASE_LINES,
  droppingSessions,
  fqdnOutsideZone,
  mailboxes,
  outlookSessions,
} from "../../provider/messages";

const TO = "outlook-ho.exchangeserverpro.net";
const MB1 = "HO-EX2010-MB1.exchangeserverpro.net";

describe("the message catalogue", () => {
  it("counts in words: no, one, many (with thousands separated)", () => {
    expect([0, 1, 4, 1500].map(outlookSessions)).toEqual([
      "no Outlook sessions",
      "1 Outlook session",
      "4 Outlook sessions",
      "1,500 Outlook sessions",
    ]);
    expect([0, 1, 3, 1500].map(mailboxes)).toEqual(["no mailboxes", "1 mailbox", "3 mailboxes", "1,500 mailboxes"]);
    expect([undefined, 0, 1, 4].map(droppingSessions)).toEqual([
      "dropping its Outlook sessions",
      "dropping no Outlook sessions",
      "dropping its 1 Outlook session",
      "dropping its 4 Outlook sessions",
    ]);
  });

  it("an FQDN outside the zone: one clause, what to do, a full stop", () => {
    expect(fqdnOutsideZone("outlook-ho.contoso.com", "exchangeserverpro.net")).toBe(
      "The array FQDN 'outlook-ho.contoso.com' is outside DNS zone 'exchangeserverpro.net': give the array a name in that zone (such as outlook-ho.exchangeserverpro.net), or set the zone to the one that holds outlook-ho.contoso.com.",
    );
  });

  it("one database that changes is one warning, with its mailboxes and what its profiles do", () => {
    expect(databaseChanges("HeadOffice", [{ name: "MB-HO-01", from: MB1, mailboxes: 3 }], TO)).toEqual([
      `Mailbox database 'MB-HO-01' (3 mailboxes): RpcClientAccessServer changes from ${MB1} to ${TO}. Existing Outlook profiles keep connecting to ${MB1} until they are repaired or recreated; plan a profile repair, and keep the old name resolvable meanwhile.`,
    ]);
    expect(databaseChange({ name: "MB-HO-04", from: "", mailboxes: 0 }, TO)).toBe(
      `Mailbox database 'MB-HO-04' (no mailboxes): RpcClientAccessServer changes from (empty) to ${TO}.`,
    );
    expect(databaseChanges("HeadOffice", [], TO)).toEqual([]);
  });

  it("several databases: the site's sentence first, then one line each", () => {
    const changes = [
      { name: "MB-HO-01", from: MB1, mailboxes: 3 },
      { name: "MB-HO-02", from: MB1, mailboxes: 1 },
    ];
    expect(databaseChanges("HeadOffice", changes, TO)).toEqual([
      `2 mailbox databases of site HeadOffice (4 mailboxes): RpcClientAccessServer changes to ${TO}. Existing Outlook profiles keep connecting to the old endpoint until they are repaired or recreated; plan a profile repair, and keep the old name resolvable meanwhile. The list is in the \`databases\` output.`,
      `Mailbox database 'MB-HO-01' (3 mailboxes): RpcClientAccessServer changes from ${MB1} to ${TO}.`,
      `Mailbox database 'MB-HO-02' (1 mailbox): RpcClientAccessServer changes from ${MB1} to ${TO}.`,
    ]);
  });

  it("a site of 500 databases: the site's sentence, the first lines, and one for the rest, not 500 warnings", () => {
    const changes = Array.from({ length: 500 }, (_, i) => ({
      name: `MB-${String(i + 1).padStart(3, "0")}`,
      from: MB1,
      mailboxes: 3,
    }));
    const lines = databaseChanges("HeadOffice", changes, TO);
    expect(lines).toHaveLength(1 + DATABASE_LINES + 1);
    expect(lines[0]).toMatch(
      /^500 mailbox databases of site HeadOffice \(1,500 mailboxes\): RpcClientAccessServer changes to outlook-ho\.exchangeserverpro\.net\. .* The list is in the `databases` output\.$/,
    );
    expect(lines[DATABASE_LINES]).toBe(
      `Mailbox database 'MB-010' (3 mailboxes): RpcClientAccessServer changes from ${MB1} to ${TO}.`,
    );
    expect(lines.at(-1)).toBe("And 490 more mailbox databases of site HeadOffice (see the `databases` output).");
    expect(databaseChanges("HeadOffice", changes.slice(0, DATABASE_LINES + 1), TO).at(-1)).toBe(
      "And 1 more mailbox database of site HeadOffice (see the `databases` output).",
    );
  });

  it("adopting the site's array: what changes and what destroy does", () => {
    expect(
      arrayTakenOver(
        { name: "legacy-ho", fqdn: "legacy.exchangeserverpro.net" },
        "HeadOffice",
        "renamed to 'cas-headoffice'",
      ),
    ).toBe(
      "CAS array 'legacy-ho' (legacy.exchangeserverpro.net) of site HeadOffice will be taken over (adopt) and renamed to 'cas-headoffice'; on destroy it is released, not removed.",
    );
  });
});
