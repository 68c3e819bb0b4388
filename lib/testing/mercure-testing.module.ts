import { DynamicModule, Module } from '@nestjs/common';
import { MercureModule } from '../mercure.module';
import { UpdateRecorder } from './update-recorder';

export interface MercureTestingOptions {
  /** Base of the topic IRIs; `http://localhost` by default. */
  baseUrl?: string;
  /** Names of extra hubs your resources publish to (they all record into the same recorder). */
  hubs?: string[];
  /** Hub URL advertised in the `Link` header; `http://localhost/.well-known/mercure` by default. */
  subscribeUrl?: string;
}

/**
 * Replaces `MercureModule` in tests: nothing is sent anywhere, every update is recorded by the
 * injectable `UpdateRecorder`, and flushes wait for the recording so assertions can follow the
 * request directly.
 *
 * ```ts
 * const moduleRef = await Test.createTestingModule({
 *   imports: [MikroOrmModule.forRoot(...), MercureTestingModule.forRoot()],
 * }).compile();
 * const recorder = moduleRef.get(UpdateRecorder);
 * ```
 */
@Module({})
export class MercureTestingModule {
  static forRoot(options: MercureTestingOptions = {}): DynamicModule {
    const recorder = new UpdateRecorder();
    const subscribeUrl = options.subscribeUrl ?? 'http://localhost/.well-known/mercure';
    return {
      module: MercureTestingModule,
      global: true,
      imports: [
        MercureModule.forRoot({
          baseUrl: options.baseUrl ?? 'http://localhost',
          subscribeUrl,
          transport: recorder,
          hubs: Object.fromEntries((options.hubs ?? []).map((name) => [name, { subscribeUrl, transport: recorder }])),
          delivery: { waitForDelivery: true },
        }),
      ],
      providers: [{ provide: UpdateRecorder, useValue: recorder }],
      exports: [UpdateRecorder],
    };
  }
}
