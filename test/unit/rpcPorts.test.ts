// The per-server static RPC port client (provider/windows/rpcPorts.ts) with no pwsh and no server:
// how it reads what the server's script printed, the command it sends, and (with the session
// registry's invoke replaced) that reading and setting send that command and parse its answer.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ExchangeCasError } from "../../provider/errors";
import { sessions } from "../../provider/shell/registry";
import type { Connection } from "../../provider/shell/connection";
import {
  ADDRESS_BOOK_VALUE,
  parseServerPorts,
  readServerPorts,
  RPC_CLIENT_ACCESS_VALUE,
  SCRIPT_PARAMETERS,
  serverPortsSpec,
  setServerPorts,
  staticRpcPortsScript,
} from "../../provider/windows/rpcPorts";

const SERVER = "HO-EX2010-MB1.exchangeserverpro.net";

/** One row as StaticRpcPorts.ps1 prints it, both ports configured as Exchange reads them. */
function row(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    RpcClientAccessKind: "DWord",
    RpcClientAccessValue: "59532",
    AddressBookKind: "String",
    AddressBookValue: "59533",
    RpcClientAccessState: "Running",
    AddressBookState: "Running",
    RpcClientAccessListening: [59532],
    AddressBookListening: [59533],
    UserCount: 12,
    Restarted: false,
    RpcClientAccessBefore: -1,
    AddressBookBefore: -1,
    ...over,
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("what the server's script printed", () => {
  it("reads both ports configured with the types the services read: DWord for RPC Client Access, String for the Address Book", () => {
    expect(parseServerPorts(SERVER, [row({ Restarted: true })])).toStrictEqual({
      rpcClientAccess: { configured: 59532, kind: "DWord", value: "59532", listening: [59532], state: "Running" },
      addressBook: { configured: 59533, kind: "String", value: "59533", listening: [59533], state: "Running" },
      outlookSessions: 12,
      restarted: true,
    });
  });

  it("reads what the server kept of its ports before exchange-cas changed them (0: dynamic), and nothing when one is -1 or absent", () => {
    const kept = (over: Record<string, unknown>) => parseServerPorts(SERVER, [row(over)]).kept;
    expect(kept({ RpcClientAccessBefore: 0, AddressBookBefore: 6002 })).toStrictEqual({
      rpcClientAccess: null,
      addressBook: 6002,
    });
    expect(kept({ RpcClientAccessBefore: 6001, AddressBookBefore: 0 })).toStrictEqual({
      rpcClientAccess: 6001,
      addressBook: null,
    });
    expect(kept({ RpcClientAccessBefore: 6001, AddressBookBefore: -1 })).toBeUndefined();
    expect(kept({ RpcClientAccessBefore: -1, AddressBookBefore: 6002 })).toBeUndefined();
    expect(kept({ RpcClientAccessBefore: undefined, AddressBookBefore: undefined })).toBeUndefined();
  });

  it("reads a value with spaces around its digits as the port", () => {
    expect(parseServerPorts(SERVER, [row({ AddressBookValue: " 59533 " })]).addressBook.configured).toBe(59533);
  });

  it("configures nothing for a value of the other type, an absent value, or text that is not plain decimal digits", () => {
    const configured = (over: Record<string, unknown>) => {
      const ports = parseServerPorts(SERVER, [row(over)]);
      return [ports.rpcClientAccess.configured, ports.addressBook.configured];
    };
    expect(configured({ RpcClientAccessKind: "String", AddressBookKind: "DWord" })).toEqual([null, null]);
    expect(configured({ RpcClientAccessKind: "None", RpcClientAccessValue: null })).toEqual([null, 59533]);
    // Number() would read these as 1000 and 16.
    expect(configured({ RpcClientAccessValue: "1e3", AddressBookValue: "0x10" })).toEqual([null, null]);
    expect(configured({ RpcClientAccessValue: "x59532", AddressBookValue: "59533x" })).toEqual([null, null]);
    expect(configured({ RpcClientAccessValue: " 59532 ", AddressBookValue: "" })).toEqual([59532, null]);
    expect(
      parseServerPorts(SERVER, [row({ RpcClientAccessKind: "None", RpcClientAccessValue: null })]).rpcClientAccess
        .value,
    ).toBe("");
  });

  it("takes ports 1-65535 only", () => {
    const configured = (value: string) =>
      parseServerPorts(SERVER, [row({ RpcClientAccessValue: value })]).rpcClientAccess.configured;
    expect([configured("0"), configured("1"), configured("65535"), configured("65536"), configured("123456")]).toEqual([
      null,
      1,
      65535,
      null,
      null,
    ]);
  });

  it("sorts the listening ports numerically, and reads one port or none as PowerShell 2.0 prints them", () => {
    const ports = parseServerPorts(SERVER, [
      row({ RpcClientAccessListening: [59532, 6001, 135, 10000], AddressBookListening: null }),
    ]);
    expect(ports.rpcClientAccess.listening).toEqual([135, 6001, 10000, 59532]);
    expect(ports.addressBook.listening).toEqual([]);
    expect(parseServerPorts(SERVER, [row({ AddressBookListening: 59533 })]).addressBook.listening).toEqual([59533]);
  });

  it("gives the Outlook session count when the server has the counter (0 included), and none when it answered -1", () => {
    expect(parseServerPorts(SERVER, [row({ UserCount: 0 })]).outlookSessions).toBe(0);
    expect(parseServerPorts(SERVER, [row({ UserCount: -1 })])).not.toHaveProperty("outlookSessions");
  });

  it("refuses anything but exactly one row, naming the server and the command", () => {
    expect(() => parseServerPorts(SERVER, [row(), row()])).toThrow(
      new ExchangeCasError(
        "unexpected-output",
        `${SERVER} answered the static RPC port script with 2 objects instead of one.`,
        { server: SERVER, objects: 2 },
      ),
    );
    expect(() => parseServerPorts(SERVER, [row({ UserCount: "12" })])).toThrow(
      `Invoke-ExcasServerScript -ComputerName ${SERVER} returned an object this provider does not understand (item 0, UserCount: `,
    );
  });

  it("names the registry values the script reads", () => {
    const script = staticRpcPortsScript();
    const rpcKey = /\$rpcKey = '([^']+)'/.exec(script)?.[1];
    const rpcName = /\$rpcName = '([^']+)'/.exec(script)?.[1];
    const abKey = /\$abKey = '([^']+)'/.exec(script)?.[1];
    const abName = /\$abName = '([^']+)'/.exec(script)?.[1];
    expect(RPC_CLIENT_ACCESS_VALUE).toBe(`${rpcKey?.replace("HKLM:", "HKLM")}\\${rpcName}`);
    expect(ADDRESS_BOOK_VALUE).toBe(`${abKey?.replace("HKLM:", "HKLM")}\\${abName}`);
  });
});

