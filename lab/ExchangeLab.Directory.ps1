<#
ExchangeLab.Directory: the Active Directory side of the organisation as Exchange sees it: names
and distinguished names, identity matching for sites, servers, arrays, databases and mailboxes,
the session's endpoint server, and the objects the Exchange cmdlets output (as remote PowerShell
deserializes them).

Dot-sourced by ExchangeLab.psm1, in the module's scope. Same rules as the module: runs on Windows
PowerShell 5.1 and PowerShell 7, so no null-coalescing, null-conditional, ternary or pipeline-chain
operators and no parameters that 5.1 lacks (test/lab/module.test.ts checks).
#>

function Get-LabDomainController {
    param([object]$State, [string]$DomainController)
    if (-not [string]::IsNullOrEmpty($DomainController)) { return $DomainController }
    return [string]$State.organization.DomainController
}

function Get-LabDomainDn {
    param([object]$State)
    return 'DC=' + (([string]$State.organization.Domain).Split('.') -join ',DC=')
}

function Get-LabAdminGroupDn {
    param([object]$State)
    return 'CN=' + $script:AdminGroupName + ',CN=Administrative Groups,CN=' + $State.organization.Name + ',CN=Microsoft Exchange,CN=Services,CN=Configuration,' + (Get-LabDomainDn $State)
}

function Get-LabLegacyDn {
    param([object]$State, [string]$Container, [string]$Name)
    return '/o=' + $State.organization.Name + '/ou=' + $script:AdminGroupName + '/cn=Configuration/cn=' + $Container + '/cn=' + $Name
}

function Get-LabSitePath {
    param([object]$State, [string]$SiteName)
    return [string]$State.organization.Domain + '/Configuration/Sites/' + $SiteName
}

function Get-LabSiteDn {
    param([object]$State, [string]$SiteName)
    return 'CN=' + $SiteName + ',CN=Sites,CN=Configuration,' + (Get-LabDomainDn $State)
}

function Test-LabGuidMatch {
    param([string]$Identity, [object]$Guid)
    $parsed = [guid]::Empty
    if (-not [guid]::TryParse($Identity.Trim(), [ref]$parsed)) { return $false }
    return ($parsed -eq [guid][string]$Guid)
}

function Test-LabServerIsCas {
    param([object]$Server)
    return (@($Server.ServerRole) -contains 'ClientAccess')
}

function Test-LabServerIsRpcCas {
    param([object]$Server)
    return ((Test-LabServerIsCas $Server) -and [bool]$Server.RpcClientAccessEnabled)
}

function Get-LabSiteMatch {
    param([object]$State, [string]$Identity)
    $id = $Identity.Trim()
    return @(Get-LabSection $State 'sites' | Where-Object {
            $_.Name -eq $id -or (Test-LabGuidMatch $id $_.Guid) -or
            (Get-LabSiteDn $State $_.Name) -eq $id -or (Get-LabSitePath $State $_.Name) -eq $id
        })
}

# Resolves -Site; writes Exchange's site errors and returns $null when it does not resolve.
function Resolve-LabSite {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [object]$State, [string]$Identity)
    $found = @(Get-LabSiteMatch $State $Identity)
    if ($found.Count -eq 1) { return $found[0] }
    if ($found.Count -eq 0) {
        $message = [string]::Format($script:Msg.SiteNotFound, $Identity)
        Write-ExchangeError $Cmdlet (New-Object Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException($message)) 'ErrorSiteNotFound' $null
    }
    else {
        $message = [string]::Format($script:Msg.SiteNotUnique, $Identity)
        Write-ExchangeError $Cmdlet (New-Object Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException($message)) 'ErrorSiteNotUnique' $Identity
    }
    return $null
}

