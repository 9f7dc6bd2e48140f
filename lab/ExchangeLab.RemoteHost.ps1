<#
ExchangeLab.RemoteHost: Invoke-Command -ComputerName to a lab server, as over WinRM. The lab's
Invoke-Command is a proxy of the real one: -ComputerName <lab server> checks the server's Remoting
setting, refuses a script that PowerShell 2.0 could not run (lab/Ps2Compat), then runs the script
in a remote host of its own (a dynamic module) whose Windows commands act on that server's state
(ExchangeLab.Registry.ps1, ExchangeLab.Services.ps1); its output and errors come back as
remoting sends them. Every other parameter set goes to Microsoft.PowerShell.Core\Invoke-Command
unchanged. Dot-sourced by ExchangeLab.psm1.
#>

# The bridge the remote host's shadow commands call: runs in this module, so it reaches the state.
function Invoke-LabWindowsShadow {
    param([string]$Command, [string]$Computer, [System.Management.Automation.PSCmdlet]$Cmdlet, [System.Collections.IDictionary]$Bound)
    Enter-LabWindowsFault $Cmdlet $Command $Computer
    switch ($Command) {
        'Test-Path' { Invoke-LabShadowTestPath $Cmdlet $Computer $Bound }
        'Get-Item' { Invoke-LabShadowGetItem $Cmdlet $Computer $Bound }
        'New-Item' { Invoke-LabShadowNewItem $Cmdlet $Computer $Bound }
        'Remove-Item' { Invoke-LabShadowRemoveItem $Cmdlet $Computer $Bound }
        'New-ItemProperty' { Invoke-LabShadowNewItemProperty $Cmdlet $Computer $Bound }
        'Get-ItemProperty' { Invoke-LabShadowGetItemProperty $Cmdlet $Computer $Bound }
        'Set-ItemProperty' { Invoke-LabShadowSetItemProperty $Cmdlet $Computer $Bound }
        'Remove-ItemProperty' { Invoke-LabShadowRemoveItemProperty $Cmdlet $Computer $Bound }
        'Get-Service' { Invoke-LabShadowGetService $Cmdlet $Computer $Bound }
        'Start-Service' { Invoke-LabShadowServiceControl $Cmdlet $Computer $Bound 'Start' }
        'Stop-Service' { Invoke-LabShadowServiceControl $Cmdlet $Computer $Bound 'Stop' }
        'Restart-Service' { Invoke-LabShadowServiceControl $Cmdlet $Computer $Bound 'Restart' }
        'Get-WmiObject' { Invoke-LabShadowGetWmiObject $Cmdlet $Computer $Bound }
        'Get-Counter' { Invoke-LabShadowGetCounter $Cmdlet $Computer $Bound }
        'netstat' { Invoke-LabShadowNetstat $Cmdlet $Computer $Bound }
    }
}

$script:LabWindowsBridge = {
    param([string]$Command, [string]$Computer, $Cmdlet, $Bound)
    Invoke-LabWindowsShadow $Command $Computer $Cmdlet $Bound
}

# A shadow command's attribute and param block: the parameters given, after the Path and
# LiteralPath parameter sets the registry cmdlets share (-PathSets; -PathFromPipeline where Path also
# binds from the pipeline by value, as for Test-Path and Get-Item).
function New-LabShadowParamBlock {
    param([string]$DefaultSet, [switch]$ShouldProcess, [switch]$PathSets, [switch]$PathFromPipeline, [string]$Parameters)
    $binding = "DefaultParameterSetName = '" + $DefaultSet + "'"
    if ($ShouldProcess) { $binding += ', SupportsShouldProcess = $true' }
    $block = '[CmdletBinding(' + $binding + ")]`nparam(`n"
    if ($PathSets) {
        $pipeline = ''
        if ($PathFromPipeline) { $pipeline = ' ValueFromPipeline = $true,' }
        $block += "    [Parameter(ParameterSetName = 'Path', Mandatory = `$true, Position = 0," + $pipeline + " ValueFromPipelineByPropertyName = `$true)][string[]]`$Path,`n" +
        "    [Parameter(ParameterSetName = 'LiteralPath', Mandatory = `$true, ValueFromPipelineByPropertyName = `$true)][Alias('PSPath')][string[]]`$LiteralPath,`n"
    }
    return $block + $Parameters
}

