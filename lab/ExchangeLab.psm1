#Requires -Version 5.1
<#
ExchangeLab: an emulated Exchange Server 2010 organisation (plus the Windows DNS Server cmdlets the
project uses), driven exactly like the real thing: import the module, call the cmdlets.

State lives in the JSON file named by $env:EXCHANGE_LAB_STATE, read at every call. Readers read it
without a lock; writers take an exclusive lock file, re-read, change, write a temp file in the same
folder and rename it over the state. The format is documented in README.md next to this file.

Must stay runnable on Windows PowerShell 5.1: no null-coalescing, null-conditional, ternary or
pipeline-chain operators, and no parameters that 5.1 lacks (test/lab/module.test.ts checks).
#>

$script:AdminGroupName = 'Exchange Administrative Group (FYDIBOHF23SPDLT)'
$script:ExchangeVersion2010 = '0.10 (14.0.100.0)'
$script:ExchangeVersion2007 = '0.1 (8.0.535.0)'
$script:ExchangeVersion2012 = '0.20 (15.0.0.0)'
$script:TaskNamespace = 'Microsoft.Exchange.Management.SystemConfigurationTasks'
$script:DefaultLockTimeoutMs = 15000
$script:HangSeconds = 86400

# Exchange's own strings (DOMAIN.md section 1.6), {0}/{1} as in the resources.
$script:Msg = @{
    NotFound              = "The operation couldn't be performed because object '{0}' couldn't be found on '{1}'."
    Ambiguous             = "The operation couldn't be performed because '{0}' matches multiple entries."
    CasArrayNotFound      = "Client Access array ""{0}"" wasn't found. Please make sure you have typed it correctly."
    CasArrayExistsInSite  = 'The Client Access array already exists in site {0}. At most, one Client Access array can exist per site.'
    CasArrayOrServerExists = 'A Client Access array or an Exchange server "{0}" already exists. Please specify a new unique value.'
    SiteNotFound          = "Exchange can't find Active Directory site {0}. Make sure the site exists."
    SiteNotUnique         = 'Multiple Active Directory sites match the identity "{0}". You must specify a unique value.'
    PropertyTooLong       = 'The length of the property is too long. The maximum length is {0} and the length of the value provided is {1}.'
    InvalidFqdn           = 'Cannot process argument transformation on parameter ''Fqdn''. Cannot convert value "{0}" to type "Microsoft.Exchange.Data.Fqdn". Error: "''{0}'' isn''t a valid fully qualified domain name (FQDN)."'
    ObjectAlreadyExists   = "Active Directory operation failed on {0}. The object '{1}' already exists."
    NoChange              = "The command completed successfully but no settings of '{0}' have been modified."
    ResultSizeDefault     = 'By default, only the first {0} items are returned. Use the ResultSize parameter to specify the number of items returned. To return all items, specify "-ResultSize Unlimited". Be aware that, depending upon the actual number of items, returning all items can take a long time and consume a large amount of memory. Also, we don''t recommend storing the results in a variable. Instead, pipe the results to another task or script to perform batch changes.'
    ResultSizeExceeded    = 'Only the first {0} items are returned, as the ResultSize parameter says. To return all items, specify "-ResultSize Unlimited".'
    InvalidResultSize     = 'Cannot process argument transformation on parameter ''ResultSize''. Cannot convert value "{0}" to type "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]". Error: "The value must be a whole number from 0 to 4294967295, or Unlimited."'
    VersionTooOld         = 'Object cannot be changed because its ExchangeVersion property is {0}, which is not supported by the current version {1}. You will need an older version of Exchange.'
    NoDatabaseCopy        = 'An Active Manager operation failed. Database ''{0}'' has no copy on server ''{1}''.'
    AlreadyActive         = 'An Active Manager operation failed. Database ''{0}'' is already active on server ''{1}''.'
    NoSuchParameter       = 'A parameter cannot be found that matches parameter name ''{0}''.'
    AdTransient           = 'Active Directory server {0} is not available. Error message: Active directory response: The LDAP server is unavailable.'
    SessionOpenThrottled  = '[{0}] Connecting to remote server {0} failed with the following error message : The WS-Management service cannot process the request. This user is allowed a maximum number of 18 concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. For more information, see the about_Remote_Troubleshooting Help topic.'
    Throttled             = 'This user is allowed a maximum of 18 concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user.'
    DnsRecordExists       = 'Failed to create resource record "{0}" in zone "{1}" on server "{2}".'
    DnsNameNotFound       = 'Failed to get {0} record in {1} zone on {2} server.'
    DnsZoneNotFound       = 'Failed to get the zone information for {0} on server {1}.'
    DnsRecordNotFound     = 'Failed to remove resource record "{0}" in zone "{1}" on server "{2}": no record with data {3} exists.'
    DnsOldRecordNotFound  = 'Failed to update resource record "{0}" in zone "{1}" on server "{2}": the record in OldInputObject does not exist.'
    DnsNameOrTypeChanged  = 'Failed to update resource record "{0}" in zone "{1}" on server "{2}": the name and type of a resource record cannot be changed.'
    DnsServerUnreachable  = 'The RPC server is unavailable. DNS server "{0}" does not exist in the lab.'
    DnsInvalidIPv4        = 'Cannot process argument transformation on parameter ''IPv4Address''. Cannot convert value "{0}" to type "System.Net.IPAddress". Error: "An invalid IP address was specified."'
    DnsUnsupportedType    = 'The lab supports only A records; record type "{0}" cannot be written.'
}

#region Types ------------------------------------------------------------------------------------

# 'Desktop' (Windows PowerShell, whose 5.1 has PSEdition and whose older versions do not) or 'Core'.
function Get-LabPSEdition {
    if ($PSVersionTable.ContainsKey('PSEdition')) { return [string]$PSVersionTable.PSEdition }
    return 'Desktop'
}

