/**
 * Provider logging. stdout belongs to the go-plugin handshake line only; every log line
 * goes to stderr with an hclog level prefix (`[DEBUG]`, `[INFO]`, `[WARN]`, `[ERROR]`),
 * which Terraform shows with `TF_LOG`/`TF_LOG_PROVIDER`. Never log tokens or values
 * of sensitive attributes.
 */
function write(level: string, message: string): void {
  process.stderr.write(`[${level}] cloudbilling: ${message.replace(/\n/g, '\n  ')}\n`);
}

/** Debug lines only when Terraform's logging is on (it passes TF_LOG* to the plugin). */
const debugOn = Boolean(process.env.TF_LOG || process.env.TF_LOG_PROVIDER);

export const log = {
  /** Whether `debug` writes anything: callers skip building per-RPC debug lines otherwise. */
  debugOn,
  debug: (m: string) => {
    if (debugOn) write('DEBUG', m);
  },
  info: (m: string) => write('INFO', m),
  warn: (m: string) => write('WARN', m),
  error: (m: string) => write('ERROR', m),
};
