export { MercureTestingModule } from './mercure-testing.module';
export type { MercureTestingOptions } from './mercure-testing.module';
export { UpdateRecorder } from './update-recorder';
