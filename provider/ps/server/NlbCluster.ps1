# Runs ON one Exchange 2010 Client Access server, sent by Invoke-Command (provider/windows/nlb.ts):
# Windows Network Load Balancing on the servers themselves (LB-WIRING 2). Windows Server 2008 R2
# ships PowerShell 2.0, which loads no module by itself: Import-Module NetworkLoadBalancingClusters
# is explicit, and nothing newer than 2.0 is used (test/unit/ps20.test.ts and the lab's remote
# host check it). Every action ends with the same report, rows of primitives each with a Kind:
#   Host       the cluster service (ClusSvc), whether the NLB module loaded, this server's Outlook
#              sessions, whether the last change converged, whether the VIP answered a ping
#   Interface  each network interface (name, address, mask, DHCP, whether NLB is bound to it)
#   Cluster    the cluster on -Interface (name, VIP, mask, mode), Node and Rule rows under it
#
#   Read    changes nothing; with -Vip, pings it first (does something already answer there?);
#           with -WaitSeconds, waits for the cluster to converge before reporting
#   Create  New-NlbCluster on this server's -Interface, then the port rules of -Ports
#   Join    adds -Node (its -NodeInterface) to this server's cluster
#   Leave   drains this server (Stop-NlbClusterNode -Drain -Timeout -DrainSeconds), then removes it
#   Start   resumes (if suspended) and starts this server's node
#   Rules   makes the port rules exactly -Ports (TCP, one port each, affinity Single)
#   Mode    Set-NlbCluster -OperationMode -Mode -ClusterName -ClusterName
#   Remove  Remove-NlbCluster (every node, every connection through the VIP)
# Every change re-converges the whole cluster: the script waits (all its waits together at most
# -WaitSeconds) until no node is converging or draining before the next one, as the cmdlets' help asks.
param(
    [string]$Action,
    [string]$Interface,
    [string]$Vip,
    [string]$SubnetMask,
    [string]$Mode,
    [string]$ClusterName,
    [string]$Ports,
    [string]$Node,
    [string]$NodeInterface,
    [int]$DrainSeconds,
    [int]$WaitSeconds
)

$ErrorActionPreference = 'Stop'
$moduleError = $null
$nlb = $true
try { Import-Module NetworkLoadBalancingClusters }
catch { $nlb = $false; $moduleError = $_.Exception.Message }

function Get-ExcasUserCount {
    $counter = Get-Counter -Counter '\MSExchange RpcClientAccess\User Count' -ErrorAction SilentlyContinue
    if ($null -eq $counter) { return -1 }
    return [int]$counter.CounterSamples[0].CookedValue
}

function Test-ExcasBound {
    foreach ($i in @(Get-NlbClusterNodeNetworkInterface)) {
        if ([string]$i.InterfaceName -eq $Interface -and [bool]$i.NlbBound) { return $true }
    }
    return $false
}

# Until no node converges or drains (Converged, Converged(default), Stopped, Suspended); every wait
# of one run shares the one deadline, -WaitSeconds from its start, so that a run never outlasts
# the command timeout the provider gives it. $true when the cluster settled.
$deadline = (Get-Date).AddSeconds($WaitSeconds)
function Wait-ExcasConverged {
    while ($true) {
        $busy = @(Get-NlbClusterNode -InterfaceName $Interface | Where-Object { -not ([string]$_.State -like 'Converged*' -or [string]$_.State -eq 'Stopped' -or [string]$_.State -eq 'Suspended') })
        if ($busy.Count -eq 0) { return $true }
        if ((Get-Date) -ge $deadline) { return $false }
        Start-Sleep -Milliseconds 250
    }
}

function Get-ExcasWantedPorts {
    $list = @()
    foreach ($p in $Ports.Split(',')) { if ($p.Trim() -ne '') { $list += [int]$p.Trim() } }
    return ,$list
}

