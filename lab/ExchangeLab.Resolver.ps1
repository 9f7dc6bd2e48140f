<#
Resolve-DnsName (DnsClient module, Windows Server 2012 / Windows 8 and later) as a client of one of
the lab's DNS servers sees it: what a query for a name gets from the server named by -Server,
answered from that server's zones in the lab state. Dot-sourced by ExchangeLab.psm1, so it uses the
module's helpers (Enter-LabCommand, Find-LabDnsServer, ConvertTo-LabDnsRelativeName, ...).

The lab's servers are authoritative for the zones they host and nothing else: no cache, no
forwarders, no recursion, no delegations. Facts about the real cmdlet and where they come from are
in lab/README.md (Resolve-DnsName); what is the lab's own invention is marked there and here.

Must stay runnable on Windows PowerShell 5.1: no null-coalescing, null-conditional, ternary or
pipeline-chain operators.
#>

# A Resolve-DnsName error as the real cmdlet writes it: a Win32Exception whose message is
# '<name> : <text>', FullyQualifiedErrorId '<id>,Microsoft.DnsClient.Commands.ResolveDnsName' (the
# compiled cmdlet's class, not ',Resolve-DnsName' as PowerShell would append for a function),
# TargetObject the name (a string), non-terminating.
function Write-LabResolveError {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$ErrorId, [int]$Code,
        [System.Management.Automation.ErrorCategory]$Category, [string]$Text, [string]$Name)
    $exception = New-Object System.ComponentModel.Win32Exception($Code, ($Name + ' : ' + $Text))
    $record = [ExchangeLab.ErrorRecordFactory]::Create($exception, ($ErrorId + ',Microsoft.DnsClient.Commands.ResolveDnsName'), $Category, $Name)
    $Cmdlet.WriteError($record)
}

# NXDOMAIN: DNS_ERROR_RCODE_NAME_ERROR (9003), category ResourceUnavailable.
function Write-LabResolveNameError {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Name)
    Write-LabResolveError $Cmdlet 'DNS_ERROR_RCODE_NAME_ERROR' 9003 'ResourceUnavailable' 'DNS name does not exist' $Name
}

# The hosted zone a name belongs to: the longest zone name that is the name or a suffix of it.
function Find-LabResolverZone {
    param([object]$Server, [string]$Name)
    $best = $null
    foreach ($zone in @(Get-LabSection $Server 'Zones')) {
        $zoneName = ([string]$zone.Name).TrimEnd('.')
        $inside = $Name.Equals($zoneName, [StringComparison]::OrdinalIgnoreCase) -or $Name.EndsWith('.' + $zoneName, [StringComparison]::OrdinalIgnoreCase)
        if ($inside -and ($null -eq $best -or $zoneName.Length -gt ([string]$best.Name).TrimEnd('.').Length)) { $best = $zone }
    }
    return $best
}

function New-LabResolverARecord {
    param([string]$Name, [object]$Record)
    $ttl = [uint32]([TimeSpan]::Parse([string]$Record.TimeToLive).TotalSeconds)
    $answer = New-Object System.Management.Automation.PSObject -Property ([ordered]@{
            Name      = $Name
            Type      = 'A'
            TTL       = $ttl
            Section   = 'Answer'
            IPAddress = [string]$Record.IPv4Address
        })
    $answer.PSObject.TypeNames.Insert(0, 'Microsoft.DnsClient.Commands.DnsRecord_A')
    return $answer
}

# A NODATA answer (the name exists, without records of the type asked for): the zone's SOA in the
# authority section. The SOA's values are the lab's own (the lab stores no SOA record).
function New-LabResolverSoaRecord {
    param([object]$Server, [string]$ZoneName)
    $soa = New-Object System.Management.Automation.PSObject -Property ([ordered]@{
            Name              = $ZoneName
            Type              = 'SOA'
            TTL               = [uint32]3600
            Section           = 'Authority'
            PrimaryServer     = [string]$Server.Fqdn
            NameAdministrator = 'hostmaster.' + $ZoneName
            SerialNumber      = [uint32]1
        })
    $soa.PSObject.TypeNames.Insert(0, 'Microsoft.DnsClient.Commands.DnsRecord_SOA')
    return $soa
}

