# The local wrapper every provider command runs in. It is dot-sourced once into each pwsh
# session, then each command is one line:
#   Invoke-ExcasCommand -ScriptBase64 '<base64 UTF-8 script>' -SelectBase64 '<base64 JSON list>'
# or, for several commands in one round trip (one envelope each, see Invoke-ExcasBatch):
#   Invoke-ExcasBatch -CommandsBase64 '<base64 JSON list of {script, select}>'
# The script text travels as base64 so newlines inside quoted values cannot split the line that
# pwsh reads from stdin. It prints exactly one line: the envelope marker followed by JSON
#   {"ok":true,"data":[...],"warnings":[...]} or {"ok":false,"data":[...],"errors":[...],...}
# Errors are collected from the error stream (2>&1), not from exceptions alone: cmdlets imported
# from an Exchange remote session write non-terminating errors whatever -ErrorAction says.
# Must run on Windows PowerShell 5.1 and PowerShell 7: no ??, ?., ternaries, &&, -AsArray.

if ($PSVersionTable.PSVersion.Major -lt 6) {
    # Windows PowerShell 5.1 serializes arrays as {"value":[...],"Count":n} because of this ETS entry.
    Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue
}

# Windows PowerShell 5.1 writes a redirected stdout in the console's code page (850, 1252, ...), so
# a non-ASCII name or a localised Exchange message would reach Node garbled: the envelopes are
# written as UTF-8 without a byte order mark. (Console.OutputEncoding can throw where no console
# is attached; the session then keeps its default.)
try {
    $excasUtf8 = New-Object System.Text.UTF8Encoding $false
    [Console]::OutputEncoding = $excasUtf8
    $OutputEncoding = $excasUtf8
} catch { $null = $_ }

function ConvertTo-ExcasPlain {
    param($Value)
    if ($null -eq $Value) { return $null }
    if ($Value -is [string]) { return $Value }
    if ($Value -is [bool]) { return $Value }
    if ($Value -is [char]) { return [string]$Value }
    if ($Value -is [enum]) { return [string]$Value }
    # A deserialized object that is not a collection (what a remote session sends for Exchange's
    # own types) as the text it was shown as: a Deserialized.System.Enum is an Int32 carrying its
    # name (ServerRole 'Mailbox', not {value, Value}), an ADObjectId its path, a ServerVersion
    # 'Version 14.3 (Build 123.4)'. Checked before the numbers, which such an enum also is.
    if (-not ($Value -is [System.Collections.IEnumerable])) {
        $names = $Value.PSObject.TypeNames
        if ($names.Count -gt 0 -and $names[0].StartsWith('Deserialized.', [System.StringComparison]::Ordinal)) {
            return $Value.PSObject.ToString()
        }
    }
    if ($Value -is [int] -or $Value -is [long] -or $Value -is [double] -or $Value -is [decimal] -or
        $Value -is [int16] -or $Value -is [uint16] -or $Value -is [uint32] -or $Value -is [uint64] -or
        $Value -is [byte] -or $Value -is [single]) { return $Value }
    if ($Value -is [TimeSpan]) { return $Value.TotalSeconds }
    if ($Value -is [datetime]) { return $Value.ToUniversalTime().ToString('o') }
    if ($Value -is [System.Collections.IDictionary]) { return [string]$Value }
    if ($Value -is [System.Collections.IEnumerable]) {
        $items = New-Object System.Collections.ArrayList
        foreach ($item in $Value) { [void]$items.Add((ConvertTo-ExcasPlain $item)) }
        return ,($items.ToArray())
    }
    return [string]$Value
}

function Get-ExcasPath {
    param($Object, [string]$Path)
    $current = $Object
    foreach ($part in $Path.Split('.')) {
        if ($null -eq $current) { return $null }
        $current = $current.$part
    }
    return ,$current
}

function ConvertTo-ExcasErrorInfo {
    param($Record)
    $type = ''
    if ($Record.CategoryInfo -and $Record.CategoryInfo.Reason) { $type = [string]$Record.CategoryInfo.Reason }
    if (-not $type -and $Record.Exception) { $type = $Record.Exception.GetType().Name }
    $message = ''
    if ($Record.ErrorDetails -and $Record.ErrorDetails.Message) { $message = [string]$Record.ErrorDetails.Message }
    elseif ($Record.Exception) { $message = [string]$Record.Exception.Message }
    else { $message = [string]$Record }
    $activity = ''
    if ($Record.CategoryInfo) { $activity = [string]$Record.CategoryInfo.Activity }
    return [ordered]@{
        type     = $type
        category = [string]$Record.CategoryInfo.Category
        fqid     = [string]$Record.FullyQualifiedErrorId
        message  = $message
        target   = [string]$Record.TargetObject
        cmdlet   = $activity
    }
}

