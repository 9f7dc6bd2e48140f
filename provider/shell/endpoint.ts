// Which Exchange the session's endpoint runs. Only Exchange 2010's tasks can change a 2010 CAS
// array or set RpcClientAccessServer: an Exchange 2013+ endpoint refuses Set/Remove of a 2010
// array and has no -RpcClientAccessServer. So a session is checked once, when it opens: the
// server it runs on ($global:ExcasEndpointName, set by the bootstrap: the remote session's
// computer, or this machine's host name for the lab) is read with Get-ExchangeServer, and a
// version other than 14.x refuses the session with one sentence. A name Exchange does not know
// (a load-balanced namespace, a jump host) cannot be checked and is let through.
import { z } from "zod";
import { describeConnection, type SessionConnection } from "./connection";
import type { CommandSpec } from "./types";
import type { Envelope } from "./envelope";

/** The command that reads the endpoint server; run right after the bootstrap. */
export const ENDPOINT_CHECK: CommandSpec = {
  cmdlet: "Get-ExchangeServer",
  target: "",
  script: "if ($global:ExcasEndpointName) { Get-ExchangeServer -Identity $global:ExcasEndpointName }",
  select: ["Name", "AdminDisplayVersion"],
};

const Row = z.object({ Name: z.string().nullable().optional(), AdminDisplayVersion: z.string().nullable().optional() });

/** Why the endpoint cannot manage Exchange 2010 CAS arrays, or undefined when it can (or cannot be told). */
export function endpointRefusal(connection: SessionConnection, envelope: Envelope): string | undefined {
  for (const data of envelope.data) {
    const row = Row.safeParse(data);
    if (!row.success) continue;
    const version = (row.data.AdminDisplayVersion ?? "").trim();
    const major = /^Version (\d+)\./.exec(version);
    if (major === null || major[1] === "14") continue;
    const name = row.data.Name ?? "its server";
    const which = Number(major[1]) >= 15 ? "Exchange 2013 or later" : "an Exchange version other than 2010";
    return (
      `The Exchange endpoint of ${describeConnection(connection)} runs on ${name}, ` +
      `which runs ${which} (${version}); CAS arrays and RpcClientAccessServer of ` +
      "Exchange 2010 can only be managed through an Exchange 2010 endpoint: " +
      "connect to an Exchange 2010 server's /PowerShell/."
    );
  }
  return undefined;
}
