// exchange-cas: Pulumi resources for Exchange Server 2010 CAS arrays.
export { ClientAccessArray, type ClientAccessArrayArgs } from "./resources/clientAccessArray";
export { PowerShellError, PowerShellSessionError, psQuote, type ConnectionInput } from "./shell";
export { labConnection, exchangeConnection } from "./connections";
