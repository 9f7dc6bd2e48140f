// The static RPC port rules and the per-server command, on their own (no pwsh).
import { describe, expect, it } from "vitest";
import {
  exchangeVersion,
  loadBalancerFor,
  loadBalancerPorts,
  PlannedBySite,
  portsOutsideRange,
  StaticRpcPort,
  StaticRpcPortPair,
  staticRpcPortAdvice,
} from "../../provider/runtime/rules";
import { staticRpcPorts } from "../../provider/runtime/staticRpcPorts";
import { parseServerPorts, serverPortsSpec, staticRpcPortsScript } from "../../provider/windows/rpcPorts";
import { bootstrapScript } from "../../provider/shell/bootstrap";
import { ServerConnectionSchema } from "../../provider/shell/connection";
import { psQuote } from "../../provider/shell/quote";

describe("static RPC port rules", () => {
  it("takes ports from 1024 to 65535 and refuses the rest with the range in the message", () => {
    expect(StaticRpcPort.parse(59532)).toBe(59532);
    expect(StaticRpcPort.parse(1024)).toBe(1024);
    expect(StaticRpcPort.parse(65535)).toBe(65535);
    expect(StaticRpcPort.safeParse(1023).error?.issues[0]?.message).toMatch(/from 1024 to 65535/);
    expect(StaticRpcPort.safeParse(65536).error?.issues[0]?.message).toMatch(/from 1024 to 65535/);
    expect(StaticRpcPort.safeParse(59532.5).error?.issues[0]?.message).toMatch(/whole number/);
    expect(StaticRpcPort.safeParse("59532").success).toBe(false);
  });

  it("gives the load balancer TCP 135, then the static ports when there are any, with client-IP affinity", () => {
    const pair = { rpcClientAccess: 59532, addressBook: 59533 };
    expect(loadBalancerPorts()).toEqual([135]);
    expect(loadBalancerPorts(pair)).toEqual([135, 59532, 59533]);
    expect(loadBalancerFor(pair)).toStrictEqual({
      protocol: "TCP",
      ports: [135, 59532, 59533],
      affinity: "client IP (source address), for the whole Outlook session, on all three ports",
    });
  });

  it("names each port outside 59531-60554 with its service, the ends of the range inside", () => {
    expect(portsOutsideRange({ rpcClientAccess: 59531, addressBook: 60554 })).toEqual([]);
    expect(portsOutsideRange({ rpcClientAccess: 59530, addressBook: 60555 })).toEqual([
      { label: "RPC Client Access", port: 59530 },
      { label: "Address Book", port: 60555 },
    ]);
  });

  it("takes plannedBySite as true, false or absent, and nothing else", () => {
    expect(PlannedBySite.parse(true)).toBe(true);
    expect(PlannedBySite.parse(undefined)).toBeUndefined();
    expect(PlannedBySite.safeParse("yes").error?.issues[0]?.message).toBe("must be true or false");
  });

  it("refuses the same port for both services, naming addressBook", () => {
    const same = StaticRpcPortPair.safeParse({ rpcClientAccess: 59532, addressBook: 59532 });
    expect(same.success).toBe(false);
    expect(same.error?.issues[0]?.path).toEqual(["addressBook"]);
    expect(same.error?.issues[0]?.message).toBe(
      "rpcClientAccess and addressBook must be two different ports (both are 59532): each service listens on its own",
    );
    expect(StaticRpcPortPair.parse({ rpcClientAccess: 59532, addressBook: 59533 })).toEqual({
      rpcClientAccess: 59532,
      addressBook: 59533,
    });
    expect(StaticRpcPortPair.safeParse({ rpcClientAccess: 59532, addressBook: 59533, nspi: 1 }).success).toBe(false);
  });

  it("advises the BPA range 59531-60554 only outside it", () => {
    expect(staticRpcPortAdvice("RPC Client Access", 59531)).toBeUndefined();
    expect(staticRpcPortAdvice("RPC Client Access", 60554)).toBeUndefined();
    expect(staticRpcPortAdvice("Address Book", 60555)).toMatch(/^Address Book port 60555 is outside 59531-60554/);
    expect(staticRpcPortAdvice("RPC Client Access", 6001)).toMatch(/6001 is outside/);
  });

  it("reads major and minor from AdminDisplayVersion", () => {
    expect(exchangeVersion("Version 14.3 (Build 123.4)")).toEqual({ major: 14, minor: 3 });
    expect(exchangeVersion("Version 15.1 (Build 2507.6)")).toEqual({ major: 15, minor: 1 });
    expect(exchangeVersion("")).toBeUndefined();
    expect(exchangeVersion("14.3")).toBeUndefined();
  });
});

