export * from "./clientAccessArray";
export * from "./exchangeServer";
export { leafName } from "./rows";
export * from "./mailboxDatabase";
export * from "./rpcClientAccessTarget";
export * from "./databaseAvailabilityGroup";
export * from "./mailbox";
