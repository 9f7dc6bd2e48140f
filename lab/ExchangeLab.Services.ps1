<#
ExchangeLab.Services: a lab server's Exchange services (servers[].Windows.Services), which bind
their RPC ports when they start, and what a script sent to the server reads or does with them:
Get-Service, Start-/Stop-/Restart-Service, Get-WmiObject (Win32_Service, Win32_OperatingSystem),
Get-Counter (the RPC Client Access user count) and netstat. Dot-sourced by ExchangeLab.psm1 (see
ExchangeLab.Windows.ps1 for the Windows side).
#>

function Get-LabRegistryEntry {
    param([object]$Windows, [string]$Key, [string]$Name)
    $values = Get-LabRegistryKeyObject $Windows $Key
    if ($null -eq $values) { return $null }
    $property = $values.PSObject.Properties[$Name]
    if ($null -eq $property) { return $null }
    return $property.Value
}

# The static port a service reads when it starts, or 0 (dynamic). A value of the wrong registry
# type is ignored, as is one outside 1-65535 (inference: the services read the documented type
# only, LB-WIRING 1.2).
function Get-LabConfiguredPort {
    param([object]$Server, [object]$Windows, [string]$Service)
    $port = 0
    if ($Service -eq 'MSExchangeRPC') {
        $entry = Get-LabRegistryEntry $Windows $script:RpcParametersKey $script:RpcPortValue
        if ($null -ne $entry -and [string]$entry.Kind -eq 'DWord') { $port = [long]$entry.Value }
    }
    elseif ($Service -eq 'MSExchangeAB') {
        if (Test-LabServerIsRtm $Server) {
            # RTM reads RpcTcpPort from microsoft.exchange.addressbook.service.exe.config.
            $port = [long]$Windows.AddressBookConfigRpcTcpPort
        }
        else {
            $entry = Get-LabRegistryEntry $Windows $script:AbParametersKey $script:AbPortValue
            $parsed = 0L
            if ($null -ne $entry -and [string]$entry.Kind -eq 'String' -and [long]::TryParse(([string]$entry.Value).Trim(), [ref]$parsed)) { $port = $parsed }
        }
    }
    if ($port -lt 1 -or $port -gt 65535) { return 0 }
    return [int]$port
}

# Ports in use on the server other than by $Except: the fixed Windows ones and the other services'.
function Get-LabPortsInUse {
    param([object]$Windows, [string]$Except)
    $used = @{ 135 = $true; 445 = $true; 5985 = $true; 49152 = $true }
    foreach ($fixed in $script:LabExchangeServices.Values) { foreach ($p in $fixed.Fixed) { $used[[int]$p] = $true } }
    foreach ($property in $Windows.Services.PSObject.Properties) {
        if ($property.Name -eq $Except) { continue }
        foreach ($p in @($property.Value.ListeningPorts)) { $used[[int]$p] = $true }
    }
    return $used
}

# The next port of the dynamic range from the server's counter (deterministic, for tests).
function Get-LabDynamicPort {
    param([object]$Windows, [hashtable]$Used)
    $port = [int]$Windows.NextDynamicPort
    for ($i = 0; $i -le ($script:DynamicPortHigh - $script:DynamicPortLow); $i++) {
        if ($port -lt $script:DynamicPortLow -or $port -gt $script:DynamicPortHigh) { $port = $script:DynamicPortLow }
        if (-not $Used.ContainsKey($port)) { break }
        $port++
    }
    $next = $port + 1
    if ($next -gt $script:DynamicPortHigh) { $next = $script:DynamicPortLow }
    $Windows.NextDynamicPort = $next
    return $port
}

function Stop-LabServiceInState {
    param([object]$Windows, [string]$Name)
    $service = $Windows.Services.PSObject.Properties[$Name].Value
    $service.Status = 'Stopped'
    $service.ProcessId = 0
    $service.ListeningPorts = @()
    # The user count is RPC Client Access's: its sessions end with its process.
    if ($Name -eq 'MSExchangeRPC') { $Windows.OutlookSessions = 0 }
}