# The objects of a section of the administrative group that an identity names: by name, GUID,
# legacyExchangeDN or distinguished name (CN=<name>,CN=<container>,<admin group DN>), and by FQDN
# where the object has one. -NameWithoutSpaces: a name with spaces does not match as a name.
function Get-LabAdminGroupMatch {
    param([object]$State, [string]$Section, [string]$Container, [string]$Identity, [switch]$ByFqdn, [switch]$NameWithoutSpaces, [object[]]$Among)
    $id = $Identity.Trim()
    $agDn = Get-LabAdminGroupDn $State
    $spacesRefused = [bool]$NameWithoutSpaces
    $fqdnMatches = [bool]$ByFqdn
    $items = $Among
    if ($null -eq $items) { $items = Get-LabSection $State $Section }
    return @($items | Where-Object {
            ($_.Name -eq $id -and -not ($spacesRefused -and ([string]$_.Name).Contains(' '))) -or
            ($fqdnMatches -and $_.Fqdn -eq $id) -or
            $_.ExchangeLegacyDN -eq $id -or (Test-LabGuidMatch $id $_.Guid) -or
            ('CN=' + $_.Name + ',CN=' + $Container + ',' + $agDn) -eq $id
        })
}

function Get-LabServerMatch {
    param([object]$State, [string]$Identity)
    return @(Get-LabAdminGroupMatch $State 'servers' 'Servers' $Identity -ByFqdn)
}

# Array names with spaces cannot be used as an identity (documented for the 2010 cmdlets).
function Get-LabArrayMatch {
    param([object]$State, [string]$Identity)
    return @(Get-LabAdminGroupMatch $State 'clientAccessArrays' 'Arrays' $Identity -ByFqdn -NameWithoutSpaces)
}

# An organisation may hold thousands of databases: the candidates come from an index of their
# names, Guids and legacyExchangeDNs (built once per list), and are checked as before; only an
# identity no candidate answers to is looked for in every database.
function Get-LabDatabaseMatch {
    param([object]$State, [string]$Identity)
    $section = $State.PSObject.Properties['mailboxDatabases']
    $candidates = @()
    if ($null -ne $section) { $candidates = (Get-LabStateCache).Candidates($section.Value, $Identity) }
    if ($candidates.Count -gt 0) {
        $found = @(Get-LabAdminGroupMatch $State 'mailboxDatabases' 'Databases' $Identity -Among $candidates)
        if ($found.Count -gt 0) { return $found }
    }
    return @(Get-LabAdminGroupMatch $State 'mailboxDatabases' 'Databases' $Identity)
}

function Get-LabArrayMember {
    param([object]$State, [string]$SiteName)
    $names = @(Get-LabSection $State 'servers' | Where-Object { $_.Site -eq $SiteName -and (Test-LabServerIsRpcCas $_) } |
            ForEach-Object { [string]$_.Name } | Sort-Object)
    return , ([string[]]$names)
}

# The servers that host a copy of a database: its state's Copies (a DAG database's copy hosts, in
# activation-preference order), else only its Server. The active copy's host (Server) is always one.
function Get-LabDatabaseCopyServer {
    param([object]$Database)
    $names = @()
    $property = $Database.PSObject.Properties['Copies']
    if ($null -ne $property -and $null -ne $property.Value) { $names = @(foreach ($name in @($property.Value)) { [string]$name }) }
    if (-not ($names -contains [string]$Database.Server)) { $names = @([string]$Database.Server) + $names }
    return , ([string[]]$names)
}

# ActivationPreference as Exchange 2010 keeps it in Active Directory: one [server, preference] pair
# per copy, 1 = the copy Active Manager prefers (the database's home), in the order the copies were
# added (state Copies). A switchover or failover (Move-ActiveMailboxDatabase) moves the active copy
# (Server), never these numbers. Shown as {[HO-EX2010-MB1, 1], [HO-EX2010-MB2, 2]}; through a
# remote session each pair arrives as its text, "[HO-EX2010-MB1, 1]" (DOMAIN.md section 1.10).
function Get-LabActivationPreference {
    param([string[]]$CopyServers)
    $pairs = New-Object 'System.Collections.Generic.List[System.Collections.Generic.KeyValuePair[string,int]]'
    for ($i = 0; $i -lt $CopyServers.Count; $i++) {
        $pairs.Add((New-Object 'System.Collections.Generic.KeyValuePair[string,int]' -ArgumentList $CopyServers[$i], ($i + 1)))
    }
    return , ($pairs.ToArray())
}

