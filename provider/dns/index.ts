export * from "./aRecord";
