/**
 * Progress for long-running commands: one self-overwriting status line on stderr when
 * stderr is a TTY, nothing in CI (`CI` set) or when piped. Never on stdout, which holds
 * the report.
 */
export interface Progress {
  step(text: string): void;
  done(): void;
}

export function progress(stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): Progress {
  const active = stream.isTTY === true && !env.CI && env.TERM !== 'dumb';
  let shown = false;
  const started = Date.now();
  return {
    step(text: string) {
      if (!active) return;
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      stream.write(`\r\u001b[2K… ${text} (${secs}s)`);
      shown = true;
    },
    done() {
      if (active && shown) stream.write('\r\u001b[2K');
      shown = false;
    },
  };
}
