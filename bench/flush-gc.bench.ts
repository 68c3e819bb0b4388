/**
 * What the listener leaves to the garbage collector: flushes of the same 1,000 updated books in a
 * loop, each setup in its own process under `node --trace-gc-nvp`, and per minor collection
 * (scavenge, after the first 40) the bytes promoted to the old generation and the pause. A
 * scavenge costs in proportion to what survives it; what it promotes also fills the old
 * generation, which full collections then sweep. Objects the listener keeps briefly (snapshots
 * until just after the flush, queue entries until delivered) should die young and promote
 * nothing; V8's allocation-site pretenuring made them old before (see the README's performance
 * section). `FLUSH_GC_BENCH_RUNS` sets the processes per setup (default 2).
 */
import { spawnSync } from 'child_process';
import { join } from 'path';
import { ENTITIES } from './flush.bench';
import { machineLoad } from './support/machine-load';
import { median } from './support/stats';

const RUNS = Number(process.env.FLUSH_GC_BENCH_RUNS ?? 2);
/** Minor collections left out at the start: the young generation is still growing to its size. */
const WARM_UP = 40;
/** Flushes per child process. */
const FLUSHES = 200;
/** Goal: the listener's objects die young, so a collection promotes about what it does without it. */
const GOAL = 1.5;
const PROMOTED = /\bpromoted=(\d+)/;
const PAUSE = /\bpause=([\d.]+)/;
const SETUPS = [
  ['without', 'no listener'],
  ['encoded', 'listener, updates JSON-encoded after the flush, dropped by the hub (not queued)'],
  ['queued', 'listener and queue, transport answering at once'],
] as const;

interface Scavenges {
  count: number;
  promotedKb: number;
  pauseMs: number;
}

function scavengesOf(mode: string): Scavenges {
  const child = spawnSync(process.execPath, ['--trace-gc-nvp', '-r', 'ts-node/register/transpile-only', join(__dirname, 'support/flush-gc.child.ts'), mode, String(FLUSHES)], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (child.status !== 0) {
    throw new Error(`flush-gc child (${mode}) failed: ${child.stderr}`);
  }
  const lines = child.stdout.split('\n').filter((line) => line.includes('gc=s '));
  const field = (line: string, pattern: RegExp) => Number(pattern.exec(line)?.[1] ?? NaN);
  const steady = lines.slice(WARM_UP);
  return {
    count: lines.length,
    promotedKb: median(steady.map((line) => field(line, PROMOTED) / 1024)),
    pauseMs: median(steady.map((line) => field(line, PAUSE))),
  };
}

export async function run(): Promise<void> {
  const loadBefore = machineLoad();
  const results = new Map<string, Scavenges[]>(SETUPS.map(([mode]) => [mode, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [mode] of SETUPS) {
      results.get(mode)!.push(scavengesOf(mode));
    }
  }
  const base = results.get('without')!;
  console.log(`Minor collections during ${FLUSHES} flushes of ${ENTITIES} updates, ${RUNS} process(es) per setup, medians after the first ${WARM_UP} collections (${loadBefore} before, ${machineLoad()} after)`);
  console.table(
    SETUPS.map(([mode, what]) => {
      const runs = results.get(mode)!;
      return {
        setup: what,
        'minor collections': runs.map((r) => r.count).join(' / '),
        'promoted per collection (KB)': runs.map((r) => r.promotedKb.toFixed(0)).join(' / '),
        'pause (ms)': runs.map((r) => r.pauseMs.toFixed(2)).join(' / '),
        'pause vs no listener': runs.map((r, i) => (r.pauseMs / base[i].pauseMs).toFixed(2) + 'x').join(' / '),
        'promoted vs no listener': runs.map((r, i) => (r.promotedKb / base[i].promotedKb).toFixed(2) + 'x').join(' / '),
        goal: mode === 'without' ? '' : `<= ${GOAL}x promoted`,
        met: mode === 'without' ? '' : runs.every((r, i) => r.promotedKb <= GOAL * base[i].promotedKb) ? 'yes' : 'no',
      };
    }),
  );
}

if (require.main === module) {
  run().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
