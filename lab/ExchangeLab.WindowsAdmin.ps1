<#
ExchangeLab.WindowsAdmin: the admin at a lab server's console, for tests: its Windows state
(Get-ExchangeLabServerWindows), remoting and Outlook sessions (Set-ExchangeLabServerWindows), a
registry value set by hand, service restarts and start faults, service packs. Nothing here goes
through WinRM. Dot-sourced by ExchangeLab.psm1.
#>

# A server's Windows state as the administration commands return it.
function ConvertTo-LabWindowsOutput {
    param([object]$Server, [object]$Windows)
    $services = [ordered]@{}
    foreach ($property in $Windows.Services.PSObject.Properties) {
        $services[$property.Name] = New-Object System.Management.Automation.PSObject -Property ([ordered]@{
                Status         = [string]$property.Value.Status
                ProcessId      = [int]$property.Value.ProcessId
                ListeningPorts = [int[]]@($property.Value.ListeningPorts)
                FailStarts     = [int]$property.Value.FailStarts
                IgnorePortStarts = [int]$property.Value.IgnorePortStarts
            })
    }
    New-Object System.Management.Automation.PSObject -Property ([ordered]@{
            Server                      = [string]$Server.Name
            Fqdn                        = [string]$Server.Fqdn
            AdminDisplayVersion         = [string]$Server.AdminDisplayVersion
            Remoting                    = [string]$Windows.Remoting
            Culture                     = [string]$Windows.Culture
            OutlookSessions             = [int]$Windows.OutlookSessions
            AddressBookConfigRpcTcpPort = [int]$Windows.AddressBookConfigRpcTcpPort
            Services                    = New-Object System.Management.Automation.PSObject -Property $services
            Registry                    = $Windows.Registry
            NextProcessId               = [int]$Windows.NextProcessId
            NextDynamicPort             = [int]$Windows.NextDynamicPort
        })
}

<#
.SYNOPSIS
Returns the Windows side of lab servers: remoting, Outlook sessions, services with their listening ports, registry.
.DESCRIPTION
One object per server (or the one -Server names, by Name or Fqdn): Server, Fqdn,
AdminDisplayVersion, Remoting, Culture, OutlookSessions, AddressBookConfigRpcTcpPort, Services (per
service: Status, ProcessId, ListeningPorts, FailStarts), Registry (key path -> value name ->
Kind, Value), NextProcessId, NextDynamicPort. Servers without a Windows section show their defaults.
#>
function Get-ExchangeLabServerWindows {
    [CmdletBinding()]
    param([Parameter(Position = 0)][string]$Server)
    $state = Read-LabState $PSCmdlet
    $servers = @(Get-LabSection $state 'servers')
    if ($PSBoundParameters.ContainsKey('Server')) { $servers = @(Resolve-LabWindowsServer $PSCmdlet $state $Server) }
    foreach ($item in $servers) { ConvertTo-LabWindowsOutput $item (Get-LabWindows $item) }
}

<#
.SYNOPSIS
Sets a lab server's remoting (Enabled, Disabled, Unreachable), its Windows language, its Outlook session count, or its RTM address book .config port.
.DESCRIPTION
-Remoting Disabled is Windows Server 2008 R2's default (no Enable-PSRemoting; a server the
scenario does not say otherwise of has it); Unreachable is a server WinRM cannot reach at all.
-Culture is the language of the server's Windows (en-US, de-DE): what its tools print, netstat's
states included. -OutlookSessions sets the RPC Client Access user count (a
restart of MSExchangeRPC sets it to 0). -AddressBookConfigRpcTcpPort is the RpcTcpPort of
microsoft.exchange.addressbook.service.exe.config, which only Exchange 2010 RTM (14.0) reads.
Nothing restarts: a service uses a new port only after its next start. Returns the server's
Windows state.
#>
function Set-ExchangeLabServerWindows {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, Position = 0)][string]$Server,
        [ValidateSet('Enabled', 'Disabled', 'Unreachable')][string]$Remoting,
        [ValidateSet('en-US', 'de-DE')][string]$Culture,
        [ValidateRange(0, 1000000)][int]$OutlookSessions,
        [ValidateRange(0, 65535)][int]$AddressBookConfigRpcTcpPort
    )
    $bound = $PSBoundParameters
    $name = Update-LabState $PSCmdlet {
        param($s, $c)
        $target = Resolve-LabWindowsServer $PSCmdlet $s $Server
        $windows = Get-LabWindows $target -Attach
        foreach ($knob in 'Remoting', 'Culture', 'OutlookSessions', 'AddressBookConfigRpcTcpPort') {
            if ($bound.ContainsKey($knob)) { Set-LabProperty $windows $knob $bound[$knob] }
        }
        $c.Commit = $true
        [string]$target.Name
    }
    Get-ExchangeLabServerWindows -Server $name
}

