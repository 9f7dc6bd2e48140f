// What the serialized providers load by package name at call time ("exchange-cas/runtime"), so
// refresh and destroy run the installed code and nothing here is frozen into state.
import type * as pulumi from "@pulumi/pulumi";
import { setConfigSource } from "../shell";
import { clientAccessArray } from "./clientAccessArray";
import { dnsARecord } from "./dnsARecord";
import { mailboxDatabaseRpcSetting } from "./mailboxDatabaseRpcSetting";
import { staticRpcPorts } from "./staticRpcPorts";
import { casArrayVerification } from "./verification";

type Props = Record<string, unknown>;

/** The dynamic-provider methods one resource kind implements. */
export interface ResourceRuntime {
  check(olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult>;
  diff(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult>;
  create(inputs: Props): Promise<pulumi.dynamic.CreateResult>;
  read(id: string, props: Props): Promise<pulumi.dynamic.ReadResult>;
  update(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult>;
  delete(id: string, props: Props): Promise<void>;
}

export const resources: Record<"clientAccessArray" | "dnsARecord" | "mailboxDatabaseRpcSetting" | "staticRpcPorts" | "casArrayVerification", ResourceRuntime> = {
  clientAccessArray: clientAccessArray as unknown as ResourceRuntime,
  dnsARecord: dnsARecord as unknown as ResourceRuntime,
  mailboxDatabaseRpcSetting: mailboxDatabaseRpcSetting as unknown as ResourceRuntime,
  staticRpcPorts: staticRpcPorts as unknown as ResourceRuntime,
  casArrayVerification: casArrayVerification as unknown as ResourceRuntime,
};

export type ResourceKind = keyof typeof resources;

/** The provider's configure: keeps the stack config for credential look-ups. */
export function configure(config: { get(key: string): string | undefined } | undefined): void {
  setConfigSource(config);
}

export { sessions } from "../shell";
export { UNKNOWN } from "./check";
export { planSite, type SitePlan, type SitePlanRequest } from "./site";
