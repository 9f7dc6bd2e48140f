<#
ExchangeLab.Nlb: Windows Network Load Balancing on the lab's servers, as the NetworkLoadBalancingClusters
module of Windows Server 2008 R2 shows it to a script that PowerShell remoting runs on a server
(LB-WIRING.md section 2). This file is the model and what each cmdlet does to it;
ExchangeLab.NlbRemote.ps1 gives the cmdlets their 2008 R2 parameter sets inside the lab's remote
host and adds the console's commands.

State: the top-level `nlbClusters[]` (one cluster per set of servers: VIP, mask, mode, nodes with
their states, port rules, the NLB events its hosts logged) and, per server, the optional
`Windows.NetworkInterfaces[]` (InterfaceName, IPAddress, SubnetMask, DhcpEnabled) and
`Windows.NlbFeature` (false: the NLB feature and its module are not installed). README.md says
which behaviour is documented and which is the lab's inference.

Dot-sourced by ExchangeLab.psm1 after ExchangeLab.Windows.ps1, whose server helpers it uses
(Find-LabWindowsServer, Get-LabWindows, Get-LabServerAddress, New-LabWindowsError). Runs on Windows
PowerShell 5.1 and PowerShell 7: no null-coalescing, null-conditional, ternary or pipeline-chain
operators, and no parameters that 5.1 lacks.
#>

# Texts. Documented: Event4096 [NLB-4096] and ModuleNotFound (PowerShell's own). Every other text
# is the lab's own: the NLB cmdlets' error strings are not published (LB-WIRING 2.3, 9.3).
$script:NlbMsg = @{
    Event4096        = 'Configuration completed. Microsoft Cluster Service is also installed on this machine, and this may prevent the proper operation of both.'
    ModuleNotFound   = "The specified module '{0}' was not loaded because no valid module file was found in any module directory."
    HostUnreachable  = "Could not connect to NLB host '{0}': The RPC server is unavailable."
    NoInterface      = "Interface '{0}' was not found on host '{1}'."
    NotBound         = "NLB is not bound to interface '{0}' on host '{1}': the host is not part of an NLB cluster there."
    NoCluster        = "Host '{0}' is not part of an NLB cluster."
    AlreadyBound     = "NLB is already bound to interface '{0}' on host '{1}' (cluster {2}, {3})."
    Dhcp             = "Interface '{0}' on host '{1}' has DHCP enabled; use -Force to let the cmdlet replace it with a static address."
    BadAddress       = "'{0}' is not a valid IPv4 address for {1}."
    RuleOverlap      = 'The new port rule (ports {0}-{1}) overlaps the existing port rule for ports {2}-{3}.'
    NoRule           = 'No port rule of cluster {0} contains port {1}.'
    BadPort          = 'Port {0} is outside 0-65535.'
    ConfirmCluster   = 'Remove NLB cluster {0} ({1}) from all of its hosts? All existing connections to the hosts in the cluster are lost.'
    ConfirmNode      = 'Remove host {0} from NLB cluster {1}?'
    ConfirmRule      = 'Remove the port rule for ports {0}-{1} from NLB cluster {2}?'
}

$script:NlbTypePrefix = 'Microsoft.NetworkLoadBalancingClusters.PowerShell.'
$script:NlbDefaultInterface = 'Local Area Connection'
$script:NlbModes = @('Unicast', 'Multicast', 'IgmpMulticast')
$script:NlbRuleNames = @('Both', 'Tcp', 'Udp', 'Multiple', 'Single', 'Disabled', 'None', 'Network')

#region Model ------------------------------------------------------------------------------------

# The server's network interfaces: its Windows.NetworkInterfaces, else one static interface named
# 'Local Area Connection' with the server's address in the lab's DNS and a /24 mask (an inference:
# a lab server without the section needs some interface).
function Get-LabNlbInterfaceList {
    param([object]$State, [object]$Server)
    $windows = Get-LabWindows $Server
    $list = $windows.PSObject.Properties['NetworkInterfaces']
    if ($null -ne $list -and $null -ne $list.Value) {
        foreach ($interface in @($list.Value)) {
            $dhcp = $false
            if ($null -ne $interface.PSObject.Properties['DhcpEnabled']) { $dhcp = [bool]$interface.DhcpEnabled }
            @{ InterfaceName = [string]$interface.InterfaceName; IPAddress = [string]$interface.IPAddress; SubnetMask = [string]$interface.SubnetMask; DhcpEnabled = $dhcp }
        }
        return
    }
    @{ InterfaceName = $script:NlbDefaultInterface; IPAddress = (Get-LabServerAddress $State $Server); SubnetMask = '255.255.255.0'; DhcpEnabled = $false }
}

function Test-LabNlbFeature {
    param([object]$Server)
    $windows = Get-LabWindows $Server
    $flag = $windows.PSObject.Properties['NlbFeature']
    return ($null -eq $flag -or $null -eq $flag.Value -or [bool]$flag.Value)
}

function Test-LabClusterServiceInstalled {
    param([object]$Server)
    $windows = Get-LabWindows $Server
    return ($null -ne $windows.Services.PSObject.Properties['ClusSvc'])
}

