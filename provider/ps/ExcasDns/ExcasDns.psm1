# ExcasDns: the A-record commands exchange-cas runs ON the host that has the DnsServer module (the
# SSH jump host of an `ssh` connection; install this folder into a PSModulePath folder there).
#
# Why it exists: DnsServer cmdlets are CDXML, so their records, and the TargetObject and exception
# data of their errors, are CimInstances. Sent through a remote session they travel with
# __ClassMetadata, and the receiving pwsh rebuilds them through the native MI library, which pwsh
# on Linux/macOS does not ship: "Unable to load shared library 'libmi'". These commands run the
# DnsServer cmdlets where they are local and send back only primitives: records as HostName,
# RecordType, TimeToLive (seconds) and IPv4Address (string); errors as a plain exception with the
# message, the ErrorId 'WIN32 <code>' and no TargetObject. They are plain commands taking data
# parameters, so a restricted (NoLanguage / JEA) endpoint can expose them as well.
#
# Resolve-ExcasDnsName asks a DNS server what a client gets for a name (DnsClient's
# Resolve-DnsName, Windows Server 2012+). It runs here because this host reaches the site's DNS
# servers and has the cmdlet (pwsh on Linux/macOS has neither), and it sends back primitives too.
#
# Must run on Windows PowerShell 5.1 and PowerShell 7: no ??, ?., ternaries, &&. No pipeline
# cmdlets (Select-Object, Where-Object, ...): a restricted endpoint may replace or hide them.

Set-StrictMode -Off

# The Win32 code of a DnsServer error: its FullyQualifiedErrorId is 'WIN32 <code>,<cmdlet>'.
function Get-ExcasDnsErrorCode {
    param([System.Management.Automation.ErrorRecord]$Record)
    $m = [regex]::Match([string]$Record.FullyQualifiedErrorId, '^WIN32 (\d+)')
    if ($m.Success) { return [int]$m.Groups[1].Value }
    return $null
}

# Whether an error record holds a CIM object (a CimException, whose ErrorData is a CimInstance, or
# a CIM TargetObject): all DnsServer errors do.
function Test-ExcasDnsCimError {
    param([System.Management.Automation.ErrorRecord]$Record)
    if ($null -ne (Get-ExcasDnsErrorCode $Record)) { return $true }
    foreach ($value in @($Record.Exception, $Record.TargetObject)) {
        if ($null -eq $value) { continue }
        foreach ($name in $value.PSObject.TypeNames) {
            if ($name.StartsWith('Microsoft.Management.Infrastructure.', [System.StringComparison]::Ordinal)) { return $true }
        }
    }
    return $false
}

# Re-writes a DnsServer error as one that carries no CIM object: the message, the category and the
# ErrorId 'WIN32 <code>' (or the original id's first part when there is no code), no TargetObject.
# Any other error (a session or binding error) is passed on as it is, its type kept.
function Write-ExcasDnsError {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [System.Management.Automation.ErrorRecord]$Record)
    if (-not (Test-ExcasDnsCimError $Record)) { $Cmdlet.WriteError($Record); return }
    $message = ''
    if ($Record.ErrorDetails -and $Record.ErrorDetails.Message) { $message = [string]$Record.ErrorDetails.Message }
    elseif ($Record.Exception) { $message = [string]$Record.Exception.Message }
    else { $message = [string]$Record }
    $code = Get-ExcasDnsErrorCode $Record
    $id = ([string]$Record.FullyQualifiedErrorId).Split(',')[0]
    if ($null -ne $code) { $id = 'WIN32 ' + $code }
    if ([string]::IsNullOrEmpty($id)) { $id = 'ExcasDnsError' }
    $category = [System.Management.Automation.ErrorCategory]::NotSpecified
    if ($Record.CategoryInfo) { $category = $Record.CategoryInfo.Category }
    $plain = New-Object System.Exception($message)
    $Cmdlet.WriteError((New-Object System.Management.Automation.ErrorRecord($plain, $id, $category, $null)))
}

