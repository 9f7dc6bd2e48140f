// Exchange's rendering of AD object ids in the rows its cmdlets return. Running a cmdlet and
// parsing its rows is the shell's job (shell/query.ts).

/** The last segment of an ADObjectId rendered as a canonical path (`contoso.com/Configuration/Sites/X` → `X`). */
export function leafName(path: string): string {
  return path.split("/").filter(Boolean).pop() ?? path;
}