# The cluster a host is a node of (on $Interface when given), or $null.
function Find-LabNlbCluster {
    param([object]$State, [string]$ServerName, [string]$Interface)
    foreach ($cluster in (Get-LabSection $State 'nlbClusters')) {
        foreach ($node in @($cluster.Nodes)) {
            if ([string]$node.Name -ne $ServerName) { continue }
            if ([string]::IsNullOrEmpty($Interface) -or [string]$node.InterfaceName -eq $Interface) { return $cluster }
        }
    }
    return $null
}

function Find-LabNlbNode {
    param([object]$Cluster, [string]$ServerName)
    foreach ($node in @($Cluster.Nodes)) { if ([string]$node.Name -eq $ServerName) { return $node } }
    return $null
}

# A node's state as Get-NlbClusterNode shows it. Stored: Converged, Stopped, Suspended, Draining;
# shown as Converging while its convergence has reads left, and Converged(default) for the default
# host, the started node with the lowest host id (the form is the docs' example; which host shows
# it is an inference).
function Get-LabNlbNodeState {
    param([object]$Cluster, [object]$Node)
    $stored = [string]$Node.State
    if ($stored -ne 'Converged') { return $stored }
    if ([int]$Node.Converging -gt 0) { return 'Converging' }
    $default = @(@($Cluster.Nodes) | Where-Object { [string]$_.State -eq 'Converged' } | Sort-Object { [int]$_.HostID })[0]
    if ($null -ne $default -and [string]$default.Name -eq [string]$Node.Name) { return 'Converged(default)' }
    return 'Converged'
}

# Every configuration change makes every started node converge again: for the next
# ConvergeReads reads of Get-NlbClusterNode (1 unless the state says otherwise; a large number
# is a cluster that never converges) its nodes show Converging.
function Start-LabNlbConvergence {
    param([object]$Cluster)
    $reads = 1
    if ($null -ne $Cluster.PSObject.Properties['ConvergeReads']) { $reads = [int]$Cluster.ConvergeReads }
    foreach ($node in @($Cluster.Nodes)) {
        if ([string]$node.State -eq 'Converged') { $node.Converging = $reads }
    }
}

function New-LabNlbNode {
    param([string]$Name, [string]$Interface, [int]$HostID)
    New-Object System.Management.Automation.PSObject -Property ([ordered]@{ Name = $Name; InterfaceName = $Interface; HostID = $HostID; State = 'Converged'; Converging = 0 })
}

# The port rule a new cluster gets: all ports, both protocols, multiple hosts, single affinity
# (the docs' Get-NlbClusterPortRule example; that a new cluster has it is an inference [NLB-GETRULE]).
function New-LabNlbRule {
    param([string]$IP = 'All', [int]$Start = 0, [int]$End = 65535, [string]$Protocol = 'Both', [string]$Mode = 'Multiple', [string]$Affinity = 'Single', [int]$Timeout = 0)
    New-Object System.Management.Automation.PSObject -Property ([ordered]@{
            IPAddress = $IP; StartPort = $Start; EndPort = $End; Protocol = $Protocol; Mode = $Mode; Affinity = $Affinity; Timeout = $Timeout; State = 'Enabled'
        })
}

# The lab's own record of what was done to the nodes, in order ("Stop -Drain -Timeout 60
# HO-EX2010-CAS2"): not a Windows feature, it lets a test see that a node was drained before it left.
function Add-LabNlbOperation {
    param([object]$Cluster, [string]$Text)
    Set-LabProperty $Cluster 'Operations' (@(Get-LabSection $Cluster 'Operations') + $Text)
}

# Binding NLB on a host that has the Cluster service logs event 4096 (the configuration completes).
function Add-LabNlbBindEvent {
    param([object]$Cluster, [object]$Server)
    if (-not (Test-LabClusterServiceInstalled $Server)) { return }
    $event = New-Object System.Management.Automation.PSObject -Property ([ordered]@{ Server = [string]$Server.Name; Id = 4096; Source = 'Microsoft-Windows-NLB'; Message = $script:NlbMsg.Event4096 })
    Set-LabProperty $Cluster 'Events' (@(Get-LabSection $Cluster 'Events') + $event)
}

# The Outlook sessions of a node whose connections are cut reconnect through the VIP to the
# cluster's other started nodes (in turn); the node's own count drops to 0.
function Move-LabNlbSessions {
    param([object]$State, [object]$Cluster, [string]$From)
    $server = Find-LabWindowsServer $State $From
    $windows = Get-LabWindows $server -Attach
    $count = [int]$windows.OutlookSessions
    $windows.OutlookSessions = 0
    $others = @(@($Cluster.Nodes) | Where-Object { [string]$_.Name -ne $From -and [string]$_.State -eq 'Converged' } | Sort-Object { [string]$_.Name })
    if ($others.Count -eq 0) { return $count }
    for ($i = 0; $i -lt $count; $i++) {
        $target = Get-LabWindows (Find-LabWindowsServer $State ([string]$others[$i % $others.Count].Name)) -Attach
        $target.OutlookSessions = [int]$target.OutlookSessions + 1
    }
    return $count
}

