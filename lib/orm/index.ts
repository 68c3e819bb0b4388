export { MercureFlushListener } from './mercure-flush.listener';
