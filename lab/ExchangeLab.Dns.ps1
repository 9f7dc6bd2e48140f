<#
ExchangeLab.Dns: the Windows DnsServer cmdlets the project uses (A records on the lab's DNS
servers), with the DnsServer module's parameters and CIM errors, and their output as it crosses a
remote session (EXCHANGE_LAB_WIRE).

Dot-sourced by ExchangeLab.psm1, in the module's scope. Same rules as the module: runs on Windows
PowerShell 5.1 and PowerShell 7, so no null-coalescing, null-conditional, ternary or pipeline-chain
operators and no parameters that 5.1 lacks (test/lab/module.test.ts checks).
#>

# Finds the DNS server named by -ComputerName (name, FQDN or IPv4 address; the lab's default server
# when omitted); writes WIN32 1722 and returns $null when there is no such server.
function Resolve-LabDnsServer {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [object]$State, [string]$ComputerName)
    $server = Find-LabDnsServer $State $ComputerName
    if ($null -ne $server) { return $server }
    $wanted = Get-LabDnsServerWanted $State $ComputerName
    Write-DnsError $Cmdlet 1722 ([string]::Format($script:Msg.DnsServerUnreachable, $wanted)) 'ResourceUnavailable' $wanted
    return $null
}

# The DNS server name a command means: -ComputerName, else the lab's default server, else the first.
function Get-LabDnsServerWanted {
    param([object]$State, [string]$ComputerName)
    if (-not [string]::IsNullOrEmpty($ComputerName)) { return $ComputerName }
    $dns = $State.PSObject.Properties['dns']
    if ($null -eq $dns -or $null -eq $dns.Value) { return $null }
    if ($null -ne $dns.Value.PSObject.Properties['defaultServer'] -and -not [string]::IsNullOrEmpty([string]$dns.Value.defaultServer)) { return [string]$dns.Value.defaultServer }
    $servers = @(Get-LabSection $dns.Value 'servers')
    if ($servers.Count -gt 0) { return [string]$servers[0].Name }
    return $null
}

# The DNS server named by $ComputerName (name, FQDN or IPv4 address; the default when empty), or
# $null, writing nothing: for callers whose error for an unknown server is not WIN32 1722.
function Find-LabDnsServer {
    param([object]$State, [string]$ComputerName)
    $wanted = Get-LabDnsServerWanted $State $ComputerName
    $dns = $State.PSObject.Properties['dns']
    if ($null -eq $dns -or $null -eq $dns.Value) { return $null }
    foreach ($server in @(Get-LabSection $dns.Value 'servers')) {
        if ($server.Name -eq $wanted -or $server.Fqdn -eq $wanted -or $server.IPv4Address -eq $wanted) { return $server }
    }
    return $null
}

function Resolve-LabDnsZone {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [object]$Server, [string]$ZoneName)
    $wanted = $ZoneName.TrimEnd('.')
    foreach ($zone in (Get-LabSection $Server 'Zones')) {
        if ($zone.Name -eq $wanted) { return $zone }
    }
    Write-DnsError $Cmdlet 9601 ([string]::Format($script:Msg.DnsZoneNotFound, $wanted, $Server.Name)) 'ObjectNotFound' $wanted
    return $null
}

# The DNS server (-ComputerName) and the zone on it (-ZoneName) a DnsServer cmdlet works on, as a
# pair; $null when either does not exist (its error written).
function Resolve-LabDnsServerZone {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [object]$State, [string]$ComputerName, [string]$ZoneName)
    $server = Resolve-LabDnsServer $Cmdlet $State $ComputerName
    if ($null -eq $server) { return $null }
    $zone = Resolve-LabDnsZone $Cmdlet $server $ZoneName
    if ($null -eq $zone) { return $null }
    return @($server, $zone)
}

# Names are relative to the zone ('outlook-ho', '@' for the apex); an FQDN inside the zone is
# accepted and made relative. Anything else stays as given, as the DNS server would treat it.
function ConvertTo-LabDnsRelativeName {
    param([string]$Name, [string]$ZoneName)
    $zone = $ZoneName.TrimEnd('.')
    $n = $Name.TrimEnd('.')
    if ($n -eq '' -or $n -eq '@' -or $n -eq $zone) { return '@' }
    if ($n.EndsWith('.' + $zone, [StringComparison]::OrdinalIgnoreCase)) { return $n.Substring(0, $n.Length - $zone.Length - 1) }
    return $n
}