# A stopped (or suspended) node: its connections are gone.
function Stop-LabNlbNodeInState {
    param([object]$State, [object]$Cluster, [object]$Node, [string]$As = 'Stopped')
    $Node.State = $As
    $Node.Converging = 0
    [void](Move-LabNlbSessions $State $Cluster ([string]$Node.Name))
}

function ConvertTo-LabIPv4Number {
    param([string]$Text)
    $address = $null
    if (-not [System.Net.IPAddress]::TryParse($Text, [ref]$address) -or [string]$address.AddressFamily -ne 'InterNetwork' -or $address.ToString() -ne $Text) { return $null }
    $bytes = $address.GetAddressBytes()
    return ([uint32]$bytes[0] * 16777216 + [uint32]$bytes[1] * 65536 + [uint32]$bytes[2] * 256 + [uint32]$bytes[3])
}

# Addresses that answer a ping on the lab's network: every server's interfaces, the DNS servers,
# a DAG's cluster address (its name's A record), the VIP of every cluster with a started node,
# and the devices listed in network.Answering (printers, appliances: whatever a test puts there).
function Test-LabAddressAnswers {
    param([object]$State, [string]$Address)
    foreach ($server in (Get-LabSection $State 'servers')) {
        foreach ($interface in @(Get-LabNlbInterfaceList $State $server)) { if ($interface.IPAddress -eq $Address) { return $true } }
        if ((Get-LabServerAddress $State $server) -eq $Address) { return $true }
    }
    $dags = @(Get-LabSection $State 'databaseAvailabilityGroups' | ForEach-Object { [string]$_.Name })
    $dns = $State.PSObject.Properties['dns']
    if ($null -ne $dns -and $null -ne $dns.Value) {
        foreach ($dnsServer in (Get-LabSection $dns.Value 'servers')) {
            if ([string]$dnsServer.IPv4Address -eq $Address) { return $true }
            foreach ($zone in (Get-LabSection $dnsServer 'Zones')) {
                foreach ($record in (Get-LabSection $zone 'Records')) {
                    if ($dags -contains [string]$record.HostName -and [string]$record.IPv4Address -eq $Address) { return $true }
                }
            }
        }
    }
    foreach ($cluster in (Get-LabSection $State 'nlbClusters')) {
        if ([string]$cluster.IPAddress -eq $Address -and @(@($cluster.Nodes) | Where-Object { @('Converged', 'Draining') -contains [string]$_.State }).Count -gt 0) { return $true }
    }
    $network = $State.PSObject.Properties['network']
    if ($null -ne $network -and $null -ne $network.Value -and @(Get-LabSection $network.Value 'Answering') -contains $Address) { return $true }
    return $false
}

#endregion
#region Output objects -----------------------------------------------------------------------------

function New-LabNlbOutput {
    param([string]$Type, [System.Collections.IDictionary]$Properties)
    $output = New-Object System.Management.Automation.PSObject -Property $Properties
    $output.PSObject.TypeNames.Insert(0, $script:NlbTypePrefix + $Type)
    return $output
}

# Modes as Get-NlbCluster shows them (UNICAST in the docs' examples).
function ConvertTo-LabNlbClusterOutput {
    param([object]$Cluster, [string]$HostName)
    New-LabNlbOutput 'Cluster' ([ordered]@{ Name = [string]$Cluster.Name; IPAddress = [string]$Cluster.IPAddress; SubnetMask = [string]$Cluster.SubnetMask; Mode = ([string]$Cluster.Mode).ToUpperInvariant(); HostName = $HostName })
}

function ConvertTo-LabNlbNodeOutput {
    param([object]$Cluster, [object]$Node)
    New-LabNlbOutput 'Node' ([ordered]@{
            Cluster = [string]$Cluster.Name; Name = [string]$Node.Name; InterfaceName = [string]$Node.InterfaceName; State = (Get-LabNlbNodeState $Cluster $Node)
            HostPriority = [int]$Node.HostID; HostID = [int]$Node.HostID; InitialHostState = 'Started'
        })
}

# What Format-List * shows of a port rule [NLB-GETRULE]: 'All' is 255.255.255.255.
function ConvertTo-LabNlbRuleOutput {
    param([object]$Cluster, [object]$Rule, [string]$NodeName)
    $vip = [string]$Rule.IPAddress
    if ($vip -eq 'All') { $vip = '255.255.255.255' }
    New-LabNlbOutput 'PortRule' ([ordered]@{
            Cluster = [string]$Cluster.Name; NodeName = $NodeName; VirtualIPAddress = $vip; StartPort = [int]$Rule.StartPort; EndPort = [int]$Rule.EndPort
            Affinity = [string]$Rule.Affinity; FilteringMode = [string]$Rule.Mode; Protocol = [string]$Rule.Protocol; PortState = [string]$Rule.State; Timeout = [int]$Rule.Timeout
        })
}

#endregion
#region Cmdlets ------------------------------------------------------------------------------------