# A file in the lab's per-user cache folder under temp, named after what it caches: the prefix, the
# first 20 hex digits of the key's SHA-256, the extension.
function Get-LabCacheFile {
    param([string]$Prefix, [string]$KeyText, [string]$Extension)
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try { $hash = [BitConverter]::ToString($sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($KeyText))).Replace('-', '') }
    finally { $sha.Dispose() }
    $user = [Environment]::UserName -replace '[^A-Za-z0-9_.-]', '_'
    $cacheDir = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'ExchangeLab-types-' + $user)
    return [System.IO.Path]::Combine($cacheDir, $Prefix + $hash.Substring(0, 20) + $Extension)
}

# Compiling the C# costs about a second, so it is compiled once per source/PowerShell version into a
# DLL cached under the temp folder (written to a temp name, then renamed) and loaded from there.
function Import-LabType {
    if ('Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException' -as [type]) { return }
    $source = [System.IO.File]::ReadAllText(([System.IO.Path]::Combine($PSScriptRoot, 'types', 'ExchangeLabTypes.cs')))
    $keyText = $source + '|' + $PSVersionTable.PSVersion.ToString() + '|' + (Get-LabPSEdition) + '|' + [Environment]::Version.ToString()
    $dll = Get-LabCacheFile 'ExchangeLabTypes-' $keyText '.dll'
    $cacheDir = [System.IO.Path]::GetDirectoryName($dll)
    if (-not [System.IO.File]::Exists($dll)) {
        $tmp = [System.IO.Path]::Combine($cacheDir, 'build-' + [guid]::NewGuid().ToString('N') + '.dll')
        try {
            [void][System.IO.Directory]::CreateDirectory($cacheDir)
            Add-Type -TypeDefinition $source -OutputAssembly $tmp -OutputType Library -ErrorAction Stop
            try { [System.IO.File]::Move($tmp, $dll) }
            catch { [System.IO.File]::Delete($tmp) }   # another process won the race; its DLL is identical
        }
        catch {
            # No usable cache (read-only temp folder, ...): compile in memory instead.
            if (-not ('Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException' -as [type])) {
                Add-Type -TypeDefinition $source
            }
            return
        }
    }
    if (-not ('Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException' -as [type])) {
        [void][System.Reflection.Assembly]::LoadFrom($dll)
    }
    # DNS errors are CimExceptions. PowerShell 7 has the type loaded; Windows PowerShell may need
    # the assembly loaded; a stand-in with the same name is the last resort.
    if (-not ('Microsoft.Management.Infrastructure.CimException' -as [type])) {
        Add-Type -AssemblyName 'Microsoft.Management.Infrastructure' -ErrorAction SilentlyContinue
    }
    if (-not ('Microsoft.Management.Infrastructure.CimException' -as [type])) {
        Add-Type -TypeDefinition 'namespace Microsoft.Management.Infrastructure { public class CimException : System.Exception { public CimException(string message) : base(message) { } } }'
    }
}

#endregion
#region State file --------------------------------------------------------------------------------

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

#endregion
#region Latency and faults ------------------------------------------------------------------------

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

#endregion
#region Errors -------------------------------------------------------------------------------------

function Get-LabErrorHash {
    param([string]$Text)
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try { $bytes = $sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($Text)) }
    finally { $sha.Dispose() }
    return [BitConverter]::ToString($bytes, 0, 4).Replace('-', '')
}

# A non-terminating error shaped like one from a real Exchange task:
# FullyQualifiedErrorId "<8 hex>,Microsoft.Exchange.Management.SystemConfigurationTasks.<Task>".
function Write-ExchangeError {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [Exception]$Exception, [string]$MessageId, [object]$Target,
        [System.Management.Automation.ErrorCategory]$Category = 'NotSpecified')
    $task = $script:TaskNamespace + '.' + ($Cmdlet.MyInvocation.MyCommand.Name -replace '-', '')
    $hash = Get-LabErrorHash ($task + '|' + $Exception.GetType().FullName + '|' + $MessageId)
    $record = [ExchangeLab.ErrorRecordFactory]::Create($Exception, ($hash + ',' + $task), $Category, $Target)
    $Cmdlet.WriteError($record)
}

# Exchange writes its not-found errors with TargetObject null (GetObjectWithIdentityTaskBase,
# Task.ProcessError; CategoryInfo shows "(:)"): the identity is only in the message (LAB-FIDELITY X1).
function Write-NotFoundError {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [object]$State, [string]$Identity, [string]$DomainController)
    $message = [string]::Format($script:Msg.NotFound, $Identity, (Get-LabDomainController $State $DomainController))
    Write-ExchangeError $Cmdlet (New-Object Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException($message)) 'ErrorManagementObjectNotFound' $null
}

function Write-AmbiguousError {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Identity)
    $message = [string]::Format($script:Msg.Ambiguous, $Identity)
    Write-ExchangeError $Cmdlet (New-Object Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException($message)) 'ErrorManagementObjectAmbiguous' $Identity
}

# The one object an identity names, as an Exchange task resolves it: none is a not-found error,
# more than one an ambiguous one (both written, and then $null).
function Select-LabSingleMatch {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [object]$State, [object[]]$Found, [string]$Identity, [string]$DomainController)
    if ($Found.Count -eq 0) { Write-NotFoundError $Cmdlet $State $Identity $DomainController; return $null }
    if ($Found.Count -gt 1) { Write-AmbiguousError $Cmdlet $Identity; return $null }
    return $Found[0]
}

# A CIM error shaped like the DnsServer module's: FullyQualifiedErrorId "WIN32 <code>,<cmdlet>"
# (PowerShell appends the command name itself), exception CimException.
function Write-DnsError {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [int]$Code, [string]$Message,
        [System.Management.Automation.ErrorCategory]$Category, [object]$Target)
    # Over the wire (EXCHANGE_LAB_WIRE=clixml) a DnsServer error's TargetObject is a CimInstance.
    if (Test-LabDnsWire $Cmdlet) {
        try { $Target = ConvertTo-LabDnsWireObject (New-LabDnsWireErrorTarget ([string]$Target)) }
        catch { $Cmdlet.ThrowTerminatingError($_) }
    }
    $exception = New-Object Microsoft.Management.Infrastructure.CimException($Message)
    $record = New-Object System.Management.Automation.ErrorRecord($exception, ('WIN32 ' + $Code), $Category, $Target)
    $Cmdlet.WriteError($record)
}