<#
.SYNOPSIS
Writes or removes a registry value on a lab server, as an admin would in regedit (no service restarts).
.DESCRIPTION
-Path is a registry key path (HKLM:\... or Registry::HKEY_LOCAL_MACHINE\...); the key is created
when missing. -Kind is the registry type (String, ExpandString, Binary, DWord, MultiString,
QWord). -Remove deletes the value (nothing happens when it is not there).
#>
function Set-ExchangeLabRegistryValue {
    [CmdletBinding(DefaultParameterSetName = 'Set')]
    param(
        [Parameter(Mandatory = $true, Position = 0)][string]$Server,
        [Parameter(Mandatory = $true)][string]$Path,
        [Parameter(Mandatory = $true)][AllowEmptyString()][string]$Name,
        [Parameter(Mandatory = $true, ParameterSetName = 'Set')][ValidateSet('String', 'ExpandString', 'Binary', 'DWord', 'MultiString', 'QWord')][string]$Kind,
        [Parameter(ParameterSetName = 'Set')][AllowNull()][object]$Value,
        [Parameter(Mandatory = $true, ParameterSetName = 'Remove')][switch]$Remove
    )
    $key = ConvertTo-LabRegistryPath $Path
    if ($null -eq $key -or $key -match '^[A-Z]+:$') {
        Stop-LabCommand $PSCmdlet (New-Object System.ArgumentException("'$Path' is not a registry key path.")) 'ExchangeLabRegistryPath' 'InvalidArgument' $Path
    }
    $stored = $null
    if (-not $Remove) {
        try { $stored = ConvertTo-LabRegistryValue $Kind $Value }
        catch { Stop-LabCommand $PSCmdlet $_.Exception 'ExchangeLabRegistryValue' 'InvalidArgument' $Value }
    }
    Update-LabState $PSCmdlet {
        param($s, $c)
        $target = Resolve-LabWindowsServer $PSCmdlet $s $Server
        $windows = Get-LabWindows $target -Attach
        if ($Remove) {
            $values = Get-LabRegistryKeyObject $windows $key
            if ($null -ne $values -and $null -ne $values.PSObject.Properties[$Name]) { $values.PSObject.Properties.Remove($Name) }
        }
        else {
            $values = Add-LabRegistryKey $windows $key
            if ($null -ne $values.PSObject.Properties[$Name]) { $values.PSObject.Properties.Remove($Name) }
            Set-LabProperty $values $Name (New-LabRegistryValue $Kind $stored)
        }
        $c.Commit = $true
    }
}

# The end of a console command that started services in the state: its results are the services
# that failed to start (one-element arrays), then the server's name. Each failure is written as the
# service cmdlet's StartServiceFailed (<CommandType>: StartServiceCommand, RestartServiceCommand);
# the output is the server's Windows state.
function Complete-LabServiceStart {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [object[]]$Results, [string]$CommandType)
    $serverName = $Results[$Results.Count - 1]
    foreach ($failed in @($Results | Select-Object -First ($Results.Count - 1))) {
        $display = $failed[0]
        if ($script:LabExchangeServices.Contains($failed[0])) { $display = $script:LabExchangeServices[$failed[0]].DisplayName }
        $message = [string]::Format($script:WinMsg.StartFailed, $display, $failed[0])
        $Cmdlet.WriteError((New-LabWindowsError 'Microsoft.PowerShell.Commands.ServiceCommandException' $message ('StartServiceFailed,Microsoft.PowerShell.Commands.' + $CommandType) 'OpenError' $failed[0]))
    }
    Get-ExchangeLabServerWindows -Server $serverName
}

<#
.SYNOPSIS
Restarts Exchange services on a lab server from its console: a new process that binds its ports now.
.DESCRIPTION
Each service named (MSExchangeRPC, MSExchangeAB) stops and starts again: new ProcessId, ports
bound from the registry as it is now (MSExchangeRPC: TCP/IP Port REG_DWORD; MSExchangeAB on
SP1 or later: RpcTcpPort REG_SZ, on RTM the .config port), else dynamic ones. Restarting
MSExchangeRPC ends the server's Outlook sessions. A pending start fault
(Add-ExchangeLabServiceFault) leaves the service stopped, with an error. Returns the server's
Windows state.
#>
function Restart-ExchangeLabService {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, Position = 0)][string]$Server,
        [Parameter(Mandatory = $true, Position = 1)][string[]]$Name
    )
    $results = @(Update-LabState $PSCmdlet {
            param($s, $c)
            $target = Resolve-LabWindowsServer $PSCmdlet $s $Server
            $windows = Get-LabWindows $target -Attach
            foreach ($serviceName in $Name) {
                $property = $windows.Services.PSObject.Properties[$serviceName]
                if ($null -eq $property) {
                    Stop-LabCommand $PSCmdlet (New-Object System.Management.Automation.ItemNotFoundException([string]::Format($script:WinMsg.ServiceNotFound, $target.Name, $serviceName))) 'ExchangeLabServiceNotFound' 'ObjectNotFound' $serviceName
                }
                if ([string]$property.Value.Status -eq 'Running') { Stop-LabServiceInState $windows $property.Name }
                if (-not (Start-LabServiceInState $target $windows $property.Name)) { , @($property.Name) }
            }
            $c.Commit = $true
            [string]$target.Name
        })
    Complete-LabServiceStart $PSCmdlet $results 'RestartServiceCommand'
}