describe("the per-server command", () => {
  it("sends the PowerShell 2.0 script as one literal, the server as a literal, and nothing else from outside", () => {
    const spec = serverPortsSpec("HO-EX2010-MB1.exchangeserverpro.net", {
      action: "Set",
      ports: { rpcClientAccess: 59532, addressBook: 59533 },
    });
    expect(spec.script).toBe(
      `Invoke-ExcasServerScript -ComputerName 'HO-EX2010-MB1.exchangeserverpro.net' -Script ${psQuote(staticRpcPortsScript())} -ArgumentList 'Set', 59532, 59533, -1, -1`,
    );
    expect(spec.target).toBe("HO-EX2010-MB1.exchangeserverpro.net");
  });

  it("refuses a port that is not 1-65535 or null (dynamic) before building anything", () => {
    const set = (rpcClientAccess: number | null, addressBook: number | null) => () =>
      serverPortsSpec("s", { action: "Set", ports: { rpcClientAccess, addressBook } });
    expect(set(70000, 1)).toThrow(/Invalid port 70000/);
    expect(set(1, -1)).toThrow(/Invalid port -1/);
    expect(set(1.5, 1)).toThrow(/Invalid port 1.5/);
    expect(set(0, 1)).toThrow(/Invalid port 0 \(ports.rpcClientAccess\)/);
    expect(() =>
      serverPortsSpec("s", {
        action: "Set",
        ports: { rpcClientAccess: 1, addressBook: 2 },
        before: { rpcClientAccess: 1, addressBook: 65536 },
      }),
    ).toThrow(/Invalid port 65536 \(before.addressBook\)/);
  });

  it("parses what the server printed: a value of the wrong type configures nothing", () => {
    const ports = parseServerPorts("HO-EX2010-MB1", [
      {
        RpcClientAccessKind: "String",
        RpcClientAccessValue: "59532",
        AddressBookKind: "String",
        AddressBookValue: "59533",
        RpcClientAccessState: "Running",
        AddressBookState: "Running",
        RpcClientAccessListening: 50123,
        AddressBookListening: [59533],
        UserCount: 7,
        Restarted: false,
      },
    ]);
    expect(ports.rpcClientAccess).toEqual({
      configured: null,
      kind: "String",
      value: "59532",
      listening: [50123],
      state: "Running",
    });
    expect(ports.addressBook).toEqual({
      configured: 59533,
      kind: "String",
      value: "59533",
      listening: [59533],
      state: "Running",
    });
    expect(ports.outlookSessions).toBe(7);
  });

  it("refuses an answer that is not exactly one object of the expected shape", () => {
    expect(() => parseServerPorts("X", [])).toThrow(/0 objects instead of one/);
    expect(() => parseServerPorts("X", [{ RpcClientAccessKind: 1 }])).toThrow(/does not understand/);
  });
});

describe("the winrm server connection", () => {
  it("defaults to Kerberos and puts the password only into a SecureString inside pwsh", () => {
    const connection = ServerConnectionSchema.parse({ kind: "winrm", username: "CONTOSO\\admin", useSsl: true });
    expect(connection).toMatchObject({ kind: "winrm", authentication: "Kerberos" });
    const script = bootstrapScript(connection as Parameters<typeof bootstrapScript>[0], "p'w$d");
    expect(script).toContain("$global:ExcasServerOptions = @{ Authentication = 'Kerberos' }");
    expect(script).toMatch(/Import-Module -Name '[^']*ExcasServer\.psd1'/);
    expect(script).toContain("$global:ExcasServerOptions.UseSSL = $true");
    expect(script).toContain("ConvertTo-SecureString -String 'p''w$d' -AsPlainText -Force");
    expect(() => bootstrapScript(connection as Parameters<typeof bootstrapScript>[0])).toThrow(/no password was found/);
  });

  it("refuses an exchange connection where a server connection belongs, naming the kinds", () => {
    const parsed = ServerConnectionSchema.safeParse({ kind: "exchange", connectionUri: "http://x/PowerShell/" });
    expect(parsed.error?.issues[0]?.message).toBe(
      'kind "exchange" is not a server connection kind: use lab, winrm or ssh',
    );
  });
});

describe("the resource's check, before it reads any server", () => {
  const connection = { kind: "lab", statePath: "/nonexistent/state.json", modulePath: "/nonexistent/ExchangeLab.psd1" };

  it("says every failure at once: equal ports beside a bad site name", async () => {
    const { failures } = await staticRpcPorts.check(
      {},
      { site: " HeadOffice", rpcClientAccess: 59532, addressBook: 59532, connection },
    );
    expect(failures.map((f) => f.property)).toEqual(["site", "addressBook"]);
    expect(failures[1]?.reason).toBe(
      "rpcClientAccess and addressBook must be two different ports (both are 59532): each service listens on its own.",
    );
  });
});
