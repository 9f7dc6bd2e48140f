<#
Ps2Compat: what a Windows PowerShell 2.0 host (Windows Server 2008 R2, the usual OS under Exchange
2010) could not run in a script, found statically with this PowerShell's parser. PowerShell 2.0 runs
on the .NET Framework 2.0 CLR (with the 3.5 libraries), so besides the language and cmdlets of 3.0
and later, .NET Framework 4.0 members and types are refused too: a real 2008 R2 server fails on them
at run time.

Used by the lab's Invoke-Command -ComputerName (a lab server refuses a script with findings, as the
real one would fail on it) and by test/unit/ps20.test.ts (every script the provider sends to a server
is checked). Runs on Windows PowerShell 5.1 and PowerShell 7 (none of the operators 5.1 lacks).
#>

. (Join-Path $PSScriptRoot 'Ps2Compat.Checks.ps1')

Export-ModuleMember -Function 'Test-PowerShell2Script'
