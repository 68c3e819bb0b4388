/** Injection token of the resolved `MercureModuleOptions`. */
export const MERCURE_MODULE_OPTIONS = Symbol('MERCURE_MODULE_OPTIONS');

/**
 * Injection token of the embedded hub, when `MercureHubModule` is imported in the same app.
 * `MercureModule` hands updates to it in-process when a hub has no `publishUrl`.
 */
export const MERCURE_LOCAL_HUB = Symbol('MERCURE_LOCAL_HUB');

export const DEFAULT_HUB_NAME = 'default';

/** The well-known path of a Mercure hub. */
export const DEFAULT_HUB_PATH = '/.well-known/mercure';

/** Injection token of the validated options, with environment fallbacks applied. */
export const MERCURE_RESOLVED_OPTIONS = Symbol('MERCURE_RESOLVED_OPTIONS');
