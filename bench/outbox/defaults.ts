/** The relay settings `MercureModule` resolves by default (the test fixture's are tuned for fast tests). */
export const DEFAULT_RELAY = { leaseDuration: 15_000, sweepInterval: 1000, batchSize: 100, concurrency: 64, alertAfter: 10_000 };