# Runs one script and returns its envelope (an ordered dictionary): the script's output objects
# as rows, and the error and warning records it wrote, collected from its own streams only.
function Get-ExcasEnvelope {
    param([string]$Script, [object[]]$Select)
    $ErrorActionPreference = 'Continue'
    $WarningPreference = 'Continue'
    $ProgressPreference = 'SilentlyContinue'
    $data = New-Object System.Collections.ArrayList
    $errors = New-Object System.Collections.ArrayList
    $warnings = New-Object System.Collections.ArrayList
    try {
        $block = [scriptblock]::Create($Script)
        $rows = $null -ne $Select -and $Select.Count -gt 0
        & $block 2>&1 3>&1 | ForEach-Object {
            if ($_ -is [System.Management.Automation.ErrorRecord]) { [void]$errors.Add((ConvertTo-ExcasErrorInfo $_)); return }
            if ($_ -is [System.Management.Automation.WarningRecord]) { [void]$warnings.Add([string]$_.Message); return }
            if (-not $rows) { [void]$data.Add((ConvertTo-ExcasPlain $_)); return }
            # The object as a row of the selected properties, built here: this runs once per object
            # of a Get of every database (a function call per row and per value cost more than the rest).
            $object = $_
            $row = [ordered]@{}
            foreach ($path in $Select) {
                if ($path.IndexOf('.') -lt 0) { $value = $object.$path } else { $value = Get-ExcasPath $object $path }
                if ($null -eq $value -or $value -is [string] -or $value -is [bool]) { $row[$path] = $value }
                elseif ($value -is [guid]) { $row[$path] = $value.ToString() }
                elseif ($value -is [string[]]) { $row[$path] = $value }
                else { $row[$path] = ConvertTo-ExcasPlain $value }
            }
            [void]$data.Add($row)
        }
    } catch {
        [void]$errors.Add((ConvertTo-ExcasErrorInfo $_))
    }
    return [ordered]@{
        ok       = ($errors.Count -eq 0)
        data     = $data.ToArray()
        errors   = $errors.ToArray()
        warnings = $warnings.ToArray()
    }
}

# The envelope of a command that could not even be run (undecodable input, a wrapper failure).
function New-ExcasFailedEnvelope {
    param($ErrorRecord)
    return [ordered]@{ ok = $false; data = @(); errors = @(ConvertTo-ExcasErrorInfo $ErrorRecord); warnings = @() }
}

function ConvertFrom-ExcasBase64 {
    param([string]$Text)
    return [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($Text))
}

# A JSON list as an array of its items. Windows PowerShell 5.1's ConvertFrom-Json writes a list as
# ONE object (PowerShell 7 enumerates it), so @(ConvertFrom-Json ...) would be a one-item array
# holding the list there; foreach over the assigned value enumerates it on both.
function ConvertFrom-ExcasJsonList {
    param([string]$Text)
    $parsed = ConvertFrom-Json $Text
    $items = New-Object System.Collections.ArrayList
    foreach ($item in $parsed) { [void]$items.Add($item) }
    return ,$items.ToArray()
}

# One command: prints one marker line followed by its envelope.
function Invoke-ExcasCommand {
    param([string]$ScriptBase64, [string]$SelectBase64)
    $envelope = $null
    try {
        $script = ConvertFrom-ExcasBase64 $ScriptBase64
        $select = @()
        if ($SelectBase64) { $select = ConvertFrom-ExcasJsonList (ConvertFrom-ExcasBase64 $SelectBase64) }
        $envelope = Get-ExcasEnvelope $script $select
    } catch {
        $envelope = New-ExcasFailedEnvelope $_
    }
    $json = ConvertTo-Json -InputObject $envelope -Depth 10 -Compress
    [Console]::Out.WriteLine('##EXCAS-ENVELOPE##' + $json)
}

# The provider process that drives this session (its pid and start time), set once when the
# session starts. A batch checks it between items: when the provider is gone (killed, crashed),
# nobody will ever hear of the rest, so the rest is not run. The pid is passed explicitly: the
# parent of this pwsh may be a launcher (the .NET global tool's pwsh), not the provider.
$script:ExcasOwner = $null

