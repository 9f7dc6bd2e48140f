<#
ExchangeLab.Admin: administration of the lab itself for tests and benchmarks: Initialize-ExchangeLab,
Get-ExchangeLabState, the latency settings and the fault list.

Dot-sourced by ExchangeLab.psm1, in the module's scope. Same rules as the module: runs on Windows
PowerShell 5.1 and PowerShell 7, so no null-coalescing, null-conditional, ternary or pipeline-chain
operators and no parameters that 5.1 lacks (test/lab/module.test.ts checks).
#>

<#
.SYNOPSIS
Initialises a lab: copies a scenario (default lab/scenarios/article.json) to the state path.
.PARAMETER Path
Target state file; defaults to $env:EXCHANGE_LAB_STATE.
.PARAMETER Scenario
Scenario file to copy; its format is the state format.
.PARAMETER Force
Overwrite an existing state file.
#>
function Initialize-ExchangeLab {
    [CmdletBinding()]
    param(
        [Parameter(Position = 0)][string]$Path,
        [string]$Scenario,
        [switch]$Force
    )
    if ([string]::IsNullOrEmpty($Path)) { $Path = Get-LabStatePath $PSCmdlet }
    else { $Path = $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path) }
    if ([string]::IsNullOrEmpty($Scenario)) { $Scenario = Join-Path $PSScriptRoot 'scenarios/article.json' }
    else { $Scenario = $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Scenario) }
    if ([System.IO.File]::Exists($Path) -and -not $Force) {
        $message = "The Exchange lab state file '$Path' already exists; use -Force to overwrite it."
        Stop-LabCommand $PSCmdlet (New-Object System.IO.IOException($message)) 'ExchangeLabStateExists' 'ResourceExists' $Path
    }
    $text = [ExchangeLab.StateFile]::ReadText($Scenario)
    if ($null -eq $text) {
        $message = "The scenario file '$Scenario' does not exist."
        Stop-LabCommand $PSCmdlet (New-Object System.IO.FileNotFoundException($message, $Scenario)) 'ExchangeLabScenarioMissing' 'ObjectNotFound' $Scenario
    }
    [void](ConvertFrom-LabStateText $PSCmdlet $Scenario $text)
    [void][System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($Path))
    [ExchangeLab.StateFile]::WriteAtomic($Path, $text)
    $Path
}

