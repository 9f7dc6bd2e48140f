<#
ExchangeLab.Windows: the Windows side of each lab server, as the provider reaches it through
PowerShell remoting (WinRM) to a Client Access server: Windows Server 2008 R2 with PowerShell 2.0
and Exchange 2010 (LB-WIRING.md section 1).

Dot-sourced by ExchangeLab.psm1, so it shares the module's helpers. For now it holds the
PowerShell 2.0 language check that everything sent to such a server must pass.

Same rules as the module: runs on Windows PowerShell 5.1 and PowerShell 7 (no ?? ?. ?: && || and
no 7-only parameters; test/lab/module.test.ts checks).
#>

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

Export-ModuleMember -Function @('Test-ExchangeLabPowerShell2Script')