function Get-LabDagOfServer {
    param([object]$State, [string]$ServerName)
    foreach ($dag in (Get-LabSection $State 'databaseAvailabilityGroups')) {
        if (@($dag.Servers) -contains $ServerName) { return $dag }
    }
    return $null
}

# The server the management session runs on (the endpoint): organization.EndpointServer, else the
# first server. The lab runs on this machine, so its host names (what $env:COMPUTERNAME or a
# session's ComputerName would say) name that server.
function Get-LabEndpointServer {
    param([object]$State)
    $name = $null
    $property = $State.organization.PSObject.Properties['EndpointServer']
    if ($null -ne $property -and -not [string]::IsNullOrEmpty([string]$property.Value)) { $name = [string]$property.Value }
    foreach ($server in (Get-LabSection $State 'servers')) {
        if ($null -eq $name -or $server.Name -eq $name) { return $server }
    }
    return $null
}

function Test-LabLocalHostName {
    param([string]$Identity)
    $id = $Identity.Trim()
    return ($id -eq 'localhost' -or $id -eq '127.0.0.1' -or $id -eq '::1' -or $id -eq [System.Net.Dns]::GetHostName())
}

# Whether the endpoint runs Exchange 2013 or later (AdminDisplayVersion 'Version 15.x' or above):
# its tasks refuse to change 2010 objects and lack Exchange 2010-only parameters.
function Test-LabEndpointIsModern {
    param([object]$State)
    $server = Get-LabEndpointServer $State
    if ($null -eq $server) { return $false }
    $match = [regex]::Match([string]$server.AdminDisplayVersion, '^Version (\d+)\.')
    return ($match.Success -and [int]$match.Groups[1].Value -ge 15)
}

# An Exchange 2013+ task given an object of an older ExchangeVersion: a TaskException, as
# Set/Remove-ClientAccessArray write for a 2010 array. Returns $true when it wrote one.
function Test-LabVersionRefused {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [object]$State, [string]$ObjectVersion, [object]$Target)
    if (-not (Test-LabEndpointIsModern $State)) { return $false }
    $message = [string]::Format($script:Msg.VersionTooOld, $ObjectVersion, $script:ExchangeVersion2012)
    Write-ExchangeError $Cmdlet (New-Object Microsoft.Exchange.Configuration.Tasks.TaskException($message)) 'ErrorObjectVersionReadOnly' $Target 'InvalidOperation'
    return $true
}

# What an RpcClientAccessServer reference (a legacyExchangeDN) shows as: the referenced server's or
# array's current FQDN, or '' when no object has that legacyExchangeDN any more (a removed array or
# server): Exchange's Database.CalculateRpcClientAccessServer sets the FQDN to string.Empty when
# TryFindByExchangeLegacyDN fails (LAB-FIDELITY E4). RpcClientAccessServerFqdn is not shown.
# $View: New-LabDatabaseView's.
function Get-LabRpcClientAccessFqdn {
    param([hashtable]$View, [object]$Database)
    $legacyDn = [string]$Database.RpcClientAccessServerLegacyDN
    if ($legacyDn -ne '' -and $View.Fqdns.ContainsKey($legacyDn)) { return $View.Fqdns[$legacyDn] }
    return ''
}

function New-LabOutputObject {
    param([string]$TypeName, [System.Collections.Specialized.OrderedDictionary]$Properties)
    $object = [pscustomobject]$Properties
    $object.PSObject.TypeNames.Insert(0, $TypeName)
    $object.PSObject.TypeNames.Insert(0, 'Deserialized.' + $TypeName)
    return $object
}

