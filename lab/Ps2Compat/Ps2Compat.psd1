@{
    RootModule           = 'Ps2Compat.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = 'b7a2e0c4-5d3f-4e81-9a6b-2c1d0e9f8a73'
    Author               = 'exchange-cas project'
    Description          = 'Static check of a script against Windows PowerShell 2.0 on .NET 2.0/3.5 (Windows Server 2008 R2): language, cmdlets, parameters and .NET Framework 4 members.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FunctionsToExport    = @('Test-PowerShell2Script')
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
}
