<#
Ps2Compat.Checks: what PowerShell 2.0 on .NET 2.0/3.5 lacks (the tables) and how each is found in a
script's syntax tree, and the module's one command, Test-PowerShell2Script. Dot-sourced by
Ps2Compat.psm1, whose header says what the module is for.
#>

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

# .NET Framework 4.0 (and later) static members that .NET 2.0/3.5, and so PowerShell 2.0, lack; by
# the type's full name. [string]::IsNullOrWhiteSpace and the like parse on 2.0 and fail when run.
$script:Ps2StaticMemberVersions = @{
    'System.String'       = @{ IsNullOrWhiteSpace = '4.0' }
    'System.Guid'         = @{ Parse = '4.0'; TryParse = '4.0'; ParseExact = '4.0'; TryParseExact = '4.0' }
    'System.Enum'         = @{ TryParse = '4.0' }
    'System.Version'      = @{ Parse = '4.0'; TryParse = '4.0' }
    'System.TimeSpan'     = @{ ParseExact = '4.0'; TryParseExact = '4.0' }
    'System.IO.File'      = @{ ReadLines = '4.0'; AppendAllLines = '4.0' }
    'System.IO.Directory' = @{ EnumerateFiles = '4.0'; EnumerateDirectories = '4.0'; EnumerateFileSystemEntries = '4.0' }
    'System.Environment'  = @{ Is64BitOperatingSystem = '4.0'; Is64BitProcess = '4.0'; SystemPageSize = '4.0' }
}

# Instance methods that only .NET 4.0 and later have, whatever the object ($e.HasFlag(...)).
$script:Ps2InstanceMemberVersions = @{ HasFlag = @('Enum.HasFlag()', '4.0') }

# .NET types (by full name, or a namespace ending in '.') that .NET 2.0/3.5 lack.
$script:Ps2DotNetTypeVersions = [ordered]@{
    'System.Tuple'                              = '4.0'
    'System.Lazy'                               = '4.0'
    'System.Numerics.'                          = '4.0'
    'System.Threading.Tasks.'                   = '4.0'
    'System.Collections.Concurrent.'            = '4.0'
    'System.Dynamic.'                           = '4.0'
    'System.IO.MemoryMappedFiles.'              = '4.0'
    'System.Collections.Generic.SortedSet'      = '4.0'
    'System.Threading.CancellationToken'        = '4.0'
    'System.Threading.CancellationTokenSource'  = '4.0'
    'System.Threading.SemaphoreSlim'            = '4.0'
    'System.Threading.ManualResetEventSlim'     = '4.0'
    'System.Threading.CountdownEvent'           = '4.0'
    'System.Threading.Barrier'                  = '4.0'
    'System.Net.Http.'                          = '4.5'
    'System.IO.Compression.ZipFile'             = '4.5'
    'System.IO.Compression.ZipArchive'          = '4.5'
    'System.Runtime.InteropServices.NativeLibrary' = 'Core 3.0'
}

