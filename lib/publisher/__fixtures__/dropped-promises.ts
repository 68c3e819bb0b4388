// Run in a child process by publish-queue.spec.ts (Jest's sandbox does not let a spec observe
// `unhandledRejection`): drops the promises `enqueue()` returns for updates given up in each way
// the queue gives one up, and prints how many rejections went unhandled.
import type { LoggerService } from '@nestjs/common';
import { startFakeHub } from '../../../test/support/fake-hub';
import { HttpTransport } from '../http-transport';
import { PublishQueue } from '../publish-queue';
import { Update } from '../update';

const quiet: LoggerService = { log() {}, warn() {}, error() {} };

async function main(): Promise<void> {
  let unhandled = 0;
  process.on('unhandledRejection', () => unhandled++);
  // `data` says how to answer: refused for good (400), or failing (503, retryable).
  const hub = await startFakeHub((request, response) => {
    response.writeHead(request.fields.some(([name, value]) => name === 'data' && value === 'refuse') ? 400 : 503);
    response.end('no');
  });
  const quick = new PublishQueue(new HttpTransport({ url: hub.url }), { hubName: 'quick', retries: 1, retryDelay: 1, maxPending: 4, logger: quiet });
  quick.enqueue(new Update('a', 'refuse')); // refused by the hub
  quick.enqueue(new Update('b', 'fail')); // retries exhausted
  quick.enqueue(new Update('c', 'fail'));
  quick.enqueue(new Update('c', 'fail')); // after the first one on its topic
  quick.enqueue(new Update('d', 'fail')); // maxPending exceeded
  await quick.drain(10_000);
  await quick.close();
  quick.enqueue(new Update('e', 'fail')); // the queue is closed

  const slow = new PublishQueue(new HttpTransport({ url: hub.url }), { hubName: 'slow', retryDelay: 60_000, maxRetryDelay: 60_000, logger: quiet });
  slow.enqueue(new Update('f', 'fail')); // waiting for a retry when the queue closes
  slow.enqueue(new Update('f', 'fail')); // waiting for its turn when the queue closes
  while (!hub.requests.some((request) => request.fields.some(([name, value]) => name === 'topic' && value === 'f'))) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  await slow.close();

  // Unhandled rejections are reported once the microtasks have run: give them a turn or two.
  await new Promise((resolve) => setTimeout(resolve, 50));
  await hub.close();
  process.stdout.write(JSON.stringify({ unhandled, givenUp: quick.stats.givenUp + slow.stats.givenUp }));
}

void main();