# Starts a stopped service in the state: a new process that binds its ports now. Returns $false
# when the start fails (a pending FailStarts fault, or the static port taken by another service
# of the server: the RPC runtime cannot register that endpoint; an inference).
function Start-LabServiceInState {
    param([object]$Server, [object]$Windows, [string]$Name)
    $service = $Windows.Services.PSObject.Properties[$Name].Value
    $fails = 0
    if ($null -ne $service.PSObject.Properties['FailStarts']) { $fails = [int]$service.FailStarts }
    $ports = @()
    $failed = $fails -gt 0
    if ($failed) { $service.FailStarts = $fails - 1 }
    elseif ($script:LabExchangeServices.Contains($Name)) {
        $ports = @($script:LabExchangeServices[$Name].Fixed)
        $used = Get-LabPortsInUse $Windows $Name
        $port = Get-LabConfiguredPort $Server $Windows $Name
        if (Use-LabIgnorePortStart $service) { $port = 0 }
        if ($port -eq 0) { $port = Get-LabDynamicPort $Windows $used }
        elseif ($used.ContainsKey($port)) { $failed = $true }
        $ports += $port
    }
    if ($failed) {
        $service.Status = 'Stopped'
        $service.ProcessId = 0
        $service.ListeningPorts = @()
        return $false
    }
    $service.Status = 'Running'
    $service.ProcessId = [int]$Windows.NextProcessId
    $Windows.NextProcessId = [int]$Windows.NextProcessId + 4
    $service.ListeningPorts = [int[]]$ports
    if ($Name -eq 'MSExchangeRPC') { $Windows.OutlookSessions = 0 }
    return $true
}

# Every service of a server, as Get-Service and Win32_Service see them: the stateful Exchange ones
# first, then the fixed Windows ones.
function Get-LabServiceList {
    param([object]$Server, [object]$Windows)
    foreach ($property in $Windows.Services.PSObject.Properties) {
        $display = $property.Name
        $image = 'C:\Windows\system32\svchost.exe'
        if ($script:LabExchangeServices.Contains($property.Name)) {
            $display = $script:LabExchangeServices[$property.Name].DisplayName
            $image = $script:ExchangeInstallPath + $script:LabExchangeServices[$property.Name].Image
        }
        [pscustomobject]@{ Name = $property.Name; DisplayName = $display; Status = [string]$property.Value.Status; ProcessId = [int]$property.Value.ProcessId; Ports = @($property.Value.ListeningPorts); Image = $image }
    }
    foreach ($fixed in $script:LabFixedServices) {
        if ($null -ne $Windows.Services.PSObject.Properties[$fixed.Name]) { continue }
        if ($fixed.Name -eq 'MSExchangeADTopology' -and -not (Test-LabServerIsCas $Server)) { continue }
        [pscustomobject]@{ Name = $fixed.Name; DisplayName = $fixed.DisplayName; Status = 'Running'; ProcessId = $fixed.ProcessId; Ports = @($fixed.Ports); Image = 'C:\Windows\system32\svchost.exe' }
    }
}

# The service, WMI, counter and netstat commands of the remote host (see ExchangeLab.RemoteHost.ps1).

function New-LabServiceOutput {
    param([object]$Service)
    $status = [string]$Service.Status
    $statusType = 'System.ServiceProcess.ServiceControllerStatus' -as [type]
    if ($null -ne $statusType) { $status = $status -as $statusType }
    $output = New-Object System.Management.Automation.PSObject -Property ([ordered]@{
            Name                = $Service.Name
            DisplayName         = $Service.DisplayName
            Status              = $status
            ServiceName         = $Service.Name
            CanStop             = ([string]$Service.Status -eq 'Running')
            CanPauseAndContinue = $false
            ServiceType         = 'Win32OwnProcess'
            MachineName         = '.'
            DependentServices   = @()
            ServicesDependedOn  = @()
        })
    $output.PSObject.TypeNames.Insert(0, 'System.ServiceProcess.ServiceController')
    return $output
}

