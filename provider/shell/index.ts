export { psQuote, psQuoteArray } from "./quote";
export { PowerShellError, PowerShellSessionError, type PsErrorRecord } from "./errors";
export { parseEnvelope, ENVELOPE_MARKER, type Envelope } from "./envelope";
export {
  ConnectionSchema,
  parseConnection,
  bootstrapScript,
  teardownScript,
  connectionKey,
  describeConnection,
  projectRoot,
  resolveLabPath,
  EXCHANGE_CMDLETS,
  type Connection,
  type ConnectionInput,
} from "./connection";
export { setConfigSource, lookupPassword } from "./credentials";
export { PwshSession, findPwsh, type CommandSpec } from "./session";
export { SessionRegistry, sessions } from "./registry";
