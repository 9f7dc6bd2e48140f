# Runs ON one Exchange 2010 Client Access server, sent by Invoke-Command (provider/windows/rpcPorts.ts).
# Windows Server 2008 R2 ships PowerShell 2.0 and nothing newer is assumed: PowerShell 2.0 only
# (no [ordered], [pscustomobject], -in, $PSItem, .Where(), ::new(), Get-CimInstance, ConvertTo-Json;
# test/unit/ps20.test.ts and the lab's remote host check it). It prints one object of primitives.
#
#   Action 'Read'  reads the two static RPC ports, their registry types, the services and the
#                  ports each service listens on now (bound when it last started).
#   Action 'Set'   writes the RPC Client Access port (REG_DWORD) and the Address Book port (REG_SZ,
#                  Exchange 2010 SP1 and later), a port of 0 removing the value (dynamic ports),
#                  then restarts MSExchangeRPC and MSExchangeAB, which drops this server's Outlook
#                  sessions: the provider calls it for one server at a time.
param(
    [string]$Action,
    [int]$RpcClientAccessPort,
    [int]$AddressBookPort
)

$ErrorActionPreference = 'Stop'
$rpcKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\MSExchangeRPC\ParametersSystem'
$rpcName = 'TCP/IP Port'
$abKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\MSExchangeAB\Parameters'
$abName = 'RpcTcpPort'

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
if ($Action -eq 'Set') {
    if ($RpcClientAccessPort -lt 0 -or $RpcClientAccessPort -gt 65535 -or $AddressBookPort -lt 0 -or $AddressBookPort -gt 65535) {
        throw ('Static RPC ports must be 0 (dynamic) or 1-65535, not ' + $RpcClientAccessPort + ' and ' + $AddressBookPort + '.')
    }
    Write-ExcasValue $rpcKey $rpcName $RpcClientAccessPort 'DWord'
    Write-ExcasValue $abKey $abName $AddressBookPort 'String'
    # A service binds its port when it starts: the new ports are used only after a restart.
    Restart-Service -Name 'MSExchangeRPC' -Force
    Restart-Service -Name 'MSExchangeAB' -Force
    $restarted = $true
} elseif ($Action -ne 'Read') {
    throw ("Unknown action '" + $Action + "': use Read or Set.")
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
}