function New-LabDnsRecordOutput {
    param([string]$DistinguishedName, [string]$HostName, [string]$RecordType, [TimeSpan]$TimeToLive, [object]$Timestamp, [object]$IPv4Address)
    $data = New-Object System.Management.Automation.PSObject -Property ([ordered]@{ IPv4Address = $IPv4Address; PSComputerName = $null })
    $data.PSObject.TypeNames.Insert(0, 'Microsoft.Management.Infrastructure.CimInstance#root/Microsoft/Windows/DNS/DnsServerResourceRecordA')
    $type = [uint16]1
    if ($RecordType -ne 'A') { $type = [uint16]0 }
    Add-Member -InputObject $data -MemberType ScriptMethod -Name ToString -Force -Value { [string]$this.IPv4Address }
    $record = New-Object System.Management.Automation.PSObject -Property ([ordered]@{
            HostName          = $HostName
            RecordType        = $RecordType
            Type              = $type
            Timestamp         = $Timestamp
            TimeToLive        = $TimeToLive
            RecordData        = $data
            RecordClass       = 'IN'
            DistinguishedName = $DistinguishedName
            PSComputerName    = $null
        })
    $record.PSObject.TypeNames.Insert(0, 'Microsoft.Management.Infrastructure.CimInstance#root/Microsoft/Windows/DNS/DnsServerResourceRecord')
    # Real records are CimInstances: $old.Clone() gives an independent copy to edit for
    # Set-DnsServerResourceRecord. ([ciminstance]::new($old) needs a real CimInstance.)
    Add-Member -InputObject $record -MemberType ScriptMethod -Name Clone -Value {
        $ip = $null
        if ($null -ne $this.RecordData) { $ip = $this.RecordData.IPv4Address }
        New-LabDnsRecordOutput $this.DistinguishedName $this.HostName $this.RecordType $this.TimeToLive $this.Timestamp $ip
    }
    return $record
}

# EXCHANGE_LAB_WIRE=clixml: the DNS cmdlets send what a Windows server sends through a remote
# session. The DnsServer cmdlets are CDXML: records (and the TargetObject of their errors) are
# CimInstances, which PowerShell's serializer writes with __ClassMetadata, and the receiver
# rehydrates through the native MI library (PSSER RehydrateCimInstance). pwsh on Linux/macOS has
# no libmi, so there the deserializer throws DllNotFoundException 'libmi' (LAB-FIDELITY D1, t5).
# Only what crosses the wire takes this shape: a cmdlet invoked by the remote client (CommandOrigin
# Runspace). Called from a function on the server (Internal), it returns the in-process objects,
# as the DnsServer module does on the host that runs it. Unset: in-process objects everywhere.
function Test-LabDnsWire {
    param([System.Management.Automation.PSCmdlet]$Cmdlet)
    return ([string]$env:EXCHANGE_LAB_WIRE -eq 'clixml' -and
        $Cmdlet.MyInvocation.CommandOrigin -eq [System.Management.Automation.CommandOrigin]::Runspace)
}

function Get-LabCimClixml {
    param([string]$ClassName, [string]$Props, [string]$ToString)
    $esc = [System.Security.SecurityElement]
    $ns = 'root/Microsoft/Windows/DNS'
    $miXml = '<CLASS NAME="' + $ClassName + '" SUPERCLASS="CIM_ManagedElement"><QUALIFIER NAME="dynamic" TYPE="boolean">true</QUALIFIER></CLASS>'
    return '<TN><T>Microsoft.Management.Infrastructure.CimInstance#' + $ns + '/' + $ClassName + '</T><T>Microsoft.Management.Infrastructure.CimInstance#' + $ClassName +
        '</T><T>Microsoft.Management.Infrastructure.CimInstance</T><T>System.Object</T></TN><ToString>' + $esc::Escape($ToString) + '</ToString><Props>' + $Props +
        '</Props><MS><Obj N="__ClassMetadata"><TN><T>System.Collections.ArrayList</T><T>System.Object</T></TN><LST><Obj><MS><S N="ClassName">' + $ClassName +
        '</S><S N="Namespace">' + $ns + '</S><S N="ServerName">' + $esc::Escape([System.Net.Dns]::GetHostName()) + '</S><I32 N="Hash">' + ($ClassName.Length) +
        '</I32><S N="MiXml">' + $esc::Escape($miXml) + '</S></MS></Obj></LST></Obj></MS>'
}