function New-Ps2Finding {
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

function Test-Ps2NodeProperty {
    param([object]$Node, [string]$Name)
    $property = $Node.PSObject.Properties[$Name]
    return ($null -ne $property -and [bool]$property.Value)
}

function Get-Ps2TypeName {
    param([string]$Name)
    $name = $Name.Trim()
    if ($name.StartsWith('[')) { $name = $name.Trim('[', ']') }
    return $name
}

# One node's findings. Node types are compared by name: PowerShell 5.1 lacks the 7-only ones.
function Get-Ps2NodeFinding {
    param([object]$Node, [hashtable]$Imported)
    $kind = $Node.GetType().Name
    switch ($kind) {
        'TypeDefinitionAst' { New-Ps2Finding $Node.Extent 'class or enum definition' '5.0'; return }
        'UsingStatementAst' { New-Ps2Finding $Node.Extent 'using statement' '5.0'; return }
        'UsingExpressionAst' { New-Ps2Finding $Node.Extent '$using: variable' '3.0'; return }
        'TernaryExpressionAst' { New-Ps2Finding $Node.Extent 'ternary operator ?:' '7.0'; return }
        'PipelineChainAst' { New-Ps2Finding $Node.Extent 'pipeline chain operator && or ||' '7.0'; return }
        'ConfigurationDefinitionAst' { New-Ps2Finding $Node.Extent 'DSC configuration' '4.0'; return }
        'DynamicKeywordStatementAst' { New-Ps2Finding $Node.Extent 'dynamic keyword' '4.0'; return }
        'FunctionDefinitionAst' {
            if ($Node.IsWorkflow) { New-Ps2Finding $Node.Extent 'workflow' '3.0' }
            return
        }
        'ScriptBlockAst' {
            if (Test-Ps2NodeProperty $Node 'CleanBlock') { New-Ps2Finding $Node.CleanBlock.Extent 'clean block' '7.3' }
            $requirements = $Node.ScriptRequirements
            if ($null -ne $requirements) {
                if ($null -ne $requirements.RequiredPSVersion -and $requirements.RequiredPSVersion.Major -gt 2) {
                    New-Ps2Finding $Node.Extent ('#requires -Version ' + $requirements.RequiredPSVersion) ([string]$requirements.RequiredPSVersion)
                }
                if (@($requirements.RequiredModules).Count -gt 0) { New-Ps2Finding $Node.Extent '#requires -Modules' '3.0' }
                if ((Test-Ps2NodeProperty $requirements 'RequiredPSEditions') -and @($requirements.RequiredPSEditions).Count -gt 0) { New-Ps2Finding $Node.Extent '#requires -PSEdition' '5.1' }
                if ($requirements.IsElevationRequired) { New-Ps2Finding $Node.Extent '#requires -RunAsAdministrator' '4.0' }
            }
            return
        }
        'PipelineAst' {
            if (Test-Ps2NodeProperty $Node 'Background') { New-Ps2Finding $Node.Extent 'background operator &' '6.0' }
            return
        }
        'BinaryExpressionAst' {
            $operator = [string]$Node.Operator
            # In, Iin, Cin (-in, -iin, -cin) and their -notin forms.
            if ($operator -match '^[IC]?in$') { New-Ps2Finding $Node.Extent '-in operator' '3.0' }
            elseif ($operator -match '^[IC]?notin$') { New-Ps2Finding $Node.Extent '-notin operator' '3.0' }
            elseif ($operator -eq 'Shl' -or $operator -eq 'Shr') { New-Ps2Finding $Node.Extent ('-' + $operator.ToLowerInvariant() + ' operator') '3.0' }
            elseif ($operator -eq 'QuestionQuestion') { New-Ps2Finding $Node.Extent 'null-coalescing operator ??' '7.0' }
            elseif ($operator -match '^[IC]?[Rr]eplace$' -and @($Node.Right.FindAll({ param($n) $n -is [System.Management.Automation.Language.ScriptBlockExpressionAst] }, $false)).Count -gt 0) {
                New-Ps2Finding $Node.Extent '-replace with a script block' '6.1'
            }
            elseif ($operator -eq 'DotDot' -and ($Node.Left -is [System.Management.Automation.Language.StringConstantExpressionAst] -or $Node.Right -is [System.Management.Automation.Language.StringConstantExpressionAst])) {
                New-Ps2Finding $Node.Extent 'character range' '6.0'
            }
            return
        }
        'AssignmentStatementAst' {
            if ([string]$Node.Operator -eq 'QuestionQuestionEquals') { New-Ps2Finding $Node.Extent 'null-coalescing assignment ??=' '7.0' }
            return
        }
        'InvokeMemberExpressionAst' {
            if (Test-Ps2NodeProperty $Node 'NullConditional') { New-Ps2Finding $Node.Extent 'null-conditional member access ?.' '7.0' }
            if (Test-Ps2NodeProperty $Node 'GenericTypeArguments') { New-Ps2Finding $Node.Extent 'generic method call' '7.3' }
            $member = $Node.Member
            if ($member -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
                if ($Node.Static -and $member.Value -eq 'new') { New-Ps2Finding $Node.Extent '::new() constructor call' '5.0' }
                elseif (-not $Node.Static -and ($member.Value -eq 'Where' -or $member.Value -eq 'ForEach')) { New-Ps2Finding $Node.Extent ('.' + $member.Value + '() method') '4.0' }
                Get-Ps2MemberFinding $Node ([string]$member.Value) @($Node.Arguments).Count
            }
            return
        }
        'MemberExpressionAst' {
            if (Test-Ps2NodeProperty $Node 'NullConditional') { New-Ps2Finding $Node.Extent 'null-conditional member access ?.' '7.0' }
            if ($Node.Member -is [System.Management.Automation.Language.StringConstantExpressionAst]) { Get-Ps2MemberFinding $Node ([string]$Node.Member.Value) -1 }
            return
        }
        'IndexExpressionAst' {
            if (Test-Ps2NodeProperty $Node 'NullConditional') { New-Ps2Finding $Node.Extent 'null-conditional index ?[]' '7.0' }
            return
        }
        'VariableExpressionAst' {
            $name = [string]$Node.VariablePath.UserPath
            if ($name.Contains(':')) { $name = $name.Substring($name.IndexOf(':') + 1) }
            foreach ($known in $script:Ps2VariableVersions.Keys) {
                if ($known -eq $name) { New-Ps2Finding $Node.Extent ('$' + $known) $script:Ps2VariableVersions[$known] }
            }
            return
        }
        'TypeConstraintAst' { Get-Ps2TypeFinding $Node $Node.TypeName.FullName 'type'; return }
        'TypeExpressionAst' { Get-Ps2TypeFinding $Node $Node.TypeName.FullName 'type'; return }
        'AttributeAst' {
            $name = Get-Ps2TypeName $Node.TypeName.FullName
            Get-Ps2TypeFinding $Node $name 'attribute'
            if ($name -match '^(System\.Management\.Automation\.)?ValidateRange(Attribute)?$') {
                foreach ($argument in $Node.PositionalArguments) {
                    if ($argument -is [System.Management.Automation.Language.StringConstantExpressionAst]) { New-Ps2Finding $Node.Extent ("[ValidateRange('" + $argument.Value + "')]") '6.1' }
                }
            }
            foreach ($named in $Node.NamedArguments) {
                if ($named.ExpressionOmitted) { New-Ps2Finding $named.Extent ($named.ArgumentName + ' without = $true') '3.0' }
                if ($named.ArgumentName -eq 'DontShow') { New-Ps2Finding $named.Extent 'DontShow' '4.0' }
                if ($named.ArgumentName -eq 'PositionalBinding') { New-Ps2Finding $named.Extent 'PositionalBinding' '3.0' }
            }
            return
        }
        'FileRedirectionAst' {
            $stream = [string]$Node.FromStream
            if ($stream -ne 'Output' -and $stream -ne 'Error') { New-Ps2Finding $Node.Extent ('redirection of the ' + $stream + ' stream') '3.0' }
            return
        }
        'MergingRedirectionAst' {
            if ([string]$Node.FromStream -ne 'Error' -or [string]$Node.ToStream -ne 'Output') { New-Ps2Finding $Node.Extent ('redirection of the ' + [string]$Node.FromStream + ' stream') '3.0' }
            return
        }
        'CommandAst' { Get-Ps2CommandFinding $Node $Imported; return }
    }
}

# The full name PowerShell gives a type name as written ('string' -> System.String, 'IO.File' ->
# System.IO.File, 'Tuple[int,string]' -> System.Tuple), or, for a type this PowerShell lacks, the
# name as written ('System.' in front when it has no namespace, as PowerShell looks it up).
function Resolve-Ps2TypeName {
    param([string]$Name)
    $type = $null
    try { $type = $Name -as [type] } catch { $type = $null }
    if ($null -ne $type) {
        if ($type.IsGenericType) { $type = $type.GetGenericTypeDefinition() }
        return ([string]$type.FullName -replace '`\d+$', '')
    }
    $bare = $Name -replace '`\d+$', ''
    if (-not $bare.Contains('.')) { return 'System.' + $bare }
    return $bare
}

# The .NET Framework 4 types a type name mentions, generic arguments included
# ('System.Collections.Generic.List[System.Tuple[int,string]]' mentions System.Tuple).
function Get-Ps2DotNetTypeFinding {
    param([object]$Node, [string]$TypeName)
    foreach ($part in @($TypeName -split '[\[\],\s]+' | Where-Object { $_ -ne '' })) {
        $full = Resolve-Ps2TypeName $part
        foreach ($known in $script:Ps2DotNetTypeVersions.Keys) {
            $hit = $full -eq $known -or ($known.EndsWith('.') -and $full.StartsWith($known, [StringComparison]::OrdinalIgnoreCase))
            if ($hit) { New-Ps2Finding $Node.Extent ('[' + $full + '] (.NET Framework ' + $script:Ps2DotNetTypeVersions[$known] + ')') '3.0' }
        }
    }
}

# A .NET Framework 4 member: a static one of the types above ([string]::IsNullOrWhiteSpace,
# [Environment]::Is64BitOperatingSystem, [IO.Path]::Combine of more than two parts), or an instance
# method only 4.0 has ($flags.HasFlag(...)). $ArgumentCount is -1 for a property.
function Get-Ps2MemberFinding {
    param([object]$Node, [string]$Member, [int]$ArgumentCount)
    if (-not $Node.Static) {
        foreach ($known in $script:Ps2InstanceMemberVersions.Keys) {
            $entry = $script:Ps2InstanceMemberVersions[$known]
            if ($known -eq $Member -and $ArgumentCount -ge 0) { New-Ps2Finding $Node.Extent ($entry[0] + ' (.NET Framework ' + $entry[1] + ')') '3.0' }
        }
        return
    }
    if (-not ($Node.Expression -is [System.Management.Automation.Language.TypeExpressionAst])) { return }
    $type = Resolve-Ps2TypeName $Node.Expression.TypeName.FullName
    $table = $script:Ps2StaticMemberVersions[$type]
    if ($null -ne $table) {
        foreach ($known in $table.Keys) {
            if ($known -eq $Member) { New-Ps2Finding $Node.Extent ('[' + $type + ']::' + $known + ' (.NET Framework ' + $table[$known] + ')') '3.0' }
        }
    }
    if ($type -eq 'System.IO.Path' -and $Member -eq 'Combine' -and $ArgumentCount -gt 2) {
        New-Ps2Finding $Node.Extent '[System.IO.Path]::Combine of more than two parts (.NET Framework 4.0)' '3.0'
    }
}

function Get-Ps2TypeFinding {
    param([object]$Node, [string]$TypeName, [string]$What)
    $name = Get-Ps2TypeName $TypeName
    if ($What -ne 'attribute') { Get-Ps2DotNetTypeFinding $Node $name }
    foreach ($known in $script:Ps2TypeVersions.Keys) {
        if ($known -eq $name -or ($What -eq 'attribute' -and ($known + 'Attribute') -eq $name)) {
            if ($known -eq 'ordered') { New-Ps2Finding $Node.Extent '[ordered]' '3.0' }
            else { New-Ps2Finding $Node.Extent ('[' + $name + '] ' + $What) $script:Ps2TypeVersions[$known] }
        }
    }
}

# A command's arguments: its elements after the command name. (Not Select-Object -Skip: inside a
# restricted endpoint, as on an SSH jump host, Select-Object is a proxy without -Skip.)
function Get-Ps2CommandArgument {
    param([object]$Command)
    $elements = @($Command.CommandElements)
    if ($elements.Count -lt 2) { return , @() }
    return , @($elements[1..($elements.Count - 1)])
}

function Get-Ps2CommandFinding {
    param([object]$Node, [hashtable]$Imported)
    $name = $Node.GetCommandName()
    if ([string]::IsNullOrEmpty($name)) { return }
    if ($name -eq 'New-Object') {
        # New-Object [-TypeName] 'System.Tuple[int,string]': the type as a string.
        $elements = Get-Ps2CommandArgument $Node
        for ($i = 0; $i -lt $elements.Count; $i++) {
            $element = $elements[$i]
            if ($element -is [System.Management.Automation.Language.CommandParameterAst]) {
                if ('TypeName' -like ($element.ParameterName + '*') -and $i + 1 -lt $elements.Count -and $elements[$i + 1] -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
                    Get-Ps2DotNetTypeFinding $elements[$i + 1] ([string]$elements[$i + 1].Value)
                }
                if ('TypeName' -like ($element.ParameterName + '*') -and $element.Argument -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
                    Get-Ps2DotNetTypeFinding $element ([string]$element.Argument.Value)
                }
                if ($null -eq $element.Argument) { $i++ }
                continue
            }
            if ($element -is [System.Management.Automation.Language.StringConstantExpressionAst]) { Get-Ps2DotNetTypeFinding $element ([string]$element.Value) }
            break
        }
    }
    $aliases = @{ '?' = 'Where-Object'; 'where' = 'Where-Object'; '%' = 'ForEach-Object'; 'foreach' = 'ForEach-Object' }
    if ($aliases.ContainsKey($name)) { $name = $aliases[$name] }
    foreach ($known in $script:Ps2CommandVersions.Keys) {
        if ($known -eq $name) { New-Ps2Finding $Node.Extent $known $script:Ps2CommandVersions[$known] }
    }
    foreach ($entry in $script:Ps2ModuleCommands) {
        if ($name -match $entry.Pattern -and -not $Imported.ContainsKey($entry.Module)) {
            New-Ps2Finding $Node.Extent ($name + ' without Import-Module ' + $entry.Module + ' (module autoloading)') '3.0'
        }
    }
    $parameters = @($Node.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] })
    foreach ($parameter in $parameters) {
        foreach ($common in $script:Ps2CommonParameterVersions.Keys) {
            if ($common -eq $parameter.ParameterName) { New-Ps2Finding $parameter.Extent ('-' + $common) $script:Ps2CommonParameterVersions[$common] }
        }
        foreach ($command in $script:Ps2ParameterVersions.Keys) {
            if ($command -ne $name) { continue }
            $table = $script:Ps2ParameterVersions[$command]
            foreach ($known in $table.Keys) {
                if ($known -eq $parameter.ParameterName) { New-Ps2Finding $parameter.Extent ($command + ' -' + $known) $table[$known] }
            }
        }
    }
    # Where-Object Name -eq 'x' and ForEach-Object Name (the simplified syntax) are 3.0: 2.0 takes a
    # script block only.
    if ($name -eq 'Where-Object' -or $name -eq 'ForEach-Object') {
        $allowed = @('FilterScript', 'Process', 'Begin', 'End', 'InputObject', 'RemainingScripts')
        $arguments = Get-Ps2CommandArgument $Node
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
        if ($simplified) { New-Ps2Finding $Node.Extent ($name + ' without a script block (simplified syntax)') '3.0' }
    }
}