function Write-BindingError {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Message, [object]$Target)
    $exception = New-Object System.Management.Automation.ParameterBindingException($Message)
    $record = New-Object System.Management.Automation.ErrorRecord($exception, 'ParameterArgumentTransformationError', 'InvalidData', $Target)
    $Cmdlet.WriteError($record)
}

#endregion
#region Directory model ---------------------------------------------------------------------------

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
    param([object]$State, [string]$Section, [string]$Container, [string]$Identity, [switch]$ByFqdn, [switch]$NameWithoutSpaces)
    $id = $Identity.Trim()
    $agDn = Get-LabAdminGroupDn $State
    $spacesRefused = [bool]$NameWithoutSpaces
    $fqdnMatches = [bool]$ByFqdn
    return @(Get-LabSection $State $Section | Where-Object {
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

function Get-LabDatabaseMatch {
    param([object]$State, [string]$Identity)
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
    if ($null -ne $property -and $null -ne $property.Value) { $names = @($property.Value | ForEach-Object { [string]$_ }) }
    if (-not ($names -contains [string]$Database.Server)) { $names = @([string]$Database.Server) + $names }
    return , ([string[]]$names)
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
function Get-LabRpcClientAccessFqdn {
    param([object]$State, [object]$Database)
    $legacyDn = [string]$Database.RpcClientAccessServerLegacyDN
    if (-not [string]::IsNullOrEmpty($legacyDn)) {
        foreach ($item in @(Get-LabSection $State 'clientAccessArrays') + @(Get-LabSection $State 'servers')) {
            if ($item.ExchangeLegacyDN -eq $legacyDn) { return [string]$item.Fqdn }
        }
    }
    return ''
}

function New-LabOutputObject {
    param([string]$TypeName, [System.Collections.Specialized.OrderedDictionary]$Properties)
    $object = New-Object System.Management.Automation.PSObject -Property $Properties
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

function ConvertTo-LabDatabaseOutput {
    param([object]$State, [object]$Database, [switch]$Status)
    $owner = @(Get-LabServerMatch $State $Database.Server) | Microsoft.PowerShell.Utility\Select-Object -First 1
    $dag = Get-LabDagOfServer $State $Database.Server
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
        DatabaseCopies                  = [string[]]@($copyServers | ForEach-Object { [string]$Database.Name + '\' + $_ })
        MasterServerOrAvailabilityGroup = $master
        MasterType                      = $masterType
        Recovery                        = [bool]$Database.Recovery
        ReplicationType                 = $replication
        RpcClientAccessServer           = Get-LabRpcClientAccessFqdn $State $Database
        Mounted                         = $mounted
        MountedOnServer                 = $mountedOn
        BackupInProgress                = $(if ($Status) { $false } else { $null })
        OnlineMaintenanceInProgress     = $(if ($Status) { $false } else { $null })
        EdbFilePath                     = [string]$Database.EdbFilePath
        ExchangeLegacyDN                = [string]$Database.ExchangeLegacyDN
        ExchangeVersion                 = $script:ExchangeVersion2010
        Identity                        = [string]$Database.Name
        Guid                            = [guid][string]$Database.Guid
        DistinguishedName               = 'CN=' + $Database.Name + ',CN=Databases,' + (Get-LabAdminGroupDn $State)
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

#endregion
#region Exchange cmdlets --------------------------------------------------------------------------

# The array Set- and Remove-ClientAccessArray change: Exchange's own not-found text for arrays, the
# ambiguous error, and the refusal of a 2010 object on a newer endpoint (each written, then $null).
function Resolve-LabArrayToChange {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [object]$State, [string]$Identity)
    $found = @(Get-LabArrayMatch $State $Identity)
    if ($found.Count -eq 0) {
        $message = [string]::Format($script:Msg.CasArrayNotFound, $Identity)
        Write-ExchangeError $Cmdlet (New-Object Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException($message)) 'ErrorCasArrayNotFound' $null
        return $null
    }
    if ($found.Count -gt 1) { Write-AmbiguousError $Cmdlet $Identity; return $null }
    if (Test-LabVersionRefused $Cmdlet $State $script:ExchangeVersion2010 $Identity) { return $null }
    return $found[0]
}

# A new directory object (properties in state order) stamped WhenCreated and WhenChanged, appended
# to its section of the state and committed.
function Add-LabObject {
    param([object]$State, [object]$Context, [string]$Section, [System.Collections.Specialized.OrderedDictionary]$Properties)
    $now = Get-LabNow
    $Properties['WhenCreated'] = $now
    $Properties['WhenChanged'] = $now
    $object = New-Object System.Management.Automation.PSObject -Property $Properties
    Set-LabProperty $State $Section (@(Get-LabSection $State $Section) + $object)
    $Context.Commit = $true
    return $object
}

# The end of a Set- task: a change is stamped and committed; no change is Exchange's warning.
function Complete-LabSet {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [object]$Context, [object]$Object, [bool]$Changed)
    if ($Changed) {
        $Object.WhenChanged = Get-LabNow
        $Context.Commit = $true
    }
    else {
        $Cmdlet.WriteWarning([string]::Format($script:Msg.NoChange, $Object.Name))
    }
}

<#
.SYNOPSIS
Gets Exchange servers (Name, Fqdn, Site as 'domain/Configuration/Sites/<site>', ServerRole, ...).
.PARAMETER Identity
Name, FQDN, GUID, distinguished name or legacyExchangeDN of a server. All servers when omitted.
#>
function Get-ExchangeServer {
    [CmdletBinding()]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = $true)][ExchangeLab.ServerIdentity('Microsoft.Exchange.Configuration.Tasks.ServerIdParameter')][string]$Identity,
        [string]$DomainController
    )
    process {
        $state = Enter-LabCommand $PSCmdlet 'Exchange'
        if ($null -eq $state) { return }
        $servers = @(Get-LabSection $state 'servers')
        if ($PSBoundParameters.ContainsKey('Identity')) {
            $servers = @(Get-LabServerMatch $state $Identity)
            if ($servers.Count -eq 0 -and (Test-LabLocalHostName $Identity)) { $servers = @(Get-LabEndpointServer $state) }
            if ($servers.Count -eq 0) { Write-NotFoundError $PSCmdlet $state $Identity $DomainController; return }
        }
        foreach ($server in $servers) { ConvertTo-LabServerOutput $state $server }
    }
}

<#
.SYNOPSIS
Gets database availability groups (Name, Servers as names, a DAG's cluster name is its own DNS name).
.PARAMETER Identity
Name or GUID of a DAG.
#>
function Get-DatabaseAvailabilityGroup {
    [CmdletBinding()]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = $true)][string]$Identity,
        [string]$DomainController
    )
    process {
        $state = Enter-LabCommand $PSCmdlet 'Exchange'
        if ($null -eq $state) { return }
        $dags = @(Get-LabSection $state 'databaseAvailabilityGroups')
        if ($PSBoundParameters.ContainsKey('Identity')) {
            $dags = @($dags | Where-Object { $_.Name -eq $Identity -or (Test-LabGuidMatch $Identity $_.Guid) })
            if ($dags.Count -eq 0) { Write-NotFoundError $PSCmdlet $state $Identity $DomainController; return }
        }
        foreach ($dag in $dags) {
            $properties = [ordered]@{
                Name              = [string]$dag.Name
                Servers           = @($dag.Servers | ForEach-Object { [string]$_ })
                Guid              = [guid][string]$dag.Guid
                Identity          = [string]$dag.Name
                DistinguishedName = 'CN=' + $dag.Name + ',CN=Database Availability Groups,' + (Get-LabAdminGroupDn $state)
            }
            New-LabOutputObject 'Microsoft.Exchange.Data.Directory.SystemConfiguration.DatabaseAvailabilityGroup' $properties
        }
    }
}

