@{
    RootModule           = 'ExcasDns.psm1'
    ModuleVersion        = '1.0.0'
    GUID                 = '0b7c2f4e-5d1a-4e8b-9c3f-7a6d2e1b4c90'
    Author               = 'exchange-cas project'
    Description          = 'A-record and name-resolution commands exchange-cas runs on the DnsServer host, returning primitives only (no CimInstance crosses a remote session).'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FunctionsToExport    = @('Get-ExcasDnsARecord', 'Add-ExcasDnsARecord', 'Remove-ExcasDnsARecord', 'Set-ExcasDnsARecordTtl', 'Resolve-ExcasDnsName')
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
}
