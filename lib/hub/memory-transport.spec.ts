import type { HubUpdate } from './hub-update';
import { EARLIEST } from './hub-transport';
import { MemoryHubTransport } from './memory-transport';

const update = (id: string): HubUpdate => ({ id, topics: ['/t'], data: id, private: false });

describe('MemoryHubTransport', () => {
  it('delivers in order and tracks the cursor and last id', async () => {
    const transport = new MemoryHubTransport(10);
    const seen: string[] = [];
    await transport.start((u) => seen.push(u.id));
    expect(transport.lastEventId()).toBe(EARLIEST);
    await transport.dispatch(update('a'));
    await transport.dispatch(update('b'));
    expect(seen).toEqual(['a', 'b']);
    expect(transport.lastEventId()).toBe('b');
    expect(transport.cursor()).toBe('2');
  });

  it('replays after an id, everything for earliest, nothing for an unknown id', async () => {
    const transport = new MemoryHubTransport(10);
    await transport.start(() => undefined);
    for (const id of ['a', 'b', 'c', 'd']) await transport.dispatch(update(id));
    const cursor = transport.cursor();
    expect(await transport.history('b', cursor)).toEqual({ updates: [update('c'), update('d')], precedingId: 'b' });
    expect((await transport.history(EARLIEST, cursor)).updates.map((u) => u.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(await transport.history('zzz', cursor)).toEqual({ updates: [], precedingId: EARLIEST });
    expect(await transport.history('d', cursor)).toEqual({ updates: [], precedingId: 'd' });
  });

  it('stops at the cursor given', async () => {
    const transport = new MemoryHubTransport(10);
    await transport.start(() => undefined);
    await transport.dispatch(update('a'));
    const cursor = transport.cursor();
    await transport.dispatch(update('b'));
    expect((await transport.history(EARLIEST, cursor)).updates.map((u) => u.id)).toEqual(['a']);
  });

  it('keeps only the last historySize updates', async () => {
    const transport = new MemoryHubTransport(3);
    await transport.start(() => undefined);
    for (const id of ['a', 'b', 'c', 'd', 'e']) await transport.dispatch(update(id));
    const cursor = transport.cursor();
    expect((await transport.history(EARLIEST, cursor)).updates.map((u) => u.id)).toEqual(['c', 'd', 'e']);
    expect(await transport.history('a', cursor)).toEqual({ updates: [], precedingId: EARLIEST });
    expect((await transport.history('c', cursor)).updates.map((u) => u.id)).toEqual(['d', 'e']);
  });

  it('keeps no history with historySize 0', async () => {
    const transport = new MemoryHubTransport(0);
    const seen: string[] = [];
    await transport.start((u) => seen.push(u.id));
    await transport.dispatch(update('a'));
    expect(seen).toEqual(['a']);
    expect(await transport.history(EARLIEST, transport.cursor())).toEqual({ updates: [], precedingId: EARLIEST });
  });

  it('uses the latest position of a repeated id', async () => {
    const transport = new MemoryHubTransport(10);
    await transport.start(() => undefined);
    for (const id of ['x', 'a', 'x', 'b']) await transport.dispatch(update(id));
    expect((await transport.history('x', transport.cursor())).updates.map((u) => u.id)).toEqual(['b']);
  });
});