<#
.SYNOPSIS
Gets Client Access arrays; Members is computed from the site's RPC Client Access servers.
.PARAMETER Identity
Name (without spaces), FQDN, GUID, distinguished name or legacyExchangeDN of an array.
.PARAMETER Site
Only arrays in this AD site (name, GUID, DN or 'domain/Configuration/Sites/<site>').
#>
function Get-ClientAccessArray {
    [CmdletBinding()]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = $true)][ExchangeLab.ServerIdentity('Microsoft.Exchange.Configuration.Tasks.ClientAccessArrayIdParameter')][string]$Identity,
        [string]$Site,
        [string]$DomainController
    )
    process {
        $state = Enter-LabCommand $PSCmdlet 'Exchange'
        if ($null -eq $state) { return }
        $arrays = @(Get-LabSection $state 'clientAccessArrays')
        if ($PSBoundParameters.ContainsKey('Site')) {
            $siteObject = Resolve-LabSite $PSCmdlet $state $Site
            if ($null -eq $siteObject) { return }
            $arrays = @($arrays | Where-Object { $_.Site -eq $siteObject.Name })
        }
        if ($PSBoundParameters.ContainsKey('Identity')) {
            $matched = @(Get-LabArrayMatch $state $Identity)
            $arrays = @($arrays | Where-Object { $matched -contains $_ })
            if ($arrays.Count -eq 0) { Write-NotFoundError $PSCmdlet $state $Identity $DomainController; return }
        }
        foreach ($array in $arrays) { ConvertTo-LabArrayOutput $state $array }
    }
}

<#
.SYNOPSIS
Creates a Client Access array (one per AD site) and returns it.
.PARAMETER Name
Up to 64 characters, unique among arrays and servers. Defaults to the host label of -Fqdn.
.PARAMETER Fqdn
The name RPC clients connect to, e.g. outlook-ho.exchangeserverpro.net.
.PARAMETER Site
The AD site of the array.
#>
function New-ClientAccessArray {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Low')]
    param(
        [Parameter(Position = 0)][string]$Name,
        [Parameter(Mandatory = $true)][string]$Fqdn,
        [Parameter(Mandatory = $true)][string]$Site,
        [string]$DomainController
    )
    $state = Enter-LabCommand $PSCmdlet 'Exchange'
    if ($null -eq $state) { return }
    if (-not (Test-LabFqdn $Fqdn)) {
        Write-BindingError $PSCmdlet ([string]::Format($script:Msg.InvalidFqdn, $Fqdn)) $Fqdn
        return
    }
    $arrayName = $Name
    if ([string]::IsNullOrEmpty($arrayName)) { $arrayName = $Fqdn.TrimEnd('.').Split('.')[0] }
    if (Test-LabWhatIf $PSCmdlet $arrayName 'New-ClientAccessArray') { return }
    Update-LabState $PSCmdlet {
        param($s, $c)
        if ($arrayName.Length -gt 64) {
            $message = [string]::Format($script:Msg.PropertyTooLong, 64, $arrayName.Length)
            Write-ExchangeError $PSCmdlet (New-Object Microsoft.Exchange.Data.DataValidationException($message)) 'PropertyTooLong' $arrayName
            return
        }
        $siteObject = Resolve-LabSite $PSCmdlet $s $Site
        if ($null -eq $siteObject) { return }
        if (Test-LabNameTaken $s $arrayName $null) {
            $message = [string]::Format($script:Msg.CasArrayOrServerExists, $arrayName)
            Write-ExchangeError $PSCmdlet (New-Object System.InvalidOperationException($message)) 'ErrorCasArrayOrServerAlreadyExists' $arrayName 'InvalidOperation'
            return
        }
        if (@(Get-LabSection $s 'clientAccessArrays' | Where-Object { $_.Site -eq $siteObject.Name }).Count -gt 0) {
            $message = [string]::Format($script:Msg.CasArrayExistsInSite, $siteObject.Name)
            Write-ExchangeError $PSCmdlet (New-Object System.InvalidOperationException($message)) 'ErrorCasArrayAlreadyExistsInSite' $arrayName 'InvalidOperation'
            return
        }
        $array = Add-LabObject $s $c 'clientAccessArrays' ([ordered]@{
                Name             = $arrayName
                Fqdn             = $Fqdn.TrimEnd('.')
                Site             = [string]$siteObject.Name
                Guid             = [guid]::NewGuid().ToString()
                ExchangeLegacyDN = New-LabUniqueLegacyDn $s 'Servers' $arrayName
            })
        ConvertTo-LabArrayOutput $s $array
    }
}

