<#
ExchangeLab.Faults: the latency and faults the lab state configures (lab.latency, lab.faults), and
Enter-LabCommand, where every emulated cmdlet starts: read the state, pay the latency, consume a
matching fault. Invoke-LabSessionOpen is the SessionOpen fault at import.

Dot-sourced by ExchangeLab.psm1, in the module's scope. Same rules as the module: runs on Windows
PowerShell 5.1 and PowerShell 7, so no null-coalescing, null-conditional, ternary or pipeline-chain
operators and no parameters that 5.1 lacks (test/lab/module.test.ts checks).
#>

function Get-LabLatencyValue {
    param([object]$State, [string]$Name)
    $lab = $State.PSObject.Properties['lab']
    if ($null -eq $lab -or $null -eq $lab.Value) { return 0 }
    $latency = $lab.Value.PSObject.Properties['latency']
    if ($null -eq $latency -or $null -eq $latency.Value) { return 0 }
    $value = $latency.Value.PSObject.Properties[$Name]
    if ($null -eq $value -or $null -eq $value.Value) { return 0 }
    return [int]$value.Value
}

function Get-LabFaultList {
    param([object]$State)
    $lab = $State.PSObject.Properties['lab']
    if ($null -eq $lab -or $null -eq $lab.Value) { return @() }
    return (Get-LabSection $lab.Value 'faults')
}

function Test-LabFaultMatch {
    param([object]$Fault, [string]$CommandName, [string]$Server = '')
    # SessionOpen faults fire when a session opens (Invoke-LabSessionOpen), never on a command.
    if ([string]$Fault.Kind -eq 'SessionOpen') { return $false }
    if (-not (([string]$Fault.Command -eq $CommandName -or [string]$Fault.Command -eq '*') -and [int]$Fault.Times -gt 0)) { return $false }
    # A fault for one server's Windows commands (Server) fires only there; one waiting for another
    # command (After) only once that command has run (Armed).
    $target = Get-LabFaultText $Fault 'Server'
    if ($target -ne '' -and -not (Test-LabFaultServer $target $Server)) { return $false }
    if ((Get-LabFaultText $Fault 'After') -ne '' -and -not (Test-LabFaultArmed $Fault)) { return $false }
    return $true
}

# A fault's optional text property, '' when absent (faults written before it existed lack it).
function Get-LabFaultText {
    param([object]$Fault, [string]$Name)
    $property = $Fault.PSObject.Properties[$Name]
    if ($null -eq $property -or $null -eq $property.Value) { return '' }
    return [string]$property.Value
}

function Test-LabFaultArmed {
    param([object]$Fault)
    $property = $Fault.PSObject.Properties['Armed']
    return ($null -ne $property -and $true -eq $property.Value)
}

# Whether a fault's Server names the computer a Windows command runs on (its name or FQDN).
function Test-LabFaultServer {
    param([string]$Wanted, [string]$Computer)
    if ($Computer -eq '') { return $false }
    $short = $Computer.Split('.')[0]
    return ($Wanted -eq $Computer -or $Wanted -eq $short -or $Wanted.Split('.')[0] -eq $short)
}

# Consumes the first pending fault for command $Name (on $Server, for a server's Windows
# commands) and arms the faults waiting for $Name to run (After), in one write of the state.
# A consumed Hang is recorded in lab.hung (Command, Server, At) before anything sleeps, so a test
# can tell that the command has started and hangs. Returns the fault, or $null.
function Use-LabFault {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [object]$State, [string]$Name, [string]$Server = '')
    $faults = @(Get-LabFaultList $State)
    $pending = @($faults | Where-Object { Test-LabFaultMatch $_ $Name $Server })
    $arming = @($faults | Where-Object { (Get-LabFaultText $_ 'After') -eq $Name -and -not (Test-LabFaultArmed $_) })
    if ($pending.Count -eq 0 -and $arming.Count -eq 0) { return $null }
    Update-LabState $Cmdlet {
        param($s, $c)
        $faults = @(Get-LabFaultList $s)
        $fired = $null
        foreach ($candidate in $faults) {
            if (Test-LabFaultMatch $candidate $Name $Server) {
                $candidate.Times = [int]$candidate.Times - 1
                $fired = $candidate
                break
            }
        }
        # Armed after the match: the command an After names is never the one its fault stops.
        foreach ($candidate in $faults) {
            if ((Get-LabFaultText $candidate 'After') -eq $Name -and -not (Test-LabFaultArmed $candidate)) { Set-LabProperty $candidate 'Armed' $true }
        }
        $s.lab.faults = @($faults | Where-Object { [int]$_.Times -gt 0 })
        if ($null -ne $fired -and [string]$fired.Kind -eq 'Hang') {
            $hung = New-Object System.Management.Automation.PSObject -Property ([ordered]@{ Command = $Name; Server = $Server; At = (Get-LabNow) })
            Set-LabProperty $s.lab 'hung' (@(Get-LabSection $s.lab 'hung') + $hung)
        }
        $c.Commit = $true
        $fired
    }
}

