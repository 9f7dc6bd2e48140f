// What the serialized providers load by package name at call time ("exchange-cas/runtime"), so
// refresh and destroy run the installed code and nothing here is frozen into state.
import { setConfigSource } from "../shell";
import { clientAccessArray } from "./clientAccessArray";
import { runtimeOf, type ResourceRuntime } from "./contract";
import { dnsARecord } from "./dnsARecord";
import { mailboxDatabaseRpcSetting } from "./mailboxDatabaseRpcSetting";
import { nlbCluster } from "./nlbCluster";
import { siteClaim } from "./siteClaim";
import { mailboxDatabaseRpcSettings } from "./mailboxDatabaseRpcSettings";
import { staticRpcPorts } from "./staticRpcPorts";
import { casArrayVerification } from "./verification";

/** Each resource kind as the engine calls it: state parsed with the kind's outputs schema first. */
export const resources = {
  clientAccessArray: runtimeOf(clientAccessArray),
  dnsARecord: runtimeOf(dnsARecord),
  mailboxDatabaseRpcSetting: runtimeOf(mailboxDatabaseRpcSetting),
  mailboxDatabaseRpcSettings: runtimeOf(mailboxDatabaseRpcSettings),
  staticRpcPorts: runtimeOf(staticRpcPorts),
  casArrayVerification: runtimeOf(casArrayVerification),
  nlbCluster: runtimeOf(nlbCluster),
  siteClaim: runtimeOf(siteClaim),
} satisfies Record<string, ResourceRuntime>;

export type ResourceKind = keyof typeof resources;

/** The provider's configure: keeps the stack config for credential look-ups. */
export function configure(config: { get(key: string): string | undefined } | undefined): void {
  setConfigSource(config);
}

export type { ResourceRuntime } from "./contract";
export { sessions } from "../shell";
export { UNKNOWN } from "./check";
export { planSite, type SitePlan, type SitePlanRequest } from "./site";