<#
.SYNOPSIS
Changes the Name, Fqdn and/or Site of a Client Access array. No output.
.PARAMETER Identity
Name (without spaces), FQDN, GUID, distinguished name or legacyExchangeDN of the array.
#>
function Set-ClientAccessArray {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Low')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)][ExchangeLab.ServerIdentity('Microsoft.Exchange.Configuration.Tasks.ClientAccessArrayIdParameter')][string]$Identity,
        [string]$Name,
        [string]$Fqdn,
        [string]$Site,
        [string]$DomainController
    )
    process {
        $state = Enter-LabCommand $PSCmdlet 'Exchange'
        if ($null -eq $state) { return }
        $bound = $PSBoundParameters
        if ($bound.ContainsKey('Fqdn') -and -not (Test-LabFqdn $Fqdn)) {
            Write-BindingError $PSCmdlet ([string]::Format($script:Msg.InvalidFqdn, $Fqdn)) $Fqdn
            return
        }
        if (Test-LabWhatIf $PSCmdlet $Identity 'Set-ClientAccessArray') { return }
        Update-LabState $PSCmdlet {
            param($s, $c)
            $array = Resolve-LabArrayToChange $PSCmdlet $s $Identity
            if ($null -eq $array) { return }
            $changed = $false
            if ($bound.ContainsKey('Name')) {
                if ($Name.Length -gt 64) {
                    $message = [string]::Format($script:Msg.PropertyTooLong, 64, $Name.Length)
                    Write-ExchangeError $PSCmdlet (New-Object Microsoft.Exchange.Data.DataValidationException($message)) 'PropertyTooLong' $Identity
                    return
                }
                if (Test-LabNameTaken $s $Name $array) {
                    $message = [string]::Format($script:Msg.CasArrayOrServerExists, $Name)
                    Write-ExchangeError $PSCmdlet (New-Object System.InvalidOperationException($message)) 'ErrorCasArrayOrServerAlreadyExists' $Identity 'InvalidOperation'
                    return
                }
            }
            $siteObject = $null
            if ($bound.ContainsKey('Site')) {
                $siteObject = Resolve-LabSite $PSCmdlet $s $Site
                if ($null -eq $siteObject) { return }
                $other = @(Get-LabSection $s 'clientAccessArrays' | Where-Object { $_.Site -eq $siteObject.Name -and -not [object]::ReferenceEquals($_, $array) })
                if ($other.Count -gt 0) {
                    $message = [string]::Format($script:Msg.CasArrayExistsInSite, $siteObject.Name)
                    Write-ExchangeError $PSCmdlet (New-Object System.InvalidOperationException($message)) 'ErrorCasArrayAlreadyExistsInSite' $Identity 'InvalidOperation'
                    return
                }
            }
            if ($bound.ContainsKey('Name') -and -not ($array.Name -ceq $Name)) { $array.Name = $Name; $changed = $true }
            if ($bound.ContainsKey('Fqdn') -and -not ($array.Fqdn -ceq $Fqdn.TrimEnd('.'))) { $array.Fqdn = $Fqdn.TrimEnd('.'); $changed = $true }
            if ($null -ne $siteObject -and -not ($array.Site -ceq $siteObject.Name)) { $array.Site = [string]$siteObject.Name; $changed = $true }
            Complete-LabSet $PSCmdlet $c $array $changed
        }
    }
}

<#
.SYNOPSIS
Removes a Client Access array. ConfirmImpact High, as in Exchange: it prompts unless
-Confirm:$false, and in a -NonInteractive host the prompt fails. Databases keep their reference to it, which then reads as ''.
.PARAMETER Identity
Name (without spaces), FQDN, GUID, distinguished name or legacyExchangeDN of the array.
#>
function Remove-ClientAccessArray {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)][ExchangeLab.ServerIdentity('Microsoft.Exchange.Configuration.Tasks.ClientAccessArrayIdParameter')][string]$Identity,
        [string]$DomainController
    )
    process {
        $state = Enter-LabCommand $PSCmdlet 'Exchange'
        if ($null -eq $state) { return }
        if (Test-LabWhatIf $PSCmdlet $Identity ('Removing the Client Access array "' + $Identity + '".')) { return }
        Update-LabState $PSCmdlet {
            param($s, $c)
            $array = Resolve-LabArrayToChange $PSCmdlet $s $Identity
            if ($null -eq $array) { return }
            # Exchange resolves the object first, then confirms (a missing array is not-found, not a prompt).
            # The host's refusal to prompt (NonInteractive) surfaces as a compiled cmdlet's does:
            # PSInvalidOperationException, FullyQualifiedErrorId InvalidOperation, category InvalidOperation.
            try { $confirmed = $PSCmdlet.ShouldProcess($array.Name, 'Remove-ClientAccessArray') }
            catch [System.Management.Automation.MethodInvocationException] { $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord($_.Exception.InnerException, 'InvalidOperation', 'InvalidOperation', $null))) }
            if (-not $confirmed) { return }
            Set-LabProperty $s 'clientAccessArrays' @(Get-LabSection $s 'clientAccessArrays' | Where-Object { -not [object]::ReferenceEquals($_, $array) })
            $c.Commit = $true
        }
    }
}

<#
.SYNOPSIS
Gets mailbox databases (RpcClientAccessServer rendered as the current FQDN of the referenced object).
.PARAMETER Identity
Name, GUID or distinguished name; duplicate names return every match.
.PARAMETER Server
Only databases of this server (name, FQDN, GUID, DN or legacyExchangeDN).
.PARAMETER Status
Adds Mounted, MountedOnServer, BackupInProgress and OnlineMaintenanceInProgress.
#>
function Get-MailboxDatabase {
    [CmdletBinding(DefaultParameterSetName = 'Identity')]
    param(
        [Parameter(ParameterSetName = 'Identity', Position = 0, ValueFromPipelineByPropertyName = $true)][string]$Identity,
        [Parameter(ParameterSetName = 'Server', Mandatory = $true)][ExchangeLab.ServerIdentity('Microsoft.Exchange.Configuration.Tasks.ServerIdParameter')][string]$Server,
        [switch]$Status,
        [string]$DomainController
    )
    process {
        $state = Enter-LabCommand $PSCmdlet 'Exchange'
        if ($null -eq $state) { return }
        $databases = @(Get-LabSection $state 'mailboxDatabases')
        if ($PSCmdlet.ParameterSetName -eq 'Server') {
            $databases = Get-LabServerDatabase $PSCmdlet $state $Server $DomainController
            if ($null -eq $databases) { return }
        }
        elseif ($PSBoundParameters.ContainsKey('Identity')) {
            $databases = @(Get-LabDatabaseMatch $state $Identity)
            if ($databases.Count -eq 0) { Write-NotFoundError $PSCmdlet $state $Identity $DomainController; return }
        }
        foreach ($db in $databases) { ConvertTo-LabDatabaseOutput $state $db -Status:$Status }
    }
}