# The services a service cmdlet names: -Name (wildcards), -DisplayName, -InputObject; with an error
# record for each plain name that matches nothing.
function Select-LabShadowService {
    param([object[]]$All, [System.Collections.IDictionary]$Bound, [string]$CommandClass)
    $selected = @()
    $any = $false
    foreach ($pair in @(@('Name', 'Name'), @('DisplayName', 'DisplayName'), @('InputObject', 'Name'))) {
        if (-not $Bound.ContainsKey($pair[0])) { continue }
        $any = $true
        foreach ($wanted in @($Bound[$pair[0]])) {
            $pattern = [string]$wanted
            if ($pair[0] -eq 'InputObject' -and $null -ne $wanted -and $null -ne $wanted.PSObject.Properties['Name']) { $pattern = [string]$wanted.Name }
            $found = @($All | Where-Object { ([string]$_.($pair[1])) -like $pattern })
            if ($found.Count -eq 0 -and $pattern -notmatch '[*?\[]') {
                $id = 'NoServiceFoundForGivenName'
                $message = [string]::Format($script:WinMsg.NoService, $pattern)
                if ($pair[0] -eq 'DisplayName') { $id = 'NoServiceFoundForGivenDisplayName'; $message = "Cannot find any service with display name '" + $pattern + "'." }
                New-LabWindowsError 'Microsoft.PowerShell.Commands.ServiceCommandException' $message ($id + ',Microsoft.PowerShell.Commands.' + $CommandClass) 'ObjectNotFound' $pattern
            }
            $selected += $found
        }
    }
    if (-not $any) { $selected = @($All) }
    $seen = @{}
    foreach ($item in $selected) {
        if ($item -is [System.Management.Automation.ErrorRecord]) { $item; continue }
        if ($seen.ContainsKey($item.Name)) { continue }
        $seen[$item.Name] = $true
        $item
    }
}

function Invoke-LabShadowGetService {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $target = Get-LabShadowTarget $Cmdlet $Computer
    $all = @(Get-LabServiceList $target.Server $target.Windows)
    foreach ($item in @(Select-LabShadowService $all $Bound 'GetServiceCommand')) {
        if ($item -is [System.Management.Automation.ErrorRecord]) { $item } else { New-LabServiceOutput $item }
    }
}

# Start-Service, Stop-Service, Restart-Service. Only the Exchange services change; the fixed
# Windows ones accept the command and stay as they are.
function Invoke-LabShadowServiceControl {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound, [string]$Verb)
    $class = $Verb + 'ServiceCommand'
    $passThru = $Bound.ContainsKey('PassThru') -and [bool]$Bound['PassThru']
    $results = @(Update-LabWindows $Cmdlet $Computer {
            param($server, $windows, $c)
            $all = @(Get-LabServiceList $server $windows)
            foreach ($item in @(Select-LabShadowService $all $Bound $class)) {
                if ($item -is [System.Management.Automation.ErrorRecord]) { $item; continue }
                $name = $item.Name
                if ($null -eq $windows.Services.PSObject.Properties[$name]) { $item; continue }
                $running = [string]$windows.Services.PSObject.Properties[$name].Value.Status -eq 'Running'
                $ok = $true
                if ($Verb -ne 'Start' -and $running) { Stop-LabServiceInState $windows $name }
                if ($Verb -ne 'Stop' -and -not ($Verb -eq 'Start' -and $running)) { $ok = Start-LabServiceInState $server $windows $name }
                $c.Commit = $true
                $after = @(Get-LabServiceList $server $windows | Where-Object { $_.Name -eq $name })[0]
                if (-not $ok) {
                    $message = [string]::Format($script:WinMsg.StartFailed, $after.DisplayName, $name)
                    New-LabWindowsError 'Microsoft.PowerShell.Commands.ServiceCommandException' $message ('StartServiceFailed,Microsoft.PowerShell.Commands.' + $class) 'OpenError' (New-LabServiceOutput $after)
                    continue
                }
                $after
            }
        })
    foreach ($item in $results) {
        if ($item -is [System.Management.Automation.ErrorRecord]) { $item }
        elseif ($passThru) { New-LabServiceOutput $item }
    }
}

