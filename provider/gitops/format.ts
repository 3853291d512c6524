/**
 * Rendering helpers shared by review and drift: Markdown escaping (PR comments), ANSI
 * colour for terminals (only when asked: the CLI enables it on a TTY without NO_COLOR),
 * and size limits so a 5,000-change plan still fits a GitHub comment (65,536 chars).
 */

/** GitHub's limit for one comment body is 65,536 characters; stay well below. */
export const MARKDOWN_BUDGET = 60_000;

/** Escape text for inline Markdown (also safe inside a table cell). */
export function md(text: unknown): string {
  return String(text)
    .replace(/[\\`*_[\]#|~]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, ' ');
}

/** An inline code span that survives backticks inside the text. */
export function code(text: unknown): string {
  const s = String(text).replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const fence = s.includes('`') ? '``' : '`';
  return `${fence}${fence.length > 1 ? ' ' : ''}${s}${fence.length > 1 ? ' ' : ''}${fence}`;
}

export interface Palette {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export function palette(color: boolean): Palette {
  if (!color) {
    const id = (s: string) => s;
    return { red: id, yellow: id, green: id, bold: id, dim: id };
  }
  return { red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), bold: wrap(1, 22), dim: wrap(2, 22) };
}

/** Whether to colour a stream: a TTY, and neither NO_COLOR nor CI asks otherwise. */
export function wantsColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Keep at most `max` items and say how many were left out. */
export function capped<T>(items: T[], max: number): { shown: T[]; hidden: number } {
  return items.length <= max ? { shown: items, hidden: 0 } : { shown: items.slice(0, max), hidden: items.length - max };
}
