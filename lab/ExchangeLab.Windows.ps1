<#
ExchangeLab.Windows: the Windows side of each lab server, as the provider reaches it through
PowerShell remoting (WinRM) to a Client Access server: Windows Server 2008 R2 with PowerShell 2.0
and Exchange 2010 (LB-WIRING.md section 1).

Dot-sourced by ExchangeLab.psm1, so it shares the module's state helpers (Read-LabState,
Update-LabState, Set-LabProperty, ...). It adds:

- an Invoke-Command proxy: -ComputerName <lab server> emulates WinRM to that server (its Remoting
  setting, a PowerShell 2.0 language check, then the script in a fresh scope where the Windows
  commands it needs are emulations bound to that server's state); every other parameter set goes
  to the real Microsoft.PowerShell.Core\Invoke-Command unchanged;
- the server's registry (HKLM only), its Exchange services (which bind their RPC ports when they
  start, from the registry), netstat, Win32_Service and the RPC Client Access user-count counter;
- administration commands for tests (remoting, registry, restarts, service faults, SP upgrades).

State: servers[].Windows (see README.md). A server without it gets defaults computed from its name,
stored at the first write. Same rules as the module: runs on Windows PowerShell 5.1 and
PowerShell 7 (no ?? ?. ?: && || and no 7-only parameters; test/lab/module.test.ts checks).
#>

