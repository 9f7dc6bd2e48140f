<#
ExchangeLab.Windows: the Windows side of each lab server, as the provider reaches it through
PowerShell remoting (WinRM) to a Client Access server: Windows Server 2008 R2 with PowerShell 2.0
and Exchange 2010 (LB-WIRING.md section 1). This file holds what the other Windows files share:
Windows' and WinRM's texts, the server's Windows section of the state (servers[].Windows, with its
defaults) and the helpers every emulated Windows command uses. The rest, one concern a file:

- ExchangeLab.Registry.ps1: the server's registry (HKLM) and the registry commands on it;
- ExchangeLab.Services.ps1: its Exchange services (which bind their RPC ports when they start),
  Get-Service and the service cmdlets, Win32_Service, the RPC Client Access user count, netstat;
- ExchangeLab.RemoteHost.ps1: Invoke-Command -ComputerName to a lab server (WinRM, the PowerShell
  2.0 check from lab/Ps2Compat, the remote host whose commands act on the server's state);
- ExchangeLab.WindowsAdmin.ps1: the admin at the server's console (remoting, registry, restarts,
  service faults, service packs).

Dot-sourced by ExchangeLab.psm1, so it shares the module's state helpers (Read-LabState,
Update-LabState, Set-LabProperty, ...). State: servers[].Windows (see README.md). A server without
it gets defaults computed from its name, stored at the first write. Same rules as the module: runs
on Windows PowerShell 5.1 and PowerShell 7 (none of the operators or parameters 5.1 lacks;
test/lab/module.test.ts checks).
#>

# Texts of Windows and WinRM. Where a text is the lab's own (no primary source found), it says so.
$script:WinMsg = @{
    # Invoke-Command -ComputerName: the PSRemotingTransportException messages of a broken session
    # (about_Remote_Troubleshooting; the id pairings are from published transcripts, LB-WIRING [WINRM-ERR]).
    RemotingDisabled   = 'Connecting to remote server {0} failed with the following error message : The client cannot connect to the destination specified in the request. Verify that the service on the destination is running and is accepting requests. Consult the logs and documentation for the WS-Management service running on the destination, most commonly IIS or WinRM. If the destination is the WinRM service, run the following command on the destination to analyze and configure the WinRM service: "winrm quickconfig". For more information, see the about_Remote_Troubleshooting Help topic.'
    Unreachable        = 'Connecting to remote server {0} failed with the following error message : WinRM cannot complete the operation. Verify that the specified computer name is valid, that the computer is accessible over the network, and that a firewall exception for the WinRM service is enabled and allows access from this computer. By default, the WinRM firewall exception for public profiles limits access to remote computers within the same local subnet. For more information, see the about_Remote_Troubleshooting Help topic.'
    UnknownComputer    = 'Connecting to remote server {0} failed with the following error message : WinRM cannot process the request. The following error occurred while using Kerberos authentication: Cannot find the computer {0}. Verify that the computer exists on the network and that the name provided is spelled correctly. For more information, see the about_Remote_Troubleshooting Help topic.'
    # The second hop: a logon without credentials to hand on (the jump host's SSH key logon, a
    # WinRM session's own) reaching on to a server with its own identity.
    AccessDenied       = 'Connecting to remote server {0} failed with the following error message : Access is denied. For more information, see the about_Remote_Troubleshooting Help topic.'
    # The lab's own text: a real PowerShell 2.0 host reports its own parse or type errors instead.
    PowerShell2        = 'The remote computer {0} runs Windows PowerShell 2.0, which cannot run this script: {1}'
    # The lab's own text: the lab does not emulate background or disconnected remote jobs.
    NotEmulated        = 'The Exchange lab does not emulate Invoke-Command -{0} to a lab server; run the command synchronously.'
    # Registry provider and .NET texts.
    PathNotFound       = "Cannot find path '{0}' because it does not exist."
    PropertyNotFound   = 'Property {0} does not exist at path {1}.'
    PropertyExists     = 'The property already exists.'
    KeyExists          = 'A key at this path already exists.'
    ValueNotFound      = 'The system cannot find the file specified.'
    # The lab's own text (New-ItemProperty with a value the type cannot hold).
    BadValue           = 'The value "{0}" cannot be stored as a registry value of type {1}.'
    # Service cmdlets (Windows PowerShell 5.1 texts; PowerShell 2.0's wording is unconfirmed).
    NoService          = "Cannot find any service with service name '{0}'."
    StartFailed        = "Failed to start service '{0} ({1})'."
    # Get-WmiObject, Get-Counter.
    WmiInvalidClass    = 'Invalid class "{0}"'
    WmiInvalidQuery    = 'Invalid query "{0}"'
    CounterNotFound    = 'The specified object was not found on the computer.'
    # Lab administration (the lab's own).
    ServerNotFound     = "The Exchange lab has no server '{0}'."
    ServiceNotFound    = "The lab server '{0}' has no service '{1}'."
    BadVersion         = "'{0}' is not an Exchange version string like 'Version 14.1 (Build 218.15)'."
}

