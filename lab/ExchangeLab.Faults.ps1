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
    param([object]$Fault, [string]$CommandName)
    # SessionOpen faults fire when a session opens (Invoke-LabSessionOpen), never on a command.
    if ([string]$Fault.Kind -eq 'SessionOpen') { return $false }
    return (([string]$Fault.Command -eq $CommandName -or [string]$Fault.Command -eq '*') -and [int]$Fault.Times -gt 0)
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
    $pending = @(Get-LabFaultList $state | Where-Object { Test-LabFaultMatch $_ $name })
    if ($pending.Count -eq 0) { return $state }
    $fault = Update-LabState $Cmdlet {
        param($s, $c)
        $faults = @(Get-LabFaultList $s)
        foreach ($candidate in $faults) {
            if (Test-LabFaultMatch $candidate $name) {
                $candidate.Times = [int]$candidate.Times - 1
                $s.lab.faults = @($faults | Where-Object { [int]$_.Times -gt 0 })
                $c.Commit = $true
                $candidate
                break
            }
        }
    }
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
