<#
ExchangeLab.State: the lab's JSON state file, named by $env:EXCHANGE_LAB_STATE and read at every
call. Readers read it without a lock; Update-LabState, the one read-change-write every writing
cmdlet goes through, takes the exclusive lock file, re-reads, and writes a temp file renamed over
the state. Also the small accessors every other file uses (Set-LabProperty, Get-LabSection,
Get-LabNow).

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

function Read-LabStateFile {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Path)
    $text = [ExchangeLab.StateFile]::ReadText($Path)
    if ($null -eq $text) { Stop-LabStateMissing $Cmdlet $Path }
    $state = $null
    $problem = $null
    try { $state = ConvertFrom-Json -InputObject $text -ErrorAction Stop }
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

function Write-LabStateFile {
    param([string]$Path, [object]$State)
    [ExchangeLab.StateFile]::WriteAtomic($Path, (ConvertTo-Json -InputObject $State -Depth 32))
}

# Runs $Update against a freshly read state while holding the lock. $Update gets ($state, $context)
# and sets $context.Commit = $true to have the state written. Its output is returned after the write
# and the unlock, so nobody downstream sees an object before it is stored.
function Update-LabState {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [scriptblock]$Update)
    $path = Get-LabStatePath $Cmdlet
    $lock = Enter-LabLock $Cmdlet $path
    $output = @()
    try {
        $state = Read-LabStateFile $Cmdlet $path
        $context = @{ Commit = $false }
        $output = @(& $Update $state $context)
        if ($context.Commit) {
            $revision = 0
            if ($null -ne $state.PSObject.Properties['revision']) { $revision = [int]$state.revision }
            Set-LabProperty $state 'revision' ($revision + 1)
            Write-LabStateFile $path $state
        }
    }
    catch {
        # Anything that stops the update (a bug, a failed write, -ErrorAction Stop turning an
        # Exchange error into an exception) ends the command without writing a half-done state.
        $Cmdlet.ThrowTerminatingError($_)
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

function Get-LabSection {
    param([object]$State, [string]$Name)
    $property = $State.PSObject.Properties[$Name]
    if ($null -eq $property -or $null -eq $property.Value) { return @() }
    return @($property.Value)
}

function Get-LabNow { return [DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm:ss') + 'Z' }