# A WQL condition list: Name='x' AND State="Running" (= and LIKE with %).
function ConvertFrom-LabWqlFilter {
    param([string]$Filter)
    $conditions = @()
    if ([string]::IsNullOrWhiteSpace($Filter)) { return , $conditions }
    foreach ($part in [regex]::Split($Filter.Trim(), '\s+(?i:and)\s+')) {
        $m = [regex]::Match($part.Trim(), '^\(?\s*(\w+)\s*(=|<>|!=|(?i:like))\s*(''([^'']*)''|"([^"]*)"|(\d+))\s*\)?$')
        if (-not $m.Success) { return $null }
        $value = $m.Groups[4].Value
        if ($m.Groups[5].Success) { $value = $m.Groups[5].Value }
        if ($m.Groups[6].Success) { $value = $m.Groups[6].Value }
        $conditions += , @{ Property = $m.Groups[1].Value; Operator = $m.Groups[2].Value.ToLowerInvariant(); Value = $value }
    }
    return , $conditions
}

function Test-LabWqlMatch {
    param([object]$Item, [object[]]$Conditions)
    foreach ($condition in $Conditions) {
        $property = $Item.PSObject.Properties[$condition.Property]
        if ($null -eq $property) { return $false }
        $actual = [string]$property.Value
        switch ($condition.Operator) {
            '=' { if ($actual -ne $condition.Value) { return $false } }
            'like' { if ($actual -notlike ($condition.Value.Replace('%', '*').Replace('_', '?'))) { return $false } }
            default { if ($actual -eq $condition.Value) { return $false } }
        }
    }
    return $true
}

