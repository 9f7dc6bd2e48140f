// Strings an attacker (or a careless copy-paste) could put in a name, an FQDN or a site. Each
// must either be rejected by check or reach PowerShell as one literal value, nothing else.
export const CANARY_FILE = "excas-canary";

export function hostileStrings(canaryPath: string): string[] {
  const touch = `New-Item -ItemType File -Path '${canaryPath}' -Force`;
  const touchDq = `New-Item -ItemType File -Path "${canaryPath}" -Force`;
  return [
    `'; ${touch}; '`,
    `x'; ${touch} #`,
    `$(${touch})`,
    `"$(${touchDq})"`,
    `\`$(${touch})`,
    `x\`'; ${touch}`,
    `‘; ${touch}; ‘`,
    `’; ${touch}; ’`,
    `‚; ${touch}; ‛`,
    `“; ${touch}; ”`,
    `x\n${touch}`,
    `x\r\n${touch}`,
    `x\u2028${touch}`,
    `x\u0000${touch}`,
    `x; ${touch}`,
    `x | ${touch}`,
    `x & ${touch}`,
    `x && ${touch}`,
    `@{a=$(${touch})}`,
    `@(${touch})`,
    `{${touch}}`,
    `& {${touch}}`,
    `. {${touch}}`,
    `-Name x; ${touch}`,
    `-Confirm:$false`,
    `--%; ${touch}`,
    `<# x #> ${touch}`,
    `# ${touch}`,
    `@'\n${touch}\n'@`,
    `@"\n$(${touch})\n"@`,
    `$env:PATH`,
    `$null`,
    `\${function:New-Item}`,
    `[IO.File]::WriteAllText('${canaryPath}','x')`,
    `x'+(${touch})+'`,
    `x'''; ${touch}; '''`,
    `''''`,
    `'`,
    `"`,
    "`",
    `$`,
    `\\'; ${touch}`,
    `HO\u0435-EX2010`, // Cyrillic e look-alike
    `cаs-headoffice`, // Cyrillic a
    `outlook-ho.exchangeserverpro.net\u200b`,
    `ＭＢ-ＨＯ-０１`, // fullwidth
    "A".repeat(10_000),
    `${"x".repeat(300)}'; ${touch}`,
    `%{${touch}}`,
    `x\t${touch}`,
    `x\u0085${touch}`,
    `x\u001b[31m`,
    `*`,
    `?`,
    `[a-z]`,
    `..\\..\\etc\\passwd`,
  ];
}
