import { cpus, loadavg } from 'os';

/**
 * The load average (1, 5 and 15 min) and the core count, printed with each table: on a shared
 * machine the ratios of a loaded run are wider, and the reader should know.
 */
export function machineLoad(): string {
  return `load average ${loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')} on ${cpus().length} cores`;
}
