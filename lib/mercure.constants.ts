/** Injection token of the resolved `MercureModuleOptions`. */
export const MERCURE_MODULE_OPTIONS = Symbol('MERCURE_MODULE_OPTIONS');

/**
 * Injection token of the embedded hub, when `MercureHubModule` is imported in the same app.
 * `MercureModule` hands updates to it in-process when a hub has no `publishUrl`.
 */
export const MERCURE_LOCAL_HUB = Symbol('MERCURE_LOCAL_HUB');

export const DEFAULT_HUB_NAME = 'default';

/**
 * Keep-alive connections per hub by default. Half the queue's default concurrency (64): a hub
 * answering in 1 ms took about 2.3 ms a request under a burst on a loaded 2-core machine, so 16
 * connections capped the queue at about 7,000 updates/s (under 10x one awaited POST per update
 * there); 32 gave 14 to 19x in the same runs.
 */
export const DEFAULT_CONNECTIONS = 32;

/** The well-known path of a Mercure hub. */
export const DEFAULT_HUB_PATH = '/.well-known/mercure';

/** Injection token of the validated options, with environment fallbacks applied. */
export const MERCURE_RESOLVED_OPTIONS = Symbol('MERCURE_RESOLVED_OPTIONS');