<#
.SYNOPSIS
Makes the next -Times starts of a service on a lab server fail (the service stays stopped), or,
with -Kind IgnorePort, start without an error on a dynamic port instead of its configured one.
.DESCRIPTION
Any start counts: the restart the provider's script does (Restart-Service then fails with
StartServiceFailed, or succeeds on the wrong port), Restart-ExchangeLabService,
Update-ExchangeLabServer. -Times 0 clears it.
#>
function Add-ExchangeLabServiceFault {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, Position = 0)][string]$Server,
        [Parameter(Mandatory = $true, Position = 1)][string]$Name,
        [ValidateRange(0, 1000000)][int]$Times = 1,
        [ValidateSet('FailStart', 'IgnorePort')][string]$Kind = 'FailStart'
    )
    $counter = 'FailStarts'
    if ($Kind -eq 'IgnorePort') { $counter = 'IgnorePortStarts' }
    Update-LabState $PSCmdlet {
        param($s, $c)
        $target = Resolve-LabWindowsServer $PSCmdlet $s $Server
        $windows = Get-LabWindows $target -Attach
        $property = $windows.Services.PSObject.Properties[$Name]
        if ($null -eq $property) {
            Stop-LabCommand $PSCmdlet (New-Object System.Management.Automation.ItemNotFoundException([string]::Format($script:WinMsg.ServiceNotFound, $target.Name, $Name))) 'ExchangeLabServiceNotFound' 'ObjectNotFound' $Name
        }
        Set-LabProperty $property.Value $counter $Times
        $c.Commit = $true
    }
}

<#
.SYNOPSIS
Installs an Exchange service pack on a lab server: sets AdminDisplayVersion and restarts its Exchange services.
.DESCRIPTION
-AdminDisplayVersion is the new version string, e.g. 'Version 14.1 (Build 218.15)'. Setup replaces
the Address Book's .config file, so an RTM server's AddressBookConfigRpcTcpPort is lost (0) when it
moves to SP1 or later; from SP1 on, MSExchangeAB reads RpcTcpPort from the registry. The Exchange
services restart (new processes, ports bound again, Outlook sessions 0). Returns the server's
Windows state.
#>
function Update-ExchangeLabServer {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, Position = 0)][string]$Server,
        [Parameter(Mandatory = $true)][string]$AdminDisplayVersion
    )
    if ($AdminDisplayVersion -notmatch '^Version \d+\.\d+ \(Build \d+\.\d+\)$') {
        Stop-LabCommand $PSCmdlet (New-Object System.ArgumentException([string]::Format($script:WinMsg.BadVersion, $AdminDisplayVersion))) 'ExchangeLabVersion' 'InvalidArgument' $AdminDisplayVersion
    }
    $results = @(Update-LabState $PSCmdlet {
            param($s, $c)
            $target = Resolve-LabWindowsServer $PSCmdlet $s $Server
            $windows = Get-LabWindows $target -Attach
            $wasRtm = Test-LabServerIsRtm $target
            foreach ($name in @($windows.Services.PSObject.Properties | ForEach-Object { $_.Name })) {
                if ([string]$windows.Services.PSObject.Properties[$name].Value.Status -eq 'Running') { Stop-LabServiceInState $windows $name }
            }
            $target.AdminDisplayVersion = $AdminDisplayVersion
            Set-LabProperty $target 'WhenChanged' (Get-LabNow)
            if ($wasRtm -and -not (Test-LabServerIsRtm $target)) { $windows.AddressBookConfigRpcTcpPort = 0 }
            foreach ($name in @($windows.Services.PSObject.Properties | ForEach-Object { $_.Name })) {
                if (-not (Start-LabServiceInState $target $windows $name)) { , @($name) }
            }
            $c.Commit = $true
            [string]$target.Name
        })
    Complete-LabServiceStart $PSCmdlet $results 'StartServiceCommand'
}