# Runs $Block (which calls DnsServer cmdlets with -ErrorAction Stop or -ErrorVariable) and
# re-writes every error it raised; returns its output.
function Invoke-ExcasDnsBlock {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [scriptblock]$Block)
    $errors = New-Object System.Collections.ArrayList
    $output = $null
    try {
        $output = & $Block $errors
    } catch {
        $caught = $_
        $seen = $false
        foreach ($record in $errors) { if ([object]::ReferenceEquals($record.Exception, $caught.Exception)) { $seen = $true } }
        if (-not $seen) { [void]$errors.Add($caught) }
    }
    foreach ($record in $errors) { Write-ExcasDnsError $Cmdlet $record }
    return $output
}

function ConvertTo-ExcasDnsRow {
    param($Record)
    $ip = $null
    if ($null -ne $Record.RecordData -and $null -ne $Record.RecordData.IPv4Address) { $ip = [string]$Record.RecordData.IPv4Address }
    $ttl = $null
    if ($null -ne $Record.TimeToLive) { $ttl = ([TimeSpan]$Record.TimeToLive).TotalSeconds }
    return New-Object PSObject -Property ([ordered]@{
            HostName    = [string]$Record.HostName
            RecordType  = [string]$Record.RecordType
            TimeToLive  = $ttl
            IPv4Address = $ip
        })
}

<#
.SYNOPSIS
The A records of a name (and, as Get-DnsServerResourceRecord without -Node returns them, of names
below it), as HostName, RecordType, TimeToLive (seconds) and IPv4Address.
#>
function Get-ExcasDnsARecord {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$ZoneName,
        [Parameter(Mandatory = $true)][string]$Name,
        [Parameter(Mandatory = $true)][string]$ComputerName
    )
    $records = Invoke-ExcasDnsBlock $PSCmdlet {
        param($errors)
        $found = @(Get-DnsServerResourceRecord -ZoneName $ZoneName -Name $Name -RRType 'A' -ComputerName $ComputerName -ErrorAction SilentlyContinue -ErrorVariable +errs)
        foreach ($e in @($errs)) { [void]$errors.Add($e) }
        , $found
    }
    foreach ($record in @($records)) { if ($null -ne $record) { ConvertTo-ExcasDnsRow $record } }
}

<#
.SYNOPSIS
Adds one A record with a TTL in seconds (the DnsServer error, e.g. WIN32 9711, when it is there).
#>
function Add-ExcasDnsARecord {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$ZoneName,
        [Parameter(Mandatory = $true)][string]$Name,
        [Parameter(Mandatory = $true)][string]$IPv4Address,
        [Parameter(Mandatory = $true)][int]$TimeToLiveSeconds,
        [Parameter(Mandatory = $true)][string]$ComputerName
    )
    $null = Invoke-ExcasDnsBlock $PSCmdlet {
        param($errors)
        $null = Add-DnsServerResourceRecordA -ZoneName $ZoneName -Name $Name -IPv4Address $IPv4Address -TimeToLive (New-TimeSpan -Seconds $TimeToLiveSeconds) -ComputerName $ComputerName -ErrorAction SilentlyContinue -ErrorVariable +errs
        foreach ($e in @($errs)) { [void]$errors.Add($e) }
    }
}

<#
.SYNOPSIS
Removes the one A record of the name with this address (always with -RecordData and -Force: by
name alone the cmdlet removes every A record of the name).
#>
function Remove-ExcasDnsARecord {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$ZoneName,
        [Parameter(Mandatory = $true)][string]$Name,
        [Parameter(Mandatory = $true)][string]$IPv4Address,
        [Parameter(Mandatory = $true)][string]$ComputerName
    )
    $null = Invoke-ExcasDnsBlock $PSCmdlet {
        param($errors)
        $null = Remove-DnsServerResourceRecord -ZoneName $ZoneName -Name $Name -RRType 'A' -RecordData $IPv4Address -Force -ComputerName $ComputerName -ErrorAction SilentlyContinue -ErrorVariable +errs
        foreach ($e in @($errs)) { [void]$errors.Add($e) }
    }
}

