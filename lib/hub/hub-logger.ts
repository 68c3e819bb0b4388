/** Where the hub reports problems; Nest's `Logger` fits. Never given tokens or secrets. */
export interface MercureHubLogger {
  log?(message: string): void;
  /** Refused tokens, aborted uploads: useful when diagnosing, noise otherwise. */
  debug?(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
}

export function consoleHubLogger(): MercureHubLogger {
  return {
    warn: (m) => console.warn(`[MercureHub] ${m}`),
    error: (m, s) => console.error(`[MercureHub] ${m}`, s ?? ''),
  };
}
