import type { LoggerService } from '@nestjs/common';

/**
 * Turns the failures of one hub into a few log lines per incident, rather than one per update:
 * a warning once the hub has been failing for `alertAfter` ms, an error at the first update given
 * up (then a count at most every `summaryEvery` ms), and one line when it recovers, with the count.
 * An incident starts at the first failure and ends at the next success.
 */
export class DeliveryIncidents {
  private incident?: { since: number; lastError: string; alerted: boolean; givenUp: number; reportedAt: number };

  constructor(
    private readonly logger: LoggerService,
    private readonly hubName: string,
    /** What happens to updates while the hub fails, appended to the warning. */
    private readonly policy: string,
    private readonly alertAfter = 10_000,
    private readonly summaryEvery = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** An attempt failed and will be retried. */
  failed(reason: string): void {
    const incident = this.open(reason);
    if (!incident.alerted && this.now() - incident.since >= this.alertAfter) {
      incident.alerted = true;
      this.logger.warn(
        `Mercure hub "${this.hubName}" has been failing for ${seconds(this.now() - incident.since)} (last error: ${reason}); ${this.policy}`,
        'Mercure',
      );
    }
  }

  /** An update was given up (retries exhausted, refused for good, or no room left); `what` says which and why. */
  gaveUp(what: string, reason: string): void {
    const incident = this.open(reason);
    incident.givenUp++;
    if (incident.givenUp === 1) {
      this.logger.error(`${what}; further ones are counted until hub "${this.hubName}" accepts updates again`, undefined, 'Mercure');
    } else if (this.now() - incident.reportedAt >= this.summaryEvery) {
      this.logger.error(
        `${incident.givenUp} Mercure update(s) for hub "${this.hubName}" given up so far (last error: ${incident.lastError})`,
        undefined,
        'Mercure',
      );
    } else {
      return;
    }
    incident.reportedAt = this.now();
  }

  /** An update was accepted: the incident, if any, is over. */
  succeeded(): void {
    const incident = this.incident;
    if (!incident) return;
    this.incident = undefined;
    if (incident.alerted || incident.givenUp > 0) {
      const lost = incident.givenUp > 0 ? `; ${incident.givenUp} update(s) were given up during the incident` : '';
      this.logger.log(`Mercure hub "${this.hubName}" accepts updates again after ${seconds(this.now() - incident.since)}${lost}`, 'Mercure');
    }
  }

  private open(reason: string): NonNullable<DeliveryIncidents['incident']> {
    this.incident ??= { since: this.now(), lastError: reason, alerted: false, givenUp: 0, reportedAt: 0 };
    this.incident.lastError = reason;
    return this.incident;
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