# An enum argument in the cmdlet's own spelling (Unicast, IgmpMulticast, Tcp, ...), whatever the case given.
function ConvertTo-LabNlbName {
    param([object]$Value, [string[]]$Names)
    foreach ($name in $Names) { if ($name -eq [string]$Value) { return $name } }
    return [string]$Value
}

function New-LabNlbError {
    param([string]$Message, [string]$Command, [System.Management.Automation.ErrorCategory]$Category = 'InvalidOperation', [object]$Target = $null)
    $class = $Command.Replace('-', '')
    New-LabWindowsError 'System.InvalidOperationException' $Message ('NlbError,' + $script:NlbTypePrefix + $class) $Category $Target
}

# The host a cmdlet addresses: -HostName (a name or FQDN; '.' or none: the server the script runs on).
function Resolve-LabNlbHost {
    param([object]$State, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $name = $Computer
    if ($Bound.ContainsKey('HostName') -and -not [string]::IsNullOrEmpty([string]$Bound['HostName']) -and [string]$Bound['HostName'] -ne '.') { $name = [string]$Bound['HostName'] }
    return @{ Name = $name; Server = (Find-LabWindowsServer $State $name) }
}

# The cluster an -InputObject (a cluster, node or port rule object of the lab's) or -HostName and
# -InterfaceName mean, or an error record. Inside Update-LabState, on the state being changed.
function Resolve-LabNlbTarget {
    param([object]$State, [string]$Computer, [System.Collections.IDictionary]$Bound, [string]$Command)
    if ($Bound.ContainsKey('InputObject')) {
        $item = @($Bound['InputObject'])[0]
        foreach ($cluster in (Get-LabSection $State 'nlbClusters')) {
            $match = ($null -ne $item.PSObject.Properties['IPAddress'] -and [string]$item.IPAddress -eq [string]$cluster.IPAddress) -or
            ($null -ne $item.PSObject.Properties['Cluster'] -and [string]$item.Cluster -eq [string]$cluster.Name)
            if ($match) {
                $node = $null
                if ($null -ne $item.PSObject.Properties['HostID']) { $node = Find-LabNlbNode $cluster ([string]$item.Name) }
                return @{ Cluster = $cluster; Node = $node; Item = $item }
            }
        }
        return (New-LabNlbError ([string]::Format($script:NlbMsg.NoCluster, $Computer)) $Command 'ObjectNotFound' $item)
    }
    $target = Resolve-LabNlbHost $State $Computer $Bound
    if ($null -eq $target.Server) { return (New-LabNlbError ([string]::Format($script:NlbMsg.HostUnreachable, $target.Name)) $Command 'ConnectionError' $target.Name) }
    $interface = ''
    if ($Bound.ContainsKey('InterfaceName')) { $interface = [string]$Bound['InterfaceName'] }
    $cluster = Find-LabNlbCluster $State ([string]$target.Server.Name) $interface
    if ($null -eq $cluster) {
        if ($interface -ne '') { return (New-LabNlbError ([string]::Format($script:NlbMsg.NotBound, $interface, $target.Server.Name)) $Command 'ObjectNotFound' $target.Name) }
        return (New-LabNlbError ([string]::Format($script:NlbMsg.NoCluster, $target.Server.Name)) $Command 'ObjectNotFound' $target.Name)
    }
    return @{ Cluster = $cluster; Node = (Find-LabNlbNode $cluster ([string]$target.Server.Name)); Item = $null }
}

# Runs $Change on the cluster the command targets, under the state lock: $Change gets
# ($state, $target, $context). A target that cannot be found gives its error record.
function Update-LabNlbTarget {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound, [string]$Command, [scriptblock]$Change)
    Update-LabState $Cmdlet {
        param($s, $c)
        $target = Resolve-LabNlbTarget $s $Computer $Bound $Command
        if ($target -is [System.Management.Automation.ErrorRecord]) { $target; return }
        & $Change $s $target $c
    }
}

function Invoke-LabNlbGetInterface {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $state = Read-LabState $Cmdlet
    $target = Resolve-LabNlbHost $state $Computer $Bound
    if ($null -eq $target.Server) { return (New-LabNlbError ([string]::Format($script:NlbMsg.HostUnreachable, $target.Name)) 'Get-NlbClusterNodeNetworkInterface' 'ConnectionError' $target.Name) }
    foreach ($interface in @(Get-LabNlbInterfaceList $state $target.Server)) {
        if ($Bound.ContainsKey('InterfaceName') -and [string]$Bound['InterfaceName'] -ne $interface.InterfaceName) { continue }
        $cluster = Find-LabNlbCluster $state ([string]$target.Server.Name) $interface.InterfaceName
        $name = ''; $ip = ''; $mask = ''
        if ($null -ne $cluster) { $name = [string]$cluster.Name; $ip = [string]$cluster.IPAddress; $mask = [string]$cluster.SubnetMask }
        New-LabNlbOutput 'NetworkInterface' ([ordered]@{
                InterfaceName = $interface.InterfaceName; NlbBound = ($null -ne $cluster); Cluster = $name; DhcpEnabled = $interface.DhcpEnabled
                InterfaceIP = $interface.IPAddress; InterfaceSubnetMask = $interface.SubnetMask; ClusterPrimaryIP = $ip; ClusterSubnetMask = $mask
            })
    }
}