# The databases of the one server -Server names (Get-MailboxDatabase, Get-Mailbox -Server), or
# $null when it names none or several (the error written).
function Get-LabServerDatabase {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [object]$State, [string]$Server, [string]$DomainController)
    $owner = Select-LabSingleMatch $Cmdlet $State @(Get-LabServerMatch $State $Server) $Server $DomainController
    if ($null -eq $owner) { return $null }
    return , @(Get-LabSection $State 'mailboxDatabases' | Where-Object { $_.Server -eq $owner.Name })
}

# A Client Access server (RPC or not) or a Client Access array, as -RpcClientAccessServer accepts.
function Get-LabCasOrArrayMatch {
    param([object]$State, [string]$Identity)
    $servers = @(Get-LabServerMatch $State $Identity | Where-Object { Test-LabServerIsCas $_ })
    return @(@(Get-LabArrayMatch $State $Identity) + $servers)
}

<#
.SYNOPSIS
Sets a mailbox database's RpcClientAccessServer to a Client Access server or array. No output.
.PARAMETER Identity
Name, GUID or distinguished name of the database.
.PARAMETER RpcClientAccessServer
Name, FQDN, GUID or legacyExchangeDN of an existing Client Access server or Client Access array.
#>
function Set-MailboxDatabase {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Low')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)][string]$Identity,
        [ExchangeLab.ServerIdentity('Microsoft.Exchange.Configuration.Tasks.ClientAccessServerOrArrayIdParameter')][string]$RpcClientAccessServer,
        [string]$DomainController
    )
    process {
        $state = Enter-LabCommand $PSCmdlet 'Exchange'
        if ($null -eq $state) { return }
        $bound = $PSBoundParameters
        if ($bound.ContainsKey('RpcClientAccessServer') -and (Test-LabEndpointIsModern $state)) {
            # Exchange 2013+ has no -RpcClientAccessServer ("functional only in Exchange Server 2010"):
            # the parameter binder rejects it before the task runs.
            $exception = New-Object System.Management.Automation.ParameterBindingException([string]::Format($script:Msg.NoSuchParameter, 'RpcClientAccessServer'))
            $record = [ExchangeLab.ErrorRecordFactory]::Create($exception, 'NamedParameterNotFound,Set-MailboxDatabase', 'InvalidArgument', $null)
            $PSCmdlet.ThrowTerminatingError($record)
        }
        if (Test-LabWhatIf $PSCmdlet $Identity 'Set-MailboxDatabase') { return }
        $dc = $DomainController
        Update-LabState $PSCmdlet {
            param($s, $c)
            $db = Select-LabSingleMatch $PSCmdlet $s @(Get-LabDatabaseMatch $s $Identity) $Identity $dc
            if ($null -eq $db) { return }
            $changed = $false
            if ($bound.ContainsKey('RpcClientAccessServer')) {
                $target = Select-LabSingleMatch $PSCmdlet $s @(Get-LabCasOrArrayMatch $s $RpcClientAccessServer) $RpcClientAccessServer $dc
                if ($null -eq $target) { return }
                if ($db.RpcClientAccessServerLegacyDN -ne $target.ExchangeLegacyDN) {
                    Set-LabProperty $db 'RpcClientAccessServerLegacyDN' ([string]$target.ExchangeLegacyDN)
                    Set-LabProperty $db 'RpcClientAccessServerFqdn' ([string]$target.Fqdn)
                    $changed = $true
                }
            }
            Complete-LabSet $PSCmdlet $c $db $changed
        }
    }
}