function Invoke-LabShadowGetWmiObject {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $target = Get-LabShadowTarget $Cmdlet $Computer
    $class = [string]$Bound['Class']
    $filter = [string]$Bound['Filter']
    if ($Bound.ContainsKey('Query')) {
        $query = [string]$Bound['Query']
        $m = [regex]::Match($query.Trim(), '^(?i)select\s+.+?\s+from\s+(\w+)(\s+where\s+(.+))?$')
        if (-not $m.Success) {
            New-LabWindowsError 'System.Management.ManagementException' ([string]::Format($script:WinMsg.WmiInvalidQuery, $query)) 'GetWMIManagementException,Microsoft.PowerShell.Commands.GetWmiObjectCommand' 'InvalidArgument' $null
            return
        }
        $class = $m.Groups[1].Value
        $filter = $m.Groups[3].Value
    }
    $conditions = ConvertFrom-LabWqlFilter $filter
    if ($null -eq $conditions) {
        New-LabWindowsError 'System.Management.ManagementException' ([string]::Format($script:WinMsg.WmiInvalidQuery, $filter)) 'GetWMIManagementException,Microsoft.PowerShell.Commands.GetWmiObjectCommand' 'InvalidArgument' $null
        return
    }
    $computerName = ([string]$target.Server.Name).ToUpperInvariant()
    $items = @()
    if ($class -eq 'Win32_Service') {
        foreach ($service in (Get-LabServiceList $target.Server $target.Windows)) {
            $items += New-Object System.Management.Automation.PSObject -Property ([ordered]@{
                    __CLASS        = 'Win32_Service'
                    __SERVER       = $computerName
                    Name           = $service.Name
                    DisplayName    = $service.DisplayName
                    ProcessId      = [uint32]$service.ProcessId
                    State          = $service.Status
                    Started        = ($service.Status -eq 'Running')
                    Status         = 'OK'
                    StartMode      = 'Auto'
                    PathName       = $service.Image
                    ExitCode       = [uint32]0
                    PSComputerName = $computerName
                })
        }
    }
    elseif ($class -eq 'Win32_OperatingSystem') {
        $items += New-Object System.Management.Automation.PSObject -Property ([ordered]@{
                __CLASS                 = 'Win32_OperatingSystem'
                __SERVER                = $computerName
                Caption                 = 'Microsoft Windows Server 2008 R2 ' + [string]$target.Server.Edition + ' '
                Version                 = '6.1.7601'
                BuildNumber             = '7601'
                ServicePackMajorVersion = [uint16]1
                CSName                  = $computerName
                PSComputerName          = $computerName
            })
    }
    else {
        New-LabWindowsError 'System.Management.ManagementException' ([string]::Format($script:WinMsg.WmiInvalidClass, $class)) 'GetWMIManagementException,Microsoft.PowerShell.Commands.GetWmiObjectCommand' 'InvalidType' $null
        return
    }
    foreach ($item in $items) {
        if (-not (Test-LabWqlMatch $item $conditions)) { continue }
        $item.PSObject.TypeNames.Insert(0, 'System.Management.ManagementObject#root\cimv2\' + $class)
        $item
    }
}

function Invoke-LabShadowGetCounter {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $target = Get-LabShadowTarget $Cmdlet $Computer
    $host_ = ([string]$target.Server.Name).ToLowerInvariant()
    $rpc = $target.Windows.Services.PSObject.Properties['MSExchangeRPC']
    $samples = @()
    foreach ($path in @($Bound['Counter'])) {
        $m = [regex]::Match([string]$path, '^(\\\\[^\\]+)?\\(?<object>[^\\(]+)(\((?<instance>[^)]*)\))?\\(?<counter>.+)$')
        $known = $m.Success -and $null -ne $rpc -and $m.Groups['object'].Value -eq 'MSExchange RpcClientAccess' -and
            @('User Count', 'Active User Count', 'Connection Count') -contains $m.Groups['counter'].Value
        if (-not $known) {
            New-LabWindowsError 'System.Exception' $script:WinMsg.CounterNotFound 'CounterApiError,Microsoft.PowerShell.Commands.GetCounterCommand' 'InvalidResult' $null
            continue
        }
        $value = 0
        if ([string]$rpc.Value.Status -eq 'Running') { $value = [int]$target.Windows.OutlookSessions }
        $sample = New-Object System.Management.Automation.PSObject -Property ([ordered]@{
                Path         = ('\\' + $host_ + '\' + $m.Groups['object'].Value + '\' + $m.Groups['counter'].Value).ToLowerInvariant()
                InstanceName = ''
                CookedValue  = [double]$value
                RawValue     = [uint64]$value
                Status       = [uint32]0
                Timestamp    = [DateTime]::Now
            })
        $sample.PSObject.TypeNames.Insert(0, 'Microsoft.PowerShell.Commands.GetCounter.PerformanceCounterSample')
        $samples += $sample
    }
    if ($samples.Count -eq 0) { return }
    $set = New-Object System.Management.Automation.PSObject -Property ([ordered]@{ Timestamp = [DateTime]::Now; CounterSamples = [object[]]$samples; Readings = '' })
    $set.PSObject.TypeNames.Insert(0, 'Microsoft.PowerShell.Commands.GetCounter.PerformanceCounterSampleSet')
    $set
}

# The server's address from the lab's DNS (for netstat's established connections).
function Get-LabServerAddress {
    param([object]$State, [object]$Server)
    $dns = $State.PSObject.Properties['dns']
    if ($null -ne $dns -and $null -ne $dns.Value) {
        foreach ($dnsServer in (Get-LabSection $dns.Value 'servers')) {
            foreach ($zone in (Get-LabSection $dnsServer 'Zones')) {
                foreach ($record in (Get-LabSection $zone 'Records')) {
                    if ([string]$record.HostName -eq [string]$Server.Name -and ([string]$Server.Fqdn).EndsWith('.' + [string]$zone.Name, [StringComparison]::OrdinalIgnoreCase)) { return [string]$record.IPv4Address }
                }
            }
        }
    }
    return '10.0.0.10'
}

# What netstat.exe prints in the language of the server's Windows (Windows.Culture): its title, its
# column headings and its TCP states, which are translated (a German server's listeners are
# ABHÖREN). Only the numeric columns are the same in every language.
$script:LabNetstatTexts = @{
    'en-US' = @{ Title = 'Active Connections'; Columns = @('Proto', 'Local Address', 'Foreign Address', 'State', 'PID'); LISTENING = 'LISTENING'; ESTABLISHED = 'ESTABLISHED' }
    'de-DE' = @{ Title = 'Aktive Verbindungen'; Columns = @('Proto', 'Lokale Adresse', 'Remoteadresse', 'Status', 'PID'); LISTENING = 'ABH' + [char]0x00D6 + 'REN'; ESTABLISHED = 'HERGESTELLT' }
}

# netstat.exe's text: -a (listening too), -n, -o (PID column), -p TCP (TCP only; IPv4 listeners).
function Invoke-LabShadowNetstat {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $flags = ''
    foreach ($argument in @($Bound['Arguments'])) {
        $text = [string]$argument
        if ($text -match '^[-/][A-Za-z]+$') { $flags += $text.Substring(1).ToLowerInvariant() }
    }
    $all = $flags.Contains('a')
    $pid_ = $flags.Contains('o')
    $target = Get-LabShadowTarget $Cmdlet $Computer
    $address = Get-LabServerAddress $target.State $target.Server
    $rows = @()
    foreach ($service in (Get-LabServiceList $target.Server $target.Windows)) {
        foreach ($port in $service.Ports) { $rows += , @([int]$port, ('0.0.0.0:' + $port), '0.0.0.0:0', 'LISTENING', $service.ProcessId) }
    }
    $rows += , @(445, '0.0.0.0:445', '0.0.0.0:0', 'LISTENING', 4)
    if ([string]$target.Windows.Remoting -eq 'Enabled') { $rows += , @(5985, '0.0.0.0:5985', '0.0.0.0:0', 'LISTENING', 4) }
    $rows += , @(49152, '0.0.0.0:49152', '0.0.0.0:0', 'LISTENING', 484)
    $rpc = $target.Windows.Services.PSObject.Properties['MSExchangeRPC']
    if ($null -ne $rpc -and [string]$rpc.Value.Status -eq 'Running') {
        $rpcPort = @($rpc.Value.ListeningPorts | Where-Object { [int]$_ -lt 6001 -or [int]$_ -gt 6004 })
        if ($rpcPort.Count -gt 0) {
            $shown = [Math]::Min([int]$target.Windows.OutlookSessions, 3)
            for ($i = 0; $i -lt $shown; $i++) {
                $rows += , @([int]$rpcPort[0], ($address + ':' + $rpcPort[0]), ('10.8.1.' + (21 + $i) + ':' + (51200 + 7 * $i)), 'ESTABLISHED', [int]$rpc.Value.ProcessId)
            }
        }
    }
    $texts = $script:LabNetstatTexts[[string]$target.Windows.Culture]
    if ($null -eq $texts) { $texts = $script:LabNetstatTexts['en-US'] }
    $columns = $texts.Columns
    ''
    $texts.Title
    ''
    $heading = '  {0,-7}{1,-23}{2,-23}{3,-16}' -f $columns[0], $columns[1], $columns[2], $columns[3]
    if ($pid_) { $heading + $columns[4] } else { $heading.TrimEnd() }
    foreach ($row in @($rows | Sort-Object { $_[3] -ne 'LISTENING' }, { $_[0] }, { $_[4] })) {
        if (-not $all -and $row[3] -eq 'LISTENING') { continue }
        $line = '  {0,-7}{1,-23}{2,-23}{3,-16}' -f 'TCP', $row[1], $row[2], $texts[$row[3]]
        if ($pid_) { $line + $row[4] } else { $line.TrimEnd() }
    }
}

# A pending IgnorePort start fault (Add-ExchangeLabServiceFault -Kind IgnorePort), consumed: the
# service starts without an error but does not read its port from the registry, so it binds a
# dynamic one (a service whose restart "worked" and still does not listen on the new port).
function Use-LabIgnorePortStart {
    param([object]$Service)
    $property = $Service.PSObject.Properties['IgnorePortStarts']
    if ($null -eq $property -or [int]$property.Value -le 0) { return $false }
    $Service.IgnorePortStarts = [int]$property.Value - 1
    return $true
}