function Invoke-LabNlbGetCluster {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $state = Read-LabState $Cmdlet
    $target = Resolve-LabNlbHost $state $Computer $Bound
    if ($null -eq $target.Server) { return (New-LabNlbError ([string]::Format($script:NlbMsg.HostUnreachable, $target.Name)) 'Get-NlbCluster' 'ConnectionError' $target.Name) }
    $interface = ''
    if ($Bound.ContainsKey('InterfaceName')) { $interface = [string]$Bound['InterfaceName'] }
    # A host that is in no cluster gives nothing (an inference: what the real cmdlet says is unknown).
    $cluster = Find-LabNlbCluster $state ([string]$target.Server.Name) $interface
    if ($null -ne $cluster) { ConvertTo-LabNlbClusterOutput $cluster ([string]$target.Server.Name) }
}

function Invoke-LabNlbNewCluster {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    Update-LabState $Cmdlet {
        param($s, $c)
        $target = Resolve-LabNlbHost $s $Computer $Bound
        if ($null -eq $target.Server) { New-LabNlbError ([string]::Format($script:NlbMsg.HostUnreachable, $target.Name)) 'New-NlbCluster' 'ConnectionError' $target.Name; return }
        $server = $target.Server
        $interfaceName = [string]$Bound['InterfaceName']
        $interface = @(Get-LabNlbInterfaceList $s $server | Where-Object { $_.InterfaceName -eq $interfaceName })[0]
        if ($null -eq $interface) { New-LabNlbError ([string]::Format($script:NlbMsg.NoInterface, $interfaceName, $server.Name)) 'New-NlbCluster' 'ObjectNotFound' $interfaceName; return }
        $existing = Find-LabNlbCluster $s ([string]$server.Name) $interfaceName
        if ($null -ne $existing) { New-LabNlbError ([string]::Format($script:NlbMsg.AlreadyBound, $interfaceName, $server.Name, $existing.Name, $existing.IPAddress)) 'New-NlbCluster' 'ResourceExists' $interfaceName; return }
        if ($interface.DhcpEnabled -and -not ($Bound.ContainsKey('Force') -and [bool]$Bound['Force'])) { New-LabNlbError ([string]::Format($script:NlbMsg.Dhcp, $interfaceName, $server.Name)) 'New-NlbCluster' 'InvalidOperation' $interfaceName; return }
        $vip = [string]$Bound['ClusterPrimaryIP']
        $mask = $interface.SubnetMask
        if ($Bound.ContainsKey('SubnetMask')) { $mask = [string]$Bound['SubnetMask'] }
        $name = $vip
        if ($Bound.ContainsKey('ClusterName')) { $name = [string]$Bound['ClusterName'] }
        $mode = 'Unicast'
        if ($Bound.ContainsKey('OperationMode')) { $mode = ConvertTo-LabNlbName $Bound['OperationMode'] $script:NlbModes }
        $cluster = New-Object System.Management.Automation.PSObject -Property ([ordered]@{
                Name = $name; IPAddress = $vip; SubnetMask = $mask; Mode = $mode; ConvergeReads = 1
                Nodes = @(New-LabNlbNode ([string]$server.Name) $interfaceName 1); PortRules = @(New-LabNlbRule); Events = @()
            })
        Start-LabNlbConvergence $cluster
        Add-LabNlbBindEvent $cluster $server
        Set-LabProperty $s 'nlbClusters' (@(Get-LabSection $s 'nlbClusters') + $cluster)
        $c.Commit = $true
        ConvertTo-LabNlbClusterOutput $cluster ([string]$server.Name)
    }
}

function Invoke-LabNlbSetCluster {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    Update-LabNlbTarget $Cmdlet $Computer $Bound 'Set-NlbCluster' {
        param($s, $t, $c)
        $cluster = $t.Cluster
        if ($Bound.ContainsKey('OperationMode')) { $cluster.Mode = ConvertTo-LabNlbName $Bound['OperationMode'] $script:NlbModes }
        if ($Bound.ContainsKey('ClusterName')) { $cluster.Name = [string]$Bound['ClusterName'] }
        if ($Bound.ContainsKey('ClusterPrimaryIP')) { $cluster.IPAddress = [string]$Bound['ClusterPrimaryIP'] }
        if ($Bound.ContainsKey('SubnetMask')) { $cluster.SubnetMask = [string]$Bound['SubnetMask'] }
        Start-LabNlbConvergence $cluster
        $c.Commit = $true
        ConvertTo-LabNlbClusterOutput $cluster ''
    }
}

# Remove-NlbCluster asks first unless -Force ("Prompts unless -Force" [NLB-REM]); a
# -NonInteractive host fails on the question, as the real prompt does.
function Confirm-LabNlb {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [System.Collections.IDictionary]$Bound, [string]$Query)
    if ($Bound.ContainsKey('Force') -and [bool]$Bound['Force']) { return $true }
    return $Cmdlet.ShouldContinue($Query, 'Confirm')
}