# EXCHANGE_LAB_WIRE_DEPTH=2: Get-ExchangeServer sends what a depth-2 serialization sends (as in
# real Exchange 2016/2019 exports, test/fixtures/realdata): ServerRole a Deserialized.System.Enum
# (an Int32 whose ToString is the [Flags] names in value order), Site and Identity ADObjectId bags,
# AdminDisplayVersion a ServerVersion bag. Built by PSSerializer.Deserialize, so the shapes are
# the real deserializer's. Unset or 1: the strings a depth-1 remote session sends.
$script:LabServerRoleFlags = [ordered]@{ Mailbox = 2; ClientAccess = 4; UnifiedMessaging = 16; HubTransport = 32; Edge = 64 }

function ConvertFrom-LabClixmlObject {
    param([string[]]$TypeNames, [string]$ToString, [string]$Content)
    $tn = ($TypeNames | ForEach-Object { '<T>' + [System.Security.SecurityElement]::Escape($_) + '</T>' }) -join ''
    $xml = '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj RefId="0"><TN RefId="0">' + $tn +
        '</TN><ToString>' + [System.Security.SecurityElement]::Escape($ToString) + '</ToString>' + $Content + '</Obj></Objs>'
    return [System.Management.Automation.PSSerializer]::Deserialize($xml)
}

function ConvertTo-LabWireDepth2 {
    param([object]$Output, [string[]]$Roles, [string]$SiteDn)
    $value = 0
    $names = New-Object System.Collections.ArrayList
    foreach ($role in $script:LabServerRoleFlags.Keys) {
        if ($Roles -contains $role) { $value += $script:LabServerRoleFlags[$role]; [void]$names.Add($role) }
    }
    $Output.ServerRole = ConvertFrom-LabClixmlObject @('Microsoft.Exchange.Data.Directory.SystemConfiguration.ServerRole', 'System.Enum', 'System.ValueType', 'System.Object') ($names -join ', ') ('<I32>' + $value + '</I32>')
    $adObjectId = @('Microsoft.Exchange.Data.Directory.ADObjectId', 'Microsoft.Exchange.Data.ObjectId', 'System.Object')
    $siteName = [string]$Output.Site
    $siteName = $siteName.Substring($siteName.LastIndexOf('/') + 1)
    $Output.Site = ConvertFrom-LabClixmlObject $adObjectId ([string]$Output.Site) ('<Props><S N="Name">' + [System.Security.SecurityElement]::Escape($siteName) + '</S><S N="DistinguishedName">' + [System.Security.SecurityElement]::Escape($SiteDn) + '</S></Props>')
    $Output.Identity = ConvertFrom-LabClixmlObject $adObjectId ([string]$Output.Identity) ('<Props><S N="Name">' + [System.Security.SecurityElement]::Escape([string]$Output.Name) + '</S><S N="DistinguishedName">' + [System.Security.SecurityElement]::Escape([string]$Output.DistinguishedName) + '</S></Props>')
    $Output.AdminDisplayVersion = ConvertFrom-LabClixmlObject @('Microsoft.Exchange.Data.ServerVersion', 'System.Object') ([string]$Output.AdminDisplayVersion) ''
    return $Output
}

