export { psQuote, psQuoteArray } from "./quote";
export { PowerShellError, PowerShellSessionError, type PsErrorRecord } from "./errors";
export { parseEnvelope, ENVELOPE_MARKER, type Envelope } from "./envelope";
export {
  ConnectionSchema,
  ServerConnectionSchema,
  WinrmConnectionSchema,
  parseConnection,
  siteConnections,
  defaultServerConnection,
  connectionKey,
  describeConnection,
  projectRoot,
  resolveLabPath,
  type Connection,
  type ConnectionInput,
  type ServerConnection,
  type ServerConnectionInput,
  type SessionConnection,
  type SiteConnections,
  type SiteConnectionsInput,
  type WinrmConnection,
} from "./connection";
export { psAsset, psAssetText } from "./assets";
export { bootstrapScript, teardownScript, EXCHANGE_CMDLETS } from "./bootstrap";
export { setConfigSource, lookupPassword } from "./credentials";
export { PwshSession, findPwsh } from "./session";
export type { CommandSpec } from "./types";
export { SessionRegistry, sessions } from "./registry";
export { query, parseRows, stringList } from "./query";
export { isNoWsmanError, noWsmanMessage } from "./wsman";