# WSMan error codes behind the FullyQualifiedErrorIds PowerShell gives broken sessions
# (WSManTransportManagerUtils: 53 NetworkPathNotFound, 0x80338126 WinRMOperationTimeout,
# 0x80338012 CannotConnect).
$script:WinRMErrors = @{
    UnknownComputer  = @{ Id = 'NetworkPathNotFound'; Code = 53 }
    Unreachable      = @{ Id = 'WinRMOperationTimeout'; Code = -2144108250 }
    RemotingDisabled = @{ Id = 'CannotConnect'; Code = -2144108526 }
    AccessDenied     = @{ Id = 'AccessDenied'; Code = 5 }
}

# The logon this process runs under, as Windows would hand it on to a remote server
# (EXCHANGE_LAB_LOGON): 'Interactive' (default: an admin's or a service's logon, with a Kerberos
# ticket to authenticate to the servers) or 'Network' (an SSH key logon on a jump host, or a WinRM
# session: no credentials to hand on, so Invoke-Command -ComputerName without -Credential is denied:
# the second hop).
function Test-LabLogonHasCredentials {
    return ([string]$env:EXCHANGE_LAB_LOGON -ne 'Network')
}

$script:RpcParametersKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\MSExchangeRPC\ParametersSystem'
$script:RpcPortValue = 'TCP/IP Port'
$script:AbParametersKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\MSExchangeAB\Parameters'
$script:AbPortValue = 'RpcTcpPort'
$script:ExchangeSetupKey = 'HKLM:\SOFTWARE\Microsoft\ExchangeServer\v14\Setup'
$script:ExchangeInstallPath = 'C:\Program Files\Microsoft\Exchange Server\V14\'
# The dynamic RPC range once the Client Access role is installed (LB-WIRING 1.1).
$script:DynamicPortLow = 6005
$script:DynamicPortHigh = 59530
$script:RegistryKinds = @('String', 'ExpandString', 'Binary', 'DWord', 'MultiString', 'QWord')

# The Exchange services the lab runs on a Client Access server: they are stateful (status, process,
# listening ports). Besides the port they read from the registry, both listen on the RPC over HTTP
# ports that Outlook Anywhere's RPC proxy forwards to: 6001 (RPC Client Access) and 6002/6004
# (address book referral and proxy). Which process owns 6001/6002 is an inference; the script
# under test ignores 6001-6004 anyway.
$script:LabExchangeServices = [ordered]@{
    MSExchangeRPC = @{ DisplayName = 'Microsoft Exchange RPC Client Access'; Fixed = @(6001); Image = 'Bin\Microsoft.Exchange.RpcClientAccess.Service.exe' }
    MSExchangeAB  = @{ DisplayName = 'Microsoft Exchange Address Book'; Fixed = @(6002, 6004); Image = 'Bin\Microsoft.Exchange.AddressBook.Service.exe' }
}

# Windows services that are always there and never change in the lab (name, display name,
# process id, TCP ports). WinRM's HTTP listener is http.sys, so the System process (4).
$script:LabFixedServices = @(
    @{ Name = 'RpcSs'; DisplayName = 'Remote Procedure Call (RPC)'; ProcessId = 696; Ports = @(135) }
    @{ Name = 'RemoteRegistry'; DisplayName = 'Remote Registry'; ProcessId = 1124; Ports = @() }
    @{ Name = 'WinRM'; DisplayName = 'Windows Remote Management (WS-Management)'; ProcessId = 1012; Ports = @() }
    @{ Name = 'MSExchangeADTopology'; DisplayName = 'Microsoft Exchange Active Directory Topology'; ProcessId = 1840; Ports = @() }
)