# Texts of Windows and WinRM. Where a text is the lab's own (no primary source found), it says so.
$script:WinMsg = @{
    # Invoke-Command -ComputerName: the PSRemotingTransportException messages of a broken session
    # (about_Remote_Troubleshooting; the id pairings are from published transcripts, LB-WIRING [WINRM-ERR]).
    RemotingDisabled   = 'Connecting to remote server {0} failed with the following error message : The client cannot connect to the destination specified in the request. Verify that the service on the destination is running and is accepting requests. Consult the logs and documentation for the WS-Management service running on the destination, most commonly IIS or WinRM. If the destination is the WinRM service, run the following command on the destination to analyze and configure the WinRM service: "winrm quickconfig". For more information, see the about_Remote_Troubleshooting Help topic.'
    Unreachable        = 'Connecting to remote server {0} failed with the following error message : WinRM cannot complete the operation. Verify that the specified computer name is valid, that the computer is accessible over the network, and that a firewall exception for the WinRM service is enabled and allows access from this computer. By default, the WinRM firewall exception for public profiles limits access to remote computers within the same local subnet. For more information, see the about_Remote_Troubleshooting Help topic.'
    UnknownComputer    = 'Connecting to remote server {0} failed with the following error message : WinRM cannot process the request. The following error occurred while using Kerberos authentication: Cannot find the computer {0}. Verify that the computer exists on the network and that the name provided is spelled correctly. For more information, see the about_Remote_Troubleshooting Help topic.'
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

#region PowerShell 2.0 language check -----------------------------------------------------------

# What a Windows Server 2008 R2 host (PowerShell 2.0) cannot run, found with the local parser's AST.
# Some constructs fail to parse on 2.0, others fail (or mean something else) at run time; a script
# with any of them is refused as a whole, before anything runs. Not detectable statically, and
# therefore not checked: member enumeration (@($objects).Name) and .Count/.Length on a scalar, both
# 3.0 features.
$script:Ps2CommandVersions = @{
    'Get-CimInstance' = '3.0'; 'Get-CimClass' = '3.0'; 'New-CimSession' = '3.0'; 'Invoke-CimMethod' = '3.0'
    'New-CimInstance' = '3.0'; 'Set-CimInstance' = '3.0'; 'Remove-CimInstance' = '3.0'; 'Get-CimAssociatedInstance' = '3.0'
    'Register-CimIndicationEvent' = '3.0'; 'ConvertTo-Json' = '3.0'; 'ConvertFrom-Json' = '3.0'
    'Invoke-RestMethod' = '3.0'; 'Invoke-WebRequest' = '3.0'; 'Unblock-File' = '3.0'; 'Show-Command' = '3.0'
    'Get-TypeData' = '3.0'; 'Remove-TypeData' = '3.0'; 'Disconnect-PSSession' = '3.0'; 'Connect-PSSession' = '3.0'
    'Receive-PSSession' = '3.0'; 'Resume-Job' = '3.0'; 'Suspend-Job' = '3.0'; 'Rename-Computer' = '3.0'
    'Update-Help' = '3.0'; 'Save-Help' = '3.0'; 'Get-ControlPanelItem' = '3.0'; 'Get-FileHash' = '4.0'
    'Get-ItemPropertyValue' = '5.0'; 'New-TemporaryFile' = '5.0'; 'New-Guid' = '5.0'; 'Compress-Archive' = '5.0'
    'Expand-Archive' = '5.0'; 'Format-Hex' = '5.0'; 'Write-Information' = '5.0'; 'Get-Clipboard' = '5.0'
    'Set-Clipboard' = '5.0'; 'ConvertFrom-String' = '5.0'; 'Get-Runspace' = '5.0'; 'Get-ComputerInfo' = '5.1'
    'Get-TimeZone' = '5.1'; 'Get-LocalUser' = '5.1'; 'Get-LocalGroupMember' = '5.1'; 'Get-Uptime' = '6.0'
    'Join-String' = '6.2'; 'Test-Json' = '6.1'; 'Get-Error' = '7.0'
    # Windows Server 2012 and later modules (not on 2008 R2 at all).
    'Resolve-DnsName' = 'Windows Server 2012'; 'Test-NetConnection' = 'Windows Server 2012 R2'
    'Get-NetTCPConnection' = 'Windows Server 2012'; 'Get-NetIPAddress' = 'Windows Server 2012'
    'Get-NetAdapter' = 'Windows Server 2012'; 'Get-ScheduledTask' = 'Windows Server 2012'
    'Get-SmbShare' = 'Windows Server 2012'; 'Get-Volume' = 'Windows Server 2012'; 'Get-Disk' = 'Windows Server 2012'
}

# Parameters that cmdlets present in 2.0 gained later.
$script:Ps2ParameterVersions = @{
    'Get-ChildItem'   = @{ File = '3.0'; Directory = '3.0'; Attributes = '3.0'; Hidden = '3.0'; ReadOnly = '3.0'; System = '3.0'; Depth = '5.0' }
    'Get-Content'     = @{ Raw = '3.0'; Tail = '3.0'; Stream = '3.0'; AsByteStream = '6.0' }
    'Set-Content'     = @{ NoNewline = '5.0'; Stream = '3.0'; AsByteStream = '6.0' }
    'Add-Content'     = @{ NoNewline = '5.0'; Stream = '3.0'; AsByteStream = '6.0' }
    'Out-File'        = @{ NoNewline = '5.0' }
    'Add-Member'      = @{ NotePropertyName = '3.0'; NotePropertyValue = '3.0'; NotePropertyMembers = '3.0'; TypeName = '3.0' }
    'Export-Csv'      = @{ Append = '3.0'; IncludeTypeInformation = '6.0'; UseQuotes = '7.0'; QuoteFields = '7.0' }
    'ConvertTo-Csv'   = @{ IncludeTypeInformation = '6.0'; UseQuotes = '7.0'; QuoteFields = '7.0' }
    'Get-Item'        = @{ Stream = '3.0' }
    'Remove-Item'     = @{ Stream = '3.0' }
    'Get-Process'     = @{ IncludeUserName = '4.0' }
    'Sort-Object'     = @{ Top = '7.0'; Bottom = '7.0'; Stable = '6.2' }
    'Select-String'   = @{ Raw = '7.0'; NoEmphasis = '7.0' }
    'Out-String'      = @{ NoNewline = '7.0' }
    'Join-Path'       = @{ AdditionalChildPath = '6.0' }
    'Split-Path'      = @{ Extension = '6.0'; LeafBase = '6.0' }
    'Measure-Object'  = @{ AllStats = '6.0'; StandardDeviation = '6.0' }
    'Get-Date'        = @{ AsUTC = '7.0'; UnixTimeSeconds = '7.0' }
    'Test-Connection' = @{ TargetName = '6.0'; TcpPort = '6.0' }
    'ForEach-Object'  = @{ Parallel = '7.0'; MemberName = '3.0' }
    'Where-Object'    = @{ Property = '3.0' }
}

# Common parameters added after 2.0.
$script:Ps2CommonParameterVersions = @{
    PipelineVariable = '4.0'; pv = '4.0'; InformationAction = '5.0'; infa = '5.0'; InformationVariable = '5.0'; iv = '5.0'
}

# Modules that 2008 R2 has but PowerShell 2.0 does not load by itself (autoloading is 3.0):
# a command of theirs needs an Import-Module of the module in the same script.
$script:Ps2ModuleCommands = @(
    @{ Module = 'ServerManager'; Pattern = '^(Get|Add|Remove)-WindowsFeature$' }
    @{ Module = 'NetworkLoadBalancingClusters'; Pattern = '^[A-Za-z]+-Nlb' }
    @{ Module = 'FailoverClusters'; Pattern = '^[A-Za-z]+-Cluster' }
    @{ Module = 'ActiveDirectory'; Pattern = '^[A-Za-z]+-AD[A-Z]' }
)

$script:Ps2TypeVersions = @{
    'ordered' = '3.0'; 'pscustomobject' = '3.0'; 'System.Management.Automation.PSCustomObject' = '3.0'
    'ciminstance' = '3.0'; 'cimsession' = '3.0'; 'cimclass' = '3.0'; 'cimtype' = '3.0'; 'cimconverter' = '3.0'
    'ArgumentCompleter' = '5.0'; 'ValidateDrive' = '4.0'; 'ValidateUserDrive' = '5.0'; 'SupportsWildcards' = '3.0'
    'PSDefaultValue' = '3.0'; 'ValidateTrustedData' = '5.1'; 'semver' = '6.0'; 'Experimental' = '7.0'
    'NoRunspaceAffinity' = '7.4'
}

$script:Ps2VariableVersions = @{
    PSItem = '3.0'; PSCommandPath = '3.0'; PSScriptRoot = '3.0 (2.0 sets it only in modules)'; PSDefaultParameterValues = '3.0'
    PSEdition = '5.1'; IsWindows = '6.0'; IsLinux = '6.0'; IsMacOS = '6.0'; IsCoreCLR = '6.0'; PSStyle = '7.2'
    EnabledExperimentalFeatures = '6.2'
}

function New-LabPs2Finding {
    param([object]$Extent, [string]$Construct, [string]$Version)
    $text = [string]$Extent.Text
    if ($text.Length -gt 60) { $text = $text.Substring(0, 57) + '...' }
    [pscustomobject]@{
        Line      = [int]$Extent.StartLineNumber
        Column    = [int]$Extent.StartColumnNumber
        Construct = $Construct
        Version   = $Version
        Text      = $text
    }
}

function Test-LabPs2NodeProperty {
    param([object]$Node, [string]$Name)
    $property = $Node.PSObject.Properties[$Name]
    return ($null -ne $property -and [bool]$property.Value)
}

function Get-LabPs2TypeName {
    param([string]$Name)
    $name = $Name.Trim()
    if ($name.StartsWith('[')) { $name = $name.Trim('[', ']') }
    return $name
}

# One node's findings. Node types are compared by name: PowerShell 5.1 lacks the 7-only ones.
function Get-LabPs2NodeFinding {
    param([object]$Node, [hashtable]$Imported)
    $kind = $Node.GetType().Name
    switch ($kind) {
        'TypeDefinitionAst' { New-LabPs2Finding $Node.Extent 'class or enum definition' '5.0'; return }
        'UsingStatementAst' { New-LabPs2Finding $Node.Extent 'using statement' '5.0'; return }
        'UsingExpressionAst' { New-LabPs2Finding $Node.Extent '$using: variable' '3.0'; return }
        'TernaryExpressionAst' { New-LabPs2Finding $Node.Extent 'ternary operator ?:' '7.0'; return }
        'PipelineChainAst' { New-LabPs2Finding $Node.Extent 'pipeline chain operator && or ||' '7.0'; return }
        'ConfigurationDefinitionAst' { New-LabPs2Finding $Node.Extent 'DSC configuration' '4.0'; return }
        'DynamicKeywordStatementAst' { New-LabPs2Finding $Node.Extent 'dynamic keyword' '4.0'; return }
        'FunctionDefinitionAst' {
            if ($Node.IsWorkflow) { New-LabPs2Finding $Node.Extent 'workflow' '3.0' }
            return
        }
        'ScriptBlockAst' {
            if (Test-LabPs2NodeProperty $Node 'CleanBlock') { New-LabPs2Finding $Node.CleanBlock.Extent 'clean block' '7.3' }
            $requirements = $Node.ScriptRequirements
            if ($null -ne $requirements) {
                if ($null -ne $requirements.RequiredPSVersion -and $requirements.RequiredPSVersion.Major -gt 2) {
                    New-LabPs2Finding $Node.Extent ('#requires -Version ' + $requirements.RequiredPSVersion) ([string]$requirements.RequiredPSVersion)
                }
                if (@($requirements.RequiredModules).Count -gt 0) { New-LabPs2Finding $Node.Extent '#requires -Modules' '3.0' }
                if ((Test-LabPs2NodeProperty $requirements 'RequiredPSEditions') -and @($requirements.RequiredPSEditions).Count -gt 0) { New-LabPs2Finding $Node.Extent '#requires -PSEdition' '5.1' }
                if ($requirements.IsElevationRequired) { New-LabPs2Finding $Node.Extent '#requires -RunAsAdministrator' '4.0' }
            }
            return
        }
        'PipelineAst' {
            if (Test-LabPs2NodeProperty $Node 'Background') { New-LabPs2Finding $Node.Extent 'background operator &' '6.0' }
            return
        }
        'BinaryExpressionAst' {
            $operator = [string]$Node.Operator
            # In, Iin, Cin (-in, -iin, -cin) and their -notin forms.
            if ($operator -match '^[IC]?in$') { New-LabPs2Finding $Node.Extent '-in operator' '3.0' }
            elseif ($operator -match '^[IC]?notin$') { New-LabPs2Finding $Node.Extent '-notin operator' '3.0' }
            elseif ($operator -eq 'Shl' -or $operator -eq 'Shr') { New-LabPs2Finding $Node.Extent ('-' + $operator.ToLowerInvariant() + ' operator') '3.0' }
            elseif ($operator -eq 'QuestionQuestion') { New-LabPs2Finding $Node.Extent 'null-coalescing operator ??' '7.0' }
            elseif ($operator -match '^[IC]?[Rr]eplace$' -and @($Node.Right.FindAll({ param($n) $n -is [System.Management.Automation.Language.ScriptBlockExpressionAst] }, $false)).Count -gt 0) {
                New-LabPs2Finding $Node.Extent '-replace with a script block' '6.1'
            }
            elseif ($operator -eq 'DotDot' -and ($Node.Left -is [System.Management.Automation.Language.StringConstantExpressionAst] -or $Node.Right -is [System.Management.Automation.Language.StringConstantExpressionAst])) {
                New-LabPs2Finding $Node.Extent 'character range' '6.0'
            }
            return
        }
        'AssignmentStatementAst' {
            if ([string]$Node.Operator -eq 'QuestionQuestionEquals') { New-LabPs2Finding $Node.Extent 'null-coalescing assignment ??=' '7.0' }
            return
        }
        'InvokeMemberExpressionAst' {
            if (Test-LabPs2NodeProperty $Node 'NullConditional') { New-LabPs2Finding $Node.Extent 'null-conditional member access ?.' '7.0' }
            if (Test-LabPs2NodeProperty $Node 'GenericTypeArguments') { New-LabPs2Finding $Node.Extent 'generic method call' '7.3' }
            $member = $Node.Member
            if ($member -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
                if ($Node.Static -and $member.Value -eq 'new') { New-LabPs2Finding $Node.Extent '::new() constructor call' '5.0' }
                elseif (-not $Node.Static -and ($member.Value -eq 'Where' -or $member.Value -eq 'ForEach')) { New-LabPs2Finding $Node.Extent ('.' + $member.Value + '() method') '4.0' }
            }
            return
        }
        'MemberExpressionAst' {
            if (Test-LabPs2NodeProperty $Node 'NullConditional') { New-LabPs2Finding $Node.Extent 'null-conditional member access ?.' '7.0' }
            return
        }
        'IndexExpressionAst' {
            if (Test-LabPs2NodeProperty $Node 'NullConditional') { New-LabPs2Finding $Node.Extent 'null-conditional index ?[]' '7.0' }
            return
        }
        'VariableExpressionAst' {
            $name = [string]$Node.VariablePath.UserPath
            if ($name.Contains(':')) { $name = $name.Substring($name.IndexOf(':') + 1) }
            foreach ($known in $script:Ps2VariableVersions.Keys) {
                if ($known -eq $name) { New-LabPs2Finding $Node.Extent ('$' + $known) $script:Ps2VariableVersions[$known] }
            }
            return
        }
        'TypeConstraintAst' { Get-LabPs2TypeFinding $Node $Node.TypeName.FullName 'type'; return }
        'TypeExpressionAst' { Get-LabPs2TypeFinding $Node $Node.TypeName.FullName 'type'; return }
        'AttributeAst' {
            $name = Get-LabPs2TypeName $Node.TypeName.FullName
            Get-LabPs2TypeFinding $Node $name 'attribute'
            if ($name -match '^(System\.Management\.Automation\.)?ValidateRange(Attribute)?$') {
                foreach ($argument in $Node.PositionalArguments) {
                    if ($argument -is [System.Management.Automation.Language.StringConstantExpressionAst]) { New-LabPs2Finding $Node.Extent ("[ValidateRange('" + $argument.Value + "')]") '6.1' }
                }
            }
            foreach ($named in $Node.NamedArguments) {
                if ($named.ExpressionOmitted) { New-LabPs2Finding $named.Extent ($named.ArgumentName + ' without = $true') '3.0' }
                if ($named.ArgumentName -eq 'DontShow') { New-LabPs2Finding $named.Extent 'DontShow' '4.0' }
                if ($named.ArgumentName -eq 'PositionalBinding') { New-LabPs2Finding $named.Extent 'PositionalBinding' '3.0' }
            }
            return
        }
        'FileRedirectionAst' {
            $stream = [string]$Node.FromStream
            if ($stream -ne 'Output' -and $stream -ne 'Error') { New-LabPs2Finding $Node.Extent ('redirection of the ' + $stream + ' stream') '3.0' }
            return
        }
        'MergingRedirectionAst' {
            if ([string]$Node.FromStream -ne 'Error' -or [string]$Node.ToStream -ne 'Output') { New-LabPs2Finding $Node.Extent ('redirection of the ' + [string]$Node.FromStream + ' stream') '3.0' }
            return
        }
        'CommandAst' { Get-LabPs2CommandFinding $Node $Imported; return }
    }
}

function Get-LabPs2TypeFinding {
    param([object]$Node, [string]$TypeName, [string]$What)
    $name = Get-LabPs2TypeName $TypeName
    foreach ($known in $script:Ps2TypeVersions.Keys) {
        if ($known -eq $name -or ($What -eq 'attribute' -and ($known + 'Attribute') -eq $name)) {
            if ($known -eq 'ordered') { New-LabPs2Finding $Node.Extent '[ordered]' '3.0' }
            else { New-LabPs2Finding $Node.Extent ('[' + $name + '] ' + $What) $script:Ps2TypeVersions[$known] }
        }
    }
}

function Get-LabPs2CommandFinding {
    param([object]$Node, [hashtable]$Imported)
    $name = $Node.GetCommandName()
    if ([string]::IsNullOrEmpty($name)) { return }
    $aliases = @{ '?' = 'Where-Object'; 'where' = 'Where-Object'; '%' = 'ForEach-Object'; 'foreach' = 'ForEach-Object' }
    if ($aliases.ContainsKey($name)) { $name = $aliases[$name] }
    foreach ($known in $script:Ps2CommandVersions.Keys) {
        if ($known -eq $name) { New-LabPs2Finding $Node.Extent $known $script:Ps2CommandVersions[$known] }
    }
    foreach ($entry in $script:Ps2ModuleCommands) {
        if ($name -match $entry.Pattern -and -not $Imported.ContainsKey($entry.Module)) {
            New-LabPs2Finding $Node.Extent ($name + ' without Import-Module ' + $entry.Module + ' (module autoloading)') '3.0'
        }
    }
    $parameters = @($Node.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] })
    foreach ($parameter in $parameters) {
        foreach ($common in $script:Ps2CommonParameterVersions.Keys) {
            if ($common -eq $parameter.ParameterName) { New-LabPs2Finding $parameter.Extent ('-' + $common) $script:Ps2CommonParameterVersions[$common] }
        }
        foreach ($command in $script:Ps2ParameterVersions.Keys) {
            if ($command -ne $name) { continue }
            $table = $script:Ps2ParameterVersions[$command]
            foreach ($known in $table.Keys) {
                if ($known -eq $parameter.ParameterName) { New-LabPs2Finding $parameter.Extent ($command + ' -' + $known) $table[$known] }
            }
        }
    }
    # Where-Object Name -eq 'x' and ForEach-Object Name (the simplified syntax) are 3.0: 2.0 takes a
    # script block only.
    if ($name -eq 'Where-Object' -or $name -eq 'ForEach-Object') {
        $allowed = @('FilterScript', 'Process', 'Begin', 'End', 'InputObject', 'RemainingScripts')
        $arguments = @($Node.CommandElements | Select-Object -Skip 1)
        $simplified = $false
        for ($i = 0; $i -lt $arguments.Count; $i++) {
            $element = $arguments[$i]
            if ($element -is [System.Management.Automation.Language.CommandParameterAst]) {
                $known = $false
                foreach ($a in $allowed) { if ($a -like ($element.ParameterName + '*')) { $known = $true } }
                $common = [System.Management.Automation.PSCmdlet]::CommonParameters -contains $element.ParameterName -or
                    @('ea', 'ev', 'ov', 'ob', 'wa', 'wv', 'vb', 'db') -contains $element.ParameterName
                if (-not $known -and -not $common) { $simplified = $true }
                if (($known -or $common) -and $null -eq $element.Argument -and $element.ParameterName -ne 'Verbose' -and $element.ParameterName -ne 'Debug') { $i++ }
            }
            elseif (-not ($element -is [System.Management.Automation.Language.ScriptBlockExpressionAst])) { $simplified = $true }
        }
        if ($simplified) { New-LabPs2Finding $Node.Extent ($name + ' without a script block (simplified syntax)') '3.0' }
    }
}