describe("the command sent", () => {
  it("reads with ports 0 and selects every field the row has", () => {
    expect(serverPortsSpec(SERVER, { action: "Read" })).toStrictEqual({
      cmdlet: "Invoke-ExcasServerScript",
      target: SERVER,
      script: `Invoke-ExcasServerScript -ComputerName '${SERVER}' -Script ${"'" + staticRpcPortsScript().replace(/'/g, "''") + "'"} -ArgumentList 'Read', 0, 0, -1, -1`,
      select: Object.keys(row()),
    });
  });

  it("takes null (dynamic, 0 to the script) and 1-65535, the ends of the range, by name", () => {
    const ports = { rpcClientAccess: null, addressBook: 65535 };
    expect(serverPortsSpec(SERVER, { action: "Set", ports }).script).toMatch(/ -ArgumentList 'Set', 0, 65535, -1, -1$/);
    expect(
      serverPortsSpec(SERVER, { action: "Set", ports, before: { rpcClientAccess: 1, addressBook: null } }).script,
    ).toMatch(/ -ArgumentList 'Set', 0, 65535, 1, 0$/);
    expect(serverPortsSpec(SERVER, { action: "Restore", ports }).script).toMatch(
      / -ArgumentList 'Restore', 0, 65535, -1, -1$/,
    );
    expect(serverPortsSpec(SERVER, { action: "Forget" }).script).toMatch(/ -ArgumentList 'Forget', 0, 0, -1, -1$/);
    expect(() =>
      serverPortsSpec(SERVER, { action: "Set", ports: { rpcClientAccess: 65536, addressBook: null } }),
    ).toThrow(
      new ExchangeCasError(
        "invalid-inputs",
        `Invalid port 65536 (ports.rpcClientAccess) for ${SERVER}: a static RPC port is 1-65535, or null for dynamic.`,
        { server: SERVER, at: "ports.rpcClientAccess", port: 65536 },
      ),
    );
  });

  it("names the script's parameters in the order of its param block", () => {
    const param = /^param\(([\s\S]*?)^\)/m.exec(staticRpcPortsScript())?.[1] ?? "";
    expect([...param.matchAll(/\$(\w+)/g)].map((m) => m[1])).toEqual([...SCRIPT_PARAMETERS]);
  });

  it("is the script shipped in provider/ps/server", () => {
    expect(staticRpcPortsScript()).toBe(
      fs.readFileSync(path.join(__dirname, "../../provider/ps/server/StaticRpcPorts.ps1"), "utf8"),
    );
  });
});

