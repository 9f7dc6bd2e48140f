# ExcasServer: one command that runs a script of the provider's (provider/ps/server) on an Exchange
# server with Invoke-Command -ComputerName, from the machine this module runs on. The provider
# imports it into its own sessions (lab, winrm); an SSH jump host must have it installed, like
# ExcasDns, and a restricted (no-language) endpoint must make the command visible: it is called
# with literal arguments only, and the script text is rebuilt into a script block here.
# $global:ExcasServerOptions, when set (the provider's winrm session), is splatted onto
# Invoke-Command (Authentication, Credential, UseSSL, Port, SessionOption); a jump host without
# it connects as its own account.
# Must run on Windows PowerShell 5.1 and PowerShell 7: no ??, ?., ternaries, &&.

function Invoke-ExcasServerScript {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$ComputerName,
        [Parameter(Mandatory = $true)][string]$Script,
        [object[]]$ArgumentList = @()
    )
    $options = @{}
    if ($global:ExcasServerOptions -is [System.Collections.IDictionary]) { $options = $global:ExcasServerOptions }
    Invoke-Command -ComputerName $ComputerName -ScriptBlock ([scriptblock]::Create($Script)) -ArgumentList $ArgumentList @options -ErrorAction Stop
}