function Get-Ps2TokenFinding {
    param([object]$Token)
    $kind = [string]$Token.Kind
    if ($kind -eq 'Number') {
        $text = [string]$Token.Text
        if ($text -match '^(?i)0b[01]') { New-Ps2Finding $Token.Extent 'binary number literal' '7.0' }
        elseif ($text -notmatch '^(?i)0x' -and $text -match '(?i)(u[lsy]?|y|s|n)(kb|mb|gb|tb|pb)?$') { New-Ps2Finding $Token.Extent 'numeric type suffix' '6.2' }
        return
    }
    if ($kind -eq 'StringExpandable' -or $kind -eq 'HereStringExpandable') {
        $text = [string]$Token.Text
        if ($text.Contains('`u{')) { New-Ps2Finding $Token.Extent 'escape `u{}' '6.0' }
        if ($text -cmatch '`e') { New-Ps2Finding $Token.Extent 'escape `e' '6.0' }
    }
}

# The findings for one script's text: parse errors first, then every construct above.
function Get-Ps2Finding {
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
            foreach ($element in (Get-Ps2CommandArgument $command)) {
                if ($element -is [System.Management.Automation.Language.StringConstantExpressionAst]) { $imported[[string]$element.Value] = $true }
            }
        }
    }
    foreach ($node in $ast.FindAll({ param($n) $true }, $true)) { Get-Ps2NodeFinding $node $imported }
    foreach ($token in @($tokens)) { Get-Ps2TokenFinding $token }
}

<#
.SYNOPSIS
Lists what a Windows PowerShell 2.0 host (Windows Server 2008 R2) could not run in a script.
.DESCRIPTION
Parses the script with this PowerShell's parser and reports parse errors and every construct,
command, parameter or .NET Framework 4 member or type that needs PowerShell 3.0 or later (or a later
Windows). Returns one object per finding (Line, Column, Construct, Version, Text), in script order;
nothing means the script is PowerShell 2.0-safe as far as a static check can tell.
#>
function Test-PowerShell2Script {
    [CmdletBinding(DefaultParameterSetName = 'Text')]
    [OutputType([psobject])]
    param(
        [Parameter(Mandatory = $true, Position = 0, ParameterSetName = 'Text')][AllowEmptyString()][string]$ScriptText,
        [Parameter(Mandatory = $true, ParameterSetName = 'Path')][string]$Path
    )
    if ($PSCmdlet.ParameterSetName -eq 'Path') {
        $ScriptText = [System.IO.File]::ReadAllText($PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path))
    }
    Get-Ps2Finding $ScriptText | Sort-Object Line, Column
}
