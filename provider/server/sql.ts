/**
 * The one place where the SQL of the stores is translated between dialects. Statements are
 * written once with `?` placeholders (SQLite's); PostgreSQL wants `$1, $2, ...`. No
 * statement of ours has a `?` inside a string literal, which `toPositional` relies on
 * (it leaves quoted text alone anyway).
 */
const cache = new Map<string, string>();

/** `?` placeholders -> `$n`, outside single-quoted literals. Cached per statement text. */
export function toPositional(sql: string): string {
  let out = cache.get(sql);
  if (out !== undefined) return out;
  let n = 0;
  let quoted = false;
  out = '';
  for (const ch of sql) {
    if (ch === "'") quoted = !quoted;
    out += ch === '?' && !quoted ? `$${++n}` : ch;
  }
  if (cache.size < 10_000) cache.set(sql, out);
  return out;
}