function Invoke-LabNlbRemoveCluster {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $state = Read-LabState $Cmdlet
    $found = Resolve-LabNlbTarget $state $Computer $Bound 'Remove-NlbCluster'
    if ($found -is [System.Management.Automation.ErrorRecord]) { return $found }
    if (-not (Confirm-LabNlb $Cmdlet $Bound ([string]::Format($script:NlbMsg.ConfirmCluster, $found.Cluster.Name, $found.Cluster.IPAddress)))) { return }
    Update-LabNlbTarget $Cmdlet $Computer $Bound 'Remove-NlbCluster' {
        param($s, $t, $c)
        foreach ($node in @($t.Cluster.Nodes)) { [void](Move-LabNlbSessions $s $t.Cluster ([string]$node.Name)) }
        Set-LabProperty $s 'nlbClusters' @(@(Get-LabSection $s 'nlbClusters') | Where-Object { [string]$_.IPAddress -ne [string]$t.Cluster.IPAddress })
        $c.Commit = $true
        if ($Bound.ContainsKey('PassThru') -and [bool]$Bound['PassThru']) { ConvertTo-LabNlbClusterOutput $t.Cluster '' }
    }
}

# Get-NlbClusterNode: each read is a moment of the cluster's convergence passing.
function Invoke-LabNlbGetNode {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    Update-LabNlbTarget $Cmdlet $Computer $Bound 'Get-NlbClusterNode' {
        param($s, $t, $c)
        if (Complete-LabNlbDrain $s) { $c.Commit = $true }
        foreach ($node in @($t.Cluster.Nodes | Sort-Object { [int]$_.HostID })) {
            if ($Bound.ContainsKey('NodeName') -and [string]$Bound['NodeName'] -ne [string]$node.Name) { continue }
            ConvertTo-LabNlbNodeOutput $t.Cluster $node
        }
        foreach ($node in @($t.Cluster.Nodes)) {
            if ([int]$node.Converging -gt 0) { $node.Converging = [int]$node.Converging - 1; $c.Commit = $true }
        }
    }
}

function Invoke-LabNlbAddNode {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    Update-LabNlbTarget $Cmdlet $Computer $Bound 'Add-NlbClusterNode' {
        param($s, $t, $c)
        $cluster = $t.Cluster
        $newName = [string]$Bound['NewNodeName']
        $newInterface = [string]$Bound['NewNodeInterface']
        $server = Find-LabWindowsServer $s $newName
        if ($null -eq $server) { New-LabNlbError ([string]::Format($script:NlbMsg.HostUnreachable, $newName)) 'Add-NlbClusterNode' 'ConnectionError' $newName; return }
        $interface = @(Get-LabNlbInterfaceList $s $server | Where-Object { $_.InterfaceName -eq $newInterface })[0]
        if ($null -eq $interface) { New-LabNlbError ([string]::Format($script:NlbMsg.NoInterface, $newInterface, $server.Name)) 'Add-NlbClusterNode' 'ObjectNotFound' $newInterface; return }
        $existing = Find-LabNlbCluster $s ([string]$server.Name) $newInterface
        if ($null -ne $existing) { New-LabNlbError ([string]::Format($script:NlbMsg.AlreadyBound, $newInterface, $server.Name, $existing.Name, $existing.IPAddress)) 'Add-NlbClusterNode' 'ResourceExists' $newName; return }
        $ids = @(@($cluster.Nodes) | ForEach-Object { [int]$_.HostID })
        $id = 1
        while ($ids -contains $id) { $id++ }
        $node = New-LabNlbNode ([string]$server.Name) $newInterface $id
        $cluster.Nodes = @(@($cluster.Nodes) + $node)
        Start-LabNlbConvergence $cluster
        Add-LabNlbBindEvent $cluster $server
        $c.Commit = $true
        ConvertTo-LabNlbNodeOutput $cluster $node
    }
}

function Invoke-LabNlbRemoveNode {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $state = Read-LabState $Cmdlet
    $found = Resolve-LabNlbTarget $state $Computer $Bound 'Remove-NlbClusterNode'
    if ($found -is [System.Management.Automation.ErrorRecord]) { return $found }
    if (-not (Confirm-LabNlb $Cmdlet $Bound ([string]::Format($script:NlbMsg.ConfirmNode, $found.Node.Name, $found.Cluster.Name)))) { return }
    Update-LabNlbTarget $Cmdlet $Computer $Bound 'Remove-NlbClusterNode' {
        param($s, $t, $c)
        $cluster = $t.Cluster
        [void](Move-LabNlbSessions $s $cluster ([string]$t.Node.Name))
        Add-LabNlbOperation $cluster ('Remove ' + [string]$t.Node.Name)
        $cluster.Nodes = @(@($cluster.Nodes) | Where-Object { [string]$_.Name -ne [string]$t.Node.Name })
        # The last node leaving takes the cluster with it (an inference).
        if (@($cluster.Nodes).Count -eq 0) { Set-LabProperty $s 'nlbClusters' @(@(Get-LabSection $s 'nlbClusters') | Where-Object { [string]$_.IPAddress -ne [string]$cluster.IPAddress }) }
        else { Start-LabNlbConvergence $cluster }
        $c.Commit = $true
        if ($Bound.ContainsKey('PassThru') -and [bool]$Bound['PassThru']) { ConvertTo-LabNlbNodeOutput $cluster $t.Node }
    }
}

