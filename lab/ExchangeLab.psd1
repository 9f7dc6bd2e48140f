@{
    RootModule           = 'ExchangeLab.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '6d1f4c2a-8b3e-4f5a-9c7d-0e1f2a3b4c5d'
    Author               = 'exchange-cas project'
    Description          = 'Emulated Exchange Server 2010 organisation (CAS arrays, mailbox databases) and Windows DNS Server cmdlets, with JSON state, for tests and benchmarks.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FunctionsToExport    = @(
        'Get-ExchangeServer', 'Get-DatabaseAvailabilityGroup',
        'Get-ClientAccessArray', 'New-ClientAccessArray', 'Set-ClientAccessArray', 'Remove-ClientAccessArray',
        'Get-MailboxDatabase', 'Set-MailboxDatabase', 'New-MailboxDatabase', 'Move-ActiveMailboxDatabase', 'Get-Mailbox',
        'Get-DnsServerResourceRecord', 'Add-DnsServerResourceRecordA', 'Remove-DnsServerResourceRecord', 'Set-DnsServerResourceRecord',
        'Resolve-DnsName',
        'Initialize-ExchangeLab', 'Get-ExchangeLabState',
        'Get-ExchangeLabLatency', 'Set-ExchangeLabLatency',
        'Add-ExchangeLabFault', 'Get-ExchangeLabFault', 'Clear-ExchangeLabFault',
        'Invoke-Command', 'Test-ExchangeLabPowerShell2Script',
        'Get-ExchangeLabServerWindows', 'Set-ExchangeLabServerWindows', 'Set-ExchangeLabRegistryValue',
        'Restart-ExchangeLabService', 'Add-ExchangeLabServiceFault', 'Update-ExchangeLabServer',
        'Get-ExchangeLabNlbCluster'
    )
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
}
