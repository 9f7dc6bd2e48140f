// The NLB suites' organisation: lab/scenarios/nlb.json (HeadOffice with two mailbox-only DAG
// members and two dedicated Client Access servers, HO-EX2010-CAS1 and CAS2), put over a lab's
// state file with `lab.reset(nlbScenario())`, and what the tests read of the lab's clusters.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Json, JsonObject, Lab } from "./lab";
import { ROOT } from "./paths";

export const NLB_SCENARIO = path.join(ROOT, "lab", "scenarios", "nlb.json");
export const CAS1 = "HO-EX2010-CAS1";
export const CAS2 = "HO-EX2010-CAS2";
export const IFACE = "Local Area Connection";
export const VIP = "10.1.0.100";
export const PORTS = [135, 59532, 59533];

/** An edit for `lab.reset`: the state becomes nlb.json, then `edit` changes it. */
export function nlbScenario(edit?: (state: JsonObject) => void): (state: JsonObject) => void {
  return (state) => {
    for (const key of Object.keys(state)) Reflect.deleteProperty(state, key);
    Object.assign(state, JSON.parse(fs.readFileSync(NLB_SCENARIO, "utf8")) as JsonObject);
    edit?.(state);
  };
}

/** The server named `name` in a state (to edit its Windows side). */
export function serverIn(state: JsonObject, name: string): JsonObject {
  const found = (state.servers as JsonObject[]).find((s) => s.Name === name);
  if (found === undefined) throw new Error(`no server ${name} in the scenario`);
  return found;
}

/** Gives `server` a network interface of its own (replacing its list). */
export function setInterface(
  state: JsonObject,
  server: string,
  address: string,
  mask = "255.255.255.0",
  extra: Record<string, Json> = {},
): void {
  const windows = serverIn(state, server).Windows as JsonObject;
  windows.NetworkInterfaces = [
    { InterfaceName: IFACE, IPAddress: address, SubnetMask: mask, DhcpEnabled: false, ...extra },
  ];
}

export interface LabNode {
  Name: string;
  State: string;
  Shown: string;
  HostID: number;
}
export interface LabRule {
  StartPort: number;
  EndPort: number;
  Protocol: string;
  Mode: string;
  Affinity: string;
}
export interface LabCluster {
  Name: string;
  IPAddress: string;
  SubnetMask: string;
  Mode: string;
  Nodes: LabNode[];
  PortRules: LabRule[];
  Events: { Server: string; Id: number }[];
  /** The lab's record of node controls, in order. */
  Operations?: string[];
}

/** The lab's clusters as stored (reading them lets no convergence pass). */
export function labClusters(lab: Pick<Lab, "json">): Promise<LabCluster[]> {
  return lab.json<LabCluster[]>("Get-ExchangeLabNlbCluster");
}

/** Runs `script` on a lab server as PowerShell remoting would, the NLB module imported (the admin at that server). */
export function onServer(lab: Pick<Lab, "pwsh">, server: string, script: string): Promise<string> {
  return lab.pwsh(
    `Invoke-Command -ComputerName '${server}' -ScriptBlock { Import-Module NetworkLoadBalancingClusters; ${script} } -ErrorAction Stop | Out-String -Width 300`,
  );
}

/** Each server's Outlook sessions now. */
export async function sessionsOf(lab: Pick<Lab, "json">): Promise<Record<string, number>> {
  const rows = await lab.json<{ Server: string; OutlookSessions: number }[]>(
    "Get-ExchangeLabServerWindows | Select-Object Server, OutlookSessions",
  );
  return Object.fromEntries(rows.map((r) => [r.Server, r.OutlookSessions]));
}
