<#
ExchangeLab.State: the lab's JSON state file, named by $env:EXCHANGE_LAB_STATE and read at every
call. Readers read it without a lock; Update-LabState, the one read-change-write every writing
cmdlet goes through, takes the exclusive lock file, re-reads, and writes a temp file renamed over
the state. Also the small accessors every other file uses (Set-LabProperty, Set-LabChanged,
Get-LabSection, Get-LabNow).

What a command costs does not grow with the organisation (types/ExchangeLabState.cs): a file whose
bytes are those this process last read or wrote is not parsed again; the sections that grow with
the organisation (mailboxDatabases, mailboxes) are shared by the commands and written element by
element, so a writer that changes one of their elements in place marks it with Set-LabChanged;
everything else each command gets as its own copy.

Dot-sourced by ExchangeLab.psm1, in the module's scope. Same rules as the module: runs on Windows
PowerShell 5.1 and PowerShell 7, so no null-coalescing, null-conditional, ternary or pipeline-chain
operators and no parameters that 5.1 lacks (test/lab/module.test.ts checks).
#>

function Stop-LabCommand {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [Exception]$Exception, [string]$ErrorId,
        [System.Management.Automation.ErrorCategory]$Category, [object]$Target)
    $record = New-Object System.Management.Automation.ErrorRecord($Exception, $ErrorId, $Category, $Target)
    $Cmdlet.ThrowTerminatingError($record)
}

function Get-LabStatePath {
    param([System.Management.Automation.PSCmdlet]$Cmdlet)
    $path = $env:EXCHANGE_LAB_STATE
    if ([string]::IsNullOrWhiteSpace($path)) {
        $message = 'EXCHANGE_LAB_STATE is not set; set it to the path of a lab state file and initialise the lab by copying lab/scenarios/article.json to that path (or run Initialize-ExchangeLab).'
        Stop-LabCommand $Cmdlet (New-Object System.IO.FileNotFoundException($message)) 'ExchangeLabStateNotConfigured' 'ObjectNotFound' $null
    }
    return $Cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($path)
}

function Stop-LabStateMissing {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Path)
    $message = "The Exchange lab state file '$Path' named by EXCHANGE_LAB_STATE does not exist; initialise the lab by copying lab/scenarios/article.json to that path (or run Initialize-ExchangeLab)."
    Stop-LabCommand $Cmdlet (New-Object System.IO.FileNotFoundException($message, $Path)) 'ExchangeLabStateMissing' 'ObjectNotFound' $Path
}

# The state a text holds, or the corrupt-state error.
function ConvertFrom-LabStateText {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Path, [string]$Text)
    $state = $null
    $problem = $null
    try { $state = ConvertFrom-Json -InputObject $Text -ErrorAction Stop }
    catch { $problem = 'it is not valid JSON (' + $_.Exception.Message + ')' }
    if ($null -eq $problem) {
        if ($null -eq $state -or -not ($state.PSObject.BaseObject -is [System.Management.Automation.PSCustomObject])) {
            $problem = 'it does not hold a JSON object'
        }
        elseif ($null -eq $state.organization) {
            $problem = "it has no 'organization' section"
        }
    }
    if ($null -ne $problem) {
        $message = "The Exchange lab state file '$Path' is corrupt: $problem; restore it, or initialise the lab again by copying lab/scenarios/article.json over it."
        Stop-LabCommand $Cmdlet (New-Object System.IO.InvalidDataException($message)) 'ExchangeLabStateCorrupt' 'InvalidData' $Path
    }
    return $state
}

# This module instance's parsed state (one file at a time).
function Get-LabStateCache {
    if ($null -eq $script:LabStateCache) { $script:LabStateCache = New-Object ExchangeLab.StateCache }
    return $script:LabStateCache
}

# The state as the file holds it now: parsed again only when its bytes are not those this process
# last read or wrote.
function Read-LabStateFile {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Path)
    $cache = Get-LabStateCache
    $bytes = $cache.ReadFile($Path)
    if ($null -eq $bytes) { Stop-LabStateMissing $Cmdlet $Path }
    if ($cache.Holds($Path, $bytes)) { return $cache.NewState() }
    $state = ConvertFrom-LabStateText $Cmdlet $Path ([ExchangeLab.StateBytes]::Decode($bytes))
    $cache.Load($Path, $bytes, $state)
    return $state
}

function Read-LabState {
    param([System.Management.Automation.PSCmdlet]$Cmdlet)
    $path = Get-LabStatePath $Cmdlet
    return (Read-LabStateFile $Cmdlet $path)
}

