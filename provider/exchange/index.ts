export * from "./clientAccessArray";
export * from "./exchangeServer";
export { leafName } from "./rows";