# The CLIXML a Windows server writes for one DnsServerResourceRecord (depth 1; RecordData nested).
function ConvertTo-LabDnsWireRecord {
    param([object]$Record)
    $esc = [System.Security.SecurityElement]
    $ip = ''
    if ($null -ne $Record.RecordData -and $null -ne $Record.RecordData.IPv4Address) { $ip = [string]$Record.RecordData.IPv4Address }
    $data = '<Obj N="RecordData">' + (Get-LabCimClixml 'DnsServerResourceRecordA' ('<S N="IPv4Address">' + $esc::Escape($ip) + '</S>') 'DnsServerResourceRecordA') + '</Obj>'
    $props = '<S N="DistinguishedName">' + $esc::Escape([string]$Record.DistinguishedName) + '</S><S N="HostName">' + $esc::Escape([string]$Record.HostName) +
        '</S><S N="RecordClass">IN</S><S N="RecordType">' + $esc::Escape([string]$Record.RecordType) + '</S><TS N="TimeToLive">' +
        [System.Xml.XmlConvert]::ToString([TimeSpan]$Record.TimeToLive) + '</TS><U16 N="Type">' + [uint16]$Record.Type + '</U16>' + $data
    return '<Obj>' + (Get-LabCimClixml 'DnsServerResourceRecord' $props 'DnsServerResourceRecord') + '</Obj>'
}

function New-LabDnsWireErrorTarget {
    param([string]$Name)
    $props = '<S N="Name">' + [System.Security.SecurityElement]::Escape($Name) + '</S>'
    return '<Obj>' + (Get-LabCimClixml 'DnsServerResourceRecord' $props $Name) + '</Obj>'
}

# What the client ends up with: PSSerializer.Deserialize of that CLIXML (throws where libmi is missing).
function ConvertTo-LabDnsWireObject {
    param([string]$ObjXml)
    $xml = '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">' + $ObjXml + '</Objs>'
    return [System.Management.Automation.PSSerializer]::Deserialize($xml)
}

# A record output as the cmdlet sends it: over the wire, see Test-LabDnsWire.
function Write-LabDnsRecord {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [object]$Record)
    if ($null -eq $Record) { return }
    if (Test-LabDnsWire $Cmdlet) {
        try { return (ConvertTo-LabDnsWireObject (ConvertTo-LabDnsWireRecord $Record)) }
        catch { $Cmdlet.ThrowTerminatingError($_) }
    }
    return $Record
}

function ConvertTo-LabDnsRecordOutput {
    param([object]$State, [string]$ZoneName, [object]$Record)
    $hostPart = 'DC=' + $Record.HostName + ','
    $dn = $hostPart + 'DC=' + $ZoneName + ',cn=MicrosoftDNS,DC=DomainDnsZones,' + (Get-LabDomainDn $State)
    $timestamp = $null
    if (-not [string]::IsNullOrEmpty([string]$Record.Timestamp)) {
        $timestamp = [DateTime]::ParseExact([string]$Record.Timestamp, "yyyy-MM-dd HH:mm:ss'Z'", [Globalization.CultureInfo]::InvariantCulture,
            [Globalization.DateTimeStyles]::AdjustToUniversal -bor [Globalization.DateTimeStyles]::AssumeUniversal)
    }
    $ip = $null
    if (-not [string]::IsNullOrEmpty([string]$Record.IPv4Address)) { $ip = [System.Net.IPAddress]::Parse([string]$Record.IPv4Address) }
    return (New-LabDnsRecordOutput $dn ([string]$Record.HostName) ([string]$Record.RecordType) ([TimeSpan]::Parse([string]$Record.TimeToLive)) $timestamp $ip)
}

