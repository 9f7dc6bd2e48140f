<#
ExchangeLab.Types: the .NET types of the lab (types/ExchangeLabTypes.cs: Exchange's exception
types, the error-record factory, the -Identity/-Server argument transformation, the state file's
reader and writer; types/ExchangeLabState.cs: the parsed state kept between commands), compiled
once per source and PowerShell version into a DLL in the lab's per-user cache folder under temp,
and loaded from there (Import-LabType, run at import).

Dot-sourced by ExchangeLab.psm1, in the module's scope. Same rules as the module: runs on Windows
PowerShell 5.1 and PowerShell 7, so no null-coalescing, null-conditional, ternary or pipeline-chain
operators and no parameters that 5.1 lacks (test/lab/module.test.ts checks).
#>

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
    $files = @('ExchangeLabTypes.cs', 'ExchangeLabState.cs' | ForEach-Object { [System.IO.Path]::Combine($PSScriptRoot, 'types', $_) })
    $source = ($files | ForEach-Object { [System.IO.File]::ReadAllText($_) }) -join "`n"
    # PowerShell 7 compiles with Roslyn against .NET, whose spans compare memory vectorized
    # (Windows PowerShell's Add-Type has no -CompilerOptions).
    $options = @{}
    if ((Get-Command Add-Type).Parameters.ContainsKey('CompilerOptions')) { $options.CompilerOptions = '-define:EXCHANGELAB_CORE' }
    $keyText = $source + '|' + [string]$options.CompilerOptions + '|' + $PSVersionTable.PSVersion.ToString() + '|' + (Get-LabPSEdition) + '|' + [Environment]::Version.ToString()
    $dll = Get-LabCacheFile 'ExchangeLabTypes-' $keyText '.dll'
    $cacheDir = [System.IO.Path]::GetDirectoryName($dll)
    if (-not [System.IO.File]::Exists($dll)) {
        $tmp = [System.IO.Path]::Combine($cacheDir, 'build-' + [guid]::NewGuid().ToString('N') + '.dll')
        try {
            [void][System.IO.Directory]::CreateDirectory($cacheDir)
            Add-Type -Path $files @options -OutputAssembly $tmp -OutputType Library -ErrorAction Stop
            try { [System.IO.File]::Move($tmp, $dll) }
            catch { [System.IO.File]::Delete($tmp) }   # another process won the race; its DLL is identical
        }
        catch {
            # No usable cache (read-only temp folder, ...): compile in memory instead.
            if (-not ('Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException' -as [type])) {
                Add-Type -Path $files @options
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