# The server a WinRM computer name means: its Name or Fqdn, case-insensitive, as DNS resolves both.
function Find-LabWindowsServer {
    param([object]$State, [string]$ComputerName)
    $name = $ComputerName.Trim().TrimEnd('.')
    foreach ($server in (Get-LabSection $State 'servers')) {
        if ([string]$server.Name -eq $name -or [string]$server.Fqdn -eq $name) { return $server }
    }
    return $null
}

# For the administration commands: the server or a terminating error.
function Resolve-LabWindowsServer {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [object]$State, [string]$Identity)
    $server = Find-LabWindowsServer $State $Identity
    if ($null -eq $server) {
        $message = [string]::Format($script:WinMsg.ServerNotFound, $Identity)
        Stop-LabCommand $Cmdlet (New-Object System.Management.Automation.ItemNotFoundException($message)) 'ExchangeLabServerNotFound' 'ObjectNotFound' $Identity
    }
    return $server
}

# Exchange 2010 RTM is 14.0; its Address Book service reads its port from its .config file, not
# from the registry (LB-WIRING 1.2).
function Test-LabServerIsRtm {
    param([object]$Server)
    $match = [regex]::Match([string]$Server.AdminDisplayVersion, 'Version\s+(\d+)\.(\d+)')
    return ($match.Success -and [int]$match.Groups[1].Value -eq 14 -and [int]$match.Groups[2].Value -eq 0)
}

# A number from the server's name, so that the defaults of a server without a Windows section are
# the same at every read (process ids, dynamic ports).
function Get-LabServerSeed {
    param([object]$Server)
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try { $bytes = $sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes(([string]$Server.Name).ToUpperInvariant())) }
    finally { $sha.Dispose() }
    return [long][BitConverter]::ToUInt32($bytes, 0)
}

function New-LabRegistryValue {
    param([string]$Kind, [object]$Value)
    New-Object System.Management.Automation.PSObject -Property ([ordered]@{ Kind = $Kind; Value = $Value })
}

function New-LabEmptyObject { New-Object System.Management.Automation.PSObject }

function Get-LabWindowsDefaultRegistry {
    param([object]$Server)
    $registry = New-LabEmptyObject
    $setup = New-LabEmptyObject
    Set-LabProperty $setup 'MsiInstallPath' (New-LabRegistryValue 'String' $script:ExchangeInstallPath)
    Set-LabProperty $registry $script:ExchangeSetupKey $setup
    if (Test-LabServerIsCas $Server) {
        # The services' own keys exist after setup; MSExchangeRPC\ParametersSystem and
        # MSExchangeAB\Parameters do not: Microsoft's procedure for static ports creates them.
        Set-LabProperty $registry 'HKLM:\SYSTEM\CurrentControlSet\Services\MSExchangeRPC' (New-LabEmptyObject)
        Set-LabProperty $registry 'HKLM:\SYSTEM\CurrentControlSet\Services\MSExchangeAB' (New-LabEmptyObject)
    }
    return $registry
}

