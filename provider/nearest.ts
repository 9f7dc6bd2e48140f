// "Did you mean …?": the valid word nearest to what an admin wrote (a config key, a kind, a mode),
// so a typo is answered with the word meant instead of a list to search. Edit distance from
// fastest-levenshtein, case not counting; a word too far from every valid one has no nearest,
// since a wild guess would mislead more than the list does.
import { distance } from "fastest-levenshtein";

/**
 * The word of `valid` nearest to `written` (ties: the first in `valid`), or undefined when none
 * is near: at most 2 edits, or a third of the valid word's letters for longer words.
 */
export function nearest(written: string, valid: readonly string[]): string | undefined {
  const typed = written.trim().toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const word of valid) {
    const d = distance(typed, word.toLowerCase());
    if (d < bestDistance) {
      best = word;
      bestDistance = d;
    }
  }
  if (best === undefined || bestDistance === 0) return best;
  return bestDistance <= Math.max(2, Math.floor(best.length / 3)) && bestDistance < Math.max(typed.length, 2)
    ? best
    : undefined;
}

/** " Did you mean 'x'?" for a message, or "" when nothing valid is near. */
export function didYouMean(
  written: string,
  valid: readonly string[],
  quote: (word: string) => string = (w) => `'${w}'`,
): string {
  const word = nearest(written, valid);
  return word === undefined ? "" : ` Did you mean ${quote(word)}?`;
}

/**
 * What a rule's message adds about the value written: `, not "strick" (did you mean "strict"?)`,
 * or `, not 5` when nothing valid is near (an object's `mode` is looked at too).
 */
export function notWhatWasWritten(input: unknown, valid: readonly string[]): string {
  const mode =
    input !== null && typeof input === "object" && !Array.isArray(input)
      ? (input as { mode?: unknown }).mode
      : undefined;
  const typed = typeof input === "string" ? input : typeof mode === "string" ? mode : undefined;
  const near = typed === undefined ? undefined : nearest(typed, valid);
  const what = input === undefined ? "undefined" : JSON.stringify(input);
  return `, not ${what}${near === undefined ? "" : ` (did you mean ${typed === input ? "" : "mode "}"${near}"?)`}`;
}
