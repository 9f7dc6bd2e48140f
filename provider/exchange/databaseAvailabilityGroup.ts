// Typed client for Get-DatabaseAvailabilityGroup: a DAG has its own cluster name in DNS, which a
// CAS array's FQDN must never take.
import { z } from "zod";
import { query, stringList, type Connection } from "../shell";

const SELECT = ["Name", "Servers"] as const;

const DagRow = z
  .object({ Name: z.string(), Servers: stringList })
  .transform((r) => ({ name: r.Name, servers: r.Servers }));

export type DatabaseAvailabilityGroup = z.output<typeof DagRow>;

export async function listDatabaseAvailabilityGroups(connection: Connection): Promise<DatabaseAvailabilityGroup[]> {
  return query(
    connection,
    { cmdlet: "Get-DatabaseAvailabilityGroup", target: "", script: "Get-DatabaseAvailabilityGroup", select: SELECT },
    DagRow,
  );
}