# Opening a session (importing the module: what New-PSSession to Exchange is to a remote shell)
# consumes one pending SessionOpen fault and fails the way Exchange's WinRM refuses a 19th shell:
# PSRemotingTransportException, OpenError, PSSessionOpenFailed (LAB-FIDELITY C2).
function Invoke-LabSessionOpen {
    [CmdletBinding()]
    param()
    if ([string]::IsNullOrWhiteSpace($env:EXCHANGE_LAB_STATE)) { return }
    $text = [ExchangeLab.StateFile]::ReadText($env:EXCHANGE_LAB_STATE)
    if ($null -eq $text -or -not [regex]::IsMatch($text, '"Kind"\s*:\s*"SessionOpen"')) { return }
    $fault = Update-LabState $PSCmdlet {
        param($s, $c)
        $faults = @(Get-LabFaultList $s)
        foreach ($candidate in $faults) {
            if ([string]$candidate.Kind -eq 'SessionOpen' -and [int]$candidate.Times -gt 0) {
                $candidate.Times = [int]$candidate.Times - 1
                $s.lab.faults = @($faults | Where-Object { [int]$_.Times -gt 0 })
                $c.Commit = $true
                $candidate
                break
            }
        }
    }
    if ($null -eq $fault) { return }
    $state = Read-LabState $PSCmdlet
    $server = Get-LabEndpointServer $state
    $fqdn = 'localhost'
    if ($null -ne $server) { $fqdn = ([string]$server.Fqdn).ToLowerInvariant() }
    $message = [string]::Format($script:Msg.SessionOpenThrottled, $fqdn)
    if ($null -ne $fault.PSObject.Properties['Message'] -and -not [string]::IsNullOrEmpty([string]$fault.Message)) { $message = [string]$fault.Message }
    $exception = New-Object System.Management.Automation.Remoting.PSRemotingTransportException($message)
    $record = [ExchangeLab.ErrorRecordFactory]::Create($exception, 'PSSessionOpenFailed', 'OpenError', $null)
    $PSCmdlet.ThrowTerminatingError($record)
}

# The cmdlet invocations that have paid their latency. The latency models the round trip to the
# server, and a remote pipeline is one round trip however many items are piped into it, so an
# invocation pays once, on its first item (its $PSCmdlet is the same object for every item).
$script:LatencyCharged = New-Object 'System.Runtime.CompilerServices.ConditionalWeakTable[object,object]'
# How many invocations have paid it since the module was imported (tests count round trips with it).
$script:LatencyCharges = 0

# Every emulated cmdlet starts here (once per pipeline item): read the state, sleep the configured
# latency (first item of an invocation only), then consume and apply one matching fault. Returns
# the state, or $null when the command must stop (Error fault).
function Enter-LabCommand {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [ValidateSet('Exchange', 'Dns')][string]$Kind)
    $state = Read-LabState $Cmdlet
    $name = $Cmdlet.MyInvocation.MyCommand.Name
    $charged = $null
    if (-not $script:LatencyCharged.TryGetValue($Cmdlet, [ref]$charged)) {
        $script:LatencyCharged.Add($Cmdlet, $true)
        $script:LatencyCharges++
        $delay = Get-LabLatencyValue $state ($Kind + 'CommandMs')
        if ($delay -gt 0) { Start-Sleep -Milliseconds $delay }
    }
    $fault = Use-LabFault $Cmdlet $state $name
    if ($null -eq $fault) { return $state }
    $custom = $null
    if ($null -ne $fault.PSObject.Properties['Message'] -and -not [string]::IsNullOrEmpty([string]$fault.Message)) { $custom = [string]$fault.Message }
    switch ([string]$fault.Kind) {
        'Error' {
            if ($Kind -eq 'Dns') {
                $message = 'The RPC server is unavailable.'
                if ($null -ne $custom) { $message = $custom }
                Write-DnsError $Cmdlet 1722 $message 'ResourceUnavailable' $name
            }
            else {
                $message = [string]::Format($script:Msg.AdTransient, (Get-LabDomainController $state $null))
                if ($null -ne $custom) { $message = $custom }
                Write-ExchangeError $Cmdlet (New-Object Microsoft.Exchange.Data.Directory.ADTransientException($message)) 'ADTransient' $name
            }
            return $null
        }
        'Throttle' {
            $message = $script:Msg.Throttled
            if ($null -ne $custom) { $message = $custom }
            $exception = New-Object System.Management.Automation.Remoting.PSRemotingTransportException($message)
            $record = [ExchangeLab.ErrorRecordFactory]::Create($exception, '-2144108477,PSSessionOpenFailed', 'OpenError', $null)
            $Cmdlet.ThrowTerminatingError($record)
        }
        'Hang' { Start-Sleep -Seconds $script:HangSeconds; return $state }
        'Exit' { [Environment]::Exit(1) }
    }
    return $state
}

# The faults of a server's Windows commands (the registry, service and WMI commands a script sent
# with Invoke-Command -ComputerName runs there): a fault whose Command is the Windows command's
# name, optionally only on one Server, fires when that command starts on that server. Hang sleeps
# (recorded in lab.hung first, so a test can stop the process at that point); Exit ends the pwsh
# process. The state is parsed only when its text holds a fault.
function Enter-LabWindowsFault {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Command, [string]$Computer)
    $text = [ExchangeLab.StateFile]::ReadText((Get-LabStatePath $Cmdlet))
    if ($null -eq $text -or -not [regex]::IsMatch($text, '"faults"\s*:\s*\[\s*\{')) { return }
    $fault = Use-LabFault $Cmdlet (Read-LabState $Cmdlet) $Command $Computer
    if ($null -eq $fault) { return }
    switch ([string]$fault.Kind) {
        'Hang' { Start-Sleep -Seconds $script:HangSeconds }
        'Exit' { [Environment]::Exit(1) }
    }
}