<#
.SYNOPSIS
Returns the whole lab state as parsed from the state file (the caller's own copy).
#>
function Get-ExchangeLabState {
    [CmdletBinding()]
    param()
    [void](Read-LabState $PSCmdlet)
    (Get-LabStateCache).CopyState()
}

<#
.SYNOPSIS
Returns the latency knobs (milliseconds): SessionOpenMs, ExchangeCommandMs, DnsCommandMs.
#>
function Get-ExchangeLabLatency {
    [CmdletBinding()]
    param()
    $state = Read-LabState $PSCmdlet
    New-Object System.Management.Automation.PSObject -Property ([ordered]@{
            SessionOpenMs     = Get-LabLatencyValue $state 'SessionOpenMs'
            ExchangeCommandMs = Get-LabLatencyValue $state 'ExchangeCommandMs'
            DnsCommandMs      = Get-LabLatencyValue $state 'DnsCommandMs'
        })
}

<#
.SYNOPSIS
Sets latency knobs: each Exchange cmdlet sleeps ExchangeCommandMs, each DNS cmdlet DnsCommandMs;
SessionOpenMs is slept on module import (and is for whoever opens sessions).
#>
function Set-ExchangeLabLatency {
    [CmdletBinding()]
    param(
        [ValidateRange(0, 3600000)][int]$SessionOpenMs,
        [ValidateRange(0, 3600000)][int]$ExchangeCommandMs,
        [ValidateRange(0, 3600000)][int]$DnsCommandMs
    )
    $bound = $PSBoundParameters
    Update-LabState $PSCmdlet {
        param($s, $c)
        if ($null -eq $s.PSObject.Properties['lab'] -or $null -eq $s.lab) { Set-LabProperty $s 'lab' (New-Object System.Management.Automation.PSObject) }
        if ($null -eq $s.lab.PSObject.Properties['latency'] -or $null -eq $s.lab.latency) { Set-LabProperty $s.lab 'latency' (New-Object System.Management.Automation.PSObject) }
        foreach ($knob in 'SessionOpenMs', 'ExchangeCommandMs', 'DnsCommandMs') {
            if ($bound.ContainsKey($knob)) { Set-LabProperty $s.lab.latency $knob ([int]$bound[$knob]) }
        }
        $c.Commit = $true
    }
    Get-ExchangeLabLatency
}

<#
.SYNOPSIS
Makes the next -Times calls of -Command (a cmdlet name, or * for any) fail: Error (non-terminating
Exchange/CIM error), Throttle (terminating 18-concurrent-shells error), Hang (sleeps a day) or
Exit (the PowerShell process exits with code 1). SessionOpen makes the next -Times session opens
(imports of the module) fail as Exchange refuses a shell over the 18-per-user quota; its -Command
is ignored (use *).
.DESCRIPTION
-After <command>: the fault waits until <command> has run once (it is armed when <command> starts,
and never fires on that call), so "hang the read that follows the write" is one fault, e.g.
-Command Get-ClientAccessArray -After New-ClientAccessArray.
-Server <name>: the fault is for a Windows command (Restart-Service, New-ItemProperty, ... what a
script sent with Invoke-Command -ComputerName runs) on that lab server only; such faults support
Hang and Exit.
Every Hang that fires is recorded in lab.hung (Command, Server, At) before it sleeps: the sign a
test waits for before it kills the process that runs the command.
#>
function Add-ExchangeLabFault {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, Position = 0)][string]$Command,
        [Parameter(Mandatory = $true)][ValidateSet('Error', 'Throttle', 'Hang', 'Exit', 'SessionOpen')][string]$Kind,
        [ValidateRange(1, 1000000)][int]$Times = 1,
        [string]$Message,
        [string]$After,
        [string]$Server
    )
    $properties = [ordered]@{
        Command = $Command
        Kind    = $Kind
        Times   = $Times
        Message = $(if ($PSBoundParameters.ContainsKey('Message')) { $Message } else { $null })
    }
    if (-not [string]::IsNullOrEmpty($After)) { $properties['After'] = $After; $properties['Armed'] = $false }
    if (-not [string]::IsNullOrEmpty($Server)) { $properties['Server'] = $Server }
    $fault = New-Object System.Management.Automation.PSObject -Property $properties
    Update-LabState $PSCmdlet {
        param($s, $c)
        if ($null -eq $s.PSObject.Properties['lab'] -or $null -eq $s.lab) { Set-LabProperty $s 'lab' (New-Object System.Management.Automation.PSObject) }
        Set-LabProperty $s.lab 'faults' (@(Get-LabFaultList $s) + $fault)
        $c.Commit = $true
        $fault
    }
}

<#
.SYNOPSIS
Lists the pending faults.
#>
function Get-ExchangeLabFault {
    [CmdletBinding()]
    param()
    Get-LabFaultList (Read-LabState $PSCmdlet)
}

<#
.SYNOPSIS
Removes pending faults: all of them, or those of one -Command.
#>
function Clear-ExchangeLabFault {
    [CmdletBinding()]
    param([Parameter(Position = 0)][string]$Command)
    Update-LabState $PSCmdlet {
        param($s, $c)
        if ($null -eq $s.PSObject.Properties['lab'] -or $null -eq $s.lab) { return }
        $keep = @()
        if (-not [string]::IsNullOrEmpty($Command)) { $keep = @(Get-LabFaultList $s | Where-Object { $_.Command -ne $Command }) }
        Set-LabProperty $s.lab 'faults' $keep
        $c.Commit = $true
    }
}