# Start, Stop (with -Drain and -Timeout), Suspend, Resume of one node. A drain lets open
# connections finish and takes no new ones: Outlook's RPC sessions are long-lived, so with
# -Timeout the node stops once the timeout has passed (the lab does not wait it out) and the
# sessions still open are cut; without -Timeout it stays Draining until its sessions are gone.
# Resume leaves the node Stopped: cluster operations are allowed again, Start starts it (inference).
function Invoke-LabNlbNodeControl {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound, [string]$Verb)
    $command = $Verb + '-NlbClusterNode'
    Update-LabNlbTarget $Cmdlet $Computer $Bound $command {
        param($s, $t, $c)
        $cluster = $t.Cluster
        $node = $t.Node
        if ($null -eq $node) { New-LabNlbError ([string]::Format($script:NlbMsg.NoCluster, $Computer)) $command 'ObjectNotFound' $Computer; return }
        $state = [string]$node.State
        $drain = $Bound.ContainsKey('Drain') -and [bool]$Bound['Drain']
        $text = $Verb
        if ($drain) { $text += ' -Drain' }
        if ($Bound.ContainsKey('Timeout') -and $null -ne $Bound['Timeout']) { $text += ' -Timeout ' + [string]$Bound['Timeout'] }
        Add-LabNlbOperation $cluster ($text + ' ' + [string]$node.Name)
        switch ($Verb) {
            'Start' {
                if ($state -eq 'Stopped' -or $state -eq 'Draining') { $node.State = 'Converged'; Start-LabNlbConvergence $cluster }
            }
            'Resume' { if ($state -eq 'Suspended') { $node.State = 'Stopped' } }
            'Suspend' { if ($state -ne 'Suspended') { Stop-LabNlbNodeInState $s $cluster $node 'Suspended'; Start-LabNlbConvergence $cluster } }
            'Stop' {
                if ($state -eq 'Converged' -or $state -eq 'Draining') {
                    $sessions = [int](Get-LabWindows (Find-LabWindowsServer $s ([string]$node.Name))).OutlookSessions
                    if ($drain -and $sessions -gt 0 -and -not $Bound.ContainsKey('Timeout')) { $node.State = 'Draining'; $node.Converging = 0 }
                    else { Stop-LabNlbNodeInState $s $cluster $node }
                    Start-LabNlbConvergence $cluster
                }
            }
        }
        $c.Commit = $true
        ConvertTo-LabNlbNodeOutput $cluster $node
    }
}

# A draining node whose sessions have all ended (the admin set OutlookSessions to 0) is stopped.
function Complete-LabNlbDrain {
    param([object]$State)
    $changed = $false
    foreach ($cluster in (Get-LabSection $State 'nlbClusters')) {
        foreach ($node in @($cluster.Nodes)) {
            if ([string]$node.State -ne 'Draining') { continue }
            if ([int](Get-LabWindows (Find-LabWindowsServer $State ([string]$node.Name))).OutlookSessions -eq 0) { $node.State = 'Stopped'; $changed = $true }
        }
    }
    return $changed
}

function Invoke-LabNlbGetRule {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $state = Read-LabState $Cmdlet
    $target = Resolve-LabNlbTarget $state $Computer $Bound 'Get-NlbClusterPortRule'
    if ($target -is [System.Management.Automation.ErrorRecord]) { return $target }
    $nodeName = ''
    if ($Bound.ContainsKey('NodeName')) { $nodeName = [string]$Bound['NodeName'] }
    foreach ($rule in @($target.Cluster.PortRules | Sort-Object { [int]$_.StartPort })) {
        if ($Bound.ContainsKey('Port') -and -not ([int]$Bound['Port'] -ge [int]$rule.StartPort -and [int]$Bound['Port'] -le [int]$rule.EndPort)) { continue }
        if ($Bound.ContainsKey('IP') -and [string]$Bound['IP'] -ne [string]$rule.IPAddress) { continue }
        ConvertTo-LabNlbRuleOutput $target.Cluster $rule $nodeName
    }
}