function ConvertTo-LabServerOutput {
    param([object]$State, [object]$Server)
    $roles = @($Server.ServerRole)
    $agDn = Get-LabAdminGroupDn $State
    $dag = Get-LabDagOfServer $State $Server.Name
    $properties = [ordered]@{
        Name                     = [string]$Server.Name
        Domain                   = [string]$State.organization.Domain
        Edition                  = [string]$Server.Edition
        ExchangeLegacyDN         = [string]$Server.ExchangeLegacyDN
        Fqdn                     = [string]$Server.Fqdn
        IsHubTransportServer     = ($roles -contains 'HubTransport')
        IsClientAccessServer     = ($roles -contains 'ClientAccess')
        IsExchange2007OrLater    = $true
        IsEdgeServer             = ($roles -contains 'Edge')
        IsMailboxServer          = ($roles -contains 'Mailbox')
        IsMemberOfCluster        = $(if ($null -ne $dag) { 'Yes' } else { 'No' })
        IsProvisionedServer      = $false
        IsUnifiedMessagingServer = ($roles -contains 'UnifiedMessaging')
        NetworkAddress           = [string[]]@('ncacn_ip_tcp:' + $Server.Fqdn, 'netbios:' + $Server.Name, 'ncalrpc:' + $Server.Name)
        AdminDisplayVersion      = [string]$Server.AdminDisplayVersion
        Site                     = Get-LabSitePath $State $Server.Site
        ServerRole               = ($roles -join ', ')
        ExchangeVersion          = $script:ExchangeVersion2007
        Identity                 = [string]$Server.Name
        Guid                     = [guid][string]$Server.Guid
        DistinguishedName        = 'CN=' + $Server.Name + ',CN=Servers,' + $agDn
        ObjectCategory           = [string]$State.organization.Domain + '/Configuration/Schema/ms-Exch-Exchange-Server'
        ObjectClass              = [string[]]@('top', 'server', 'msExchExchangeServer')
        WhenChanged              = [string]$Server.WhenChanged
        WhenCreated              = [string]$Server.WhenCreated
        OriginatingServer        = [string]$State.organization.DomainController
        IsValid                  = $true
    }
    $output = New-LabOutputObject 'Microsoft.Exchange.Data.Directory.Management.ExchangeServer' $properties
    if ([string]$env:EXCHANGE_LAB_WIRE_DEPTH -eq '2') {
        $output = ConvertTo-LabWireDepth2 $output $roles (Get-LabSiteDn $State ([string]$Server.Site))
    }
    return $output
}

function ConvertTo-LabArrayOutput {
    param([object]$State, [object]$Array)
    $properties = [ordered]@{
        Name              = [string]$Array.Name
        Fqdn              = [string]$Array.Fqdn
        Site              = Get-LabSitePath $State $Array.Site
        SiteName          = [string]$Array.Site
        Members           = (Get-LabArrayMember $State $Array.Site)
        ExchangeLegacyDN  = [string]$Array.ExchangeLegacyDN
        ExchangeVersion   = $script:ExchangeVersion2010
        Identity          = [string]$Array.Name
        Guid              = [guid][string]$Array.Guid
        DistinguishedName = 'CN=' + $Array.Name + ',CN=Arrays,' + (Get-LabAdminGroupDn $State)
        ObjectCategory    = [string]$State.organization.Domain + '/Configuration/Schema/ms-Exch-Client-Access-Array'
        ObjectClass       = [string[]]@('top', 'server', 'msExchExchangeServer', 'msExchClientAccessArray')
        WhenChanged       = [string]$Array.WhenChanged
        WhenCreated       = [string]$Array.WhenCreated
        WhenChangedUTC    = [string]$Array.WhenChanged
        WhenCreatedUTC    = [string]$Array.WhenCreated
        OrganizationId    = ''
        OriginatingServer = [string]$State.organization.DomainController
        IsValid           = $true
    }
    return (New-LabOutputObject 'Microsoft.Exchange.Data.Directory.SystemConfiguration.ClientAccessArray' $properties)
}

# What every database's output needs from the rest of the organisation, looked up once per command
# (a Get-MailboxDatabase of thousands of databases then costs per database): the servers by name,
# each server's first DAG, the FQDN each legacyExchangeDN of an array or server renders as, the
# administrative group's DN.
function New-LabDatabaseView {
    param([object]$State)
    $view = @{ Servers = @{}; Dags = @{}; Fqdns = @{}; AdminGroupDn = (Get-LabAdminGroupDn $State) }
    foreach ($server in (Get-LabSection $State 'servers')) {
        $name = [string]$server.Name
        if (-not $view.Servers.ContainsKey($name)) { $view.Servers[$name] = $server }
    }
    foreach ($dag in (Get-LabSection $State 'databaseAvailabilityGroups')) {
        foreach ($member in @($dag.Servers)) {
            $name = [string]$member
            if (-not $view.Dags.ContainsKey($name)) { $view.Dags[$name] = $dag }
        }
    }
    foreach ($item in @(Get-LabSection $State 'clientAccessArrays') + @(Get-LabSection $State 'servers')) {
        $legacyDn = [string]$item.ExchangeLegacyDN
        if ($legacyDn -ne '' -and -not $view.Fqdns.ContainsKey($legacyDn)) { $view.Fqdns[$legacyDn] = [string]$item.Fqdn }
    }
    return $view
}