function Get-LabPs2TokenFinding {
    param([object]$Token)
    $kind = [string]$Token.Kind
    if ($kind -eq 'Number') {
        $text = [string]$Token.Text
        if ($text -match '^(?i)0b[01]') { New-LabPs2Finding $Token.Extent 'binary number literal' '7.0' }
        elseif ($text -notmatch '^(?i)0x' -and $text -match '(?i)(u[lsy]?|y|s|n)(kb|mb|gb|tb|pb)?$') { New-LabPs2Finding $Token.Extent 'numeric type suffix' '6.2' }
        return
    }
    if ($kind -eq 'StringExpandable' -or $kind -eq 'HereStringExpandable') {
        $text = [string]$Token.Text
        if ($text.Contains('`u{')) { New-LabPs2Finding $Token.Extent 'escape `u{}' '6.0' }
        if ($text -cmatch '`e') { New-LabPs2Finding $Token.Extent 'escape `e' '6.0' }
    }
}

# The findings for one script's text: parse errors first, then every construct above.
function Get-LabPs2Finding {
    param([string]$Text)
    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseInput($Text, [ref]$tokens, [ref]$errors)
    foreach ($parseError in @($errors)) {
        [pscustomobject]@{
            Line      = [int]$parseError.Extent.StartLineNumber
            Column    = [int]$parseError.Extent.StartColumnNumber
            Construct = 'parse error: ' + $parseError.Message
            Version   = ''
            Text      = [string]$parseError.Extent.Text
        }
    }
    if (@($errors).Count -gt 0) { return }
    $imported = @{}
    foreach ($command in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true)) {
        if ($command.GetCommandName() -eq 'Import-Module') {
            foreach ($element in @($command.CommandElements | Select-Object -Skip 1)) {
                if ($element -is [System.Management.Automation.Language.StringConstantExpressionAst]) { $imported[[string]$element.Value] = $true }
            }
        }
    }
    foreach ($node in $ast.FindAll({ param($n) $true }, $true)) { Get-LabPs2NodeFinding $node $imported }
    foreach ($token in @($tokens)) { Get-LabPs2TokenFinding $token }
}

