// The lab's Windows NLB (lab/ExchangeLab.Nlb.ps1, .NlbRemote.ps1): the NetworkLoadBalancingClusters
// cmdlets a script sent to a lab server finds, with 2008 R2's parameter sets, after Import-Module;
// a new cluster's default rule; convergence that takes a moment; drains that wait for open
// sessions; event 4096 on a server with the Cluster service; pings that answer where something is.
// One pwsh for the file (LabBatch), each scenario on a lab of its own.
import { afterAll, describe, expect, it } from "vitest";
import { LabBatch, type JsonObject } from "../support/lab";
import { nlbScenario, serverIn } from "../support/nlb";

const batch = new LabBatch();
afterAll(() => batch.cleanup());

/** Runs `body` on a lab server (PowerShell remoting), the NLB module imported; errors as "<fqid> | <message>". */
const onServer = (server: string, body: string) => `Invoke-Command -ComputerName '${server}' -ScriptBlock {
  Import-Module NetworkLoadBalancingClusters
  ${body}
}`;
const caught = (block: string) =>
  `$(try { ${block}; 'no error' } catch { [string]$_.FullyQualifiedErrorId + ' | ' + $_.Exception.Message })`;
const NEW =
  "New-NlbCluster -InterfaceName 'Local Area Connection' -ClusterPrimaryIP 10.1.0.100 -SubnetMask 255.255.255.0 -ClusterName outlook-ho";
const JOIN =
  "Get-NlbCluster | Add-NlbClusterNode -NewNodeName HO-EX2010-CAS2.exchangeserverpro.net -NewNodeInterface 'Local Area Connection' -Force | Out-Null";