function Test-ExcasRuleIsWanted($Rule, [int]$Port) {
    return ([int]$Rule.StartPort -eq $Port -and [int]$Rule.EndPort -eq $Port -and [string]$Rule.Protocol -eq 'Tcp' -and
        [string]$Rule.FilteringMode -eq 'Multiple' -and [string]$Rule.Affinity -eq 'Single' -and [string]$Rule.PortState -eq 'Enabled')
}

# Rules overlapping a declared port but not as declared go first (the default 0-65535 rule of a
# new cluster among them: rules cannot overlap), then the missing ones are added, then the rules
# for ports no longer declared are removed: a port that moves gets its new rule before its old
# one goes. Each change waits for convergence.
function Set-ExcasRules {
    $wanted = Get-ExcasWantedPorts
    $settled = $true
    foreach ($rule in @(Get-NlbClusterPortRule -InterfaceName $Interface)) {
        $overlaps = @($wanted | Where-Object { $_ -ge [int]$rule.StartPort -and $_ -le [int]$rule.EndPort })
        if ($overlaps.Count -eq 0) { continue }
        if ($overlaps.Count -eq 1 -and (Test-ExcasRuleIsWanted $rule $overlaps[0])) { continue }
        Get-NlbClusterPortRule -InterfaceName $Interface -Port ([int]$rule.StartPort) | Remove-NlbClusterPortRule -Force
        $settled = (Wait-ExcasConverged) -and $settled
    }
    foreach ($port in $wanted) {
        $present = @(Get-NlbClusterPortRule -InterfaceName $Interface | Where-Object { Test-ExcasRuleIsWanted $_ $port })
        if ($present.Count -gt 0) { continue }
        Get-NlbCluster -InterfaceName $Interface | Add-NlbClusterPortRule -StartPort $port -EndPort $port -Protocol Tcp -Mode Multiple -Affinity Single | Out-Null
        $settled = (Wait-ExcasConverged) -and $settled
    }
    foreach ($rule in @(Get-NlbClusterPortRule -InterfaceName $Interface)) {
        $covered = @($wanted | Where-Object { $_ -ge [int]$rule.StartPort -and $_ -le [int]$rule.EndPort })
        if ($covered.Count -gt 0) { continue }
        Get-NlbClusterPortRule -InterfaceName $Interface -Port ([int]$rule.StartPort) | Remove-NlbClusterPortRule -Force
        $settled = (Wait-ExcasConverged) -and $settled
    }
    return $settled
}

