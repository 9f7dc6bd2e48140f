<#
ExchangeLab.NlbRemote: the NetworkLoadBalancingClusters cmdlets (ExchangeLab.Nlb.ps1) as a script sent
to a lab server finds them: with Windows Server 2008 R2's parameter sets, after
`Import-Module NetworkLoadBalancingClusters` (PowerShell 2.0 loads no module by itself), plus
Test-Connection (a ping from that server) and the console's Get-ExchangeLabNlbCluster.

How it joins the remote host of ExchangeLab.Windows.ps1 (dot-sourced after it, nothing there is
changed): its commands are added to $script:LabShadowParams, the host's source is generated again
(Get-LabRemoteHostSource), and $script:LabWindowsBridge is wrapped so that these commands reach
Invoke-LabNlbShadow and every other one still reaches Invoke-LabWindowsShadow.

Same rules as the module: runs on Windows PowerShell 5.1 and PowerShell 7.
#>

# The parameter sets, from the 2008 R2 reference [NLB-2008R2] where it differs from today's (the
# -HostName alias is hn; Stop-NlbClusterNode's -Timeout is a Nullable<UInt32>); ids of
# parameter sets are today's.
$script:LabNlbHost = "[Alias('hn')][string]`$HostName"
$script:LabNlbShadowParams = [ordered]@{
    'Get-NlbCluster'                     = @"
[CmdletBinding()]
param([Parameter(Position = 0)]$script:LabNlbHost, [Parameter(Position = 1)][string]`$InterfaceName)
"@
    'New-NlbCluster'                     = @"
[CmdletBinding()]
param([Parameter(Position = 0)]$script:LabNlbHost,
    [Parameter(Mandatory = `$true, Position = 1)][string]`$InterfaceName,
    [Alias('Name', 'CN', 'N')][string]`$ClusterName,
    [Parameter(Mandatory = `$true, Position = 2)][Alias('PrimaryIP', 'IPAddress', 'IP')][System.Net.IPAddress]`$ClusterPrimaryIP,
    [System.Net.IPAddress]`$SubnetMask, [Alias('DIP')][System.Net.IPAddress]`$DedicatedIP, [Alias('DIPSubnetMask')][System.Net.IPAddress]`$DedicatedIPSubnetMask,
    [switch]`$Force, [Alias('Mode')][ValidateSet('Unicast', 'Multicast', 'IgmpMulticast')][string]`$OperationMode)
"@
    'Set-NlbCluster'                     = @"
[CmdletBinding(DefaultParameterSetName = 'NonPipeline')]
param([Parameter(ParameterSetName = 'NonPipeline', Position = 0)]$script:LabNlbHost,
    [Parameter(ParameterSetName = 'NonPipeline', Position = 1)][string]`$InterfaceName,
    [Parameter(ParameterSetName = 'Pipeline', Mandatory = `$true, ValueFromPipeline = `$true)][object[]]`$InputObject,
    [Alias('Name')][string]`$ClusterName, [Alias('IP')][System.Net.IPAddress]`$ClusterPrimaryIP, [System.Net.IPAddress]`$SubnetMask,
    [Alias('Mode')][ValidateSet('Unicast', 'Multicast', 'IgmpMulticast')][string]`$OperationMode)
"@
    'Remove-NlbCluster'                  = @"
[CmdletBinding(DefaultParameterSetName = 'NonPipeline')]
param([Parameter(ParameterSetName = 'NonPipeline', Position = 0)]$script:LabNlbHost,
    [Parameter(ParameterSetName = 'NonPipeline', Position = 1)][string]`$InterfaceName,
    [Parameter(ParameterSetName = 'Pipeline', Mandatory = `$true, ValueFromPipeline = `$true)][object[]]`$InputObject,
    [switch]`$Force, [switch]`$PassThru)
"@
    'Get-NlbClusterNode'                 = @"
[CmdletBinding(DefaultParameterSetName = 'NonPipeline')]
param([Parameter(Position = 0)][string]`$NodeName,
    [Parameter(ParameterSetName = 'NonPipeline')]$script:LabNlbHost, [Parameter(ParameterSetName = 'NonPipeline')][string]`$InterfaceName,
    [Parameter(ParameterSetName = 'Pipeline', Mandatory = `$true, ValueFromPipeline = `$true)][object]`$InputObject)
"@
    'Add-NlbClusterNode'                 = @"
[CmdletBinding(DefaultParameterSetName = 'NonPipeline')]
param([Parameter(ParameterSetName = 'NonPipeline')]$script:LabNlbHost,
    [Parameter(ParameterSetName = 'NonPipeline', Mandatory = `$true)][string]`$InterfaceName,
    [Parameter(ParameterSetName = 'Pipeline', Mandatory = `$true, ValueFromPipeline = `$true)][object[]]`$InputObject,
    [Parameter(Mandatory = `$true, Position = 0)][string]`$NewNodeName, [Parameter(Mandatory = `$true, Position = 1)][string]`$NewNodeInterface, [switch]`$Force)