function Test-LabIPv4 {
    param([string]$Value)
    $parsed = $null
    return ($Value -match '^\d{1,3}(\.\d{1,3}){3}$' -and [System.Net.IPAddress]::TryParse($Value, [ref]$parsed))
}

# Reads the IPv4 address out of a record object however it arrived: IPAddress, string, or a
# JSON-shaped {IPAddressToString: ...}.
function Get-LabInputIPv4 {
    param([object]$Record)
    if ($null -eq $Record -or $null -eq $Record.RecordData) { return $null }
    $value = $Record.RecordData.IPv4Address
    if ($null -eq $value) { return $null }
    if ($value -is [System.Net.IPAddress]) { return $value.ToString() }
    if ($null -ne $value.PSObject.Properties['IPAddressToString']) { return [string]$value.IPAddressToString }
    return [string]$value
}

function Get-LabInputTimeToLive {
    param([object]$Record)
    $value = $Record.TimeToLive
    if ($null -eq $value) { return $null }
    if ($value -is [TimeSpan]) { return [TimeSpan]$value }
    if ($null -ne $value.PSObject.Properties['TotalSeconds']) { return [TimeSpan]::FromSeconds([double]$value.TotalSeconds) }
    return [TimeSpan]::Parse([string]$value)
}

function Format-LabTimeToLive {
    param([TimeSpan]$Value)
    return $Value.ToString('c')
}

<#
.SYNOPSIS
Gets the resource records of a zone, or of one name in it and the names below it (only the
name's own with -Node); WIN32 9714 when there is nothing at or below the name.
.PARAMETER ZoneName
The zone, e.g. exchangeserverpro.net (WIN32 9601 when the server does not host it).
.PARAMETER Name
A name relative to the zone (or an FQDN inside it).
.PARAMETER RRType
Only records of this type, e.g. A.
.PARAMETER ComputerName
The DNS server (name, FQDN or IP); the lab's default DNS server when omitted.
#>
function Get-DnsServerResourceRecord {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)][Alias('ForwardLookupZone')][string]$ZoneName,
        [Parameter(Position = 1, ValueFromPipelineByPropertyName = $true)][string]$Name,
        [string]$RRType,
        [switch]$Node,
        [Alias('Cn', 'ForwardLookupPrimaryServer')][string]$ComputerName
    )
    process {
        $state = Enter-LabCommand $PSCmdlet 'Dns'
        if ($null -eq $state) { return }
        $server, $zone = Resolve-LabDnsServerZone $PSCmdlet $state $ComputerName $ZoneName
        if ($null -eq $zone) { return }
        $records = @(Get-LabSection $zone 'Records')
        if ($PSBoundParameters.ContainsKey('Name')) {
            $relative = ConvertTo-LabDnsRelativeName $Name $zone.Name
            # Without -Node the server returns the name's own records and those below it
            # (HostName 'x.outlook-ho'); 9714 only when nothing is at or below the name.
            # (The apex '@' keeps its own records only: what the real server does there is unchecked.)
            $below = '.' + $relative
            $records = @($records | Where-Object {
                    $_.HostName -eq $relative -or
                    (-not $Node -and $relative -ne '@' -and ([string]$_.HostName).EndsWith($below, [StringComparison]::OrdinalIgnoreCase))
                })
            if ($records.Count -eq 0 -and $relative -ne '@') {
                Write-DnsError $PSCmdlet 9714 ([string]::Format($script:Msg.DnsNameNotFound, $Name, $zone.Name, $server.Name)) 'ObjectNotFound' $Name
                return
            }
        }
        if ($PSBoundParameters.ContainsKey('RRType')) { $records = @($records | Where-Object { $_.RecordType -eq $RRType }) }
        foreach ($record in $records) { Write-LabDnsRecord $PSCmdlet (ConvertTo-LabDnsRecordOutput $state $zone.Name $record) }
    }
}

