export * from "./aRecord";
export * from "./resolve";