"@
    'Remove-NlbClusterNode'              = @"
[CmdletBinding(DefaultParameterSetName = 'NonPipeline')]
param([Parameter(ParameterSetName = 'NonPipeline', Position = 0)]$script:LabNlbHost, [Parameter(ParameterSetName = 'NonPipeline')][string]`$InterfaceName,
    [Parameter(ParameterSetName = 'Pipeline', Mandatory = `$true, ValueFromPipeline = `$true)][object[]]`$InputObject, [switch]`$Force, [switch]`$PassThru)
"@
    'Get-NlbClusterPortRule'             = @"
[CmdletBinding(DefaultParameterSetName = 'NonPipeline')]
param([Parameter(ParameterSetName = 'NonPipeline')]$script:LabNlbHost, [Parameter(ParameterSetName = 'NonPipeline')][string]`$InterfaceName,
    [Parameter(ParameterSetName = 'NonPipeline')][string]`$NodeName,
    [Parameter(ParameterSetName = 'Pipeline', Mandatory = `$true, ValueFromPipeline = `$true)][object[]]`$InputObject,
    [System.Net.IPAddress]`$IP, [Parameter(Position = 0)][uint32]`$Port)
"@
    'Add-NlbClusterPortRule'             = @"
[CmdletBinding(DefaultParameterSetName = 'NonPipeline')]
param([Parameter(ParameterSetName = 'NonPipeline')]$script:LabNlbHost, [Parameter(ParameterSetName = 'NonPipeline', Mandatory = `$true)][string]`$InterfaceName,
    [Parameter(ParameterSetName = 'Pipeline', Mandatory = `$true, ValueFromPipeline = `$true)][object[]]`$InputObject,
    [System.Net.IPAddress]`$IP, [ValidateSet('Both', 'Tcp', 'Udp')][string]`$Protocol,
    [Parameter(Mandatory = `$true, Position = 0)][int]`$StartPort, [Parameter(Mandatory = `$true, Position = 1)][int]`$EndPort,
    [ValidateSet('Multiple', 'Single', 'Disabled')][string]`$Mode, [ValidateSet('Single', 'None', 'Network')][string]`$Affinity, [uint32]`$Timeout)
"@
    'Set-NlbClusterPortRule'             = @"
[CmdletBinding(DefaultParameterSetName = 'NonPipeline')]
param([Parameter(ParameterSetName = 'NonPipeline')]$script:LabNlbHost, [Parameter(ParameterSetName = 'NonPipeline')][string]`$InterfaceName,
    [Parameter(ParameterSetName = 'NonPipeline')][System.Net.IPAddress]`$IP, [Parameter(ParameterSetName = 'NonPipeline', Position = 0)][uint32]`$Port,
    [Parameter(ParameterSetName = 'Pipeline', Mandatory = `$true, ValueFromPipeline = `$true)][object[]]`$InputObject,
    [System.Net.IPAddress]`$NewIP, [ValidateSet('Both', 'Tcp', 'Udp')][string]`$NewProtocol, [int]`$NewStartPort, [int]`$NewEndPort,
    [ValidateSet('Multiple', 'Single', 'Disabled')][string]`$NewMode, [ValidateSet('Single', 'None', 'Network')][string]`$NewAffinity, [uint32]`$NewTimeout)
"@
    'Remove-NlbClusterPortRule'          = @"
[CmdletBinding(DefaultParameterSetName = 'NonPipeline')]
param([Parameter(ParameterSetName = 'NonPipeline')]$script:LabNlbHost, [Parameter(ParameterSetName = 'NonPipeline', Mandatory = `$true)][string]`$InterfaceName,
    [Parameter(ParameterSetName = 'NonPipeline', Mandatory = `$true)][System.Net.IPAddress]`$IP, [Parameter(ParameterSetName = 'NonPipeline', Position = 0)][uint32]`$Port,
    [Parameter(ParameterSetName = 'Pipeline', Mandatory = `$true, ValueFromPipeline = `$true)][object[]]`$InputObject, [switch]`$Force, [switch]`$PassThru)
"@
    'Get-NlbClusterNodeNetworkInterface' = @"
[CmdletBinding()]
param([Parameter(Position = 0)]$script:LabNlbHost, [Parameter(Position = 1)][string]`$InterfaceName)
"@
    'Import-Module'                      = @"
[CmdletBinding(DefaultParameterSetName = 'Name')]
param([Parameter(ParameterSetName = 'Name', Mandatory = `$true, Position = 0, ValueFromPipeline = `$true)][string[]]`$Name,
    [switch]`$Global, [string]`$Prefix, [string[]]`$Function, [string[]]`$Cmdlet, [string[]]`$Variable, [string[]]`$Alias,
    [switch]`$Force, [switch]`$PassThru, [switch]`$AsCustomObject, [version]`$Version, [object[]]`$ArgumentList, [switch]`$DisableNameChecking)
"@
    'Test-Connection'                    = @"
[CmdletBinding()]
param([Parameter(Mandatory = `$true, Position = 0, ValueFromPipelineByPropertyName = `$true)][Alias('CN', 'IPAddress', '__SERVER', 'Server', 'Destination')][string[]]`$ComputerName,
    [switch]`$AsJob, [int]`$BufferSize, [int]`$Count = 4, [int]`$Delay, [switch]`$Quiet, [string[]]`$Source, [int]`$ThrottleLimit, [int]`$TimeToLive)
"@
}
# The node commands: Start/Resume (no -Drain), Stop/Suspend (-Drain, -Timeout).
foreach ($verb in 'Start', 'Stop', 'Suspend', 'Resume') {
    $drain = ''
    if ($verb -eq 'Stop' -or $verb -eq 'Suspend') { $drain = ", [switch]`$Drain, [System.Nullable[uint32]]`$Timeout" }
    $script:LabNlbShadowParams[$verb + '-NlbClusterNode'] = @"
[CmdletBinding(DefaultParameterSetName = 'NonPipeline')]
param([Parameter(ParameterSetName = 'NonPipeline', Position = 0)]$script:LabNlbHost, [Parameter(ParameterSetName = 'NonPipeline')][string]`$InterfaceName,
    [Parameter(ParameterSetName = 'Pipeline', Mandatory = `$true, ValueFromPipeline = `$true)][object[]]`$InputObject$drain)
"@
}

# Import-Module on a lab server: NetworkLoadBalancingClusters (when the NLB feature is installed,
# the default) and ServerManager load; any other module is not on the server. The error is
# PowerShell's own.
function Invoke-LabNlbImportModule {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $state = Read-LabState $Cmdlet
    $server = Find-LabWindowsServer $state $Computer
    foreach ($name in @($Bound['Name'])) {
        if ($name -eq 'ServerManager' -or ($name -eq 'NetworkLoadBalancingClusters' -and (Test-LabNlbFeature $server))) { continue }
        $record = New-LabWindowsError 'System.IO.FileNotFoundException' ([string]::Format($script:NlbMsg.ModuleNotFound, $name)) 'Modules_ModuleNotFound,Microsoft.PowerShell.Commands.ImportModuleCommand' 'ResourceUnavailable' $name
        $record
    }
}

# Test-Connection from a lab server: one answer per computer (-Quiet: $true or $false), from the
# lab's idea of what answers on the network (Test-LabAddressAnswers). The failure is PowerShell
# 2.0-5.1's text for a host that does not answer.
function Invoke-LabNlbTestConnection {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $state = Read-LabState $Cmdlet
    $quiet = $Bound.ContainsKey('Quiet') -and [bool]$Bound['Quiet']
    foreach ($name in @($Bound['ComputerName'])) {
        $address = [string]$name
        $server = Find-LabWindowsServer $state $address
        if ($null -ne $server) { $address = Get-LabServerAddress $state $server }
        $answers = Test-LabAddressAnswers $state $address
        if ($quiet) { $answers; continue }
        if ($answers) {
            $reply = New-Object System.Management.Automation.PSObject -Property ([ordered]@{ Source = $Computer; Address = [string]$name; IPV4Address = $address; ResponseTime = 0; StatusCode = 0 })
            $reply.PSObject.TypeNames.Insert(0, 'System.Management.ManagementObject#root\cimv2\Win32_PingStatus')
            $reply
            continue
        }
        New-LabWindowsError 'System.Net.NetworkInformation.PingException' ("Testing connection to computer '" + $name + "' failed: Error due to lack of resources") 'TestConnectionException,Microsoft.PowerShell.Commands.TestConnectionCommand' 'ResourceUnavailable' $name
    }
}

function Invoke-LabNlbShadow {
    param([string]$Command, [string]$Computer, [System.Management.Automation.PSCmdlet]$Cmdlet, [System.Collections.IDictionary]$Bound)
    switch ($Command) {
        'Import-Module' { Invoke-LabNlbImportModule $Cmdlet $Computer $Bound }
        'Test-Connection' { Invoke-LabNlbTestConnection $Cmdlet $Computer $Bound }
        'Get-NlbCluster' { Invoke-LabNlbGetCluster $Cmdlet $Computer $Bound }
        'New-NlbCluster' { Invoke-LabNlbNewCluster $Cmdlet $Computer $Bound }
        'Set-NlbCluster' { Invoke-LabNlbSetCluster $Cmdlet $Computer $Bound }
        'Remove-NlbCluster' { Invoke-LabNlbRemoveCluster $Cmdlet $Computer $Bound }
        'Get-NlbClusterNode' { Invoke-LabNlbGetNode $Cmdlet $Computer $Bound }
        'Add-NlbClusterNode' { Invoke-LabNlbAddNode $Cmdlet $Computer $Bound }
        'Remove-NlbClusterNode' { Invoke-LabNlbRemoveNode $Cmdlet $Computer $Bound }
        'Start-NlbClusterNode' { Invoke-LabNlbNodeControl $Cmdlet $Computer $Bound 'Start' }
        'Stop-NlbClusterNode' { Invoke-LabNlbNodeControl $Cmdlet $Computer $Bound 'Stop' }
        'Suspend-NlbClusterNode' { Invoke-LabNlbNodeControl $Cmdlet $Computer $Bound 'Suspend' }
        'Resume-NlbClusterNode' { Invoke-LabNlbNodeControl $Cmdlet $Computer $Bound 'Resume' }
        'Get-NlbClusterPortRule' { Invoke-LabNlbGetRule $Cmdlet $Computer $Bound }
        'Add-NlbClusterPortRule' { Invoke-LabNlbAddRule $Cmdlet $Computer $Bound }
        'Set-NlbClusterPortRule' { Invoke-LabNlbSetRule $Cmdlet $Computer $Bound }
        'Remove-NlbClusterPortRule' { Invoke-LabNlbRemoveRule $Cmdlet $Computer $Bound }
        'Get-NlbClusterNodeNetworkInterface' { Invoke-LabNlbGetInterface $Cmdlet $Computer $Bound }
    }
}

# Joining the remote host (see the header).
foreach ($name in $script:LabNlbShadowParams.Keys) { $script:LabShadowParams[$name] = @{ Process = $false; Params = $script:LabNlbShadowParams[$name] } }
$script:LabRemoteHostSource = Get-LabRemoteHostSource
$script:LabWindowsBridge = {
    param([string]$Command, [string]$Computer, $Cmdlet, $Bound)
    if ($script:LabNlbShadowParams.Contains($Command)) { Invoke-LabNlbShadow $Command $Computer $Cmdlet $Bound }
    else { Invoke-LabWindowsShadow $Command $Computer $Cmdlet $Bound }
}

<#
.SYNOPSIS
Returns the lab's NLB clusters as they are stored, with each node's state as Get-NlbClusterNode shows it.
.DESCRIPTION
One object per cluster: Name, IPAddress, SubnetMask, Mode, ConvergeReads, Nodes (Name,
InterfaceName, HostID, State, Converging: reads of Get-NlbClusterNode left before it shows
Converged), PortRules (IPAddress, StartPort, EndPort, Protocol, Mode, Affinity, Timeout, State)
Events (Server, Id, Source, Message: what the hosts logged, such as event 4096) and Operations
(the lab's own record of node controls in order, e.g. 'Stop -Drain -Timeout 60 HO-EX2010-CAS2',
'Remove HO-EX2010-CAS2'). Reading
changes nothing (unlike Get-NlbClusterNode, whose reads let convergence pass).
#>
function Get-ExchangeLabNlbCluster {
    [CmdletBinding()]
    param([Parameter(Position = 0)][string]$IPAddress)
    $state = Read-LabState $PSCmdlet
    foreach ($cluster in (Get-LabSection $state 'nlbClusters')) {
        if ($PSBoundParameters.ContainsKey('IPAddress') -and [string]$cluster.IPAddress -ne $IPAddress) { continue }
        foreach ($node in @($cluster.Nodes)) { Add-Member -InputObject $node -MemberType NoteProperty -Name Shown -Value (Get-LabNlbNodeState $cluster $node) -Force }
        $cluster
    }
}
