# Runs ON one Exchange 2010 Client Access server, sent by Invoke-Command (provider/windows/rpcPorts.ts).
# Windows Server 2008 R2 ships PowerShell 2.0 and nothing newer is assumed: PowerShell 2.0 only
# (no [ordered], [pscustomobject], -in, $PSItem, .Where(), ::new(), Get-CimInstance, ConvertTo-Json;
# test/unit/ps20.test.ts and the lab's remote host check it). It prints one object of primitives.
#
#   Action 'Read'  reads the two static RPC ports, their registry types, the services and the
#                  ports each service listens on now (bound when it last started).
#   Action 'Set'   first keeps what the server had before exchange-cas changed it (the Before
#                  arguments, 0 = dynamic) in HKLM:\SOFTWARE\exchange-cas, unless kept already,
#                  then writes the RPC Client Access port (REG_DWORD) and the Address Book port
#                  (REG_SZ, Exchange 2010 SP1 and later), a port of 0 removing the value (dynamic
#                  ports), then restarts MSExchangeRPC and MSExchangeAB, which drops this server's
#                  Outlook sessions: the provider calls it for one server at a time.
#   Action 'Restore'  writes the ports given (what the server had before) and restarts the same
#                  way, then forgets what was kept.
#   Action 'Forget'   only forgets what was kept (a server already back as it was).
#
# Why the earlier ports are kept here, on the server: a rolling restart interrupted after some
# servers were changed (the machine running Pulumi killed, a server unreachable) fails its create
# or update, and Pulumi keeps no state from a failed create; the next run would read the changed
# servers' new ports as what they had. Kept once, beside the value and never overwritten until
# given back, they survive any interruption, whoever runs the next apply and from where.
param(
    [string]$Action,
    [int]$RpcClientAccessPort,
    [int]$AddressBookPort,
    [int]$RpcClientAccessBefore = -1,
    [int]$AddressBookBefore = -1
)

$ErrorActionPreference = 'Stop'
$rpcKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\MSExchangeRPC\ParametersSystem'
$rpcName = 'TCP/IP Port'
$abKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\MSExchangeAB\Parameters'
$abName = 'RpcTcpPort'
$keptKey = 'HKLM:\SOFTWARE\exchange-cas'
$keptRpcName = 'RpcClientAccessPortBefore'
$keptAbName = 'AddressBookPortBefore'

# A missing key or value is "not configured" (dynamic ports), not an error.
function Read-ExcasValue([string]$Path, [string]$Name) {
    $result = @{ Kind = 'None'; Value = '' }
    if (-not (Test-Path -LiteralPath $Path)) { return $result }
    $key = Get-Item -LiteralPath $Path
    $names = @($key.GetValueNames())
    if (-not ($names -contains $Name)) { return $result }
    $result.Kind = [string]$key.GetValueKind($Name)
    $result.Value = [string]$key.GetValue($Name)
    return $result
}

function Write-ExcasValue([string]$Path, [string]$Name, [int]$Port, [string]$Kind) {
    if ($Port -eq 0) {
        $current = Read-ExcasValue $Path $Name
        if ($current.Kind -ne 'None') { Remove-ItemProperty -LiteralPath $Path -Name $Name }
        return
    }
    # New-Item -Force on an existing registry key would empty it: create the key only when missing.
    if (-not (Test-Path -LiteralPath $Path)) { New-Item -Path $Path | Out-Null }
    if ($Kind -eq 'DWord') { $value = $Port } else { $value = [string]$Port }
    New-ItemProperty -LiteralPath $Path -Name $Name -PropertyType $Kind -Value $value -Force | Out-Null
}

# What was kept: the port (0 = dynamic), or -1 when nothing is kept.
function Read-ExcasKept([string]$Name) {
    $kept = Read-ExcasValue $keptKey $Name
    if ($kept.Kind -ne 'DWord') { return -1 }
    return [int]$kept.Value
}

# Keeps what the server had, once: values already kept are never overwritten.
function Save-ExcasKept([int]$Rpc, [int]$Ab) {
    if ($Rpc -lt 0 -or $Ab -lt 0) { return }
    if ((Read-ExcasKept $keptRpcName) -ge 0 -and (Read-ExcasKept $keptAbName) -ge 0) { return }
    if (-not (Test-Path -LiteralPath $keptKey)) { New-Item -Path $keptKey | Out-Null }
    New-ItemProperty -LiteralPath $keptKey -Name $keptRpcName -PropertyType DWord -Value $Rpc -Force | Out-Null
    New-ItemProperty -LiteralPath $keptKey -Name $keptAbName -PropertyType DWord -Value $Ab -Force | Out-Null
}

