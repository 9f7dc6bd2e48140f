#Requires -Version 5.1
<#
ExchangeLab: an emulated Exchange Server 2010 organisation (plus the Windows DNS Server cmdlets the
project uses), driven exactly like the real thing: import the module, call the cmdlets.

State lives in the JSON file named by $env:EXCHANGE_LAB_STATE, read at every call. Readers read it
without a lock; writers take an exclusive lock file, re-read, change, write a temp file in the same
folder and rename it over the state. The format is documented in README.md next to this file.

This file holds the module's constants and Exchange's messages, then dot-sources the rest, one
concern a file: ExchangeLab.Types.ps1 (the compiled .NET types), .State.ps1 (the state file),
.Faults.ps1 (latency and faults; where every cmdlet starts), .Errors.ps1 (errors shaped like the
real ones), .Directory.ps1 (the AD model and output objects), .Exchange.ps1 and .Dns.ps1 (the
emulated cmdlets), .Admin.ps1 (the lab's own administration), .Windows.ps1, .Registry.ps1,
.Services.ps1, .RemoteHost.ps1 and .WindowsAdmin.ps1 (the Windows side of each server, reached with
Invoke-Command -ComputerName), .Resolver.ps1 (Resolve-DnsName), .Nlb.ps1 and .NlbRemote.ps1 (Windows
NLB on the servers); lab/Ps2Compat (the PowerShell 2.0 check) is a module of its own, nested here.
ExchangeLab.psd1 is the manifest and the one export list.

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

# The module's files, one concern each, dot-sourced into the module's scope in this order.
. (Join-Path $PSScriptRoot 'ExchangeLab.Types.ps1')
. (Join-Path $PSScriptRoot 'ExchangeLab.State.ps1')
. (Join-Path $PSScriptRoot 'ExchangeLab.Faults.ps1')
. (Join-Path $PSScriptRoot 'ExchangeLab.Errors.ps1')
. (Join-Path $PSScriptRoot 'ExchangeLab.Directory.ps1')
. (Join-Path $PSScriptRoot 'ExchangeLab.Exchange.ps1')
. (Join-Path $PSScriptRoot 'ExchangeLab.Dns.ps1')
. (Join-Path $PSScriptRoot 'ExchangeLab.Admin.ps1')
# The Windows side of each lab server (WinRM to it, its registry, services and console), and the
# PowerShell 2.0 check its remote host applies (lab/Ps2Compat, a module of its own, nested here).
Import-Module -Name (Join-Path (Join-Path $PSScriptRoot 'Ps2Compat') 'Ps2Compat.psd1') -DisableNameChecking
. (Join-Path $PSScriptRoot 'ExchangeLab.Windows.ps1')
. (Join-Path $PSScriptRoot 'ExchangeLab.Registry.ps1')
. (Join-Path $PSScriptRoot 'ExchangeLab.Services.ps1')
. (Join-Path $PSScriptRoot 'ExchangeLab.RemoteHost.ps1')
. (Join-Path $PSScriptRoot 'ExchangeLab.WindowsAdmin.ps1')
# Resolve-DnsName as a client of one lab DNS server sees it.
. (Join-Path $PSScriptRoot 'ExchangeLab.Resolver.ps1')
# Windows NLB on the lab's servers (after .Windows: its cmdlets join that file's remote host).
. (Join-Path $PSScriptRoot 'ExchangeLab.Nlb.ps1')
. (Join-Path $PSScriptRoot 'ExchangeLab.NlbRemote.ps1')

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

# The export list is the manifest's (ExchangeLab.psd1), also when this file is imported directly.
Export-ModuleMember -Function (Import-PowerShellDataFile -Path (Join-Path $PSScriptRoot 'ExchangeLab.psd1')).FunctionsToExport