<#
.SYNOPSIS
Adds A records (one per address); WIN32 9711 when the name already has that address.
.PARAMETER ZoneName
The zone to add to.
.PARAMETER Name
A name relative to the zone (or an FQDN inside it).
.PARAMETER IPv4Address
One or more IPv4 addresses; several records per name are allowed (round robin).
.PARAMETER TimeToLive
Defaults to 01:00:00.
.PARAMETER AgeRecord
Stamps the record (dynamic, subject to scavenging); otherwise it is static.
#>
function Add-DnsServerResourceRecordA {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Low')]
    param(
        [Parameter(Mandatory = $true, Position = 0)][Alias('ForwardLookupZone')][string]$ZoneName,
        [Parameter(Mandatory = $true, Position = 1)][Alias('DeviceName')][string]$Name,
        [Parameter(Mandatory = $true, Position = 2)][Alias('IpAddress')][string[]]$IPv4Address,
        [TimeSpan]$TimeToLive = [TimeSpan]::FromHours(1),
        [Alias('Cn', 'ForwardLookupPrimaryServer')][string]$ComputerName,
        [switch]$AllowUpdateAny,
        [switch]$CreatePtr,
        [switch]$AgeRecord,
        [switch]$PassThru
    )
    $state = Enter-LabCommand $PSCmdlet 'Dns'
    if ($null -eq $state) { return }
    foreach ($address in $IPv4Address) {
        if (-not (Test-LabIPv4 $address)) {
            Write-BindingError $PSCmdlet ([string]::Format($script:Msg.DnsInvalidIPv4, $address)) $address
            return
        }
    }
    if (Test-LabWhatIf $PSCmdlet $Name 'Add-DnsServerResourceRecordA') { return }
    $added = Update-LabState $PSCmdlet {
        param($s, $c)
        $server, $zone = Resolve-LabDnsServerZone $PSCmdlet $s $ComputerName $ZoneName
        if ($null -eq $zone) { return }
        $relative = ConvertTo-LabDnsRelativeName $Name $zone.Name
        $records = @(Get-LabSection $zone 'Records')
        foreach ($address in $IPv4Address) {
            $normal = ([System.Net.IPAddress]::Parse($address)).ToString()
            $existing = @($records | Where-Object { $_.HostName -eq $relative -and $_.RecordType -eq 'A' -and $_.IPv4Address -eq $normal })
            if ($existing.Count -gt 0) {
                Write-DnsError $PSCmdlet 9711 ([string]::Format($script:Msg.DnsRecordExists, $Name, $zone.Name, $server.Name)) 'ResourceExists' $Name
                continue
            }
            $stamp = $null
            if ($AgeRecord) { $stamp = [DateTime]::UtcNow.ToString('yyyy-MM-dd HH') + ':00:00Z' }
            $record = New-Object System.Management.Automation.PSObject -Property ([ordered]@{
                    HostName    = $relative
                    RecordType  = 'A'
                    TimeToLive  = Format-LabTimeToLive $TimeToLive
                    Timestamp   = $stamp
                    IPv4Address = $normal
                })
            $records = @($records) + $record
            $c.Commit = $true
            ConvertTo-LabDnsRecordOutput $s $zone.Name $record
        }
        Set-LabProperty $zone 'Records' $records
    }
    if ($PassThru) { foreach ($one in @($added)) { Write-LabDnsRecord $PSCmdlet $one } }
}

