// Helpers that build connection settings for the resources.
import type { ConnectionInput, ServerConnectionInput } from "./shell";

/**
 * The emulated Exchange 2010 lab: its state file and the lab module (lab/ExchangeLab.psd1). Relative
 * paths (".lab/state.json") stay relative in inputs and state and are resolved against the project
 * root when the provider opens the session, so moving the checkout changes no input.
 */
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
  options: {
    authentication?: "Kerberos" | "Negotiate" | "Basic";
    username?: string;
    skipCertificateChecks?: boolean;
  } = {},
): ConnectionInput {
  return { kind: "exchange", connectionUri, ...options };
}

/**
 * PowerShell remoting over SSH (PowerShell 7), e.g. to a Windows jump host whose `powershell`
 * subsystem serves the Exchange and DnsServer cmdlets. Key authentication only: `keyFilePath` is
 * the private key; `knownHostsFile`, when given, must already hold the host's key (no prompt, no
 * trust on first use).
 */
export function sshConnection(
  hostName: string,
  userName: string,
  keyFilePath: string,
  options: { port?: number; knownHostsFile?: string; subsystem?: string; commandTimeoutSeconds?: number } = {},
): ConnectionInput {
  return { kind: "ssh", hostName, userName, keyFilePath, ...options };
}

/**
 * PowerShell remoting (WinRM) from this machine to each Client Access server, for StaticRpcPorts:
 * Invoke-Command -ComputerName <server FQDN>. With a username the password is read at run time as
 * for exchangeConnection. The servers need remoting enabled (Enable-PSRemoting on 2008 R2).
 */
export function winrmConnection(
  options: {
    authentication?: "Default" | "Kerberos" | "Negotiate" | "Basic" | "CredSSP";
    username?: string;
    useSsl?: boolean;
    port?: number;
    skipCertificateChecks?: boolean;
    commandTimeoutSeconds?: number;
  } = {},
): ServerConnectionInput {
  return { kind: "winrm", ...options };
}