function Enter-LabLock {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Path)
    if (-not [System.IO.File]::Exists($Path)) { Stop-LabStateMissing $Cmdlet $Path }
    $lockPath = $Path + '.lock'
    $timeout = $script:DefaultLockTimeoutMs
    $fromEnv = 0
    if ([int]::TryParse([string]$env:EXCHANGE_LAB_LOCK_TIMEOUT_MS, [ref]$fromEnv) -and $fromEnv -gt 0) { $timeout = $fromEnv }
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    while ($true) {
        $lock = [ExchangeLab.StateFile]::TryLock($lockPath)
        if ($null -ne $lock) { return $lock }
        if ($watch.ElapsedMilliseconds -ge $timeout) {
            $message = "Timed out after $timeout ms waiting for the Exchange lab state lock '$lockPath'; another process is holding it."
            Stop-LabCommand $Cmdlet (New-Object System.TimeoutException($message)) 'ExchangeLabStateLockTimeout' 'ResourceBusy' $lockPath
        }
        Start-Sleep -Milliseconds (Get-Random -Minimum 3 -Maximum 20)
    }
}

# Writes the state an update changed ($Changed: the elements of the shared sections it marked),
# then keeps it as this process's parsed state: the small part and the changed elements parsed
# again from what was written, so the next commands see what a fresh read would give.
function Write-LabStateFile {
    param([string]$Path, [object]$State, [object]$Changed)
    $cache = Get-LabStateCache
    $written = $null
    try { $written = $cache.Compose($State, $Changed) }
    catch {
        if (-not ($_.Exception.InnerException -is [System.NotSupportedException])) { throw }
    }
    if ($null -eq $written) {
        # A value the lab's JSON writer has no form for: ConvertTo-Json writes it, as it always did.
        [ExchangeLab.StateFile]::WriteAtomic($Path, (ConvertTo-Json -InputObject $State -Depth 32))
        $cache.Forget()
        return
    }
    $cache.WriteFile($Path, $written)
    for ($i = 0; $i -lt $written.Elements.Count; $i++) {
        [ExchangeLab.StateJson]::Refill($written.Elements[$i], (ConvertFrom-Json -InputObject $written.Texts[$i]))
    }
    $cache.Commit($Path, $written, $State, (ConvertFrom-Json -InputObject $written.SmallText))
}

# Runs $Update against a freshly read state while holding the lock. $Update gets ($state, $context)
# and sets $context.Commit = $true to have the state written (after Set-LabChanged on each element
# of mailboxDatabases or mailboxes it changed in place). Its output is returned after the write and
# the unlock, so nobody downstream sees an object before it is stored.
function Update-LabState {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [scriptblock]$Update)
    $path = Get-LabStatePath $Cmdlet
    $lock = Enter-LabLock $Cmdlet $path
    $cache = Get-LabStateCache
    $output = @()
    try {
        $state = Read-LabStateFile $Cmdlet $path
        $context = @{ Commit = $false; Changed = New-Object 'System.Collections.Generic.List[object]' }
        $output = @(& $Update $state $context)
        if ($context.Commit) {
            $revision = 0
            if ($null -ne $state.PSObject.Properties['revision']) { $revision = [int]$state.revision }
            Set-LabProperty $state 'revision' ($revision + 1)
            Write-LabStateFile $path $state $context.Changed
        }
        else { $cache.CheckUnchanged() }
    }
    catch {
        # Anything that stops the update (a bug, a failed write, -ErrorAction Stop turning an
        # Exchange error into an exception) ends the command without writing a half-done state,
        # and what this process had parsed is read again. A .NET method's own exception (a failed
        # write, the state cache's checks) is given as it is, not wrapped in "Exception calling".
        $cache.Forget()
        $record = $_
        if ($record.Exception -is [System.Management.Automation.MethodInvocationException] -and $null -ne $record.Exception.InnerException) {
            $record = New-Object System.Management.Automation.ErrorRecord($record.Exception.InnerException, 'ExchangeLabStateUpdateFailed', 'NotSpecified', $path)
        }
        $Cmdlet.ThrowTerminatingError($record)
    }
    finally { $lock.Dispose() }
    $output
}

function Set-LabProperty {
    param([object]$Object, [string]$Name, [object]$Value)
    if ($null -eq $Object.PSObject.Properties[$Name]) {
        Add-Member -InputObject $Object -MemberType NoteProperty -Name $Name -Value $Value
    }
    else { $Object.$Name = $Value }
}

# Marks an element of mailboxDatabases or mailboxes that an update changed in place (a new or
# removed element needs no mark): only marked elements are written again.
function Set-LabChanged {
    param([object]$Context, [object]$Object)
    $Context.Changed.Add($Object)
}

function Get-LabSection {
    param([object]$State, [string]$Name)
    $property = $State.PSObject.Properties[$Name]
    if ($null -eq $property -or $null -eq $property.Value) { return @() }
    return @($property.Value)
}

function Get-LabNow { return [DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm:ss') + 'Z' }