<#
.SYNOPSIS
Removes records of a name and type: all of them unless -RecordData names the ones to remove.
.PARAMETER ZoneName
The zone to remove from.
.PARAMETER RRType
The record type, e.g. A.
.PARAMETER Name
A name relative to the zone (or an FQDN inside it).
.PARAMETER RecordData
Only the records with this data (IPv4 address for A); WIN32 9701 for data that is not there.
.PARAMETER InputObject
Record objects from Get-DnsServerResourceRecord (removes exactly those).
.PARAMETER Force
Removes without asking. Without it the cmdlet asks for confirmation (ShouldContinue, which
-Confirm:$false does not skip), and in a -NonInteractive host that fails, as on Windows.
#>
function Remove-DnsServerResourceRecord {
    [CmdletBinding(DefaultParameterSetName = 'Name', SupportsShouldProcess = $true, ConfirmImpact = 'Low')]
    param(
        [Parameter(Mandatory = $true, Position = 0)][Alias('ForwardLookupZone')][string]$ZoneName,
        [Parameter(ParameterSetName = 'Name', Mandatory = $true)][string]$RRType,
        [Parameter(ParameterSetName = 'Name', Mandatory = $true)][string]$Name,
        [Parameter(ParameterSetName = 'Name')][string[]]$RecordData,
        [Parameter(ParameterSetName = 'InputObject', Mandatory = $true, ValueFromPipeline = $true)][object]$InputObject,
        [switch]$Force,
        [Alias('Cn', 'ForwardLookupPrimaryServer')][string]$ComputerName,
        [switch]$PassThru
    )
    process {
        $state = Enter-LabCommand $PSCmdlet 'Dns'
        if ($null -eq $state) { return }
        $byName = $PSCmdlet.ParameterSetName -eq 'Name'
        $hasRecordData = $PSBoundParameters.ContainsKey('RecordData')
        $label = $Name
        if (-not $byName) { $label = [string]$InputObject.HostName }
        if (Test-LabWhatIf $PSCmdlet $label 'Remove-DnsServerResourceRecord') { return }
        $removed = Update-LabState $PSCmdlet {
            param($s, $c)
            $server, $zone = Resolve-LabDnsServerZone $PSCmdlet $s $ComputerName $ZoneName
            if ($null -eq $zone) { return }
            $records = @(Get-LabSection $zone 'Records')
            if ($byName) {
                $relative = ConvertTo-LabDnsRelativeName $Name $zone.Name
                $type = $RRType
                $wantedData = $null
                if ($hasRecordData) { $wantedData = @($RecordData) }
            }
            else {
                $relative = ConvertTo-LabDnsRelativeName ([string]$InputObject.HostName) $zone.Name
                $type = [string]$InputObject.RecordType
                $wantedData = @(Get-LabInputIPv4 $InputObject)
            }
            $ofName = @($records | Where-Object { $_.HostName -eq $relative -and $_.RecordType -eq $type })
            if ($ofName.Count -eq 0) {
                Write-DnsError $PSCmdlet 9714 ([string]::Format($script:Msg.DnsNameNotFound, $label, $zone.Name, $server.Name)) 'ObjectNotFound' $label
                return
            }
            $doomed = $ofName
            if ($null -ne $wantedData) {
                $doomed = @()
                foreach ($data in $wantedData) {
                    $hit = @($ofName | Where-Object { $_.IPv4Address -eq ([string]$data).Trim() })
                    if ($hit.Count -eq 0) {
                        Write-DnsError $PSCmdlet 9701 ([string]::Format($script:Msg.DnsRecordNotFound, $label, $zone.Name, $server.Name, $data)) 'ObjectNotFound' $label
                        continue
                    }
                    $doomed += $hit
                }
            }
            if ($doomed.Count -eq 0) { return }
            if (-not $Force) {
                $query = 'Removing DNS resource record set by name ' + $label + ' of type ' + $type + ' from zone ' + $zone.Name + ' on ' + $server.Name + ' server. Do you want to continue?'
                try { $confirmed = $PSCmdlet.ShouldContinue($query, 'Confirm') }
                catch [System.Management.Automation.MethodInvocationException] { $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord($_.Exception.InnerException, 'InvalidOperation', 'InvalidOperation', $null))) }
                if (-not $confirmed) { return }
            }
            Set-LabProperty $zone 'Records' @($records | Where-Object { $doomed -notcontains $_ })
            $c.Commit = $true
            foreach ($record in $doomed) { ConvertTo-LabDnsRecordOutput $s $zone.Name $record }
        }
        if ($PassThru) { foreach ($one in @($removed)) { Write-LabDnsRecord $PSCmdlet $one } }
    }
}