function ConvertTo-LabDatabaseOutput {
    param([object]$State, [object]$Database, [switch]$Status, [hashtable]$View)
    if ($null -eq $View) { $View = New-LabDatabaseView $State }
    # The owner by name, as the state stores it; anything else is matched as an identity.
    $serverName = ([string]$Database.Server).Trim()
    $owner = $View.Servers[$serverName]
    if ($null -eq $owner) { foreach ($match in @(Get-LabServerMatch $State $Database.Server)) { $owner = $match; break } }
    $dag = $View.Dags[[string]$Database.Server]
    $master = [string]$Database.Server
    $masterType = 'Server'
    if ($null -ne $dag) { $master = [string]$dag.Name; $masterType = 'DatabaseAvailabilityGroup' }
    $mounted = $null
    $mountedOn = $null
    if ($Status) {
        $mounted = [bool]$Database.Mounted
        if ($mounted -and $null -ne $owner) { $mountedOn = [string]$owner.Fqdn }
    }
    $replication = 'None'
    if ($null -ne $dag) { $replication = 'Remote' }
    $copyServers = Get-LabDatabaseCopyServer $Database
    $properties = [ordered]@{
        Name                            = [string]$Database.Name
        Server                          = [string]$Database.Server
        ServerName                      = [string]$Database.Server
        Servers                         = $copyServers
        DatabaseCopies                  = [string[]]@(foreach ($copy in $copyServers) { [string]$Database.Name + '\' + $copy })
        ActivationPreference            = Get-LabActivationPreference $copyServers
        MasterServerOrAvailabilityGroup = $master
        MasterType                      = $masterType
        Recovery                        = [bool]$Database.Recovery
        ReplicationType                 = $replication
        RpcClientAccessServer           = Get-LabRpcClientAccessFqdn $View $Database
        Mounted                         = $mounted
        MountedOnServer                 = $mountedOn
        BackupInProgress                = $(if ($Status) { $false } else { $null })
        OnlineMaintenanceInProgress     = $(if ($Status) { $false } else { $null })
        EdbFilePath                     = [string]$Database.EdbFilePath
        ExchangeLegacyDN                = [string]$Database.ExchangeLegacyDN
        ExchangeVersion                 = $script:ExchangeVersion2010
        Identity                        = [string]$Database.Name
        Guid                            = [guid][string]$Database.Guid
        DistinguishedName               = 'CN=' + $Database.Name + ',CN=Databases,' + $View.AdminGroupDn
        ObjectCategory                  = [string]$State.organization.Domain + '/Configuration/Schema/ms-Exch-Private-MDB'
        ObjectClass                     = [string[]]@('top', 'msExchMDB', 'msExchPrivateMDB')
        WhenChanged                     = [string]$Database.WhenChanged
        WhenCreated                     = [string]$Database.WhenCreated
        OriginatingServer               = [string]$State.organization.DomainController
        IsValid                         = $true
    }
    return (New-LabOutputObject 'Microsoft.Exchange.Data.Directory.SystemConfiguration.MailboxDatabase' $properties)
}

function Get-LabMailboxMatch {
    param([object]$State, [string]$Identity)
    $id = $Identity.Trim()
    $domain = [string]$State.organization.Domain
    $domainDn = Get-LabDomainDn $State
    return @(Get-LabSection $State 'mailboxes' | Where-Object {
            $_.Name -eq $id -or $_.Alias -eq $id -or (Test-LabGuidMatch $id $_.Guid) -or
            ([string]$_.Alias + '@' + $domain) -eq $id -or ($domain + '/Users/' + $_.Name) -eq $id -or
            ('CN=' + $_.Name + ',CN=Users,' + $domainDn) -eq $id
        })
}

# -ResultSize as Exchange's Unlimited<UInt32>: 'Unlimited' is -1, a whole number from 0 to
# 4294967295 is itself, anything else $null.
function ConvertTo-LabResultSize {
    param([object]$Value)
    $text = ([string]$Value).Trim()
    if ($text -eq 'Unlimited') { return [long]-1 }
    $number = [uint32]0
    if ([uint32]::TryParse($text, [System.Globalization.NumberStyles]::None, [System.Globalization.CultureInfo]::InvariantCulture, [ref]$number)) { return [long]$number }
    return $null
}

# A mailbox as Get-Mailbox shows it through remote PowerShell: Database is the ADObjectId's
# string (the database name), ServerName the lower-case name of the database's server.
function ConvertTo-LabMailboxOutput {
    param([object]$State, [object]$Mailbox, [object]$Database, [string]$DomainDn)
    $domain = [string]$State.organization.Domain
    $databaseName = $null
    $serverName = $null
    if ($null -ne $Database) {
        $databaseName = [string]$Database.Name
        $serverName = ([string]$Database.Server).ToLowerInvariant()
    }
    $properties = [ordered]@{
        Name                 = [string]$Mailbox.Name
        Alias                = [string]$Mailbox.Alias
        DisplayName          = [string]$Mailbox.Name
        PrimarySmtpAddress   = [string]$Mailbox.Alias + '@' + $domain
        Database             = $databaseName
        ServerName           = $serverName
        RecipientTypeDetails = 'UserMailbox'
        ExchangeVersion      = $script:ExchangeVersion2010
        Identity             = $domain + '/Users/' + $Mailbox.Name
        Guid                 = [guid][string]$Mailbox.Guid
        DistinguishedName    = 'CN=' + $Mailbox.Name + ',CN=Users,' + $DomainDn
        OriginatingServer    = [string]$State.organization.DomainController
        IsValid              = $true
    }
    return (New-LabOutputObject 'Microsoft.Exchange.Data.Directory.Management.Mailbox' $properties)
}

# Exchange's Fqdn type: dot-separated DNS labels (letters, digits, hyphens, no leading or trailing
# hyphen, 63 characters each, 255 in all), optionally with a trailing dot.
function Test-LabFqdn {
    param([string]$Value)
    if ([string]::IsNullOrEmpty($Value) -or $Value.Length -gt 255) { return $false }
    return ($Value -match '^(?=.*[A-Za-z])[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$')
}

function Test-LabNameTaken {
    param([object]$State, [string]$Name, [object]$Except)
    foreach ($item in @(Get-LabSection $State 'servers') + @(Get-LabSection $State 'clientAccessArrays')) {
        if ($item.Name -eq $Name -and -not [object]::ReferenceEquals($item, $Except)) { return $true }
    }
    return $false
}

function New-LabUniqueLegacyDn {
    param([object]$State, [string]$Container, [string]$Name)
    $taken = @(@(Get-LabSection $State 'servers') + @(Get-LabSection $State 'clientAccessArrays') + @(Get-LabSection $State 'mailboxDatabases') |
            ForEach-Object { [string]$_.ExchangeLegacyDN })
    $candidate = Get-LabLegacyDn $State $Container $Name
    while ($taken -contains $candidate) {
        $candidate = (Get-LabLegacyDn $State $Container $Name) + ([guid]::NewGuid().ToString('N').Substring(0, 8))
    }
    return $candidate
}

function Test-LabWhatIf {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Target, [string]$Action)
    $bound = $Cmdlet.MyInvocation.BoundParameters
    if ($bound.ContainsKey('WhatIf') -and [bool]$bound['WhatIf']) {
        [void]$Cmdlet.ShouldProcess($Target, $Action)   # with -WhatIf this only prints, it never prompts
        return $true
    }
    return $false
}
