// Running a Get-style cmdlet and parsing the rows it returns. Values arrive as the wrapper
// flattens them: strings, numbers, booleans, arrays; a multi-valued property with one element may
// arrive as a bare string from Windows PowerShell 5.1, so lists accept both.
import { z } from "zod";
import { ExchangeCasError } from "../errors";
import { type Connection } from "./connection";
import { sessions } from "./registry";
import type { CommandSpec } from "./types";

export const stringList = z
  .union([z.array(z.string()), z.string()])
  .nullable()
  .transform((v) => (v === null ? [] : Array.isArray(v) ? v : [v]));

/** Runs a Get-style command and parses each returned row; errors throw PowerShellError. */
export async function query<T>(connection: Connection, spec: CommandSpec, row: z.ZodType<T>): Promise<T[]> {
  const envelope = await sessions().invoke(connection, spec);
  return parseRows(spec.cmdlet, envelope.data, row);
}

/** Parses the rows a command returned; a row this provider does not understand is an error naming it. */
export function parseRows<T>(cmdlet: string, data: unknown[], row: z.ZodType<T>): T[] {
  return data.map((item, i) => {
    const parsed = row.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue?.path.join(".") ?? "";
      const message =
        `${cmdlet} returned an object this provider does not understand (item ${i}, ` +
        `${at}: ${issue?.message ?? "invalid"}).`;
      throw new ExchangeCasError("unexpected-output", message, { cmdlet, item: i, path: at }, { cause: parsed.error });
    }
    return parsed.data;
  });
}