describe("Windows NLB on the lab's servers", () => {
  const created = batch.add<{
    Mode: string;
    First: string[];
    Second: string[];
    Rules: string[];
    Nodes: string[];
    Interface: string[];
  }>(
    `$r = ${onServer(
      "HO-EX2010-CAS1",
      `$c = ${NEW}
  $first = @(Get-NlbClusterNode | ForEach-Object { [string]$_.State })
  $second = @(Get-NlbClusterNode | ForEach-Object { [string]$_.State })
  $rules = @(Get-NlbClusterPortRule | ForEach-Object { '{0} {1}-{2} {3} {4} {5} {6} {7}' -f $_.VirtualIPAddress, $_.StartPort, $_.EndPort, $_.Protocol, $_.FilteringMode, $_.Affinity, $_.Timeout, $_.PortState })
  ${JOIN}
  $nodes = @(Get-NlbClusterNode | ForEach-Object { [string]$_.Name + ' ' + [string]$_.State + ' ' + [string]$_.HostID })
  $if = @(Get-NlbClusterNodeNetworkInterface | ForEach-Object { [string]$_.InterfaceName + ' ' + [string]$_.InterfaceIP + ' ' + [string]$_.NlbBound + ' ' + [string]$_.ClusterPrimaryIP })
  New-Object PSObject -Property @{ Mode = [string]$c.Mode; First = $first; Second = $second; Rules = $rules; Nodes = $nodes; Interface = $if }`,
    )}
Emit ([ordered]@{ Mode = $r.Mode; First = @($r.First); Second = @($r.Second); Rules = @($r.Rules); Nodes = @($r.Nodes); Interface = @($r.Interface) })`,
    { edit: nlbScenario() },
  );

  it("New-NlbCluster makes a one-node cluster with the all-ports default rule, converging at first, then Converged(default)", async () => {
    const r = await created();
    expect(r.Mode).toBe("UNICAST");
    expect(r.First).toEqual(["Converging"]);
    expect(r.Second).toEqual(["Converged(default)"]);
    expect(r.Rules).toEqual(["255.255.255.255 0-65535 Both Multiple Single 0 Enabled"]);
    expect(r.Interface).toEqual(["Local Area Connection 10.1.0.13 True 10.1.0.100"]);
  });

  it("Add-NlbClusterNode joins a node with the next host id; every node converges again", async () => {
    expect((await created()).Nodes).toEqual(["HO-EX2010-CAS1 Converging 1", "HO-EX2010-CAS2 Converging 2"]);
  });

  const binding = batch.add<{
    Missing: string;
    Pipeline: string;
    Overlap: string;
    NoForce: string;
    After: number;
    NoImport: string;
    NoFeature: string;
  }>(
    `$r = ${onServer(
      "HO-EX2010-CAS1",
      `$null = ${NEW}
  $missing = ${caught("Remove-NlbClusterPortRule -Port 0 -Force -ErrorAction Stop")}
  $overlap = ${caught("Get-NlbCluster | Add-NlbClusterPortRule -StartPort 135 -EndPort 135 -ErrorAction Stop")}
  $pipeline = ${caught("Get-NlbClusterPortRule -Port 0 | Remove-NlbClusterPortRule -Force -ErrorAction Stop")}
  $noForce = ${caught("Remove-NlbCluster -InterfaceName 'Local Area Connection' -ErrorAction Stop")}
  New-Object PSObject -Property @{ Missing = $missing; Overlap = $overlap; Pipeline = $pipeline; NoForce = $noForce }`,
    )}
$noImport = ${caught("Invoke-Command -ComputerName HO-EX2010-CAS1 -ScriptBlock { Get-NlbCluster } -ErrorAction Stop")}
Edit-LabState { param($s) ($s.servers | Where-Object { $_.Name -eq 'HO-EX2010-CAS2' }).Windows | Add-Member -NotePropertyName NlbFeature -NotePropertyValue $false }
$noFeature = ${caught("Invoke-Command -ComputerName HO-EX2010-CAS2 -ScriptBlock { Import-Module NetworkLoadBalancingClusters } -ErrorAction Stop")}
Emit ([ordered]@{ Missing = $r.Missing; Pipeline = $r.Pipeline; Overlap = $r.Overlap; NoForce = $r.NoForce; After = @(Get-ExchangeLabNlbCluster).Count; NoImport = $noImport; NoFeature = $noFeature })`,
    { edit: nlbScenario() },
  );

  it("has 2008 R2's parameter sets: Remove-NlbClusterPortRule names its rule by -InterfaceName and -IP, or takes it from the pipeline", async () => {
    const r = await binding();
    expect(r.Missing).toMatch(/^MissingMandatoryParameter,Remove-NlbClusterPortRule \| .*InterfaceName IP/);
    expect(r.Pipeline).toBe("no error");
  });

  it("refuses a port rule that overlaps another, and asks before Remove-NlbCluster unless -Force (which fails without a console)", async () => {
    const r = await binding();
    expect(r.Overlap).toBe(
      "NlbError,Microsoft.NetworkLoadBalancingClusters.PowerShell.AddNlbClusterPortRule | The new port rule (ports 135-135) overlaps the existing port rule for ports 0-65535.",
    );
    expect(r.NoForce).toMatch(/NonInteractive/);
    expect(r.After).toBe(1);
  });

  it("loads the module only when asked (PowerShell 2.0), and not where the NLB feature is missing", async () => {
    const r = await binding();
    expect(r.NoImport).toMatch(
      /Get-NlbCluster without Import-Module NetworkLoadBalancingClusters \(module autoloading\)/,
    );
    expect(r.NoFeature).toBe(
      "Modules_ModuleNotFound,Microsoft.PowerShell.Commands.ImportModuleCommand | The specified module 'NetworkLoadBalancingClusters' was not loaded because no valid module file was found in any module directory.",
    );
  });

  const drains = batch.add<{ Timed: string; Sessions: Record<string, number>; Waiting: string; Ended: string }>(
    `${onServer("HO-EX2010-CAS1", `$null = ${NEW}; ${JOIN}`)} | Out-Null
$timed = ${onServer("HO-EX2010-CAS1", "[string](Stop-NlbClusterNode -HostName HO-EX2010-CAS2 -Drain -Timeout 30).State")}
$sessions = @{}; Get-ExchangeLabServerWindows | ForEach-Object { $sessions[$_.Server] = $_.OutlookSessions }
${onServer("HO-EX2010-CAS1", "Start-NlbClusterNode -HostName HO-EX2010-CAS2 | Out-Null")} | Out-Null
Set-ExchangeLabServerWindows -Server HO-EX2010-CAS2 -OutlookSessions 2 | Out-Null
$waiting = ${onServer("HO-EX2010-CAS1", "[string](Stop-NlbClusterNode -HostName HO-EX2010-CAS2 -Drain).State")}
Set-ExchangeLabServerWindows -Server HO-EX2010-CAS2 -OutlookSessions 0 | Out-Null
$ended = ${onServer("HO-EX2010-CAS1", "[string](Get-NlbClusterNode -NodeName HO-EX2010-CAS2).State")}
Emit ([ordered]@{ Timed = $timed; Sessions = $sessions; Waiting = $waiting; Ended = $ended })`,
    { edit: nlbScenario() },
  );

  it("drains: with -Timeout the node stops and its open sessions are cut (they reconnect to the others); without, it stays Draining until they end", async () => {
    const r = await drains();
    expect(r.Timed).toBe("Stopped");
    expect(r.Sessions).toMatchObject({ "HO-EX2010-CAS1": 5, "HO-EX2010-CAS2": 0 });
    expect(r.Waiting).toBe("Draining");
    expect(r.Ended).toBe("Stopped");
  });

  const dagMember = batch.add<{ State: string; Events: { Server: string; Id: number; Message: string }[] }>(
    `$c = ${onServer("HO-EX2010-MB1", "New-NlbCluster -InterfaceName 'Local Area Connection' -ClusterPrimaryIP 10.1.0.100")}
$cluster = @(Get-ExchangeLabNlbCluster)[0]
Emit ([ordered]@{ State = [string]$c.Name; Events = @($cluster.Events | ForEach-Object { [ordered]@{ Server = $_.Server; Id = $_.Id; Message = $_.Message } }) })`,
  );

  it("on a DAG member (the Cluster service runs there) the configuration completes and event 4096 is logged", async () => {
    const r = await dagMember();
    expect(r.State).toBe("10.1.0.100");
    expect(r.Events).toEqual([
      {
        Server: "HO-EX2010-MB1",
        Id: 4096,
        Message:
          "Configuration completed. Microsoft Cluster Service is also installed on this machine, and this may prevent the proper operation of both.",
      },
    ]);
  });

  const pings = batch.add<{ Dag: boolean; Free: boolean; Device: boolean; Cluster: boolean; Failure: string }>(
    `$r = ${onServer(
      "HO-EX2010-CAS1",
      `$dag = Test-Connection -ComputerName 10.1.0.20 -Count 1 -Quiet
  $free = Test-Connection -ComputerName 10.1.0.100 -Count 1 -Quiet
  $device = Test-Connection -ComputerName 10.1.0.99 -Count 1 -Quiet
  $failure = ${caught("Test-Connection -ComputerName 10.1.0.101 -Count 1 -ErrorAction Stop")}
  $null = ${NEW}
  $cluster = Test-Connection -ComputerName 10.1.0.100 -Count 1 -Quiet
  New-Object PSObject -Property @{ Dag = $dag; Free = $free; Device = $device; Cluster = $cluster; Failure = $failure }`,
    )}
Emit ([ordered]@{ Dag = $r.Dag; Free = $r.Free; Device = $r.Device; Cluster = $r.Cluster; Failure = $r.Failure })`,
    { edit: nlbScenario((s: JsonObject) => (s.network = { Answering: ["10.1.0.99"] })) },
  );

  it("answers a ping where something is: the DAG's address, a device of the network, a cluster's VIP once it has a node", async () => {
    const r = await pings();
    expect(r).toMatchObject({ Dag: true, Free: false, Device: true, Cluster: true });
    expect(r.Failure).toBe(
      "TestConnectionException,Microsoft.PowerShell.Commands.TestConnectionCommand | Testing connection to computer '10.1.0.101' failed: Error due to lack of resources",
    );
  });

  const looks = batch.add<string[]>(
    `$r = ${onServer("HO-EX2010-CAS1", `$null = ${NEW}; foreach ($i in 1..3) { [string]@(Get-NlbClusterNode)[0].State }`)}
Emit @($r)`,
    {
      edit: nlbScenario((s: JsonObject) => ((serverIn(s, "HO-EX2010-CAS1").Windows as JsonObject).OutlookSessions = 0)),
    },
  );

  it("converges after one look by default", async () => {
    expect(await looks()).toEqual(["Converging", "Converged(default)", "Converged(default)"]);
  });
});
