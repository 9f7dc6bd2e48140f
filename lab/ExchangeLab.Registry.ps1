<#
ExchangeLab.Registry: a lab server's registry, HKLM only (servers[].Windows.Registry), and the
registry commands a script sent to the server finds there: Test-Path, Get-Item, New-Item,
Remove-Item, New-/Get-/Set-/Remove-ItemProperty, with the registry provider's parameters, outputs
and errors. Dot-sourced by ExchangeLab.psm1 (see ExchangeLab.Windows.ps1 for the Windows side).
#>

# A registry path as the lab keys it: 'HKLM:\A\B' (no trailing separator), or $null when the path
# is not a registry path. Registry::HKEY_LOCAL_MACHINE\... and the provider-qualified form are
# accepted too; other hives are kept (they are always empty on a lab server).
function ConvertTo-LabRegistryPath {
    param([string]$Path)
    if ($null -eq $Path) { return $null }
    $p = $Path.Trim()
    $p = [regex]::Replace($p, '^(?i)(Microsoft\.PowerShell\.Core\\)?Registry::', '')
    $hives = @{ HKEY_LOCAL_MACHINE = 'HKLM'; HKEY_CURRENT_USER = 'HKCU'; HKEY_CLASSES_ROOT = 'HKCR'; HKEY_USERS = 'HKU'; HKEY_CURRENT_CONFIG = 'HKCC' }
    $match = [regex]::Match($p, '^(?i)(HKLM|HKCU|HKCR|HKU|HKCC|HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_CLASSES_ROOT|HKEY_USERS|HKEY_CURRENT_CONFIG):?(\\.*)?$')
    if (-not $match.Success) { return $null }
    $hive = $match.Groups[1].Value.ToUpperInvariant()
    if ($hives.ContainsKey($hive)) { $hive = $hives[$hive] }
    $rest = @($match.Groups[2].Value.Split([char]'\') | Where-Object { $_ -ne '' }) -join '\'
    return ($hive + ':\' + $rest).TrimEnd('\')
}

# 'HKEY_LOCAL_MACHINE\SYSTEM\...': the name RegistryKey.Name and the provider's messages use.
function Get-LabRegistryNativeName {
    param([string]$Key)
    $hives = @{ HKLM = 'HKEY_LOCAL_MACHINE'; HKCU = 'HKEY_CURRENT_USER'; HKCR = 'HKEY_CLASSES_ROOT'; HKU = 'HKEY_USERS'; HKCC = 'HKEY_CURRENT_CONFIG' }
    $hive = $Key.Substring(0, $Key.IndexOf(':'))
    $rest = $Key.Substring($Key.IndexOf(':') + 1).TrimStart('\')
    if ($rest -eq '') { return $hives[$hive] }
    return $hives[$hive] + '\' + $rest
}

function Get-LabRegistryKeyObject {
    param([object]$Windows, [string]$Key)
    $property = $Windows.Registry.PSObject.Properties[$Key]   # case-insensitive, as the registry
    if ($null -eq $property) { return $null }
    if ($null -eq $property.Value) { $property.Value = New-LabEmptyObject }
    return $property.Value
}

# A key exists when it is stored, or below a stored key (its parents), or is a hive root.
function Test-LabRegistryKey {
    param([object]$Windows, [string]$Key)
    if ($Key -match '^[A-Z]+:$') { return $true }
    if ($null -ne $Windows.Registry.PSObject.Properties[$Key]) { return $true }
    $prefix = $Key + '\'
    foreach ($property in $Windows.Registry.PSObject.Properties) {
        if ($property.Name.StartsWith($prefix, [StringComparison]::OrdinalIgnoreCase)) { return $true }
    }
    return $false
}

function Get-LabRegistrySubKeyName {
    param([object]$Windows, [string]$Key)
    $prefix = $Key + '\'
    $names = @{}
    foreach ($property in $Windows.Registry.PSObject.Properties) {
        if ($property.Name.StartsWith($prefix, [StringComparison]::OrdinalIgnoreCase)) {
            $child = $property.Name.Substring($prefix.Length).Split([char]'\')[0]
            if (-not $names.ContainsKey($child)) { $names[$child] = $child }
        }
    }
    return @($names.Values | Sort-Object)
}

# Creates the key (and its parents, implicitly) when missing; returns its value table.
function Add-LabRegistryKey {
    param([object]$Windows, [string]$Key)
    $existing = Get-LabRegistryKeyObject $Windows $Key
    if ($null -ne $existing) { return $existing }
    $values = New-LabEmptyObject
    Set-LabProperty $Windows.Registry $Key $values
    return $values
}

# Removes a key and everything below it.
function Remove-LabRegistryKey {
    param([object]$Windows, [string]$Key)
    $prefix = $Key + '\'
    foreach ($property in @($Windows.Registry.PSObject.Properties)) {
        if ($property.Name -eq $Key -or $property.Name.StartsWith($prefix, [StringComparison]::OrdinalIgnoreCase)) {
            $Windows.Registry.PSObject.Properties.Remove($property.Name)
        }
    }
}

# A registry value as GetValue returns it: DWord Int32, QWord Int64, String/ExpandString string,
# MultiString string[], Binary byte[].
function ConvertFrom-LabRegistryValue {
    param([object]$Entry)
    $value = $Entry.Value
    switch ([string]$Entry.Kind) {
        'DWord' { return [int]$value }
        'QWord' { return [long]$value }
        'MultiString' { return , [string[]]@($value) }
        'Binary' { return , [byte[]]@($value) }
        default { return [string]$value }
    }
}

# The value to store for New-ItemProperty/Set-ItemProperty -Value of a kind, or an exception.
function ConvertTo-LabRegistryValue {
    param([string]$Kind, [object]$Value)
    $base = $Value
    if ($base -is [System.Management.Automation.PSObject]) { $base = $base.PSObject.BaseObject }
    switch ($Kind) {
        'DWord' {
            $number = 0L
            if ($null -eq $base) { return 0 }
            if (-not [long]::TryParse([string]$base, [System.Globalization.NumberStyles]::Integer, [System.Globalization.CultureInfo]::InvariantCulture, [ref]$number) -or $number -lt [int]::MinValue -or $number -gt [uint32]::MaxValue) {
                throw (New-Object System.ArgumentException([string]::Format($script:WinMsg.BadValue, [string]$base, $Kind)))
            }
            if ($number -gt [int]::MaxValue) { $number = $number - 4294967296L }
            return [int]$number
        }
        'QWord' {
            $number = 0L
            if ($null -eq $base) { return 0L }
            if (-not [long]::TryParse([string]$base, [System.Globalization.NumberStyles]::Integer, [System.Globalization.CultureInfo]::InvariantCulture, [ref]$number)) {
                throw (New-Object System.ArgumentException([string]::Format($script:WinMsg.BadValue, [string]$base, $Kind)))
            }
            return $number
        }
        'MultiString' { return , [string[]]@($base | ForEach-Object { [string]$_ }) }
        'Binary' { return , [int[]]@($base | ForEach-Object { [int][byte]$_ }) }
        default { if ($null -eq $base) { return '' } return [string]$base }
    }
}

# Infers a kind for Set-ItemProperty on a new value, as the registry provider does from the type.
function Get-LabRegistryKindOf {
    param([object]$Value)
    $base = $Value
    if ($base -is [System.Management.Automation.PSObject]) { $base = $base.PSObject.BaseObject }
    if ($base -is [int] -or $base -is [int16] -or $base -is [byte] -or $base -is [uint16] -or $base -is [uint32]) { return 'DWord' }
    if ($base -is [long] -or $base -is [uint64]) { return 'QWord' }
    if ($base -is [byte[]]) { return 'Binary' }
    if ($base -is [array]) { return 'MultiString' }
    return 'String'
}

$script:LabRegistryKeyMethods = @{
    GetValueNames = { return , [string[]]@($this.PSObject.Properties['__LabValues'].Value.Keys) }
    GetSubKeyNames = { return , [string[]]@($this.PSObject.Properties['__LabSubKeys'].Value) }
    GetValue = {
        param([string]$name, [object]$defaultValue)
        $values = $this.PSObject.Properties['__LabValues'].Value
        if ([string]::IsNullOrEmpty($name)) { $name = '' }
        if (-not $values.Contains($name)) { return $defaultValue }
        return (ConvertFrom-LabRegistryValue $values[$name])
    }
    GetValueKind = {
        param([string]$name)
        $values = $this.PSObject.Properties['__LabValues'].Value
        if (-not $values.Contains([string]$name)) { throw (New-Object System.IO.IOException($script:WinMsg.ValueNotFound)) }
        return [Microsoft.Win32.RegistryValueKind][string]$values[[string]$name].Kind
    }
    Close = { }
    Dispose = { }
    ToString = { return $this.Name }
}

# What Get-Item returns for a key: RegistryKey's members (a snapshot of the key as it was read).
function New-LabRegistryKeyOutput {
    param([object]$Windows, [string]$Key)
    $values = [ordered]@{}
    $stored = Get-LabRegistryKeyObject $Windows $Key
    if ($null -ne $stored) {
        foreach ($property in $stored.PSObject.Properties) { $values[$property.Name] = $property.Value }
    }
    $subKeys = @(Get-LabRegistrySubKeyName $Windows $Key)
    $native = Get-LabRegistryNativeName $Key
    $leaf = $native.Substring($native.LastIndexOf('\') + 1)
    $parent = ''
    if ($native.Contains('\')) { $parent = 'Microsoft.PowerShell.Core\Registry::' + $native.Substring(0, $native.LastIndexOf('\')) }
    $output = New-Object System.Management.Automation.PSObject -Property ([ordered]@{
            Name          = $native
            SubKeyCount   = $subKeys.Count
            ValueCount    = $values.Count
            Property      = [string[]]@($values.Keys)
            PSPath        = 'Microsoft.PowerShell.Core\Registry::' + $native
            PSParentPath  = $parent
            PSChildName   = $leaf
            PSDrive       = $Key.Substring(0, $Key.IndexOf(':'))
            PSProvider    = 'Microsoft.PowerShell.Core\Registry'
            PSIsContainer = $true
        })
    Add-Member -InputObject $output -MemberType NoteProperty -Name '__LabValues' -Value $values
    Add-Member -InputObject $output -MemberType NoteProperty -Name '__LabSubKeys' -Value $subKeys
    foreach ($name in $script:LabRegistryKeyMethods.Keys) {
        Add-Member -InputObject $output -MemberType ScriptMethod -Name $name -Value $script:LabRegistryKeyMethods[$name] -Force
    }
    $output.PSObject.TypeNames.Insert(0, 'Microsoft.Win32.RegistryKey')
    return $output
}

# What Get-ItemProperty/New-ItemProperty return: the values as properties plus the PS* ones.
function New-LabRegistryPropertyOutput {
    param([string]$Key, [object[]]$Entries)
    $native = Get-LabRegistryNativeName $Key
    $properties = [ordered]@{}
    foreach ($entry in $Entries) { $properties[$entry.Name] = ConvertFrom-LabRegistryValue $entry.Value }
    $properties['PSPath'] = 'Microsoft.PowerShell.Core\Registry::' + $native
    $properties['PSParentPath'] = 'Microsoft.PowerShell.Core\Registry::' + $native.Substring(0, [Math]::Max(0, $native.LastIndexOf('\')))
    $properties['PSChildName'] = $native.Substring($native.LastIndexOf('\') + 1)
    $properties['PSDrive'] = $Key.Substring(0, $Key.IndexOf(':'))
    $properties['PSProvider'] = 'Microsoft.PowerShell.Core\Registry'
    New-Object System.Management.Automation.PSObject -Property $properties
}

# The registry commands of the remote host (see ExchangeLab.RemoteHost.ps1).

function New-LabPathNotFound {
    param([string]$Path, [string]$CommandClass)
    New-LabWindowsError 'System.Management.Automation.ItemNotFoundException' ([string]::Format($script:WinMsg.PathNotFound, $Path)) ('PathNotFound,Microsoft.PowerShell.Commands.' + $CommandClass) 'ObjectNotFound' $Path
}

# The registry key a path names when that key exists, else $null.
function Get-LabExistingRegistryKey {
    param([object]$Windows, [string]$Path)
    $key = ConvertTo-LabRegistryPath $Path
    if ($null -eq $key -or -not (Test-LabRegistryKey $Windows $key)) { return $null }
    return $key
}

function Get-LabShadowPaths {
    param([System.Collections.IDictionary]$Bound)
    if ($Bound.ContainsKey('LiteralPath')) { return @($Bound['LiteralPath']) }
    if ($Bound.ContainsKey('Path')) { return @($Bound['Path']) }
    return @()
}

function Invoke-LabShadowTestPath {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $target = Get-LabShadowTarget $Cmdlet $Computer
    $type = 'Any'
    if ($Bound.ContainsKey('PathType')) { $type = [string]$Bound['PathType'] }
    foreach ($path in (Get-LabShadowPaths $Bound)) {
        if ($Bound.ContainsKey('IsValid')) { $true; continue }
        $key = ConvertTo-LabRegistryPath $path
        # Only the registry is emulated: the server's file system has nothing in it.
        if ($null -eq $key -or $type -eq 'Leaf') { $false; continue }
        Test-LabRegistryKey $target.Windows $key
    }
}

# What a reading shadow command (Get-Item, Get-ItemProperty) gives for each path in turn: $Read's
# output for an existing key (it is called with the server's Windows state and the key), else the
# command's PathNotFound.
function Invoke-LabShadowRead {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound, [string]$CommandClass, [scriptblock]$Read)
    $target = Get-LabShadowTarget $Cmdlet $Computer
    foreach ($path in (Get-LabShadowPaths $Bound)) {
        $key = Get-LabExistingRegistryKey $target.Windows $path
        if ($null -eq $key) { New-LabPathNotFound $path $CommandClass; continue }
        & $Read $target.Windows $key
    }
}

# What a shadow command that changes existing keys (New-, Set-, Remove-ItemProperty) does for each
# path in turn, in one update of the state: $Each for an existing key (called with the server's
# Windows state, the key, the path and the update's context), else the command's PathNotFound.
function Update-LabShadowKeys {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound, [string]$CommandClass, [scriptblock]$Each)
    $paths = @(Get-LabShadowPaths $Bound)
    Update-LabWindows $Cmdlet $Computer {
        param($server, $windows, $c)
        foreach ($path in $paths) {
            $key = Get-LabExistingRegistryKey $windows $path
            if ($null -eq $key) { New-LabPathNotFound $path $CommandClass; continue }
            & $Each $windows $key $path $c
        }
    }
}

function Invoke-LabShadowGetItem {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    Invoke-LabShadowRead $Cmdlet $Computer $Bound 'GetItemCommand' {
        param($windows, $key)
        New-LabRegistryKeyOutput $windows $key
    }
}

function Invoke-LabShadowNewItem {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $paths = @(Get-LabShadowPaths $Bound)
    if ($paths.Count -eq 0) { $paths = @('') }
    $force = $Bound.ContainsKey('Force') -and [bool]$Bound['Force']
    $created = @(Update-LabWindows $Cmdlet $Computer {
            param($server, $windows, $c)
            foreach ($path in $paths) {
                $full = $path
                if ($Bound.ContainsKey('Name')) { $full = $path.TrimEnd('\') + '\' + [string]$Bound['Name'] }
                $key = ConvertTo-LabRegistryPath $full
                if ($null -eq $key) { New-LabPathNotFound $full 'NewItemCommand'; continue }
                if (Test-LabRegistryKey $windows $key) {
                    if (-not $force -or $key -match '^[A-Z]+:$') {
                        New-LabWindowsError 'System.IO.IOException' $script:WinMsg.KeyExists 'System.IO.IOException,Microsoft.PowerShell.Commands.NewItemCommand' 'ResourceExists' $full
                        continue
                    }
                    # -Force on an existing key deletes it and creates it empty.
                    Remove-LabRegistryKey $windows $key
                }
                elseif (-not $force -and -not (Test-LabRegistryKey $windows $key.Substring(0, $key.LastIndexOf('\')))) {
                    # Without -Force the registry provider creates the last key only.
                    New-LabPathNotFound ($key.Substring(0, $key.LastIndexOf('\'))) 'NewItemCommand'
                    continue
                }
                [void](Add-LabRegistryKey $windows $key)
                $c.Commit = $true
                $key
            }
        })
    $target = Get-LabShadowTarget $Cmdlet $Computer
    foreach ($item in $created) {
        if ($item -is [System.Management.Automation.ErrorRecord]) { $item } else { New-LabRegistryKeyOutput $target.Windows $item }
    }
}

function Invoke-LabShadowNewItemProperty {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $name = [string]$Bound['Name']
    $force = $Bound.ContainsKey('Force') -and [bool]$Bound['Force']
    $kind = 'String'
    if ($Bound.ContainsKey('PropertyType') -and -not [string]::IsNullOrEmpty([string]$Bound['PropertyType']) -and [string]$Bound['PropertyType'] -ne 'Unknown') { $kind = [string]$Bound['PropertyType'] }
    $matched = @($script:RegistryKinds | Where-Object { $_ -eq $kind })
    $value = $null
    if ($Bound.ContainsKey('Value')) { $value = $Bound['Value'] }
    Update-LabShadowKeys $Cmdlet $Computer $Bound 'NewItemPropertyCommand' {
        param($windows, $key, $path, $c)
        if ($matched.Count -eq 0) {
            New-LabWindowsError 'System.ArgumentException' ([string]::Format($script:WinMsg.BadValue, [string]$value, $kind)) 'System.ArgumentException,Microsoft.PowerShell.Commands.NewItemPropertyCommand' 'InvalidArgument' $kind
            return
        }
        $values = Add-LabRegistryKey $windows $key
        if ($null -ne $values.PSObject.Properties[$name] -and -not $force) {
            New-LabWindowsError 'System.IO.IOException' $script:WinMsg.PropertyExists 'System.IO.IOException,Microsoft.PowerShell.Commands.NewItemPropertyCommand' 'ResourceExists' $path
            return
        }
        try { $stored = ConvertTo-LabRegistryValue $matched[0] $value }
        catch {
            New-LabWindowsError 'System.ArgumentException' $_.Exception.Message 'System.ArgumentException,Microsoft.PowerShell.Commands.NewItemPropertyCommand' 'InvalidArgument' $path
            return
        }
        # -Force replaces the value, its type included.
        if ($null -ne $values.PSObject.Properties[$name]) { $values.PSObject.Properties.Remove($name) }
        Set-LabProperty $values $name (New-LabRegistryValue $matched[0] $stored)
        $c.Commit = $true
        New-LabRegistryPropertyOutput $key @([pscustomobject]@{ Name = $name; Value = (New-LabRegistryValue $matched[0] $stored) })
    }
}

function Invoke-LabShadowGetItemProperty {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    Invoke-LabShadowRead $Cmdlet $Computer $Bound 'GetItemPropertyCommand' {
        param($windows, $key)
        $values = Get-LabRegistryKeyObject $windows $key
        $entries = @()
        if ($null -ne $values) { $entries = @($values.PSObject.Properties | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Value = $_.Value } }) }
        if ($Bound.ContainsKey('Name') -and $null -ne $Bound['Name']) {
            $wanted = @()
            $missing = $false
            foreach ($name in @($Bound['Name'])) {
                $found = @($entries | Where-Object { $_.Name -eq [string]$name })
                if ($found.Count -eq 0) {
                    $missing = $true
                    $message = [string]::Format($script:WinMsg.PropertyNotFound, $name, (Get-LabRegistryNativeName $key))
                    New-LabWindowsError 'System.Management.Automation.PSArgumentException' $message 'System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.GetItemPropertyCommand' 'InvalidArgument' ([string]$name)
                }
                $wanted += $found
            }
            if ($missing -and $wanted.Count -eq 0) { return }
            $entries = $wanted
        }
        New-LabRegistryPropertyOutput $key $entries
    }
}

function Invoke-LabShadowSetItemProperty {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $name = [string]$Bound['Name']
    $value = $Bound['Value']
    $passThru = $Bound.ContainsKey('PassThru') -and [bool]$Bound['PassThru']
    Update-LabShadowKeys $Cmdlet $Computer $Bound 'SetItemPropertyCommand' {
        param($windows, $key, $path, $c)
        $values = Add-LabRegistryKey $windows $key
        $kind = Get-LabRegistryKindOf $value
        if ($null -ne $values.PSObject.Properties[$name]) { $kind = [string]$values.PSObject.Properties[$name].Value.Kind }
        if ($Bound.ContainsKey('Type')) { $kind = [string]$Bound['Type'] }
        try { $stored = ConvertTo-LabRegistryValue $kind $value }
        catch {
            New-LabWindowsError 'System.ArgumentException' $_.Exception.Message 'System.ArgumentException,Microsoft.PowerShell.Commands.SetItemPropertyCommand' 'InvalidArgument' $path
            return
        }
        if ($null -ne $values.PSObject.Properties[$name]) { $values.PSObject.Properties.Remove($name) }
        Set-LabProperty $values $name (New-LabRegistryValue $kind $stored)
        $c.Commit = $true
        if ($passThru) { New-LabRegistryPropertyOutput $key @([pscustomobject]@{ Name = $name; Value = (New-LabRegistryValue $kind $stored) }) }
    }
}

function Invoke-LabShadowRemoveItemProperty {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $names = @($Bound['Name'])
    Update-LabShadowKeys $Cmdlet $Computer $Bound 'RemoveItemPropertyCommand' {
        param($windows, $key, $path, $c)
        $values = Get-LabRegistryKeyObject $windows $key
        foreach ($name in $names) {
            if ($null -eq $values -or $null -eq $values.PSObject.Properties[[string]$name]) {
                $message = [string]::Format($script:WinMsg.PropertyNotFound, $name, (Get-LabRegistryNativeName $key))
                New-LabWindowsError 'System.Management.Automation.PSArgumentException' $message 'System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.RemoveItemPropertyCommand' 'InvalidArgument' ([string]$name)
                continue
            }
            $values.PSObject.Properties.Remove([string]$name)
            $c.Commit = $true
        }
    }
}

function Invoke-LabShadowRemoveItem {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [System.Collections.IDictionary]$Bound)
    $paths = @(Get-LabShadowPaths $Bound)
    Update-LabWindows $Cmdlet $Computer {
        param($server, $windows, $c)
        foreach ($path in $paths) {
            $key = ConvertTo-LabRegistryPath $path
            if ($null -eq $key -or $key -match '^[A-Z]+:$' -or -not (Test-LabRegistryKey $windows $key)) { New-LabPathNotFound $path 'RemoveItemCommand'; continue }
            Remove-LabRegistryKey $windows $key
            $c.Commit = $true
        }
    }
}