function Set-ExcasOwner {
    param([int]$ProcessId)
    $startTime = $null
    try {
        $process = [System.Diagnostics.Process]::GetProcessById($ProcessId)
        try { $startTime = $process.StartTime } catch { $startTime = $null } finally { $process.Dispose() }
    } catch { $startTime = $null }
    # Where /proc exists (Linux), the check reads the owner's /proc/<pid>/stat only, a file read
    # instead of a process lookup (it runs before every command of a batch): its start time in
    # clock ticks since boot (field 22), which a reused pid does not have.
    $stat = $null
    $ticks = $null
    $fields = Get-ExcasProcStat ('/proc/' + $ProcessId + '/stat')
    if ($null -ne $fields -and $fields.Count -gt 19) {
        $stat = '/proc/' + $ProcessId + '/stat'
        $ticks = $fields[19]
    }
    $script:ExcasOwner = @{ Id = $ProcessId; StartTime = $startTime; Stat = $stat; Ticks = $ticks }
}

# The fields of a /proc/<pid>/stat after the command name (state first), or $null when the file
# cannot be read.
function Get-ExcasProcStat {
    param([string]$Path)
    $text = $null
    try { $text = [System.IO.File]::ReadAllText($Path) } catch { return $null }
    $close = $text.LastIndexOf(')')
    if ($close -lt 0 -or $text.Length -le $close + 2) { return $null }
    return , ($text.Substring($close + 2).Split(' '))
}

# Whether the owner is still running: false when its pid is gone, has exited, is a zombie (Linux:
# .NET still finds an exited process its parent has not reaped) or now belongs to a process
# started at another time (pid reuse). Anything it cannot tell counts as running. No owner: true.
function Test-ExcasOwnerAlive {
    $owner = $script:ExcasOwner
    if ($null -eq $owner) { return $true }
    if ($null -ne $owner.Stat) {
        # Inline (no function call): this runs before every command of a batch.
        $text = $null
        try { $text = [System.IO.File]::ReadAllText($owner.Stat) }
        catch [System.IO.FileNotFoundException], [System.IO.DirectoryNotFoundException] { return $false }
        catch { return $true }
        $close = $text.LastIndexOf(')')
        if ($close -lt 0 -or $text.Length -le $close + 2) { return $true }
        $fields = $text.Substring($close + 2).Split(' ')
        return (-not ($fields[0] -ceq 'Z') -and $fields.Count -gt 19 -and $fields[19] -eq $owner.Ticks)
    }
    try { $process = [System.Diagnostics.Process]::GetProcessById($owner.Id) } catch { return $false }
    try {
        if ($process.HasExited) { return $false }
        if ($null -ne $owner.StartTime -and $process.StartTime -ne $owner.StartTime) { return $false }
    } catch { $null = $_ } finally { $process.Dispose() }
    if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Unix) {
        $stat = '/proc/' + $owner.Id + '/stat'
        $text = $null
        try { $text = [System.IO.File]::ReadAllText($stat) } catch { $text = $null }
        if ($null -ne $text) {
            $close = $text.LastIndexOf(')')
            if ($close -ge 0 -and $text.Length -gt $close + 2 -and $text[$close + 2] -ceq 'Z') { return $false }
        }
    }
    return $true
}

# Several commands in one round trip: -CommandsBase64 is base64 of a JSON list of
# {"script":"...","select":[...]}. Each command runs on its own, as Invoke-ExcasCommand would run it
# (one failing does not stop the next), and has its own envelope, so every error belongs to the
# command that wrote it. Before each command after the first, the owner must still be running
# (Test-ExcasOwnerAlive); once it is not, no further command runs: each gets a failed envelope.
# Prints one marker line followed by the JSON list of envelopes, in order.
function Invoke-ExcasBatch {
    param([string]$CommandsBase64)
    $envelopes = New-Object System.Collections.ArrayList
    $commands = ConvertFrom-ExcasJsonList (ConvertFrom-ExcasBase64 $CommandsBase64)
    $stopped = $null
    foreach ($command in $commands) {
        if ($null -eq $stopped -and $envelopes.Count -gt 0 -and -not (Test-ExcasOwnerAlive)) {
            $reason = New-Object System.InvalidOperationException('Not run: the process that sent this batch has exited.')
            $stopped = New-Object System.Management.Automation.ErrorRecord($reason, 'ExcasOwnerExited', 'OperationStopped', $null)
        }
        if ($null -ne $stopped) {
            [void]$envelopes.Add((New-ExcasFailedEnvelope $stopped))
            continue
        }
        $envelope = $null
        try { $envelope = Get-ExcasEnvelope ([string]$command.script) @($command.select) }
        catch { $envelope = New-ExcasFailedEnvelope $_ }
        [void]$envelopes.Add($envelope)
    }
    $json = ConvertTo-Json -InputObject $envelopes.ToArray() -Depth 11 -Compress
    [Console]::Out.WriteLine('##EXCAS-BATCH##' + $json)
}