$converged = $true
$sessionsCut = -1
$answers = $null
if (-not $nlb) {
    if ($Action -ne 'Read') { throw ('The NetworkLoadBalancingClusters module could not be loaded: ' + $moduleError) }
}
elseif ($Action -eq 'Read') {
    if ($Vip -ne '') { $answers = [bool](Test-Connection -ComputerName $Vip -Count 1 -Quiet) }
    if ($WaitSeconds -gt 0 -and (Test-ExcasBound)) { $converged = Wait-ExcasConverged }
}
elseif ($Action -eq 'Create') {
    New-NlbCluster -InterfaceName $Interface -ClusterPrimaryIP $Vip -SubnetMask $SubnetMask -ClusterName $ClusterName -OperationMode $Mode | Out-Null
    $converged = Wait-ExcasConverged
    if ($converged) { $converged = Set-ExcasRules }
}
elseif ($Action -eq 'Join') {
    Get-NlbCluster -InterfaceName $Interface | Add-NlbClusterNode -NewNodeName $Node -NewNodeInterface $NodeInterface -Force | Out-Null
    $converged = Wait-ExcasConverged
}
elseif ($Action -eq 'Leave') {
    # New connections stop at once; open ones (Outlook's RPC sessions are long-lived) are cut
    # after the timeout and reconnect through the VIP to the other nodes.
    $sessionsCut = Get-ExcasUserCount
    Stop-NlbClusterNode -InterfaceName $Interface -Drain -Timeout $DrainSeconds | Out-Null
    $drained = (Get-Date).AddSeconds($DrainSeconds + 30)
    while ($true) {
        $mine = @(Get-NlbClusterNode -InterfaceName $Interface | Where-Object { [string]$_.Name -eq $Node -or ([string]$_.Name).StartsWith($Node + '.', [StringComparison]::OrdinalIgnoreCase) })
        if ($mine.Count -eq 0 -or [string]$mine[0].State -eq 'Stopped' -or (Get-Date) -ge $drained) { break }
        Start-Sleep -Milliseconds 500
    }
    Remove-NlbClusterNode -InterfaceName $Interface -Force | Out-Null
}
elseif ($Action -eq 'Start') {
    $mine = @(Get-NlbClusterNode -InterfaceName $Interface | Where-Object { [string]$_.Name -eq $Node -or ([string]$_.Name).StartsWith($Node + '.', [StringComparison]::OrdinalIgnoreCase) })
    if ($mine.Count -gt 0 -and [string]$mine[0].State -eq 'Suspended') { Resume-NlbClusterNode -InterfaceName $Interface | Out-Null }
    Start-NlbClusterNode -InterfaceName $Interface | Out-Null
    $converged = Wait-ExcasConverged
}
elseif ($Action -eq 'Rules') {
    $converged = Set-ExcasRules
}
elseif ($Action -eq 'Mode') {
    Set-NlbCluster -InterfaceName $Interface -OperationMode $Mode -ClusterName $ClusterName | Out-Null
    $converged = Wait-ExcasConverged
}
elseif ($Action -eq 'Remove') {
    Remove-NlbCluster -InterfaceName $Interface -Force | Out-Null
}
else {
    throw ("Unknown action '" + $Action + "': use Read, Create, Join, Leave, Start, Rules, Mode or Remove.")
}

$service = 'Missing'
$svc = Get-Service -Name ClusSvc -ErrorAction SilentlyContinue
if ($null -ne $svc) { $service = [string]$svc.Status }
New-Object PSObject -Property @{
    Kind           = 'Host'
    ClusterService = $service
    NlbModule      = $nlb
    ModuleError    = $moduleError
    Sessions       = Get-ExcasUserCount
    SessionsCut    = $sessionsCut
    Converged      = $converged
    VipAnswers     = $answers
}
if (-not $nlb) { return }
foreach ($i in @(Get-NlbClusterNodeNetworkInterface)) {
    New-Object PSObject -Property @{
        Kind = 'Interface'; InterfaceName = [string]$i.InterfaceName; InterfaceIP = [string]$i.InterfaceIP; InterfaceSubnetMask = [string]$i.InterfaceSubnetMask
        DhcpEnabled = [bool]$i.DhcpEnabled; NlbBound = [bool]$i.NlbBound; ClusterPrimaryIP = [string]$i.ClusterPrimaryIP
    }
}
if (-not (Test-ExcasBound)) { return }
$cluster = Get-NlbCluster -InterfaceName $Interface
New-Object PSObject -Property @{ Kind = 'Cluster'; Name = [string]$cluster.Name; IPAddress = [string]$cluster.IPAddress; SubnetMask = [string]$cluster.SubnetMask; Mode = [string]$cluster.Mode }
foreach ($n in @(Get-NlbClusterNode -InterfaceName $Interface)) {
    New-Object PSObject -Property @{ Kind = 'Node'; Name = [string]$n.Name; State = [string]$n.State; HostID = [int]$n.HostPriority; InterfaceName = [string]$n.InterfaceName }
}
foreach ($r in @(Get-NlbClusterPortRule -InterfaceName $Interface)) {
    New-Object PSObject -Property @{
        Kind = 'Rule'; VirtualIPAddress = [string]$r.VirtualIPAddress; StartPort = [int]$r.StartPort; EndPort = [int]$r.EndPort; Protocol = [string]$r.Protocol
        FilteringMode = [string]$r.FilteringMode; Affinity = [string]$r.Affinity; PortState = [string]$r.PortState
    }
}
