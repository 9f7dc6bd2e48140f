// Typed client for Get-ExchangeServer: which servers exist, their site and roles.
import { z } from "zod";
import { psQuote, query, type Connection } from "../shell";
import { leafName } from "./rows";

const SELECT = [
  "Name",
  "Fqdn",
  "Site",
  "ServerRole",
  "IsClientAccessServer",
  "IsMailboxServer",
  "ExchangeLegacyDN",
  "Guid",
  "AdminDisplayVersion",
] as const;

const ServerRow = z
  .object({
    Name: z.string(),
    Fqdn: z.string(),
    Site: z.string(),
    ServerRole: z.string().nullable(),
    IsClientAccessServer: z.boolean(),
    IsMailboxServer: z.boolean(),
    ExchangeLegacyDN: z.string(),
    Guid: z.string(),
    AdminDisplayVersion: z.string().nullable().optional(),
  })
  .transform((r) => ({
    name: r.Name,
    fqdn: r.Fqdn,
    site: r.Site,
    siteName: leafName(r.Site),
    serverRole: r.ServerRole ?? "",
    isClientAccessServer: r.IsClientAccessServer,
    isMailboxServer: r.IsMailboxServer,
    exchangeLegacyDn: r.ExchangeLegacyDN,
    guid: r.Guid,
    /** e.g. "Version 14.3 (Build 123.4)"; "" when Exchange did not say. */
    adminDisplayVersion: r.AdminDisplayVersion ?? "",
  }));

export type ExchangeServer = z.output<typeof ServerRow>;

export async function listExchangeServers(connection: Connection, identity?: string): Promise<ExchangeServer[]> {
  const script = identity === undefined ? "Get-ExchangeServer" : `Get-ExchangeServer -Identity ${psQuote(identity)}`;
  return query(connection, { cmdlet: "Get-ExchangeServer", target: identity ?? "", script, select: SELECT }, ServerRow);
}