function Invoke-LabNlbAddRule {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    Update-LabNlbTarget $Cmdlet $Computer $Bound 'Add-NlbClusterPortRule' {
        param($s, $t, $c)
        $cluster = $t.Cluster
        $start = [int]$Bound['StartPort']
        $end = [int]$Bound['EndPort']
        foreach ($port in $start, $end) {
            if ($port -lt 0 -or $port -gt 65535) { New-LabNlbError ([string]::Format($script:NlbMsg.BadPort, $port)) 'Add-NlbClusterPortRule' 'InvalidArgument' $port; return }
        }
        $ip = 'All'
        if ($Bound.ContainsKey('IP')) { $ip = [string]$Bound['IP'] }
        foreach ($rule in @($cluster.PortRules)) {
            $sameAddress = ([string]$rule.IPAddress -eq 'All' -or $ip -eq 'All' -or [string]$rule.IPAddress -eq $ip)
            if ($sameAddress -and $start -le [int]$rule.EndPort -and $end -ge [int]$rule.StartPort) {
                New-LabNlbError ([string]::Format($script:NlbMsg.RuleOverlap, $start, $end, $rule.StartPort, $rule.EndPort)) 'Add-NlbClusterPortRule' 'ResourceExists' $start
                return
            }
        }
        $defaults = @{ Protocol = 'Both'; Mode = 'Multiple'; Affinity = 'Single'; Timeout = 0 }
        foreach ($key in @($defaults.Keys)) { if ($Bound.ContainsKey($key)) { $defaults[$key] = ConvertTo-LabNlbName ([string]$Bound[$key]) $script:NlbRuleNames } }
        $rule = New-LabNlbRule $ip $start $end ([string]$defaults.Protocol) ([string]$defaults.Mode) ([string]$defaults.Affinity) ([int]$defaults.Timeout)
        $cluster.PortRules = @(@($cluster.PortRules) + $rule)
        Start-LabNlbConvergence $cluster
        $c.Commit = $true
        ConvertTo-LabNlbRuleOutput $cluster $rule ''
    }
}

function Invoke-LabNlbRemoveRule {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $port = -1
    if ($Bound.ContainsKey('InputObject')) { $port = [int]@($Bound['InputObject'])[0].StartPort }
    elseif ($Bound.ContainsKey('Port')) { $port = [int]$Bound['Port'] }
    $state = Read-LabState $Cmdlet
    $found = Resolve-LabNlbTarget $state $Computer $Bound 'Remove-NlbClusterPortRule'
    if ($found -is [System.Management.Automation.ErrorRecord]) { return $found }
    $rule = @(@($found.Cluster.PortRules) | Where-Object { $port -ge [int]$_.StartPort -and $port -le [int]$_.EndPort })[0]
    if ($null -eq $rule) { return (New-LabNlbError ([string]::Format($script:NlbMsg.NoRule, $found.Cluster.Name, $port)) 'Remove-NlbClusterPortRule' 'ObjectNotFound' $port) }
    if (-not (Confirm-LabNlb $Cmdlet $Bound ([string]::Format($script:NlbMsg.ConfirmRule, $rule.StartPort, $rule.EndPort, $found.Cluster.Name)))) { return }
    Update-LabNlbTarget $Cmdlet $Computer $Bound 'Remove-NlbClusterPortRule' {
        param($s, $t, $c)
        $cluster = $t.Cluster
        $cluster.PortRules = @(@($cluster.PortRules) | Where-Object { -not ($port -ge [int]$_.StartPort -and $port -le [int]$_.EndPort) })
        Start-LabNlbConvergence $cluster
        $c.Commit = $true
        if ($Bound.ContainsKey('PassThru') -and [bool]$Bound['PassThru']) { ConvertTo-LabNlbRuleOutput $cluster $rule '' }
    }
}

# Set-NlbClusterPortRule: -Port (or -InputObject) picks the rule containing that port.
function Invoke-LabNlbSetRule {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $port = -1
    if ($Bound.ContainsKey('InputObject')) { $port = [int]@($Bound['InputObject'])[0].StartPort }
    elseif ($Bound.ContainsKey('Port')) { $port = [int]$Bound['Port'] }
    Update-LabNlbTarget $Cmdlet $Computer $Bound 'Set-NlbClusterPortRule' {
        param($s, $t, $c)
        $cluster = $t.Cluster
        $rule = @(@($cluster.PortRules) | Where-Object { $port -ge [int]$_.StartPort -and $port -le [int]$_.EndPort })[0]
        if ($null -eq $rule) { New-LabNlbError ([string]::Format($script:NlbMsg.NoRule, $cluster.Name, $port)) 'Set-NlbClusterPortRule' 'ObjectNotFound' $port; return }
        $map = [ordered]@{ NewIP = 'IPAddress'; NewProtocol = 'Protocol'; NewStartPort = 'StartPort'; NewEndPort = 'EndPort'; NewMode = 'Mode'; NewAffinity = 'Affinity'; NewTimeout = 'Timeout' }
        foreach ($key in $map.Keys) {
            if (-not $Bound.ContainsKey($key)) { continue }
            if (@('NewStartPort', 'NewEndPort', 'NewTimeout') -contains $key) { $rule.($map[$key]) = [int]$Bound[$key] }
            else { $rule.($map[$key]) = ConvertTo-LabNlbName ([string]$Bound[$key]) $script:NlbRuleNames }
        }
        Start-LabNlbConvergence $cluster
        $c.Commit = $true
        ConvertTo-LabNlbRuleOutput $cluster $rule ''
    }
}

#endregion