<#
.SYNOPSIS
Creates a mailbox database; RpcClientAccessServer follows Exchange's default rule in the owning
server's site: the site's array, else the owner if it runs RPC Client Access, else a random RPC
Client Access server of the site, else the owner.
.PARAMETER Name
Unique in the organisation; defaults to 'Mailbox Database <10 digits>'.
.PARAMETER Server
The Mailbox server that owns the database.
.PARAMETER Recovery
Creates a recovery database.
#>
function New-MailboxDatabase {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Low')]
    param(
        [Parameter(Position = 0)][string]$Name,
        [Parameter(Mandatory = $true)][ExchangeLab.ServerIdentity('Microsoft.Exchange.Configuration.Tasks.ServerIdParameter')][string]$Server,
        [switch]$Recovery,
        [string]$DomainController
    )
    $state = Enter-LabCommand $PSCmdlet 'Exchange'
    if ($null -eq $state) { return }
    $dbName = $Name
    if ([string]::IsNullOrEmpty($dbName)) { $dbName = 'Mailbox Database ' + (Get-Random -Minimum 1000000000 -Maximum 2147483647) }
    if (Test-LabWhatIf $PSCmdlet $dbName 'New-MailboxDatabase') { return }
    $dc = $DomainController
    $isRecovery = [bool]$Recovery
    Update-LabState $PSCmdlet {
        param($s, $c)
        $owner = Select-LabSingleMatch $PSCmdlet $s @(Get-LabServerMatch $s $Server | Where-Object { @($_.ServerRole) -contains 'Mailbox' }) $Server $dc
        if ($null -eq $owner) { return }
        if ($dbName.Length -gt 64) {
            $message = [string]::Format($script:Msg.PropertyTooLong, 64, $dbName.Length)
            Write-ExchangeError $PSCmdlet (New-Object Microsoft.Exchange.Data.DataValidationException($message)) 'PropertyTooLong' $dbName
            return
        }
        $dn = 'CN=' + $dbName + ',CN=Databases,' + (Get-LabAdminGroupDn $s)
        if (@(Get-LabSection $s 'mailboxDatabases' | Where-Object { $_.Name -eq $dbName }).Count -gt 0) {
            $message = [string]::Format($script:Msg.ObjectAlreadyExists, (Get-LabDomainController $s $dc), $dn)
            Write-ExchangeError $PSCmdlet (New-Object Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException($message)) 'ADObjectAlreadyExists' $dbName
            return
        }
        # Exchange's default (DOMAIN.md 1.7), with the owning server's site as the local site.
        $rpc = $null
        $siteArray = @(Get-LabSection $s 'clientAccessArrays' | Where-Object { $_.Site -eq $owner.Site })
        if ($siteArray.Count -gt 0) { $rpc = $siteArray[0] }
        elseif (Test-LabServerIsRpcCas $owner) { $rpc = $owner }
        else {
            $candidates = @(Get-LabSection $s 'servers' | Where-Object { $_.Site -eq $owner.Site -and (Test-LabServerIsRpcCas $_) })
            if ($candidates.Count -gt 0) { $rpc = $candidates[(Get-Random -Minimum 0 -Maximum $candidates.Count)] }
            else { $rpc = $owner }
        }
        $db = Add-LabObject $s $c 'mailboxDatabases' ([ordered]@{
                Name                          = $dbName
                Guid                          = [guid]::NewGuid().ToString()
                Server                        = [string]$owner.Name
                Recovery                      = $isRecovery
                Mounted                       = $false
                EdbFilePath                   = 'C:\Program Files\Microsoft\Exchange Server\V14\Mailbox\' + $dbName + '\' + $dbName + '.edb'
                ExchangeLegacyDN              = New-LabUniqueLegacyDn $s 'Databases' $dbName
                RpcClientAccessServerLegacyDN = [string]$rpc.ExchangeLegacyDN
                RpcClientAccessServerFqdn     = [string]$rpc.Fqdn
            })
        ConvertTo-LabDatabaseOutput $s $db
    }
}

<#
.SYNOPSIS
Activates another copy of a DAG database (a switchover): Active Manager rewrites the database's
Server (msExchOwningServer) to the new active copy's host, which may be in another AD site. The
database's RpcClientAccessServer is not touched. ConfirmImpact High: prompts unless -Confirm:$false.
.PARAMETER Identity
Name, GUID, distinguished name or legacyExchangeDN of the database.
.PARAMETER ActivateOnServer
The Mailbox server hosting the copy to activate (name, FQDN, GUID, DN or legacyExchangeDN).
#>
function Move-ActiveMailboxDatabase {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)][string]$Identity,
        [Parameter(Mandatory = $true)][ExchangeLab.ServerIdentity('Microsoft.Exchange.Configuration.Tasks.MailboxServerIdParameter')][string]$ActivateOnServer,
        [string]$MountDialOverride,
        [switch]$SkipClientExperienceChecks,
        [string]$DomainController
    )
    process {
        $state = Enter-LabCommand $PSCmdlet 'Exchange'
        if ($null -eq $state) { return }
        if (Test-LabWhatIf $PSCmdlet $Identity ('Moving mailbox database "' + $Identity + '" to server "' + $ActivateOnServer + '".')) { return }
        $dc = $DomainController
        Update-LabState $PSCmdlet {
            param($s, $c)
            $db = Select-LabSingleMatch $PSCmdlet $s @(Get-LabDatabaseMatch $s $Identity) $Identity $dc
            if ($null -eq $db) { return }
            $targets = @(Get-LabServerMatch $s $ActivateOnServer | Where-Object { @($_.ServerRole) -contains 'Mailbox' })
            if ($targets.Count -eq 0) { Write-NotFoundError $PSCmdlet $s $ActivateOnServer $dc; return }
            $target = $targets[0]
            $start = [string]$db.Server
            if (-not ((Get-LabDatabaseCopyServer $db) -contains [string]$target.Name)) {
                $message = [string]::Format($script:Msg.NoDatabaseCopy, $db.Name, $target.Name)
                Write-ExchangeError $PSCmdlet (New-Object Microsoft.Exchange.Configuration.Tasks.TaskException($message)) 'ErrorDatabaseCopyNotFound' $null
                return
            }
            if ($start -eq [string]$target.Name) {
                $message = [string]::Format($script:Msg.AlreadyActive, $db.Name, $target.Name)
                Write-ExchangeError $PSCmdlet (New-Object Microsoft.Exchange.Configuration.Tasks.TaskException($message)) 'ErrorDatabaseAlreadyActive' $null
                return
            }
            try { $confirmed = $PSCmdlet.ShouldProcess($db.Name, 'Move-ActiveMailboxDatabase') }
            catch [System.Management.Automation.MethodInvocationException] { $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord($_.Exception.InnerException, 'InvalidOperation', 'InvalidOperation', $null))) }
            if (-not $confirmed) { return }
            $db.Server = [string]$target.Name
            $db.WhenChanged = Get-LabNow
            $c.Commit = $true
            New-LabOutputObject 'Microsoft.Exchange.Management.SystemConfigurationTasks.DatabaseMoveResult' ([ordered]@{
                    Identity            = [string]$db.Name
                    ActiveServerAtStart = $start
                    ActiveServerAtEnd   = [string]$target.Name
                    Status              = 'Succeeded'
                    NumberOfLogsLost    = 0
                })
        }
    }
}

