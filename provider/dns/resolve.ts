// What a DNS client gets for a name at one DNS server: Resolve-DnsName -Type A -Server, run by
// Resolve-ExcasDnsName (ps/ExcasDns) on the host of the DNS connection, which reaches the site's
// DNS servers and has the DnsClient module (Windows Server 2012+). NXDOMAIN comes back as data
// (`exists: false`); any other failure (the server does not answer) is a PowerShellError.
import { z } from "zod";
import { describeConnection, PowerShellError, psQuote, query, stringList, type Connection } from "../shell";
import { ExchangeCasError } from "../errors";

export interface Resolution {
  /** False when the server answered that the name does not exist (NXDOMAIN). */
  exists: boolean;
  /** The A answers, in the order the server gave them. */
  records: { address: string; ttl: number }[];
}

// A multi-valued property of one element may arrive as a scalar from Windows PowerShell 5.1.
const numberList = z
  .union([z.array(z.number()), z.number()])
  .nullable()
  .transform((v) => (v === null ? [] : Array.isArray(v) ? v : [v]));

const ResolutionRow = z
  .object({ Exists: z.boolean(), IPAddress: stringList, TTL: numberList })
  .refine((r) => r.IPAddress.length === r.TTL.length, { message: "IPAddress and TTL differ in length" })
  .transform((r) => ({
    exists: r.Exists,
    records: r.IPAddress.map((address, i) => ({ address, ttl: Math.round(r.TTL[i] ?? 0) })),
  }));

/** The A answers for `name` at DNS server `server`, asked on the host of `connection`. */
export async function resolveARecords(connection: Connection, name: string, server: string): Promise<Resolution> {
  let rows: Resolution[];
  try {
    rows = await query(
      connection,
      {
        cmdlet: "Resolve-DnsName",
        target: name,
        script: `Resolve-ExcasDnsName -Name ${psQuote(name)} -Server ${psQuote(server)}`,
        select: ["Exists", "IPAddress", "TTL"],
      },
      ResolutionRow,
    );
  } catch (e) {
    if (
      e instanceof PowerShellError &&
      e.exceptionType === "CommandNotFoundException" &&
      /Excas|Resolve-DnsName/.test(e.shortMessage)
    ) {
      throw new ExchangeCasError(
        "missing-component",
        "Resolve-ExcasDnsName or Resolve-DnsName is missing on " +
          `${describeConnection(connection)}: the host of the DNS connection needs the ` +
          "DnsClient module (Windows Server 2012 or later) " +
          "and the exchange-cas package's ps/ExcasDns folder in a PSModulePath folder (a " +
          "restricted endpoint must also make Resolve-ExcasDnsName visible).",
        { component: "Resolve-ExcasDnsName" },
        { cause: e },
      );
    }
    throw e;
  }
  const row = rows[0];
  if (row === undefined)
    throw new ExchangeCasError(
      "unexpected-output",
      `Resolve-ExcasDnsName '${name}' at DNS server '${server}' returned nothing.`,
      { name, server },
    );
  return row;
}