<#
.SYNOPSIS
Resolves a name at one of the lab's DNS servers: its A records as answers (Name, Type A, TTL in
seconds, Section Answer, IPAddress), or the real cmdlet's NXDOMAIN error.
.PARAMETER Name
The name to look up, e.g. outlook-ho.exchangeserverpro.net (a trailing dot is allowed).
.PARAMETER Type
The record type: A, or A_AAAA (the default; the lab holds no AAAA records). For any other type a
name that exists gets a NODATA answer (the zone's SOA, Section Authority).
.PARAMETER Server
The DNS server to ask (name, FQDN or IPv4 address of a lab DNS server; the first is used); the
lab's default DNS server when omitted. A server the lab does not know does not answer: ERROR_TIMEOUT.
.PARAMETER DnsOnly
Accepted; the lab only ever asks DNS (no LLMNR, no NetBIOS).
.PARAMETER NoHostsFile
Accepted; the lab has no hosts file.
.PARAMETER QuickTimeout
Accepted; an unknown server fails at once anyway.
.PARAMETER NoRecursion
Accepted; the lab's servers never recurse.
.PARAMETER TcpOnly
Accepted; the transport makes no difference in the lab.
#>
function Resolve-DnsName {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)][string]$Name,
        [Parameter(Position = 1)][string]$Type = 'A_AAAA',
        [string[]]$Server,
        [switch]$DnsOnly,
        [switch]$NoHostsFile,
        [switch]$QuickTimeout,
        [switch]$NoRecursion,
        [switch]$TcpOnly
    )
    process {
        $state = Enter-LabCommand $PSCmdlet 'Dns'
        if ($null -eq $state) { return }
        $query = $Name.TrimEnd('.')
        $serverName = $null
        if ($null -ne $Server -and $Server.Count -gt 0) { $serverName = $Server[0] }
        $dnsServer = Find-LabDnsServer $state $serverName
        if ($null -eq $dnsServer) {
            # What a client gets from a server that does not answer (ERROR_TIMEOUT, 1460).
            Write-LabResolveError $PSCmdlet 'ERROR_TIMEOUT' 1460 'OperationTimeout' 'This operation returned because the timeout period expired' $query
            return
        }
        $zone = Find-LabResolverZone $dnsServer $query
        if ($null -eq $zone) {
            # The lab's own choice: a real server would forward or recurse; the lab's have nowhere to go.
            Write-LabResolveNameError $PSCmdlet $query
            return
        }
        $zoneName = ([string]$zone.Name).TrimEnd('.')
        $relative = ConvertTo-LabDnsRelativeName $query $zoneName
        $own = New-Object System.Collections.ArrayList
        $nodeExists = ($relative -eq '@')
        foreach ($record in @(Get-LabSection $zone 'Records')) {
            $hostName = [string]$record.HostName
            if ($hostName -eq $relative) {
                $nodeExists = $true
                [void]$own.Add($record)
            }
            elseif ($relative -ne '@' -and $hostName.EndsWith('.' + $relative, [StringComparison]::OrdinalIgnoreCase)) {
                # A name with records only below it (legacy.outlook-ho) exists: an empty non-terminal.
                $nodeExists = $true
            }
        }
        if (-not $nodeExists) {
            Write-LabResolveNameError $PSCmdlet $query
            return
        }
        $answered = $false
        if ($Type -eq 'A' -or $Type -eq 'A_AAAA') {
            foreach ($record in $own) {
                if ([string]$record.RecordType -eq 'A') {
                    New-LabResolverARecord $query $record
                    $answered = $true
                }
            }
        }
        if (-not $answered) { New-LabResolverSoaRecord $dnsServer $zoneName }
    }
}