# The commands a script sent to a lab server finds in place of this machine's: same names and
# parameters as on PowerShell 2.0, forwarding to the bridge above with the server's name. Errors
# come back as records and are written here, in the shadow, so that the script's own
# $ErrorActionPreference (Stop, for the provider's scripts) applies to them as to a real cmdlet's.
$script:LabShadowParams = [ordered]@{
    'Test-Path'           = @{ Process = $false; Params = (New-LabShadowParamBlock 'Path' -PathSets -PathFromPipeline @'
    [string]$Filter, [string[]]$Include, [string[]]$Exclude,
    [Alias('Type')][ValidateSet('Any', 'Container', 'Leaf')][string]$PathType,
    [switch]$IsValid, [System.Management.Automation.PSCredential]$Credential)
'@) }
    'Get-Item'            = @{ Process = $false; Params = (New-LabShadowParamBlock 'Path' -PathSets -PathFromPipeline @'
    [string]$Filter, [string[]]$Include, [string[]]$Exclude, [switch]$Force, [System.Management.Automation.PSCredential]$Credential)
'@) }
    'New-Item'            = @{ Process = 'New Item'; Params = (New-LabShadowParamBlock 'pathSet' -ShouldProcess @'
    [Parameter(ParameterSetName = 'pathSet', Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
    [Parameter(ParameterSetName = 'nameSet', Position = 0, ValueFromPipelineByPropertyName = $true)][string[]]$Path,
    [Parameter(ParameterSetName = 'nameSet', Mandatory = $true, ValueFromPipelineByPropertyName = $true)][AllowNull()][AllowEmptyString()][string]$Name,
    [Parameter(ValueFromPipelineByPropertyName = $true)][Alias('Type')][string]$ItemType,
    [Parameter(ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)][object]$Value,
    [switch]$Force, [System.Management.Automation.PSCredential]$Credential)
'@) }
    'Remove-Item'         = @{ Process = 'Remove Key'; Params = (New-LabShadowParamBlock 'Path' -ShouldProcess -PathSets @'
    [string]$Filter, [string[]]$Include, [string[]]$Exclude, [switch]$Recurse, [switch]$Force, [System.Management.Automation.PSCredential]$Credential)
'@) }
    'New-ItemProperty'    = @{ Process = 'New Property'; Params = (New-LabShadowParamBlock 'Path' -ShouldProcess -PathSets @'
    [Parameter(Mandatory = $true, Position = 1, ValueFromPipelineByPropertyName = $true)][Alias('PSProperty')][string]$Name,
    [Parameter(ValueFromPipelineByPropertyName = $true)][Alias('Type')][string]$PropertyType,
    [Parameter(ValueFromPipelineByPropertyName = $true)][object]$Value,
    [switch]$Force, [string]$Filter, [string[]]$Include, [string[]]$Exclude, [System.Management.Automation.PSCredential]$Credential)
'@) }
    'Get-ItemProperty'    = @{ Process = $false; Params = (New-LabShadowParamBlock 'Path' -PathSets @'
    [Parameter(Position = 1)][Alias('PSProperty')][string[]]$Name,
    [string]$Filter, [string[]]$Include, [string[]]$Exclude, [System.Management.Automation.PSCredential]$Credential)
'@) }
    'Set-ItemProperty'    = @{ Process = 'Set Property'; Params = (New-LabShadowParamBlock 'propertyValuePathSet' -ShouldProcess @'
    [Parameter(ParameterSetName = 'propertyValuePathSet', Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)][string[]]$Path,
    [Parameter(ParameterSetName = 'propertyValueLiteralPathSet', Mandatory = $true, ValueFromPipelineByPropertyName = $true)][Alias('PSPath')][string[]]$LiteralPath,
    [Parameter(Mandatory = $true, Position = 1, ValueFromPipelineByPropertyName = $true)][Alias('PSProperty')][string]$Name,
    [Parameter(Mandatory = $true, Position = 2, ValueFromPipelineByPropertyName = $true)][AllowNull()][object]$Value,
    [ValidateSet('String', 'ExpandString', 'Binary', 'DWord', 'MultiString', 'QWord')][string]$Type,
    [switch]$PassThru, [switch]$Force, [string]$Filter, [string[]]$Include, [string[]]$Exclude, [System.Management.Automation.PSCredential]$Credential)
'@) }
    'Remove-ItemProperty' = @{ Process = 'Remove Property'; Params = (New-LabShadowParamBlock 'Path' -ShouldProcess -PathSets @'
    [Parameter(Mandatory = $true, Position = 1, ValueFromPipelineByPropertyName = $true)][Alias('PSProperty')][string[]]$Name,
    [switch]$Force, [string]$Filter, [string[]]$Include, [string[]]$Exclude, [System.Management.Automation.PSCredential]$Credential)
'@) }
    'Get-Service'         = @{ Process = $false; Params = (New-LabShadowParamBlock 'Default' @'
    [Parameter(ParameterSetName = 'Default', Position = 0, ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)][Alias('ServiceName')][string[]]$Name,
    [Parameter(ParameterSetName = 'DisplayName', Mandatory = $true)][string[]]$DisplayName,
    [Parameter(ParameterSetName = 'InputObject', ValueFromPipeline = $true)][object[]]$InputObject,
    [Alias('Cn')][string[]]$ComputerName, [string[]]$Include, [string[]]$Exclude,
    [Alias('DS')][switch]$DependentServices, [Alias('SDO', 'ServicesDependedOn')][switch]$RequiredServices)
'@) }
    'Get-WmiObject'       = @{ Process = $false; Params = (New-LabShadowParamBlock 'query' @'
    [Parameter(ParameterSetName = 'query', Mandatory = $true, Position = 0)][Alias('ClassName')][string]$Class,
    [Parameter(ParameterSetName = 'query', Position = 1)][string[]]$Property,
    [Parameter(ParameterSetName = 'query')][string]$Filter,
    [Parameter(ParameterSetName = 'WQLQuery', Mandatory = $true)][string]$Query,
    [Alias('NS')][string]$Namespace, [Alias('Cn')][string[]]$ComputerName, [System.Management.Automation.PSCredential]$Credential,
    [switch]$Amended, [switch]$DirectRead, [switch]$AsJob, [switch]$EnableAllPrivileges, [string]$Authority, [int]$ThrottleLimit)
'@) }
    'Get-Counter'         = @{ Process = $false; Params = (New-LabShadowParamBlock 'GetCounterSet' @'
    [Parameter(ParameterSetName = 'GetCounterSet', Position = 0, ValueFromPipeline = $true)][string[]]$Counter,
    [Parameter(ParameterSetName = 'ListSetSet', Mandatory = $true, Position = 0)][string[]]$ListSet,
    [Parameter(ParameterSetName = 'GetCounterSet')][int]$SampleInterval,
    [Parameter(ParameterSetName = 'GetCounterSet')][long]$MaxSamples,
    [Parameter(ParameterSetName = 'GetCounterSet')][switch]$Continuous,
    [Alias('Cn')][string[]]$ComputerName)
'@) }
}
$script:LabServiceShadowParams = @'
[CmdletBinding(DefaultParameterSetName = 'InputObject', SupportsShouldProcess = $true)]
param(
    [Parameter(ParameterSetName = 'InputObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][object[]]$InputObject,
    [Parameter(ParameterSetName = 'Default', Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)][Alias('ServiceName')][string[]]$Name,
    [Parameter(ParameterSetName = 'DisplayName', Mandatory = $true)][string[]]$DisplayName,
    [switch]$Force, [switch]$PassThru, [string[]]$Include, [string[]]$Exclude)
'@
foreach ($verb in 'Start', 'Stop', 'Restart') {
    $script:LabShadowParams[$verb + '-Service'] = @{ Process = ($verb + '-Service'); Params = $script:LabServiceShadowParams }
}

function Get-LabRemoteHostSource {
    $lines = New-Object System.Collections.Generic.List[string]
    # A fresh remote session's preferences, whatever this session's are.
    $lines.Add('$ErrorActionPreference = ''Continue''; $WarningPreference = ''Continue''; $VerbosePreference = ''SilentlyContinue''; $DebugPreference = ''SilentlyContinue''')
    $lines.Add('$ConfirmPreference = ''High''; $WhatIfPreference = $false; $PSDefaultParameterValues = @{}')
    foreach ($name in $script:LabShadowParams.Keys) {
        $entry = $script:LabShadowParams[$name]
        $should = ''
        if ($entry.Process) {
            $should = '    $labTarget = @(@($PSBoundParameters.Values) | ForEach-Object { [string]$_ }) -join '', ''' + "`n" +
            '    if (-not $PSCmdlet.ShouldProcess($labTarget, ''' + $entry.Process + ''')) { return }' + "`n"
        }
        $lines.Add('function ' + $name + ' {' + "`n" + $entry.Params + "`n" + 'process {' + "`n" +
            '    $labHost = $MyInvocation.MyCommand.Module.PrivateData' + "`n" + $should +
            '    foreach ($labItem in @(& $labHost.Bridge ''' + $name + ''' $labHost.Computer $PSCmdlet $PSBoundParameters)) {' + "`n" +
            '        if ($labItem -is [System.Management.Automation.ErrorRecord]) { $PSCmdlet.WriteError($labItem) } else { $labItem }' + "`n" +
            '    }' + "`n" + '}' + "`n" + '}')
    }
    foreach ($name in 'netstat', 'netstat.exe', 'NETSTAT.EXE') {
        # A native command: no common parameters, no error records; the state is read through
        # the Invoke-Command that runs the script.
        $lines.Add('function ' + $name + ' { $labHost = $MyInvocation.MyCommand.Module.PrivateData; & $labHost.Bridge ''netstat'' $labHost.Computer $labHost.Invoker @{ Arguments = $args } }')
    }
    # The 2008 R2 aliases of the Windows-only cmdlets (pwsh on Linux has none of them).
    foreach ($alias in @(@('gwmi', 'Get-WmiObject'), @('gsv', 'Get-Service'), @('sasv', 'Start-Service'), @('spsv', 'Stop-Service'))) {
        $lines.Add('Set-Alias -Name ' + $alias[0] + ' -Value ' + $alias[1])
    }
    return ($lines -join "`n")
}

$script:LabRemoteHostSource = Get-LabRemoteHostSource

# A remote session on a lab server: a dynamic module holding the shadow commands, bound to the
# server through its PrivateData (a script cannot see or overwrite that, as it could a variable).
function New-LabRemoteHost {
    param([System.Management.Automation.PSCmdlet]$Invoker, [string]$Computer)
    $module = [System.Management.Automation.PSModuleInfo]::new([scriptblock]::Create($script:LabRemoteHostSource))
    $module.PrivateData = @{ Bridge = $script:LabWindowsBridge; Computer = $Computer; Invoker = $Invoker }
    return $module
}

function Copy-LabSerialized {
    param([object]$Value)
    if ($null -eq $Value) { return $null }
    return [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($Value))
}

# What Invoke-Command outputs for an object the remote pipeline wrote: deserialized (remoting's
# depth, 1), with PSComputerName, RunspaceId and PSShowComputerName.
function ConvertTo-LabRemoteOutput {
    param([object]$Item, [string]$Computer, [guid]$RunspaceId, [bool]$Show)
    $copy = Copy-LabSerialized $Item
    if ($null -eq $copy) { return }
    $output = [System.Management.Automation.PSObject]::AsPSObject($copy)
    Add-Member -InputObject $output -MemberType NoteProperty -Name 'PSComputerName' -Value $Computer -Force
    Add-Member -InputObject $output -MemberType NoteProperty -Name 'RunspaceId' -Value $RunspaceId -Force
    Add-Member -InputObject $output -MemberType NoteProperty -Name 'PSShowComputerName' -Value $Show -Force
    return $output
}

# An error of the remote pipeline as it arrives: a RemotingErrorRecord (OriginInfo = the computer)
# whose exception is a RemoteException with the original message (the original, deserialized, in
# SerializedRemoteException), keeping the original FullyQualifiedErrorId and category.
function New-LabRemoteErrorRecord {
    param([System.Management.Automation.ErrorRecord]$Original, [string]$Computer, [guid]$RunspaceId)
    $exception = New-Object System.Management.Automation.RemoteException($Original.Exception.Message)
    $flags = [System.Reflection.BindingFlags]'Instance, NonPublic'
    foreach ($pair in @(@('_serializedRemoteException', $Original.Exception), @('_serializedRemoteInvocationInfo', $Original.InvocationInfo))) {
        $field = [System.Management.Automation.RemoteException].GetField($pair[0], $flags)
        if ($null -ne $field -and $null -ne $pair[1]) {
            try { $field.SetValue($exception, [System.Management.Automation.PSObject]::AsPSObject((Copy-LabSerialized $pair[1]))) } catch { $null = $_ }
        }
    }
    $record = [ExchangeLab.ErrorRecordFactory]::Create($exception, $Original.FullyQualifiedErrorId, $Original.CategoryInfo.Category, (Copy-LabSerialized $Original.TargetObject))
    $record.CategoryInfo.Reason = $Original.CategoryInfo.Reason
    $record.CategoryInfo.Activity = $Original.CategoryInfo.Activity
    $record.CategoryInfo.TargetName = $Original.CategoryInfo.TargetName
    $record.CategoryInfo.TargetType = $Original.CategoryInfo.TargetType
    if ($null -ne $Original.ErrorDetails) { $record.ErrorDetails = $Original.ErrorDetails }
    return (New-Object System.Management.Automation.Runspaces.RemotingErrorRecord($record, (New-Object System.Management.Automation.Remoting.OriginInfo($Computer, $RunspaceId))))
}

# The error of a session that could not be opened, as Invoke-Command writes it: a
# PSRemotingTransportException with the WSMan error code, "<Id>,PSSessionStateBroken", OpenError,
# the computer name as target, and "[<computer>] <message>" as ErrorDetails.
function Write-LabTransportError {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [string]$Kind)
    $message = [string]::Format($script:WinMsg[$Kind], $Computer)
    $exception = New-Object System.Management.Automation.Remoting.PSRemotingTransportException($message)
    $exception.ErrorCode = $script:WinRMErrors[$Kind].Code
    $record = [ExchangeLab.ErrorRecordFactory]::Create($exception, ($script:WinRMErrors[$Kind].Id + ',PSSessionStateBroken'), 'OpenError', $Computer)
    $record.ErrorDetails = New-Object System.Management.Automation.ErrorDetails('[' + $Computer + '] ' + $message)
    $Cmdlet.WriteError($record)
}

# The remote pipeline: its own pipeline in this runspace (a nested PowerShell), so that what it
# writes reaches this session only as Invoke-Command passes it on (not, for instance, the
# caller's -ErrorVariable, which collects the errors of every command nested in the call). Errors
# are merged into the output to keep their order; a terminating error comes back marked.
$script:LabRemoteRunner = @'
param($Script, $Arguments, $InputObjects, $Marker)
try {
    if (@($InputObjects).Count -gt 0) { $InputObjects | & $Script @Arguments 2>&1 }
    else { & $Script @Arguments 2>&1 }
}
catch { New-Object System.Management.Automation.PSObject -Property @{ Marker = $Marker; Record = $_ } }
'@

# The PowerShell 2.0 check's findings for each script text this session has sent to a lab server.
# The provider's scripts are constant (their data travels as arguments), and parsing one costs
# 0.2-0.5 s, so a text is checked once per session; its findings (not just a verdict) are kept, so
# a refused script is refused again, with the same message, every time it is sent. Keyed by the
# exact text (ordinal: a script differing only in case is another script); bounded, so a session
# sending many distinct scripts starts over rather than growing.
$script:LabPs2Findings = New-Object 'System.Collections.Generic.Dictionary[string,object[]]' ([System.StringComparer]::Ordinal)
$script:LabPs2FindingsLimit = 256

function Get-LabPowerShell2Finding {
    param([string]$Text)
    $findings = $null
    if ($script:LabPs2Findings.TryGetValue($Text, [ref]$findings)) { return , $findings }
    $findings = [object[]]@(Test-PowerShell2Script -ScriptText $Text)
    if ($script:LabPs2Findings.Count -ge $script:LabPs2FindingsLimit) { $script:LabPs2Findings.Clear() }
    $script:LabPs2Findings[$Text] = $findings
    return , $findings
}

# Runs the script on one lab server; returns its output (and writes its errors) as Invoke-Command
# does. The server's pipeline runs to its end before anything is passed on.
function Invoke-LabRemoteComputer {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [string]$Text, [object[]]$Arguments,
        [System.Collections.ArrayList]$InputList, [bool]$Show, [bool]$Credential)
    $state = Read-LabState $Cmdlet
    $server = Find-LabWindowsServer $state $Computer
    if ($null -eq $server) { Write-LabTransportError $Cmdlet $Computer 'UnknownComputer'; return }
    $windows = Get-LabWindows $server
    switch ([string]$windows.Remoting) {
        'Disabled' { Write-LabTransportError $Cmdlet $Computer 'RemotingDisabled'; return }
        'Unreachable' { Write-LabTransportError $Cmdlet $Computer 'Unreachable'; return }
    }
    # The second hop: this logon has no credentials to hand on, and none were given.
    if (-not $Credential -and -not (Test-LabLogonHasCredentials)) { Write-LabTransportError $Cmdlet $Computer 'AccessDenied'; return }
    $runspaceId = [guid]::NewGuid()
    $findings = Get-LabPowerShell2Finding $Text
    if ($findings.Count -gt 0) {
        $list = @($findings | ForEach-Object { 'line ' + $_.Line + ': ' + $_.Construct + ' (PowerShell ' + $_.Version + ')' }) -join '; '
        $list = $list.Replace(' (PowerShell )', '')
        $exception = New-Object System.Management.Automation.ParseException([string]::Format($script:WinMsg.PowerShell2, $server.Name, $list))
        $original = New-Object System.Management.Automation.ErrorRecord($exception, 'ExchangeLabPowerShell2Script', 'ParserError', $null)
        $Cmdlet.WriteError((New-LabRemoteErrorRecord $original $Computer $runspaceId))
        return
    }
    $remoteArguments = @($Arguments | ForEach-Object { Copy-LabSerialized $_ })
    $remoteInput = @($InputList | ForEach-Object { Copy-LabSerialized $_ })
    $module = New-LabRemoteHost $Cmdlet ([string]$server.Name)
    $remoteScript = $module.NewBoundScriptBlock([scriptblock]::Create($Text))
    $marker = [guid]::NewGuid().ToString()
    # What the remote pipeline writes to $Error stays on the server: this session's $Error gets only
    # what Invoke-Command itself writes.
    $errorsBefore = $global:Error.Count
    $pipeline = [System.Management.Automation.PowerShell]::Create([System.Management.Automation.RunspaceMode]::CurrentRunspace)
    try {
        [void]$pipeline.AddScript($script:LabRemoteRunner).AddArgument($remoteScript).AddArgument([object[]]$remoteArguments).AddArgument([object[]]$remoteInput).AddArgument($marker)
        $results = @($pipeline.Invoke())
        $streams = $pipeline.Streams
    }
    finally {
        $pipeline.Dispose()
        while ($global:Error.Count -gt $errorsBefore) { $global:Error.RemoveAt(0) }
    }
    foreach ($item in $results) {
        $base = $item
        if ($item -is [System.Management.Automation.PSObject]) { $base = $item.PSObject.BaseObject }
        if ($base -is [System.Management.Automation.ErrorRecord]) {
            $Cmdlet.WriteError((New-LabRemoteErrorRecord $base $Computer $runspaceId))
        }
        elseif ($null -ne $item -and $null -ne $item.PSObject.Properties['Marker'] -and [string]$item.Marker -eq $marker) {
            $Cmdlet.WriteError((New-LabRemoteErrorRecord $item.Record $Computer $runspaceId))
        }
        else { ConvertTo-LabRemoteOutput $item $Computer $runspaceId $Show }
    }
    foreach ($warning in $streams.Warning) { $Cmdlet.WriteWarning($warning.Message) }
    foreach ($verbose in $streams.Verbose) { $Cmdlet.WriteVerbose($verbose.Message) }
    foreach ($information in $streams.Information) { $Cmdlet.WriteInformation($information) }
}

# Invoke-Command -ComputerName to lab servers (the proxy's ComputerName parameter sets).
function Invoke-LabRemoteCommand {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [System.Collections.IDictionary]$Bound, [System.Collections.ArrayList]$InputList)
    foreach ($unsupported in 'AsJob', 'InDisconnectedSession') {
        if ($Bound.ContainsKey($unsupported) -and [bool]$Bound[$unsupported]) {
            $message = [string]::Format($script:WinMsg.NotEmulated, $unsupported)
            Stop-LabCommand $Cmdlet (New-Object System.NotSupportedException($message)) 'ExchangeLabNotEmulated' 'NotImplemented' $unsupported
        }
    }
    if ($Bound.ContainsKey('FilePath')) {
        $text = [System.IO.File]::ReadAllText($Cmdlet.GetUnresolvedProviderPathFromPSPath([string]$Bound['FilePath']))
    }
    else { $text = $Bound['ScriptBlock'].ToString() }
    $arguments = @()
    if ($Bound.ContainsKey('ArgumentList')) { $arguments = @($Bound['ArgumentList']) }
    $show = -not ($Bound.ContainsKey('HideComputerName') -and [bool]$Bound['HideComputerName'])
    $credential = $Bound.ContainsKey('Credential') -and $null -ne $Bound['Credential']
    foreach ($computer in @($Bound['ComputerName'])) {
        Invoke-LabRemoteComputer $Cmdlet ([string]$computer) $text $arguments $InputList $show $credential
    }
}

# The Invoke-Command proxy, built from this PowerShell's own Invoke-Command so that every
# parameter set keeps its exact parameters (5.1 and 7 differ). -ComputerName goes to the lab;
# everything else to the real cmdlet through a steppable pipeline, unchanged.
# Reading the cmdlet's metadata costs 100-200 ms, so the generated attribute and param block are
# cached per PowerShell version next to the compiled types (as Import-LabType does).
function Get-LabInvokeCommandParts {
    $cmdlet = $ExecutionContext.InvokeCommand.GetCmdlet('Microsoft.PowerShell.Core\Invoke-Command')
    if ($null -eq $cmdlet) { return $null }
    $key = 'Invoke-Command|' + $PSVersionTable.PSVersion.ToString() + '|' + (Get-LabPSEdition) + '|' + [Environment]::OSVersion.Platform + '|' + $cmdlet.ImplementingType.Assembly.FullName
    $file = Get-LabCacheFile 'InvokeCommand-' $key '.txt'
    $cacheDir = [System.IO.Path]::GetDirectoryName($file)
    $separator = "`n#ExchangeLab:param`n"
    $cached = $null
    try { if ([System.IO.File]::Exists($file)) { $cached = [System.IO.File]::ReadAllText($file) } } catch { $cached = $null }
    if ($null -ne $cached -and $cached.Contains($separator)) {
        $at = $cached.IndexOf($separator)
        return @($cached.Substring(0, $at), $cached.Substring($at + $separator.Length))
    }
    $metadata = New-Object System.Management.Automation.CommandMetadata($cmdlet)
    $binding = [System.Management.Automation.ProxyCommand]::GetCmdletBindingAttribute($metadata)
    $params = [System.Management.Automation.ProxyCommand]::GetParamBlock($metadata)
    try {
        [void][System.IO.Directory]::CreateDirectory($cacheDir)
        $tmp = [System.IO.Path]::Combine($cacheDir, 'build-' + [guid]::NewGuid().ToString('N') + '.txt')
        [System.IO.File]::WriteAllText($tmp, $binding + $separator + $params)
        try { [System.IO.File]::Move($tmp, $file) }
        catch { [System.IO.File]::Delete($tmp) }   # another process won the race; its text is identical
    }
    catch { $null = $_ }   # no usable cache: generate again next time
    return @($binding, $params)
}

function Get-LabInvokeCommandSource {
    $parts = Get-LabInvokeCommandParts
    if ($null -eq $parts) { return $null }
    $binding = $parts[0]
    $params = $parts[1]
    return @"
function Invoke-Command {
<#
.SYNOPSIS
Runs commands in process, in sessions, or on lab servers as if over WinRM.
.DESCRIPTION
The lab's Invoke-Command. With -ComputerName naming a lab server (Name or Fqdn), it emulates
PowerShell remoting to that server: its Remoting setting (Enabled, Disabled: 2008 R2's default,
Unreachable) decides whether it connects, and a logon without credentials to hand on
(EXCHANGE_LAB_LOGON=Network: an SSH key logon on a jump host) is denied unless -Credential is
given; the script must pass the PowerShell 2.0 check (Test-ExchangeLabPowerShell2Script); then it runs in a fresh scope where the Windows commands it needs (registry, services, WMI,
netstat, Get-Counter) act on that server's lab state. Output comes back deserialized with
PSComputerName; errors come back as remote errors. Authentication, Port, UseSSL and SessionOption
are accepted and ignored; Credential only lifts the second-hop refusal. Any other use (-Session, in process, ...) is passed
unchanged to Microsoft.PowerShell.Core\Invoke-Command.
#>
$binding
param($params)
begin {
    `$labRemote = `$PSCmdlet.ParameterSetName -eq 'ComputerName' -or `$PSCmdlet.ParameterSetName -eq 'FilePathComputerName'
    if (`$labRemote) {
        `$labInput = New-Object System.Collections.ArrayList
        return
    }
    `$wrapped = `$ExecutionContext.InvokeCommand.GetCmdlet('Microsoft.PowerShell.Core\Invoke-Command')
    `$steppable = { & `$wrapped @PSBoundParameters }.GetSteppablePipeline(`$MyInvocation.CommandOrigin)
    `$steppable.Begin(`$PSCmdlet)
}
process {
    if (`$labRemote) {
        if (`$PSBoundParameters.ContainsKey('InputObject')) { [void]`$labInput.Add(`$InputObject) }
        return
    }
    `$steppable.Process(`$_)
}
end {
    if (`$labRemote) { Invoke-LabRemoteCommand `$PSCmdlet `$PSBoundParameters `$labInput; return }
    `$steppable.End()
}
}
"@
}

$script:LabInvokeCommandSource = Get-LabInvokeCommandSource
if ($null -ne $script:LabInvokeCommandSource) { . ([scriptblock]::Create($script:LabInvokeCommandSource)) }
Remove-Variable -Name LabInvokeCommandSource -Scope Script

<#
.SYNOPSIS
Lists what a Windows PowerShell 2.0 host (Windows Server 2008 R2) could not run in a script.
.DESCRIPTION
The check a lab server applies to every script Invoke-Command -ComputerName sends it (lab/Ps2Compat):
parse errors, and every construct, command, parameter or .NET Framework 4 member or type that needs
PowerShell 3.0 or later (or a later Windows). Returns one object per finding (Line, Column,
Construct, Version, Text); nothing means the script is PowerShell 2.0-safe as far as a static check
can tell. The lab's Invoke-Command -ComputerName refuses scripts with findings.
#>
function Test-ExchangeLabPowerShell2Script {
    [CmdletBinding(DefaultParameterSetName = 'Text')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ParameterSetName = 'Text')][AllowEmptyString()][string]$ScriptText,
        [Parameter(Mandatory = $true, ParameterSetName = 'Path')][string]$Path
    )
    if ($PSCmdlet.ParameterSetName -eq 'Path') { Test-PowerShell2Script -Path $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path) }
    else { Test-PowerShell2Script -ScriptText $ScriptText }
}