# Fills what a server's Windows section lacks, in place (a partial section in a test's state is
# completed the same way). Services start as Running with ports bound from the registry as it is.
function Complete-LabWindows {
    param([object]$Server, [object]$Windows)
    $seed = Get-LabServerSeed $Server
    # Windows Server 2008 R2 ships with remoting off (on by default only from 2012): a server is
    # reachable only where the scenario says Enabled (someone ran Enable-PSRemoting there).
    if ($null -eq $Windows.PSObject.Properties['Remoting'] -or [string]::IsNullOrEmpty([string]$Windows.Remoting)) { Set-LabProperty $Windows 'Remoting' 'Disabled' }
    # The language of Windows on the server: what its tools print (netstat's texts and states).
    if ($null -eq $Windows.PSObject.Properties['Culture'] -or [string]::IsNullOrEmpty([string]$Windows.Culture)) { Set-LabProperty $Windows 'Culture' 'en-US' }
    if ($null -eq $Windows.PSObject.Properties['OutlookSessions'] -or $null -eq $Windows.OutlookSessions) { Set-LabProperty $Windows 'OutlookSessions' 0 }
    if ($null -eq $Windows.PSObject.Properties['AddressBookConfigRpcTcpPort'] -or $null -eq $Windows.AddressBookConfigRpcTcpPort) { Set-LabProperty $Windows 'AddressBookConfigRpcTcpPort' 0 }
    if ($null -eq $Windows.PSObject.Properties['NextProcessId'] -or $null -eq $Windows.NextProcessId) { Set-LabProperty $Windows 'NextProcessId' (2000 + ($seed % 1000) * 4) }
    if ($null -eq $Windows.PSObject.Properties['NextDynamicPort'] -or $null -eq $Windows.NextDynamicPort) {
        Set-LabProperty $Windows 'NextDynamicPort' ($script:DynamicPortLow + ($seed % 20000))
    }
    if ($null -eq $Windows.PSObject.Properties['Registry'] -or $null -eq $Windows.Registry) { Set-LabProperty $Windows 'Registry' (Get-LabWindowsDefaultRegistry $Server) }
    if ($null -eq $Windows.PSObject.Properties['Services'] -or $null -eq $Windows.Services) {
        Set-LabProperty $Windows 'Services' (New-LabEmptyObject)
        if (Test-LabServerIsCas $Server) {
            foreach ($name in $script:LabExchangeServices.Keys) {
                Set-LabProperty $Windows.Services $name (New-Object System.Management.Automation.PSObject -Property ([ordered]@{ Status = 'Stopped'; ProcessId = 0; ListeningPorts = @() }))
                [void](Start-LabServiceInState $Server $Windows $name)
            }
        }
    }
    foreach ($property in @($Windows.Services.PSObject.Properties)) {
        $service = $property.Value
        if ($null -eq $service.PSObject.Properties['Status']) { Set-LabProperty $service 'Status' 'Running' }
        if ($null -eq $service.PSObject.Properties['ProcessId']) { Set-LabProperty $service 'ProcessId' 0 }
        if ($null -eq $service.PSObject.Properties['ListeningPorts'] -or $null -eq $service.ListeningPorts) { Set-LabProperty $service 'ListeningPorts' @() }
        if ($null -eq $service.PSObject.Properties['FailStarts'] -or $null -eq $service.FailStarts) { Set-LabProperty $service 'FailStarts' 0 }
        if ($null -eq $service.PSObject.Properties['IgnorePortStarts'] -or $null -eq $service.IgnorePortStarts) { Set-LabProperty $service 'IgnorePortStarts' 0 }
    }
}

# The server's Windows section (completed with defaults). -Attach stores it on the server object,
# for writers: Update-LabState then writes it.
function Get-LabWindows {
    param([object]$Server, [switch]$Attach)
    $property = $Server.PSObject.Properties['Windows']
    if ($null -ne $property -and $null -ne $property.Value) {
        $windows = $property.Value
    }
    else {
        $windows = New-LabEmptyObject
        if ($Attach) { Set-LabProperty $Server 'Windows' $windows }
    }
    Complete-LabWindows $Server $windows
    return $windows
}

# The helpers of the emulated Windows commands.

# An ErrorRecord as the named Windows cmdlet writes it: its exception type (or, where this platform
# lacks the type, InvalidOperationException with the real type's name as the category reason) and
# its exact FullyQualifiedErrorId.
function New-LabWindowsError {
    param([string]$TypeName, [string]$Message, [string]$ErrorId, [System.Management.Automation.ErrorCategory]$Category, [object]$Target)
    $exception = $null
    if ($null -ne ($TypeName -as [type])) {
        try { $exception = New-Object -TypeName $TypeName -ArgumentList $Message }
        catch { $exception = $null }
    }
    if ($null -eq $exception) { $exception = New-Object System.InvalidOperationException($Message) }
    $record = [ExchangeLab.ErrorRecordFactory]::Create($exception, $ErrorId, $Category, $Target)
    $record.CategoryInfo.Reason = $TypeName.Substring($TypeName.LastIndexOf('.') + 1)
    return $record
}

# The server a remote command runs on, read fresh: ($state, $server, $windows).
function Get-LabShadowTarget {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer)
    $state = Read-LabState $Cmdlet
    $server = Find-LabWindowsServer $state $Computer
    return @{ State = $state; Server = $server; Windows = (Get-LabWindows $server) }
}

# Runs $Change against the server's Windows section under the state lock; $Change gets
# ($server, $windows, $context) and sets $context.Commit. Returns what $Change outputs.
function Update-LabWindows {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [scriptblock]$Change)
    Update-LabState $Cmdlet {
        param($s, $c)
        $server = Find-LabWindowsServer $s $Computer
        $windows = Get-LabWindows $server -Attach
        & $Change $server $windows $c
    }
}