describe("reading and setting through the session registry", () => {
  const connection: Connection = {
    kind: "lab",
    statePath: "/nonexistent/state.json",
    modulePath: "/nonexistent/ExchangeLab.psd1",
  };

  it("reads with a Read command and returns the parsed row", async () => {
    const invoke = vi
      .spyOn(sessions(), "invoke")
      .mockResolvedValue({ ok: true, data: [row()], errors: [], warnings: [] });
    const ports = await readServerPorts(connection, SERVER);
    expect(invoke).toHaveBeenCalledExactlyOnceWith(connection, serverPortsSpec(SERVER, { action: "Read" }));
    expect(ports.rpcClientAccess.configured).toBe(59532);
  });

  it("sets with a Set command carrying both ports and returns what the server read after", async () => {
    const invoke = vi
      .spyOn(sessions(), "invoke")
      .mockResolvedValue({ ok: true, data: [row({ Restarted: true })], errors: [], warnings: [] });
    const ports = await setServerPorts(connection, SERVER, { rpcClientAccess: 59532, addressBook: 59533 });
    expect(invoke).toHaveBeenCalledExactlyOnceWith(
      connection,
      serverPortsSpec(SERVER, { action: "Set", ports: { rpcClientAccess: 59532, addressBook: 59533 } }),
    );
    expect(ports.restarted).toBe(true);
  });

  it("sets keeping what the server had first, when it is given", async () => {
    const invoke = vi
      .spyOn(sessions(), "invoke")
      .mockResolvedValue({ ok: true, data: [row({ Restarted: true })], errors: [], warnings: [] });
    const ports = { rpcClientAccess: 59532, addressBook: 59533 };
    const before = { rpcClientAccess: 6001, addressBook: null };
    await setServerPorts(connection, SERVER, ports, before);
    expect(invoke).toHaveBeenCalledExactlyOnceWith(
      connection,
      serverPortsSpec(SERVER, { action: "Set", ports, before }),
    );
    expect(invoke.mock.calls[0]?.[1].script).toMatch(/ -ArgumentList 'Set', 59532, 59533, 6001, 0$/);
  });
});

describe("a package without the script", () => {
  afterEach(() => {
    vi.doUnmock("node:fs");
    vi.resetModules();
  });

  it("says the package is incomplete instead of failing to read a file", async () => {
    vi.resetModules();
    vi.doMock("node:fs", async (importOriginal) => ({
      ...(await importOriginal<typeof import("node:fs")>()),
      existsSync: () => false,
    }));
    // Loaded again, so it looks for the script afresh (it keeps the text once read).
    const fresh = await import("../../provider/windows/rpcPorts.js");
    expect(() => fresh.staticRpcPortsScript()).toThrow(
      new ExchangeCasError(
        "missing-component",
        "exchange-cas is incomplete: ps/server/StaticRpcPorts.ps1 is missing from the package.",
        { component: "ps/server/StaticRpcPorts.ps1" },
      ),
    );
  });

  it("finds the script from the compiled layout too (provider/dist/windows), and reads it once", async () => {
    // provider/dist/windows/../../ps/server is where the package ships it; from the sources
    // (provider/windows) that same relative path is only tried second.
    const compiled = path.resolve(__dirname, "../../provider/windows", "../../ps/server/StaticRpcPorts.ps1");
    const reads: string[] = [];
    vi.resetModules();
    vi.doMock("node:fs", async (importOriginal) => ({
      ...(await importOriginal<typeof import("node:fs")>()),
      existsSync: (p: string) => p === compiled,
      readFileSync: (p: string) => {
        reads.push(p);
        return `script at ${p}`;
      },
    }));
    const fresh = await import("../../provider/windows/rpcPorts.js");
    expect(fresh.staticRpcPortsScript()).toBe(`script at ${compiled}`);
    expect(fresh.staticRpcPortsScript()).toBe(`script at ${compiled}`);
    expect(reads).toEqual([compiled]);
  });
});
