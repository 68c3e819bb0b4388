import type { HubPublisher } from './hub-publisher';

/** The configured hubs by name; resources pick one with their `hub` option. */
export class HubRegistry {
  constructor(
    private readonly hubs: ReadonlyMap<string, HubPublisher>,
    readonly defaultName: string,
  ) {}

  get(name: string = this.defaultName): HubPublisher {
    const hub = this.hubs.get(name);
    if (!hub) {
      throw new Error(`Unknown Mercure hub "${name}"; configured hubs: ${this.names().join(', ')}`);
    }
    return hub;
  }

  has(name: string): boolean {
    return this.hubs.has(name);
  }

  names(): string[] {
    return [...this.hubs.keys()];
  }

  all(): HubPublisher[] {
    return [...this.hubs.values()];
  }
}