<#
.SYNOPSIS
Sets the TTL (seconds) of the name's own A record with this address: reads it, edits a copy
(Clone() of the CimInstance; [ciminstance]::new or PSObject.Copy() where that is missing) and hands
both to Set-DnsServerResourceRecord. Writes 'set' when it did; nothing when there was no such record.
#>
function Set-ExcasDnsARecordTtl {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$ZoneName,
        [Parameter(Mandatory = $true)][string]$Name,
        [Parameter(Mandatory = $true)][string]$IPv4Address,
        [Parameter(Mandatory = $true)][int]$TimeToLiveSeconds,
        [Parameter(Mandatory = $true)][string]$ComputerName
    )
    Invoke-ExcasDnsBlock $PSCmdlet {
        param($errors)
        # Without -Node the Get also returns records below the name: only the name's own may be edited.
        $all = @(Get-DnsServerResourceRecord -ZoneName $ZoneName -Name $Name -RRType 'A' -ComputerName $ComputerName -ErrorAction SilentlyContinue -ErrorVariable +errs)
        foreach ($e in @($errs)) { [void]$errors.Add($e) }
        # A loop, not Where-Object/Select-Object: a restricted endpoint (RestrictedRemoteServer, JEA)
        # replaces Select-Object with a proxy that has no -First.
        $old = $null
        foreach ($record in $all) {
            if ($null -eq $old -and [string]$record.HostName -eq $Name -and [string]$record.RecordData.IPv4Address -eq $IPv4Address) { $old = $record }
        }
        if ($null -eq $old) { return }
        $new = $null
        try { $new = $old.Clone() } catch { $new = $null }
        if ($null -eq $new) { try { $new = [ciminstance]::new($old) } catch { $new = $null } }
        if ($null -eq $new) { $new = $old.PSObject.Copy() }
        $new.TimeToLive = New-TimeSpan -Seconds $TimeToLiveSeconds
        $setErrs = $null
        $null = Set-DnsServerResourceRecord -ZoneName $ZoneName -OldInputObject $old -NewInputObject $new -ComputerName $ComputerName -ErrorAction SilentlyContinue -ErrorVariable setErrs
        foreach ($e in @($setErrs)) { [void]$errors.Add($e) }
        if (@($setErrs).Count -eq 0) { 'set' }
    }
}

<#
.SYNOPSIS
Resolves a name's A records at one DNS server, as a client of that server sees them: Resolve-DnsName
-Type A -Server -DnsOnly -NoHostsFile (DnsClient module, Windows Server 2012 / Windows 8 and later).
Writes one object: Name, Server, Exists (false when the server answers that the name does not
exist, NXDOMAIN), IPAddress (the A answers' addresses, strings) and TTL (their TTLs in seconds, in
the same order). Any other failure (the server does not answer, ...) is written as an error.
#>
function Resolve-ExcasDnsName {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Name,
        [Parameter(Mandatory = $true)][string]$Server
    )
    $answer = Invoke-ExcasDnsBlock $PSCmdlet {
        param($errors)
        $exists = $true
        $found = @()
        try {
            $found = @(Resolve-DnsName -Name $Name -Type A -Server $Server -DnsOnly -NoHostsFile -ErrorAction Stop)
        } catch {
            # NXDOMAIN is an answer, not a failure; its id is the same in every language.
            if (([string]$_.FullyQualifiedErrorId).StartsWith('DNS_ERROR_RCODE_NAME_ERROR,', [System.StringComparison]::Ordinal)) { $exists = $false }
            else { throw }
        }
        $addresses = New-Object System.Collections.ArrayList
        $ttls = New-Object System.Collections.ArrayList
        foreach ($record in $found) {
            if ($null -eq $record) { continue }
            # Only the answer's A records: a CNAME comes first in the answer, a NODATA answer
            # carries the zone's SOA in the authority section.
            if ([string]$record.Type -ne 'A') { continue }
            if ($null -ne $record.PSObject.Properties['Section'] -and $null -ne $record.Section -and [string]$record.Section -ne 'Answer') { continue }
            [void]$addresses.Add([string]$record.IPAddress)
            [void]$ttls.Add([int64]$record.TTL)
        }
        New-Object PSObject -Property ([ordered]@{
                Name      = $Name
                Server    = $Server
                Exists    = $exists
                IPAddress = [string[]]$addresses.ToArray()
                TTL       = [int64[]]$ttls.ToArray()
            })
    }
    if ($null -ne $answer) { $answer }
}

Export-ModuleMember -Function Get-ExcasDnsARecord, Add-ExcasDnsARecord, Remove-ExcasDnsARecord, Set-ExcasDnsARecordTtl, Resolve-ExcasDnsName
