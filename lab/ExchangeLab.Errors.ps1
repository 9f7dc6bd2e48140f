<#
ExchangeLab.Errors: errors shaped like the real ones: an Exchange task's (FullyQualifiedErrorId
"<8 hex>,<task class>"), Exchange's not-found and ambiguous identities, the DnsServer module's CIM
errors and the parameter binder's transformation errors.

Dot-sourced by ExchangeLab.psm1, in the module's scope. Same rules as the module: runs on Windows
PowerShell 5.1 and PowerShell 7, so no null-coalescing, null-conditional, ternary or pipeline-chain
operators and no parameters that 5.1 lacks (test/lab/module.test.ts checks).
#>

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