<#
.SYNOPSIS
Replaces the record matching -OldInputObject with -NewInputObject's TTL and address (same name and
type); the record becomes static (Timestamp cleared), as on a real DNS server.
.PARAMETER ZoneName
The zone of the record.
.PARAMETER OldInputObject
The record as read with Get-DnsServerResourceRecord.
.PARAMETER NewInputObject
An edited copy ($old.Clone()) with the new TimeToLive and/or RecordData.IPv4Address.
#>
function Set-DnsServerResourceRecord {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Low')]
    param(
        [Parameter(Mandatory = $true, Position = 0)][Alias('ForwardLookupZone')][string]$ZoneName,
        [Parameter(Mandatory = $true, Position = 1)][object]$OldInputObject,
        [Parameter(Mandatory = $true, Position = 2)][object]$NewInputObject,
        [Alias('Cn', 'ForwardLookupPrimaryServer')][string]$ComputerName,
        [switch]$PassThru
    )
    $state = Enter-LabCommand $PSCmdlet 'Dns'
    if ($null -eq $state) { return }
    $label = [string]$OldInputObject.HostName
    if (Test-LabWhatIf $PSCmdlet $label 'Set-DnsServerResourceRecord') { return }
    $updated = Update-LabState $PSCmdlet {
        param($s, $c)
        $server, $zone = Resolve-LabDnsServerZone $PSCmdlet $s $ComputerName $ZoneName
        if ($null -eq $zone) { return }
        $relative = ConvertTo-LabDnsRelativeName $label $zone.Name
        $type = [string]$OldInputObject.RecordType
        if ((ConvertTo-LabDnsRelativeName ([string]$NewInputObject.HostName) $zone.Name) -ne $relative -or [string]$NewInputObject.RecordType -ne $type) {
            Write-DnsError $PSCmdlet 87 ([string]::Format($script:Msg.DnsNameOrTypeChanged, $label, $zone.Name, $server.Name)) 'InvalidArgument' $label
            return
        }
        if ($type -ne 'A') {
            Write-DnsError $PSCmdlet 87 ([string]::Format($script:Msg.DnsUnsupportedType, $type)) 'InvalidArgument' $label
            return
        }
        $records = @(Get-LabSection $zone 'Records')
        $ofName = @($records | Where-Object { $_.HostName -eq $relative -and $_.RecordType -eq $type })
        if ($ofName.Count -eq 0) {
            Write-DnsError $PSCmdlet 9714 ([string]::Format($script:Msg.DnsNameNotFound, $label, $zone.Name, $server.Name)) 'ObjectNotFound' $label
            return
        }
        $oldIp = Get-LabInputIPv4 $OldInputObject
        $target = @($ofName | Where-Object { $_.IPv4Address -eq $oldIp }) | Microsoft.PowerShell.Utility\Select-Object -First 1
        if ($null -eq $target) {
            Write-DnsError $PSCmdlet 9701 ([string]::Format($script:Msg.DnsOldRecordNotFound, $label, $zone.Name, $server.Name)) 'ObjectNotFound' $label
            return
        }
        $newIp = Get-LabInputIPv4 $NewInputObject
        if ([string]::IsNullOrEmpty($newIp)) { $newIp = $oldIp }
        if (-not (Test-LabIPv4 $newIp)) {
            Write-BindingError $PSCmdlet ([string]::Format($script:Msg.DnsInvalidIPv4, $newIp)) $newIp
            return
        }
        $newIp = ([System.Net.IPAddress]::Parse($newIp)).ToString()
        if ($newIp -ne $oldIp -and @($ofName | Where-Object { $_.IPv4Address -eq $newIp }).Count -gt 0) {
            Write-DnsError $PSCmdlet 9711 ([string]::Format($script:Msg.DnsRecordExists, $label, $zone.Name, $server.Name)) 'ResourceExists' $label
            return
        }
        $ttl = Get-LabInputTimeToLive $NewInputObject
        if ($null -ne $ttl) { $target.TimeToLive = Format-LabTimeToLive $ttl }
        $target.IPv4Address = $newIp
        $target.Timestamp = $null
        $c.Commit = $true
        ConvertTo-LabDnsRecordOutput $s $zone.Name $target
    }
    if ($PassThru) { foreach ($one in @($updated)) { Write-LabDnsRecord $PSCmdlet $one } }
}
