<#
ExchangeLab.Exchange: the Exchange 2010 cmdlets of the lab (servers, DAGs, Client Access arrays,
mailbox databases, mailboxes), with Exchange's parameters, errors and confirmation behaviour, and
the helpers only they use.

Dot-sourced by ExchangeLab.psm1, in the module's scope. Same rules as the module: runs on Windows
PowerShell 5.1 and PowerShell 7, so no null-coalescing, null-conditional, ternary or pipeline-chain
operators and no parameters that 5.1 lacks (test/lab/module.test.ts checks).
#>

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
        Set-LabChanged $Context $Object
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
        $view = New-LabDatabaseView $state
        foreach ($db in $databases) { ConvertTo-LabDatabaseOutput $state $db -Status:$Status -View $view }
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
database's RpcClientAccessServer is not touched, nor its ActivationPreference: its preferred copy
(preference 1), and so its home site, stays where it was. ConfirmImpact High: prompts unless
-Confirm:$false.
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
            Set-LabChanged $c $db
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
