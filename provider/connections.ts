// Helpers that build connection settings for the resources.
import type { ConnectionInput } from "./shell";

/** The emulated Exchange 2010 lab: its state file and the lab module (lab/ExchangeLab.psd1). */
export function labConnection(statePath: string, modulePath: string): ConnectionInput {
  return { kind: "lab", statePath, modulePath };
}

/**
 * A real Exchange 2010 endpoint, e.g. http://ho-ex2010-mb1.contoso.com/PowerShell/. With a
 * username, the password is read at run time from the secret stack config `exchange-cas:password`
 * or the EXCHANGE_CAS_PASSWORD environment variable: it is never an input and never in state.
 */
export function exchangeConnection(
  connectionUri: string,
  options: { authentication?: "Kerberos" | "Negotiate" | "Basic"; username?: string; skipCertificateChecks?: boolean } = {},
): ConnectionInput {
  return { kind: "exchange", connectionUri, ...options };
}
