// Every EXCHANGE_CAS_* environment setting the provider reads, in one table: its meaning, its
// default and its parser. Read at call time (a test or a long-lived host may change them), never
// anywhere else; the README's "Environment settings" table is this one.
import { z } from "zod";

const flagOff = ["0", "off", "false", "no"];

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

export const SETTINGS = {
  EXCHANGE_CAS_PWSH: {
    doc: "Full path of the PowerShell executable to start (tests and the ps51 capture use it).",
    default: "unset: EXCHANGE_CAS_POWERSHELL, else pwsh on PATH, else ~/.dotnet/tools/pwsh",
    schema: optionalText,
  },
  EXCHANGE_CAS_POWERSHELL: {
    doc: "Another PowerShell: a name looked up on PATH (powershell.exe for Windows PowerShell 5.1) or a full path.",
    default: "unset: pwsh",
    schema: optionalText,
  },
  EXCHANGE_CAS_PASSWORD: {
    doc:
      "The password of a connection's username, when the secret stack config " +
      "exchange-cas:password is not set. Never passed on to pwsh's environment.",
    default: "unset",
    schema: z
      .string()
      .optional()
      .transform((v) => (v === "" ? undefined : v)),
  },
  EXCHANGE_CAS_READ_PREFETCH: {
    doc: "0/off/false/no: every database read is answered by its own command, never by a table read of the same burst.",
    default: "on",
    schema: z
      .string()
      .optional()
      .transform((v) => !flagOff.includes((v ?? "").trim().toLowerCase())),
  },
  EXCHANGE_CAS_TABLE_IDLE_MS: {
    doc: "Milliseconds without a database read or write that end a burst (and the table read that answers it).",
    default: "250",
    schema: z
      .string()
      .optional()
      .transform((v) => {
        const n = v === undefined || v.trim() === "" ? NaN : Number(v);
        return Number.isFinite(n) && n >= 0 ? n : 250;
      }),
  },
  EXCHANGE_CAS_STATS: {
    doc: "1: the provider host prints the commands it ran (by cmdlet), its round trips and sessions when it exits.",
    default: "off",
    schema: z
      .string()
      .optional()
      .transform((v) => v === "1"),
  },
} as const;

export type SettingName = keyof typeof SETTINGS;
export type Settings = { [K in SettingName]: z.output<(typeof SETTINGS)[K]["schema"]> };

/** One setting, parsed from `env` (default: this process's environment). */
export function setting<K extends SettingName>(name: K, env: NodeJS.ProcessEnv = process.env): Settings[K] {
  return SETTINGS[name].schema.parse(env[name]) as Settings[K];
}
