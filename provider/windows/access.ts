// Why a Client Access server could not be reached with PowerShell remoting, told from the error
// record's type and id (never its localised text), as one sentence that says what to do where:
// - remoting is off there (WinRM's CannotConnect: nothing listens; Windows Server 2008 R2 ships
//   with it off): the server and the one command to run on it;
// - access is denied: from an SSH jump host, the second hop (a key logon has no Kerberos ticket to
//   hand on to the servers) and the two configurations that work; from this machine, the account;
// - this machine's PowerShell has no WSMan client: the controller, not the server.
// Anything else is left as it is.
import {
  describeConnection,
  isNoWsmanError,
  noWsmanMessage,
  PowerShellError,
  type PsErrorRecord,
  type SessionConnection,
} from "../shell";
import { ExchangeCasError } from "../errors";

/** The record a failed Invoke-Command reported first, when it is a broken WinRM session's. */
function transportRecord(error: PowerShellError): PsErrorRecord | undefined {
  return error.records.find((r) => r.type === "PSRemotingTransportException");
}

/** WinRM's own words, up to the first sentence: the evidence, in the admin's language. */
function winrmSaid(record: PsErrorRecord): string {
  const text = record.message.replace(/^.*?failed with the following error message\s*:\s*/s, "");
  const first = /^.*?[.!](?=\s|$)/s.exec(text);
  return (first ? first[0] : text).trim().replace(/\.$/, "");
}

/**
 * A Kerberos refusal for want of credentials (SEC_E_NO_CREDENTIALS 0x8009030e, SEC_E_LOGON_DENIED
 * 0x8009030c): the second hop too.
 */
const NO_CREDENTIALS = /0x8009030[ce]/i;

function who(via: SessionConnection): string {
  if (via.kind === "ssh") return `the jump host's logon (${via.userName}@${via.hostName})`;
  if (via.kind === "winrm" && via.username !== undefined) return via.username;
  return "the account running Pulumi";
}

/**
 * The error to report for `error`, raised by a server command sent to `server` through `via`: an
 * ExchangeCasError("server-unreachable") with the sentence, or `error` itself when it is not one
 * of the cases above.
 */
export function serverAccessError(server: string, via: SessionConnection, error: unknown): unknown {
  if (!(error instanceof PowerShellError)) return error;
  if (error.records.some(isNoWsmanError)) {
    return new ExchangeCasError(
      "server-unreachable",
      noWsmanMessage(via.kind === "winrm" ? via : { kind: "winrm", authentication: "Kerberos" }),
      { server, reason: "no-wsman" },
      { cause: error },
    );
  }
  const record = transportRecord(error);
  if (record === undefined) return error;
  const id = record.fqid.split(",")[0] ?? "";
  if (id === "CannotConnect") {
    return new ExchangeCasError(
      "server-unreachable",
      `PowerShell remoting is off on ${server} (WinRM: ${winrmSaid(record)}; ` +
        "Windows Server 2008 R2 ships with it off): run 'Enable-PSRemoting -Force' in an " +
        `elevated PowerShell on ${server}.`,
      { server, reason: "remoting-off" },
      { cause: error },
    );
  }
  if (id === "AccessDenied" || NO_CREDENTIALS.test(record.message)) {
    if (via.kind === "ssh") {
      return new ExchangeCasError(
        "server-unreachable",
        `${server} refused ${who(via)} (WinRM: ${winrmSaid(record)}): ` +
          "this is the second hop, a jump host reached with an SSH key has no Kerberos " +
          "ticket to hand on to the Client Access servers; " +
          "run Pulumi on Windows with a 'kind: winrm' serverConnection, " +
          "or give the jump host an account of its own for the servers " +
          "($global:ExcasServerOptions with a Credential on the jump host, see the README).",
        { server, reason: "second-hop", via: describeConnection(via) },
        { cause: error },
      );
    }
    return new ExchangeCasError(
      "server-unreachable",
      `${server} refused ${who(via)} (WinRM: ${winrmSaid(record)}): ` +
        `PowerShell remoting on ${server} admits members of its local Administrators ` +
        "group only; use an account that is one there.",
      { server, reason: "access-denied", via: describeConnection(via) },
      { cause: error },
    );
  }
  return error;
}
