// The one way a value becomes PowerShell source: a single-quoted literal. Inside single quotes
// PowerShell expands nothing ($, backtick, $() are inert); the only special characters are the
// quote characters themselves, and PowerShell treats the typographic single quotes
// (U+2018..U+201B) exactly like the ASCII one, so every one of them is doubled.
const SINGLE_QUOTES = /['\u2018\u2019\u201A\u201B]/g;

/** Returns `value` as a PowerShell single-quoted string literal that evaluates to exactly `value`. */
export function psQuote(value: string): string {
  return `'${value.replace(SINGLE_QUOTES, (q) => q + q)}'`;
}

/** A PowerShell array literal of single-quoted strings: `@('a','b')`. */
export function psQuoteArray(values: readonly string[]): string {
  return `@(${values.map(psQuote).join(",")})`;
}
