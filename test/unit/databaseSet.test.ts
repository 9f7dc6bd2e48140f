// MailboxDatabaseRpcSettings' diff with no pwsh: the databases compared as a set of names, and what
// state itself says is still to do (drift, a database whose update or create failed, one whose
// release failed).
import { describe, expect, it } from "vitest";
import { diffState } from "../../provider/runtime/contract";
import { sameAs } from "../../provider/runtime/diff";
import {
  mailboxDatabaseRpcSettings,
  type MailboxDatabaseRpcSettingsOutputs,
} from "../../provider/runtime/mailboxDatabaseRpcSettings";

const ARRAY = "outlook-ho.exchangeserverpro.net";
const connection = {
  kind: "lab",
  statePath: "/nonexistent/state.json",
  modulePath: "/nonexistent/ExchangeLab.psd1",
} as const;

function entry(declared: string, over: Partial<MailboxDatabaseRpcSettingsOutputs["settings"][number]> = {}) {
  return {
    declared,
    database: declared.toUpperCase(),
    guid: `guid-${declared}`,
    server: "HO-EX2010-MB1",
    recovery: false,
    rpcClientAccessServer: ARRAY,
    wantedRpcClientAccessServer: ARRAY,
    appliedRpcClientAccessServer: ARRAY,
    previousRpcClientAccessServer: "HO-EX2010-MB1.exchangeserverpro.net",
    ...over,
  };
}

function state(
  databases: ReturnType<typeof entry>[],
  declared = databases.map((d) => d.declared),
): MailboxDatabaseRpcSettingsOutputs {
  return {
    declaredDatabases: declared,
    settings: databases,
    wantedRpcClientAccessServer: ARRAY,
    onDelete: "retain",
    connection,
  };
}

const news = (databases: string[], rpcClientAccessServer = ARRAY) => ({
  databases,
  rpcClientAccessServer,
  onDelete: "retain",
  connection,
});

describe("MailboxDatabaseRpcSettings' diff", () => {
  it("compares the databases as a set of names: order and case do not count", () => {
    expect(sameAs("nameSet", ["MB-HO-01", "mb-ho-02"], ["MB-HO-02", "mb-ho-01"])).toBe(true);
    expect(sameAs("nameSet", ["MB-HO-01"], ["MB-HO-01", "MB-HO-02"])).toBe(false);
    expect(sameAs("nameSet", ["MB-HO-01"], "MB-HO-01")).toBe(false);
    const held = state([entry("mb-ho-01"), entry("mb-ho-02")]);
    expect(diffState(mailboxDatabaseRpcSettings, held, news(["MB-HO-02", "MB-HO-01"]))).toEqual({
      changes: false,
      replaces: [],
      changed: [],
    });
    expect(diffState(mailboxDatabaseRpcSettings, held, news(["MB-HO-01"]))).toEqual({
      changes: true,
      replaces: [],
      changed: ["databases"],
    });
    expect(diffState(mailboxDatabaseRpcSettings, held, news(["MB-HO-01", "MB-HO-02"], "cas-headoffice"))).toEqual({
      changes: true,
      replaces: [],
      changed: ["rpcClientAccessServer"],
    });
  });

  it("sees what state says is still to do: drift, a database not set to the value, one never created, one not released", () => {
    const same = news(["mb-ho-01", "mb-ho-02"]);
    const changes = (held: MailboxDatabaseRpcSettingsOutputs) =>
      diffState(mailboxDatabaseRpcSettings, held, same).changes;
    expect(changes(state([entry("mb-ho-01"), entry("mb-ho-02")]))).toBe(false);
    expect(
      changes(
        state([entry("mb-ho-01"), entry("mb-ho-02", { rpcClientAccessServer: "HO-EX2010-MB2.exchangeserverpro.net" })]),
      ),
    ).toBe(true);
    expect(
      changes(state([entry("mb-ho-01"), entry("mb-ho-02", { wantedRpcClientAccessServer: "HO-EX2010-MB1" })])),
    ).toBe(true);
    expect(changes(state([entry("mb-ho-01")], ["mb-ho-01", "mb-ho-02"]))).toBe(true);
    expect(changes(state([entry("mb-ho-01"), entry("mb-ho-02"), entry("mb-ho-03")], ["mb-ho-01", "mb-ho-02"]))).toBe(
      true,
    );
  });
});
