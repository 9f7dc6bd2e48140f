@{
    RootModule           = 'ExcasServer.psm1'
    ModuleVersion        = '1.0.0'
    GUID                 = '5e2d8a41-7c3b-4f6e-8a19-2b4c6d8e0f13'
    Author               = 'exchange-cas project'
    Description          = 'Runs an exchange-cas script on an Exchange server with PowerShell remoting (WinRM), from the machine this module is on: the provider''s own machine, or an SSH jump host.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FunctionsToExport    = @('Invoke-ExcasServerScript')
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
}