<#
.SYNOPSIS
Lists what a Windows PowerShell 2.0 host (Windows Server 2008 R2) could not run in a script.
.DESCRIPTION
Parses the script with this PowerShell's parser and reports parse errors and every construct,
command or parameter that needs PowerShell 3.0 or later (or a later Windows). Returns one object
per finding (Line, Column, Construct, Version, Text); nothing means the script is PowerShell
2.0-safe as far as a static check can tell. The lab's Invoke-Command -ComputerName refuses scripts
with findings.
#>
function Test-ExchangeLabPowerShell2Script {
    [CmdletBinding(DefaultParameterSetName = 'Text')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ParameterSetName = 'Text')][AllowEmptyString()][string]$ScriptText,
        [Parameter(Mandatory = $true, ParameterSetName = 'Path')][string]$Path
    )
    if ($PSCmdlet.ParameterSetName -eq 'Path') {
        $ScriptText = [System.IO.File]::ReadAllText($PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path))
    }
    Get-LabPs2Finding $ScriptText | Sort-Object Line, Column
}

#endregion
#region Server Windows state ---------------------------------------------------------------------

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
        # Inference: the RPC Client Access key exists after setup; the Address Book's Parameters
        # key does not (the guides say to create it).
        Set-LabProperty $registry $script:RpcParametersKey (New-LabEmptyObject)
        Set-LabProperty $registry 'HKLM:\SYSTEM\CurrentControlSet\Services\MSExchangeAB' (New-LabEmptyObject)
    }
    return $registry
}