# Forgets what was kept; the key goes too when nothing else is in it (the server as it was).
function Clear-ExcasKept {
    foreach ($name in @($keptRpcName, $keptAbName)) {
        if ((Read-ExcasValue $keptKey $name).Kind -ne 'None') { Remove-ItemProperty -LiteralPath $keptKey -Name $name }
    }
    if (-not (Test-Path -LiteralPath $keptKey)) { return }
    $key = Get-Item -LiteralPath $keptKey
    if ($key.ValueCount -eq 0 -and $key.SubKeyCount -eq 0) { Remove-Item -LiteralPath $keptKey }
}

# The TCP ports a service's process listens on, from netstat -ano (2008 R2 has it;
# Get-NetTCPConnection is 2012+), read from its numeric columns only: the state column is in the
# language of the server's Windows (a German server writes ABHOREN, with an umlaut), so a listener is told
# by its foreign address, 0.0.0.0:0 ([::]:0), which only a listening socket has. The RPC over HTTP
# ports 6001-6004 that Outlook Anywhere uses are left out.
function Get-ExcasListening([string]$Service, $Lines) {
    $ports = @()
    $svc = Get-WmiObject -Class Win32_Service -Filter ("Name='" + $Service + "'")
    if ($null -eq $svc -or [int]$svc.ProcessId -eq 0) { return ,$ports }
    foreach ($line in $Lines) {
        $fields = @(([string]$line).Trim() -split '\s+')
        if ($fields.Count -lt 4 -or $fields[0] -ne 'TCP') { continue }
        if ($fields[2] -ne '0.0.0.0:0' -and $fields[2] -ne '[::]:0') { continue }
        $local = [regex]::Match($fields[1], ':(\d+)$')
        $owner = 0
        if (-not $local.Success -or -not [int]::TryParse($fields[$fields.Count - 1], [ref]$owner)) { continue }
        if ($owner -ne [int]$svc.ProcessId) { continue }
        $port = [int]$local.Groups[1].Value
        if ($port -ge 6001 -and $port -le 6004) { continue }
        if (-not ($ports -contains $port)) { $ports += $port }
    }
    return ,$ports
}

function Get-ExcasServiceStatus([string]$Service) {
    $svc = Get-Service -Name $Service -ErrorAction SilentlyContinue
    if ($null -eq $svc) { return 'Missing' }
    return [string]$svc.Status
}

function Get-ExcasUserCount {
    $counter = Get-Counter -Counter '\MSExchange RpcClientAccess\User Count' -ErrorAction SilentlyContinue
    if ($null -eq $counter) { return -1 }
    return [int]$counter.CounterSamples[0].CookedValue
}

$restarted = $false
if ($Action -eq 'Set' -or $Action -eq 'Restore') {
    if ($RpcClientAccessPort -lt 0 -or $RpcClientAccessPort -gt 65535 -or $AddressBookPort -lt 0 -or $AddressBookPort -gt 65535) {
        throw ('Static RPC ports must be 0 (dynamic) or 1-65535, not ' + $RpcClientAccessPort + ' and ' + $AddressBookPort + '.')
    }
    if ($Action -eq 'Set') { Save-ExcasKept $RpcClientAccessBefore $AddressBookBefore }
    Write-ExcasValue $rpcKey $rpcName $RpcClientAccessPort 'DWord'
    Write-ExcasValue $abKey $abName $AddressBookPort 'String'
    # A service binds its port when it starts: the new ports are used only after a restart.
    Restart-Service -Name 'MSExchangeRPC' -Force
    Restart-Service -Name 'MSExchangeAB' -Force
    $restarted = $true
    if ($Action -eq 'Restore') { Clear-ExcasKept }
} elseif ($Action -eq 'Forget') {
    Clear-ExcasKept
} elseif ($Action -ne 'Read') {
    throw ("Unknown action '" + $Action + "': use Read, Set, Restore or Forget.")
}

$rpc = Read-ExcasValue $rpcKey $rpcName
$ab = Read-ExcasValue $abKey $abName
$netstat = @(netstat -ano -p TCP)
New-Object PSObject -Property @{
    RpcClientAccessKind  = $rpc.Kind
    RpcClientAccessValue = $rpc.Value
    AddressBookKind      = $ab.Kind
    AddressBookValue     = $ab.Value
    RpcClientAccessState = Get-ExcasServiceStatus 'MSExchangeRPC'
    AddressBookState     = Get-ExcasServiceStatus 'MSExchangeAB'
    RpcClientAccessListening = Get-ExcasListening 'MSExchangeRPC' $netstat
    AddressBookListening = Get-ExcasListening 'MSExchangeAB' $netstat
    UserCount            = Get-ExcasUserCount
    Restarted            = $restarted
    RpcClientAccessBefore = Read-ExcasKept $keptRpcName
    AddressBookBefore    = Read-ExcasKept $keptAbName
}
