/**
 * The Unicode policy for text the system stores and compares (SPEC §10, docs/api.md).
 * Pure; the API server, the rules and the IaC front ends all use these functions.
 *
 * - Stored faithfully or refused: a string with a lone surrogate cannot be encoded as
 *   UTF-8 (SQLite would keep U+FFFD and the read-back would differ), so it is refused
 *   wherever it appears in a request (`isStorable`). Accepted strings are stored as given
 *   (not normalized), so what a client wrote is what it reads back, byte for byte.
 * - Names are compared by `nameKey`: NFC, trimmed, full case folding (`straße` =
 *   `STRASSE`, `ΣΑΣ` = `σας`), NFC again.
 * - A name may not contain a bidirectional control (`BIDI_CONTROL_RE`: U+061C, U+200E,
 *   U+200F, U+202A–U+202E, U+2066–U+2069) and may not consist only of invisible characters
 *   (`INVISIBLE_RE`: white space and Default_Ignorable_Code_Point, e.g. U+200B, U+00AD,
 *   U+3164, U+FEFF, variation selectors, tag characters).
 */

/** Bidirectional formatting controls: they reorder how the rest of a name is displayed. */
export const BIDI_CONTROL_RE = /\p{Bidi_Control}/u;
/** Characters that render as nothing (or as blank space). */
export const INVISIBLE_RE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}]/u;
const ONLY_INVISIBLE_RE = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}]*$/u;

// String.prototype.isWellFormed is ES2024; the build targets ES2022.
const LONE_SURROGATE_RE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES_RE = new RegExp(LONE_SURROGATE_RE.source, 'g');

/** True when the string can be stored as UTF-8 and read back identical (no lone surrogate). */
export function isStorable(s: string): boolean {
  return !LONE_SURROGATE_RE.test(s);
}

/** `s` with every lone surrogate replaced by U+FFFD (safe for encodeURIComponent). */
export function toWellFormed(s: string): string {
  return s.replace(LONE_SURROGATES_RE, '\ufffd');
}

/** True when every character of `s` is invisible (white space or default-ignorable); true for ''. */
export function isOnlyInvisible(s: string): boolean {
  return ONLY_INVISIBLE_RE.test(s);
}

/**
 * Full case folding. JavaScript has no `String.prototype.caseFold`; upper-casing then
 * lower-casing applies the one-to-many mappings of CaseFolding.txt status F (`ß` -> `ss`,
 * `ﬁ` -> `fi`), and the final sigma that `toLowerCase` produces in context is folded to
 * `σ` as CaseFolding.txt does.
 */
export function caseFold(s: string): string {
  return s.toUpperCase().toLowerCase().replace(/ς/g, 'σ');
}

/** The key two names are compared by: equal keys clash (NAME_TAKEN). */
export function nameKey(name: string): string {
  return caseFold(name.normalize('NFC').trim()).normalize('NFC');
}

/** Why `name` breaks the Unicode part of the name rule, or undefined. */
export function nameTextProblem(name: string): 'lone-surrogate' | 'bidi-control' | 'invisible' | undefined {
  if (!isStorable(name)) return 'lone-surrogate';
  if (BIDI_CONTROL_RE.test(name)) return 'bidi-control';
  if (isOnlyInvisible(name)) return 'invisible';
  return undefined;
}