# Fills what a server's Windows section lacks, in place (a partial section in a test's state is
# completed the same way). Services start as Running with ports bound from the registry as it is.
function Complete-LabWindows {
    param([object]$Server, [object]$Windows)
    $seed = Get-LabServerSeed $Server
    if ($null -eq $Windows.PSObject.Properties['Remoting'] -or [string]::IsNullOrEmpty([string]$Windows.Remoting)) { Set-LabProperty $Windows 'Remoting' 'Enabled' }
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

#endregion
#region Registry ----------------------------------------------------------------------------------

# A registry path as the lab keys it: 'HKLM:\A\B' (no trailing separator), or $null when the path
# is not a registry path. Registry::HKEY_LOCAL_MACHINE\... and the provider-qualified form are
# accepted too; other hives are kept (they are always empty on a lab server).
function ConvertTo-LabRegistryPath {
    param([string]$Path)
    if ($null -eq $Path) { return $null }
    $p = $Path.Trim()
    $p = [regex]::Replace($p, '^(?i)(Microsoft\.PowerShell\.Core\\)?Registry::', '')
    $hives = @{ HKEY_LOCAL_MACHINE = 'HKLM'; HKEY_CURRENT_USER = 'HKCU'; HKEY_CLASSES_ROOT = 'HKCR'; HKEY_USERS = 'HKU'; HKEY_CURRENT_CONFIG = 'HKCC' }
    $match = [regex]::Match($p, '^(?i)(HKLM|HKCU|HKCR|HKU|HKCC|HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_CLASSES_ROOT|HKEY_USERS|HKEY_CURRENT_CONFIG):?(\\.*)?$')
    if (-not $match.Success) { return $null }
    $hive = $match.Groups[1].Value.ToUpperInvariant()
    if ($hives.ContainsKey($hive)) { $hive = $hives[$hive] }
    $rest = @($match.Groups[2].Value.Split([char]'\') | Where-Object { $_ -ne '' }) -join '\'
    return ($hive + ':\' + $rest).TrimEnd('\')
}

# 'HKEY_LOCAL_MACHINE\SYSTEM\...': the name RegistryKey.Name and the provider's messages use.
function Get-LabRegistryNativeName {
    param([string]$Key)
    $hives = @{ HKLM = 'HKEY_LOCAL_MACHINE'; HKCU = 'HKEY_CURRENT_USER'; HKCR = 'HKEY_CLASSES_ROOT'; HKU = 'HKEY_USERS'; HKCC = 'HKEY_CURRENT_CONFIG' }
    $hive = $Key.Substring(0, $Key.IndexOf(':'))
    $rest = $Key.Substring($Key.IndexOf(':') + 1).TrimStart('\')
    if ($rest -eq '') { return $hives[$hive] }
    return $hives[$hive] + '\' + $rest
}

function Get-LabRegistryKeyObject {
    param([object]$Windows, [string]$Key)
    $property = $Windows.Registry.PSObject.Properties[$Key]   # case-insensitive, as the registry
    if ($null -eq $property) { return $null }
    if ($null -eq $property.Value) { $property.Value = New-LabEmptyObject }
    return $property.Value
}

# A key exists when it is stored, or below a stored key (its parents), or is a hive root.
function Test-LabRegistryKey {
    param([object]$Windows, [string]$Key)
    if ($Key -match '^[A-Z]+:$') { return $true }
    if ($null -ne $Windows.Registry.PSObject.Properties[$Key]) { return $true }
    $prefix = $Key + '\'
    foreach ($property in $Windows.Registry.PSObject.Properties) {
        if ($property.Name.StartsWith($prefix, [StringComparison]::OrdinalIgnoreCase)) { return $true }
    }
    return $false
}

function Get-LabRegistrySubKeyName {
    param([object]$Windows, [string]$Key)
    $prefix = $Key + '\'
    $names = @{}
    foreach ($property in $Windows.Registry.PSObject.Properties) {
        if ($property.Name.StartsWith($prefix, [StringComparison]::OrdinalIgnoreCase)) {
            $child = $property.Name.Substring($prefix.Length).Split([char]'\')[0]
            if (-not $names.ContainsKey($child)) { $names[$child] = $child }
        }
    }
    return @($names.Values | Sort-Object)
}

# Creates the key (and its parents, implicitly) when missing; returns its value table.
function Add-LabRegistryKey {
    param([object]$Windows, [string]$Key)
    $existing = Get-LabRegistryKeyObject $Windows $Key
    if ($null -ne $existing) { return $existing }
    $values = New-LabEmptyObject
    Set-LabProperty $Windows.Registry $Key $values
    return $values
}

# Removes a key and everything below it.
function Remove-LabRegistryKey {
    param([object]$Windows, [string]$Key)
    $prefix = $Key + '\'
    foreach ($property in @($Windows.Registry.PSObject.Properties)) {
        if ($property.Name -eq $Key -or $property.Name.StartsWith($prefix, [StringComparison]::OrdinalIgnoreCase)) {
            $Windows.Registry.PSObject.Properties.Remove($property.Name)
        }
    }
}

# A registry value as GetValue returns it: DWord Int32, QWord Int64, String/ExpandString string,
# MultiString string[], Binary byte[].
function ConvertFrom-LabRegistryValue {
    param([object]$Entry)
    $value = $Entry.Value
    switch ([string]$Entry.Kind) {
        'DWord' { return [int]$value }
        'QWord' { return [long]$value }
        'MultiString' { return , [string[]]@($value) }
        'Binary' { return , [byte[]]@($value) }
        default { return [string]$value }
    }
}

# The value to store for New-ItemProperty/Set-ItemProperty -Value of a kind, or an exception.
function ConvertTo-LabRegistryValue {
    param([string]$Kind, [object]$Value)
    $base = $Value
    if ($base -is [System.Management.Automation.PSObject]) { $base = $base.PSObject.BaseObject }
    switch ($Kind) {
        'DWord' {
            $number = 0L
            if ($null -eq $base) { return 0 }
            if (-not [long]::TryParse([string]$base, [System.Globalization.NumberStyles]::Integer, [System.Globalization.CultureInfo]::InvariantCulture, [ref]$number) -or $number -lt [int]::MinValue -or $number -gt [uint32]::MaxValue) {
                throw (New-Object System.ArgumentException([string]::Format($script:WinMsg.BadValue, [string]$base, $Kind)))
            }
            if ($number -gt [int]::MaxValue) { $number = $number - 4294967296L }
            return [int]$number
        }
        'QWord' {
            $number = 0L
            if ($null -eq $base) { return 0L }
            if (-not [long]::TryParse([string]$base, [System.Globalization.NumberStyles]::Integer, [System.Globalization.CultureInfo]::InvariantCulture, [ref]$number)) {
                throw (New-Object System.ArgumentException([string]::Format($script:WinMsg.BadValue, [string]$base, $Kind)))
            }
            return $number
        }
        'MultiString' { return , [string[]]@($base | ForEach-Object { [string]$_ }) }
        'Binary' { return , [int[]]@($base | ForEach-Object { [int][byte]$_ }) }
        default { if ($null -eq $base) { return '' } return [string]$base }
    }
}

# Infers a kind for Set-ItemProperty on a new value, as the registry provider does from the type.
function Get-LabRegistryKindOf {
    param([object]$Value)
    $base = $Value
    if ($base -is [System.Management.Automation.PSObject]) { $base = $base.PSObject.BaseObject }
    if ($base -is [int] -or $base -is [int16] -or $base -is [byte] -or $base -is [uint16] -or $base -is [uint32]) { return 'DWord' }
    if ($base -is [long] -or $base -is [uint64]) { return 'QWord' }
    if ($base -is [byte[]]) { return 'Binary' }
    if ($base -is [array]) { return 'MultiString' }
    return 'String'
}

$script:LabRegistryKeyMethods = @{
    GetValueNames = { return , [string[]]@($this.PSObject.Properties['__LabValues'].Value.Keys) }
    GetSubKeyNames = { return , [string[]]@($this.PSObject.Properties['__LabSubKeys'].Value) }
    GetValue = {
        param([string]$name, [object]$defaultValue)
        $values = $this.PSObject.Properties['__LabValues'].Value
        if ([string]::IsNullOrEmpty($name)) { $name = '' }
        if (-not $values.Contains($name)) { return $defaultValue }
        return (ConvertFrom-LabRegistryValue $values[$name])
    }
    GetValueKind = {
        param([string]$name)
        $values = $this.PSObject.Properties['__LabValues'].Value
        if (-not $values.Contains([string]$name)) { throw (New-Object System.IO.IOException($script:WinMsg.ValueNotFound)) }
        return [Microsoft.Win32.RegistryValueKind][string]$values[[string]$name].Kind
    }
    Close = { }
    Dispose = { }
    ToString = { return $this.Name }
}

# What Get-Item returns for a key: RegistryKey's members (a snapshot of the key as it was read).
function New-LabRegistryKeyOutput {
    param([object]$Windows, [string]$Key)
    $values = [ordered]@{}
    $stored = Get-LabRegistryKeyObject $Windows $Key
    if ($null -ne $stored) {
        foreach ($property in $stored.PSObject.Properties) { $values[$property.Name] = $property.Value }
    }
    $subKeys = @(Get-LabRegistrySubKeyName $Windows $Key)
    $native = Get-LabRegistryNativeName $Key
    $leaf = $native.Substring($native.LastIndexOf('\') + 1)
    $parent = ''
    if ($native.Contains('\')) { $parent = 'Microsoft.PowerShell.Core\Registry::' + $native.Substring(0, $native.LastIndexOf('\')) }
    $output = New-Object System.Management.Automation.PSObject -Property ([ordered]@{
            Name          = $native
            SubKeyCount   = $subKeys.Count
            ValueCount    = $values.Count
            Property      = [string[]]@($values.Keys)
            PSPath        = 'Microsoft.PowerShell.Core\Registry::' + $native
            PSParentPath  = $parent
            PSChildName   = $leaf
            PSDrive       = $Key.Substring(0, $Key.IndexOf(':'))
            PSProvider    = 'Microsoft.PowerShell.Core\Registry'
            PSIsContainer = $true
        })
    Add-Member -InputObject $output -MemberType NoteProperty -Name '__LabValues' -Value $values
    Add-Member -InputObject $output -MemberType NoteProperty -Name '__LabSubKeys' -Value $subKeys
    foreach ($name in $script:LabRegistryKeyMethods.Keys) {
        Add-Member -InputObject $output -MemberType ScriptMethod -Name $name -Value $script:LabRegistryKeyMethods[$name] -Force
    }
    $output.PSObject.TypeNames.Insert(0, 'Microsoft.Win32.RegistryKey')
    return $output
}

# What Get-ItemProperty/New-ItemProperty return: the values as properties plus the PS* ones.
function New-LabRegistryPropertyOutput {
    param([string]$Key, [object[]]$Entries)
    $native = Get-LabRegistryNativeName $Key
    $properties = [ordered]@{}
    foreach ($entry in $Entries) { $properties[$entry.Name] = ConvertFrom-LabRegistryValue $entry.Value }
    $properties['PSPath'] = 'Microsoft.PowerShell.Core\Registry::' + $native
    $properties['PSParentPath'] = 'Microsoft.PowerShell.Core\Registry::' + $native.Substring(0, [Math]::Max(0, $native.LastIndexOf('\')))
    $properties['PSChildName'] = $native.Substring($native.LastIndexOf('\') + 1)
    $properties['PSDrive'] = $Key.Substring(0, $Key.IndexOf(':'))
    $properties['PSProvider'] = 'Microsoft.PowerShell.Core\Registry'
    New-Object System.Management.Automation.PSObject -Property $properties
}

#endregion
#region Services ----------------------------------------------------------------------------------

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

#endregion
#region Windows commands on a lab server ---------------------------------------------------------

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

function New-LabPathNotFound {
    param([string]$Path, [string]$CommandClass)
    New-LabWindowsError 'System.Management.Automation.ItemNotFoundException' ([string]::Format($script:WinMsg.PathNotFound, $Path)) ('PathNotFound,Microsoft.PowerShell.Commands.' + $CommandClass) 'ObjectNotFound' $Path
}

# The registry key a path names when that key exists, else $null.
function Get-LabExistingRegistryKey {
    param([object]$Windows, [string]$Path)
    $key = ConvertTo-LabRegistryPath $Path
    if ($null -eq $key -or -not (Test-LabRegistryKey $Windows $key)) { return $null }
    return $key
}

function Get-LabShadowPaths {
    param([System.Collections.IDictionary]$Bound)
    if ($Bound.ContainsKey('LiteralPath')) { return @($Bound['LiteralPath']) }
    if ($Bound.ContainsKey('Path')) { return @($Bound['Path']) }
    return @()
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

function Invoke-LabShadowTestPath {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $target = Get-LabShadowTarget $Cmdlet $Computer
    $type = 'Any'
    if ($Bound.ContainsKey('PathType')) { $type = [string]$Bound['PathType'] }
    foreach ($path in (Get-LabShadowPaths $Bound)) {
        if ($Bound.ContainsKey('IsValid')) { $true; continue }
        $key = ConvertTo-LabRegistryPath $path
        # Only the registry is emulated: the server's file system has nothing in it.
        if ($null -eq $key -or $type -eq 'Leaf') { $false; continue }
        Test-LabRegistryKey $target.Windows $key
    }
}

# What a reading shadow command (Get-Item, Get-ItemProperty) gives for each path in turn: $Read's
# output for an existing key (it is called with the server's Windows state and the key), else the
# command's PathNotFound.
function Invoke-LabShadowRead {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound, [string]$CommandClass, [scriptblock]$Read)
    $target = Get-LabShadowTarget $Cmdlet $Computer
    foreach ($path in (Get-LabShadowPaths $Bound)) {
        $key = Get-LabExistingRegistryKey $target.Windows $path
        if ($null -eq $key) { New-LabPathNotFound $path $CommandClass; continue }
        & $Read $target.Windows $key
    }
}

# What a shadow command that changes existing keys (New-, Set-, Remove-ItemProperty) does for each
# path in turn, in one update of the state: $Each for an existing key (called with the server's
# Windows state, the key, the path and the update's context), else the command's PathNotFound.
function Update-LabShadowKeys {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound, [string]$CommandClass, [scriptblock]$Each)
    $paths = @(Get-LabShadowPaths $Bound)
    Update-LabWindows $Cmdlet $Computer {
        param($server, $windows, $c)
        foreach ($path in $paths) {
            $key = Get-LabExistingRegistryKey $windows $path
            if ($null -eq $key) { New-LabPathNotFound $path $CommandClass; continue }
            & $Each $windows $key $path $c
        }
    }
}

function Invoke-LabShadowGetItem {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    Invoke-LabShadowRead $Cmdlet $Computer $Bound 'GetItemCommand' {
        param($windows, $key)
        New-LabRegistryKeyOutput $windows $key
    }
}

function Invoke-LabShadowNewItem {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $paths = @(Get-LabShadowPaths $Bound)
    if ($paths.Count -eq 0) { $paths = @('') }
    $force = $Bound.ContainsKey('Force') -and [bool]$Bound['Force']
    $created = @(Update-LabWindows $Cmdlet $Computer {
            param($server, $windows, $c)
            foreach ($path in $paths) {
                $full = $path
                if ($Bound.ContainsKey('Name')) { $full = $path.TrimEnd('\') + '\' + [string]$Bound['Name'] }
                $key = ConvertTo-LabRegistryPath $full
                if ($null -eq $key) { New-LabPathNotFound $full 'NewItemCommand'; continue }
                if (Test-LabRegistryKey $windows $key) {
                    if (-not $force -or $key -match '^[A-Z]+:$') {
                        New-LabWindowsError 'System.IO.IOException' $script:WinMsg.KeyExists 'System.IO.IOException,Microsoft.PowerShell.Commands.NewItemCommand' 'ResourceExists' $full
                        continue
                    }
                    # -Force on an existing key deletes it and creates it empty.
                    Remove-LabRegistryKey $windows $key
                }
                elseif (-not $force -and -not (Test-LabRegistryKey $windows $key.Substring(0, $key.LastIndexOf('\')))) {
                    # Without -Force the registry provider creates the last key only.
                    New-LabPathNotFound ($key.Substring(0, $key.LastIndexOf('\'))) 'NewItemCommand'
                    continue
                }
                [void](Add-LabRegistryKey $windows $key)
                $c.Commit = $true
                $key
            }
        })
    $target = Get-LabShadowTarget $Cmdlet $Computer
    foreach ($item in $created) {
        if ($item -is [System.Management.Automation.ErrorRecord]) { $item } else { New-LabRegistryKeyOutput $target.Windows $item }
    }
}

function Invoke-LabShadowNewItemProperty {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $name = [string]$Bound['Name']
    $force = $Bound.ContainsKey('Force') -and [bool]$Bound['Force']
    $kind = 'String'
    if ($Bound.ContainsKey('PropertyType') -and -not [string]::IsNullOrEmpty([string]$Bound['PropertyType']) -and [string]$Bound['PropertyType'] -ne 'Unknown') { $kind = [string]$Bound['PropertyType'] }
    $matched = @($script:RegistryKinds | Where-Object { $_ -eq $kind })
    $value = $null
    if ($Bound.ContainsKey('Value')) { $value = $Bound['Value'] }
    Update-LabShadowKeys $Cmdlet $Computer $Bound 'NewItemPropertyCommand' {
        param($windows, $key, $path, $c)
        if ($matched.Count -eq 0) {
            New-LabWindowsError 'System.ArgumentException' ([string]::Format($script:WinMsg.BadValue, [string]$value, $kind)) 'System.ArgumentException,Microsoft.PowerShell.Commands.NewItemPropertyCommand' 'InvalidArgument' $kind
            return
        }
        $values = Add-LabRegistryKey $windows $key
        if ($null -ne $values.PSObject.Properties[$name] -and -not $force) {
            New-LabWindowsError 'System.IO.IOException' $script:WinMsg.PropertyExists 'System.IO.IOException,Microsoft.PowerShell.Commands.NewItemPropertyCommand' 'ResourceExists' $path
            return
        }
        try { $stored = ConvertTo-LabRegistryValue $matched[0] $value }
        catch {
            New-LabWindowsError 'System.ArgumentException' $_.Exception.Message 'System.ArgumentException,Microsoft.PowerShell.Commands.NewItemPropertyCommand' 'InvalidArgument' $path
            return
        }
        # -Force replaces the value, its type included.
        if ($null -ne $values.PSObject.Properties[$name]) { $values.PSObject.Properties.Remove($name) }
        Set-LabProperty $values $name (New-LabRegistryValue $matched[0] $stored)
        $c.Commit = $true
        New-LabRegistryPropertyOutput $key @([pscustomobject]@{ Name = $name; Value = (New-LabRegistryValue $matched[0] $stored) })
    }
}

function Invoke-LabShadowGetItemProperty {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    Invoke-LabShadowRead $Cmdlet $Computer $Bound 'GetItemPropertyCommand' {
        param($windows, $key)
        $values = Get-LabRegistryKeyObject $windows $key
        $entries = @()
        if ($null -ne $values) { $entries = @($values.PSObject.Properties | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Value = $_.Value } }) }
        if ($Bound.ContainsKey('Name') -and $null -ne $Bound['Name']) {
            $wanted = @()
            $missing = $false
            foreach ($name in @($Bound['Name'])) {
                $found = @($entries | Where-Object { $_.Name -eq [string]$name })
                if ($found.Count -eq 0) {
                    $missing = $true
                    $message = [string]::Format($script:WinMsg.PropertyNotFound, $name, (Get-LabRegistryNativeName $key))
                    New-LabWindowsError 'System.Management.Automation.PSArgumentException' $message 'System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.GetItemPropertyCommand' 'InvalidArgument' ([string]$name)
                }
                $wanted += $found
            }
            if ($missing -and $wanted.Count -eq 0) { return }
            $entries = $wanted
        }
        New-LabRegistryPropertyOutput $key $entries
    }
}

function Invoke-LabShadowSetItemProperty {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $name = [string]$Bound['Name']
    $value = $Bound['Value']
    $passThru = $Bound.ContainsKey('PassThru') -and [bool]$Bound['PassThru']
    Update-LabShadowKeys $Cmdlet $Computer $Bound 'SetItemPropertyCommand' {
        param($windows, $key, $path, $c)
        $values = Add-LabRegistryKey $windows $key
        $kind = Get-LabRegistryKindOf $value
        if ($null -ne $values.PSObject.Properties[$name]) { $kind = [string]$values.PSObject.Properties[$name].Value.Kind }
        if ($Bound.ContainsKey('Type')) { $kind = [string]$Bound['Type'] }
        try { $stored = ConvertTo-LabRegistryValue $kind $value }
        catch {
            New-LabWindowsError 'System.ArgumentException' $_.Exception.Message 'System.ArgumentException,Microsoft.PowerShell.Commands.SetItemPropertyCommand' 'InvalidArgument' $path
            return
        }
        if ($null -ne $values.PSObject.Properties[$name]) { $values.PSObject.Properties.Remove($name) }
        Set-LabProperty $values $name (New-LabRegistryValue $kind $stored)
        $c.Commit = $true
        if ($passThru) { New-LabRegistryPropertyOutput $key @([pscustomobject]@{ Name = $name; Value = (New-LabRegistryValue $kind $stored) }) }
    }
}

function Invoke-LabShadowRemoveItemProperty {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $names = @($Bound['Name'])
    Update-LabShadowKeys $Cmdlet $Computer $Bound 'RemoveItemPropertyCommand' {
        param($windows, $key, $path, $c)
        $values = Get-LabRegistryKeyObject $windows $key
        foreach ($name in $names) {
            if ($null -eq $values -or $null -eq $values.PSObject.Properties[[string]$name]) {
                $message = [string]::Format($script:WinMsg.PropertyNotFound, $name, (Get-LabRegistryNativeName $key))
                New-LabWindowsError 'System.Management.Automation.PSArgumentException' $message 'System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.RemoveItemPropertyCommand' 'InvalidArgument' ([string]$name)
                continue
            }
            $values.PSObject.Properties.Remove([string]$name)
            $c.Commit = $true
        }
    }
}

function Invoke-LabShadowRemoveItem {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $paths = @(Get-LabShadowPaths $Bound)
    Update-LabWindows $Cmdlet $Computer {
        param($server, $windows, $c)
        foreach ($path in $paths) {
            $key = ConvertTo-LabRegistryPath $path
            if ($null -eq $key -or $key -match '^[A-Z]+:$' -or -not (Test-LabRegistryKey $windows $key)) { New-LabPathNotFound $path 'RemoveItemCommand'; continue }
            Remove-LabRegistryKey $windows $key
            $c.Commit = $true
        }
    }
}

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
    ''
    'Active Connections'
    ''
    if ($pid_) { '  Proto  Local Address          Foreign Address        State           PID' }
    else { '  Proto  Local Address          Foreign Address        State' }
    foreach ($row in @($rows | Sort-Object { $_[3] -ne 'LISTENING' }, { $_[0] }, { $_[4] })) {
        if (-not $all -and $row[3] -eq 'LISTENING') { continue }
        $line = '  {0,-7}{1,-23}{2,-23}{3,-16}' -f 'TCP', $row[1], $row[2], $row[3]
        if ($pid_) { $line + $row[4] } else { $line.TrimEnd() }
    }
}

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

#endregion
#region Remote host (WinRM to a lab server) -------------------------------------------------------

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

# Runs the script on one lab server; returns its output (and writes its errors) as Invoke-Command
# does. The server's pipeline runs to its end before anything is passed on.
function Invoke-LabRemoteComputer {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [string]$Text, [object[]]$Arguments,
        [System.Collections.ArrayList]$InputList, [bool]$Show)
    $state = Read-LabState $Cmdlet
    $server = Find-LabWindowsServer $state $Computer
    if ($null -eq $server) { Write-LabTransportError $Cmdlet $Computer 'UnknownComputer'; return }
    $windows = Get-LabWindows $server
    switch ([string]$windows.Remoting) {
        'Disabled' { Write-LabTransportError $Cmdlet $Computer 'RemotingDisabled'; return }
        'Unreachable' { Write-LabTransportError $Cmdlet $Computer 'Unreachable'; return }
    }
    $runspaceId = [guid]::NewGuid()
    $findings = @(Get-LabPs2Finding $Text)
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
    foreach ($computer in @($Bound['ComputerName'])) {
        Invoke-LabRemoteComputer $Cmdlet ([string]$computer) $text $arguments $InputList $show
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
PowerShell remoting to that server: its Remoting setting (Enabled, Disabled, Unreachable) decides
whether it connects; the script must pass the PowerShell 2.0 check (Test-ExchangeLabPowerShell2Script);
then it runs in a fresh scope where the Windows commands it needs (registry, services, WMI,
netstat, Get-Counter) act on that server's lab state. Output comes back deserialized with
PSComputerName; errors come back as remote errors. Authentication, Credential, Port, UseSSL and
SessionOption are accepted and ignored. Any other use (-Session, in process, ...) is passed
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

#endregion
#region Lab administration (the admin at the server's console) ------------------------------------

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
AdminDisplayVersion, Remoting, OutlookSessions, AddressBookConfigRpcTcpPort, Services (per
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
Sets a lab server's remoting (Enabled, Disabled, Unreachable), its Outlook session count, or its RTM address book .config port.
.DESCRIPTION
-Remoting Disabled is Windows Server 2008 R2's default (no Enable-PSRemoting); Unreachable is a
server WinRM cannot reach at all. -OutlookSessions sets the RPC Client Access user count (a
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
        [ValidateRange(0, 1000000)][int]$OutlookSessions,
        [ValidateRange(0, 65535)][int]$AddressBookConfigRpcTcpPort
    )
    $bound = $PSBoundParameters
    $name = Update-LabState $PSCmdlet {
        param($s, $c)
        $target = Resolve-LabWindowsServer $PSCmdlet $s $Server
        $windows = Get-LabWindows $target -Attach
        foreach ($knob in 'Remoting', 'OutlookSessions', 'AddressBookConfigRpcTcpPort') {
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

#endregion

Export-ModuleMember -Function @(
    'Invoke-Command', 'Test-ExchangeLabPowerShell2Script',
    'Get-ExchangeLabServerWindows', 'Set-ExchangeLabServerWindows', 'Set-ExchangeLabRegistryValue',
    'Restart-ExchangeLabService', 'Add-ExchangeLabServiceFault', 'Update-ExchangeLabServer'
)
