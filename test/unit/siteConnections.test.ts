// Where each part of a site is reached (provider/shell/connection.ts, siteConnections): the one
// place that parses a site's three connections and applies their defaults. dnsConnection
// defaults to the connection; serverConnection to the lab's own servers, WinRM with the Exchange
// connection's account, or the SSH jump host itself.
import { describe, expect, it } from "vitest";
import { ExchangeCasError } from "../../provider/errors";
import { serverConnectionOf } from "../../provider/runtime/staticRpcPorts";
import { siteConnections, type SiteConnections, type SiteConnectionsInput } from "../../provider/shell/connection";

const lab = { kind: "lab", statePath: ".lab/state.json", modulePath: "lab/ExchangeLab.psd1" } as const;
const exchange = {
  kind: "exchange",
  connectionUri: "http://ho-ex2010-mb1.exchangeserverpro.net/PowerShell/",
  username: "EXCHANGESERVERPRO\\admin",
} as const;
const ssh = {
  kind: "ssh",
  hostName: "jump.exchangeserverpro.net",
  userName: "admin",
  keyFilePath: "/home/admin/.ssh/id_ed25519",
} as const;
const dns = { kind: "exchange", connectionUri: "http://dc01.exchangeserverpro.net/PowerShell/" } as const;

function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  return undefined;
}

const cases: { name: string; input: SiteConnectionsInput; expected: SiteConnections }[] = [
  {
    name: "a lab: the lab for all three (its servers are the lab's)",
    input: { connection: lab },
    expected: { connection: lab, dnsConnection: lab, serverConnection: lab },
  },
  {
    name: "Exchange: DNS through Exchange, the servers by WinRM (Kerberos) with the Exchange account",
    input: { connection: exchange },
    expected: {
      connection: { ...exchange, authentication: "Kerberos" },
      dnsConnection: { ...exchange, authentication: "Kerberos" },
      serverConnection: { kind: "winrm", authentication: "Kerberos", username: exchange.username },
    },
  },
  {
    name: "Exchange with Basic: WinRM with Basic too",
    input: { connection: { ...exchange, authentication: "Basic" } },
    expected: {
      connection: { ...exchange, authentication: "Basic" },
      dnsConnection: { ...exchange, authentication: "Basic" },
      serverConnection: { kind: "winrm", authentication: "Basic", username: exchange.username },
    },
  },
  {
    name: "Exchange with Negotiate and no account: WinRM with Kerberos, as the account running Pulumi",
    input: { connection: { kind: "exchange", connectionUri: exchange.connectionUri, authentication: "Negotiate" } },
    expected: {
      connection: { kind: "exchange", connectionUri: exchange.connectionUri, authentication: "Negotiate" },
      dnsConnection: { kind: "exchange", connectionUri: exchange.connectionUri, authentication: "Negotiate" },
      serverConnection: { kind: "winrm", authentication: "Kerberos" },
    },
  },
  {
    name: "Exchange with a command timeout: the WinRM default keeps only the account (as before)",
    input: { connection: { ...exchange, commandTimeoutSeconds: 300 } },
    expected: {
      connection: { ...exchange, authentication: "Kerberos", commandTimeoutSeconds: 300 },
      dnsConnection: { ...exchange, authentication: "Kerberos", commandTimeoutSeconds: 300 },
      serverConnection: { kind: "winrm", authentication: "Kerberos", username: exchange.username },
    },
  },
  {
    name: "SSH: the jump host runs the server commands too",
    input: { connection: ssh },
    expected: { connection: ssh, dnsConnection: ssh, serverConnection: ssh },
  },
  {
    name: "a dnsConnection of its own: DNS there, the rest from the connection",
    input: { connection: exchange, dnsConnection: dns },
    expected: {
      connection: { ...exchange, authentication: "Kerberos" },
      dnsConnection: { ...dns, authentication: "Kerberos" },
      serverConnection: { kind: "winrm", authentication: "Kerberos", username: exchange.username },
    },
  },
  {
    name: "a serverConnection of its own: that one, with its own defaults, instead of the default",
    input: { connection: exchange, serverConnection: { kind: "winrm", useSsl: true } },
    expected: {
      connection: { ...exchange, authentication: "Kerberos" },
      dnsConnection: { ...exchange, authentication: "Kerberos" },
      serverConnection: { kind: "winrm", authentication: "Kerberos", useSsl: true },
    },
  },
  {
    name: "a serverConnection of another kind than the connection: the SSH jump host for an Exchange endpoint",
    input: { connection: exchange, serverConnection: ssh },
    expected: {
      connection: { ...exchange, authentication: "Kerberos" },
      dnsConnection: { ...exchange, authentication: "Kerberos" },
      serverConnection: ssh,
    },
  },
  {
    name: "undefined and null are not given (as `??` read them)",
    input: { connection: lab, dnsConnection: null, serverConnection: undefined },
    expected: { connection: lab, dnsConnection: lab, serverConnection: lab },
  },
];

describe("a site's connections (siteConnections)", () => {
  it.each(cases)("$name", ({ input, expected }) => {
    expect(siteConnections(input)).toStrictEqual(expected);
  });

  it.each(cases)("StaticRpcPorts and NlbCluster reach the servers the same way: $name", ({ input, expected }) => {
    // As StaticRpcPorts holds them: parsed, serverConnection absent when not declared.
    const parsed = siteConnections(input);
    const declared =
      input.serverConnection === undefined || input.serverConnection === null ? undefined : parsed.serverConnection;
    expect(serverConnectionOf({ connection: parsed.connection, serverConnection: declared })).toStrictEqual(
      expected.serverConnection,
    );
  });

  it("parses each connection once: what it returns is the parsed value, never the input", () => {
    const input = { connection: { ...lab, extra: "dropped" } };
    const resolved = siteConnections(input);
    expect(resolved.connection).toStrictEqual(lab);
    expect(resolved.dnsConnection).toBe(resolved.connection);
  });

  const refusals: { name: string; input: SiteConnectionsInput; message: string; property: string }[] = [
    {
      name: "a connection of no known kind",
      input: { connection: { kind: "lba" } },
      message:
        'Invalid connection of CasArraySite HeadOffice: kind "lba" is not a connection kind: use lab, exchange or ssh.',
      property: "connection",
    },
    {
      name: "a dnsConnection with a wrong setting",
      input: { connection: lab, dnsConnection: { kind: "exchange", connectionUri: "ftp://dc01/PowerShell/" } },
      message: "Invalid dnsConnection of CasArraySite HeadOffice: Invalid URL (in dnsConnection.connectionUri).",
      property: "dnsConnection",
    },
    {
      name: "an Exchange endpoint where a server connection belongs",
      input: { connection: lab, serverConnection: exchange },
      message:
        'Invalid serverConnection of CasArraySite HeadOffice: kind "exchange" is not a server connection kind: use lab, winrm or ssh.',
      property: "serverConnection",
    },
  ];

  it.each(refusals)(
    "refuses $name in one sentence, as ExchangeCasError invalid-inputs naming the setting",
    ({ input, message, property }) => {
      const error = thrown(() => siteConnections(input, "CasArraySite HeadOffice"));
      expect(error).toBeInstanceOf(ExchangeCasError);
      expect(error).toMatchObject({
        code: "invalid-inputs",
        message,
        details: { property, owner: "CasArraySite HeadOffice" },
      });
    },
  );
});
