// exchange-cas: Pulumi resources for Exchange Server 2010 CAS arrays.
export { ClientAccessArray, type ClientAccessArrayArgs } from "./resources/clientAccessArray";
export { DnsARecord, type DnsARecordArgs } from "./resources/dnsARecord";
export {
  CasArrayVerification,
  type CasArrayVerificationArgs,
  type Verification,
} from "./resources/casArrayVerification";
export { StaticRpcPorts, type StaticRpcPortsArgs, type StaticRpcPortsServer } from "./resources/staticRpcPorts";
export { NlbCluster, type NlbClusterArgs, type NlbClusterNode } from "./resources/nlbCluster";
export { MailboxDatabaseRpcSetting, type MailboxDatabaseRpcSettingArgs } from "./resources/mailboxDatabaseRpcSetting";
export {
  MailboxDatabaseRpcSettings,
  type MailboxDatabaseRpcSettingsArgs,
  type MailboxDatabaseRpcSettingsEntry,
} from "./resources/mailboxDatabaseRpcSettings";
export { ExchangeCasError, isExchangeCasError, type ExchangeCasErrorCode } from "./errors";
export { DnsZoneNotFoundError } from "./dns";
export {
  PowerShellError,
  PowerShellSessionError,
  psQuote,
  type ConnectionInput,
  type ServerConnectionInput,
} from "./shell";
export { labConnection, exchangeConnection, sshConnection, winrmConnection } from "./connections";
export { CasArraySite, type CasArraySiteArgs, type ManagedDatabase } from "./components/casArraySite";
export { nearest, didYouMean } from "./nearest";
export { CasArraySiteClaim, type CasArraySiteClaimArgs } from "./resources/casArraySiteClaim";