<#
.SYNOPSIS
Gets mailboxes (Database rendered as the database name): the first 1000 and a warning unless -ResultSize says otherwise.
.PARAMETER Identity
Name, alias, primary SMTP address, GUID, distinguished name or 'domain/Users/<name>' of a mailbox.
.PARAMETER Database
Only mailboxes of this database (name, GUID, distinguished name or legacyExchangeDN).
.PARAMETER Server
Only mailboxes of the databases of this server (name, FQDN, GUID, DN or legacyExchangeDN).
.PARAMETER ResultSize
How many mailboxes to return at most: a whole number, or Unlimited. Default 1000; when more
mailboxes match, the first ones are returned and a warning says so.
#>
function Get-Mailbox {
    [CmdletBinding(DefaultParameterSetName = 'Identity')]
    param(
        [Parameter(ParameterSetName = 'Identity', Position = 0, ValueFromPipelineByPropertyName = $true)][string]$Identity,
        [Parameter(ParameterSetName = 'Database', Mandatory = $true)][string]$Database,
        [Parameter(ParameterSetName = 'Server', Mandatory = $true)][string]$Server,
        [object]$ResultSize,
        [string]$DomainController
    )
    process {
        $state = Enter-LabCommand $PSCmdlet 'Exchange'
        if ($null -eq $state) { return }
        $limit = [long]1000
        $explicit = $PSBoundParameters.ContainsKey('ResultSize')
        if ($explicit) {
            $limit = ConvertTo-LabResultSize $ResultSize
            if ($null -eq $limit) { Write-BindingError $PSCmdlet ([string]::Format($script:Msg.InvalidResultSize, $ResultSize)) $ResultSize; return }
        }
        $databases = @(Get-LabSection $state 'mailboxDatabases')
        $mailboxes = @(Get-LabSection $state 'mailboxes')
        if ($PSCmdlet.ParameterSetName -eq 'Database') {
            $found = Select-LabSingleMatch $PSCmdlet $state @(Get-LabDatabaseMatch $state $Database) $Database $DomainController
            if ($null -eq $found) { return }
            $databases = @($found)
        }
        elseif ($PSCmdlet.ParameterSetName -eq 'Server') {
            $databases = Get-LabServerDatabase $PSCmdlet $state $Server $DomainController
            if ($null -eq $databases) { return }
        }
        elseif ($PSBoundParameters.ContainsKey('Identity')) {
            $mailboxes = @(Get-LabMailboxMatch $state $Identity)
            if ($mailboxes.Count -eq 0) { Write-NotFoundError $PSCmdlet $state $Identity $DomainController; return }
        }
        $byGuid = @{}
        foreach ($db in $databases) { $byGuid[([string]$db.Guid).ToLowerInvariant()] = $db }
        $filtered = $PSCmdlet.ParameterSetName -ne 'Identity'
        $domainDn = Get-LabDomainDn $state
        $returned = [long]0
        foreach ($mailbox in $mailboxes) {
            $db = $byGuid[([string]$mailbox.Database).ToLowerInvariant()]
            if ($filtered -and $null -eq $db) { continue }
            if ($limit -ge 0 -and $returned -ge $limit) {
                if ($explicit) { $PSCmdlet.WriteWarning([string]::Format($script:Msg.ResultSizeExceeded, $limit)) }
                else { $PSCmdlet.WriteWarning([string]::Format($script:Msg.ResultSizeDefault, $limit)) }
                break
            }
            ConvertTo-LabMailboxOutput $state $mailbox $db $domainDn
            $returned++
        }
    }
}

#endregion
#region DNS cmdlets -------------------------------------------------------------------------------

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

#endregion
#region Lab administration ------------------------------------------------------------------------

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
    [void](Read-LabStateFile $PSCmdlet $Scenario)
    [void][System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($Path))
    [ExchangeLab.StateFile]::WriteAtomic($Path, $text)
    $Path
}

<#
.SYNOPSIS
Returns the whole lab state as parsed from the state file.
#>
function Get-ExchangeLabState {
    [CmdletBinding()]
    param()
    Read-LabState $PSCmdlet
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
#>
function Add-ExchangeLabFault {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, Position = 0)][string]$Command,
        [Parameter(Mandatory = $true)][ValidateSet('Error', 'Throttle', 'Hang', 'Exit', 'SessionOpen')][string]$Kind,
        [ValidateRange(1, 1000000)][int]$Times = 1,
        [string]$Message
    )
    $fault = New-Object System.Management.Automation.PSObject -Property ([ordered]@{
            Command = $Command
            Kind    = $Kind
            Times   = $Times
            Message = $(if ($PSBoundParameters.ContainsKey('Message')) { $Message } else { $null })
        })
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

#endregion

# The Windows side of each lab server: its own file, in the module's scope.
. (Join-Path $PSScriptRoot 'ExchangeLab.Windows.ps1')
# Resolve-DnsName as a client of one lab DNS server sees it.
. (Join-Path $PSScriptRoot 'ExchangeLab.Resolver.ps1')

Import-LabType

# SessionOpenMs: opening a session to the lab costs this much. Best effort: no state, no delay. A
# regex instead of ConvertFrom-Json keeps the JSON parser's first-use cost out of the import.
if (-not [string]::IsNullOrWhiteSpace($env:EXCHANGE_LAB_STATE)) {
    $script:openDelay = [ExchangeLab.StateFile]::ReadText($env:EXCHANGE_LAB_STATE)
    if ($null -ne $script:openDelay) {
        $script:openDelay = [regex]::Match($script:openDelay, '"SessionOpenMs"\s*:\s*(\d+)')
        if ($script:openDelay.Success -and [int]$script:openDelay.Groups[1].Value -gt 0) { Start-Sleep -Milliseconds ([int]$script:openDelay.Groups[1].Value) }
    }
    Remove-Variable -Name openDelay -Scope Script -ErrorAction SilentlyContinue
}
Invoke-LabSessionOpen

Export-ModuleMember -Function @(
    'Get-ExchangeServer', 'Get-DatabaseAvailabilityGroup',
    'Get-ClientAccessArray', 'New-ClientAccessArray', 'Set-ClientAccessArray', 'Remove-ClientAccessArray',
    'Get-MailboxDatabase', 'Set-MailboxDatabase', 'New-MailboxDatabase', 'Move-ActiveMailboxDatabase', 'Get-Mailbox',
    'Get-DnsServerResourceRecord', 'Add-DnsServerResourceRecordA', 'Remove-DnsServerResourceRecord', 'Set-DnsServerResourceRecord',
    'Resolve-DnsName',
    'Initialize-ExchangeLab', 'Get-ExchangeLabState',
    'Get-ExchangeLabLatency', 'Set-ExchangeLabLatency',
    'Add-ExchangeLabFault', 'Get-ExchangeLabFault', 'Clear-ExchangeLabFault'
)
