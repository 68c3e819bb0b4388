import { CommitOrder } from './commit-order';

describe('CommitOrder', () => {
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('runs at once, and settles, when no earlier ticket shares an IRI', () => {
    const order = new CommitOrder(1000, jest.fn());
    const earlier = order.take(new Set(['/books/2']));
    const ticket = order.take();
    expect(order.run(ticket, ['/books/1'], () => 'done')).toBe('done');
    expect(order.pending).toBe(1);
    order.settle(earlier);
    expect(order.pending).toBe(0);
  });

  it('holds a ticket behind earlier ones sharing an IRI or not knowing theirs, in order', async () => {
    const order = new CommitOrder(1000, jest.fn());
    const published: string[] = [];
    const first = order.take(new Set(['/books/1']));
    const unknown = order.take();
    const third = order.take();
    const held = order.run(third, ['/books/1'], () => void published.push('third'));
    expect(held).toBeInstanceOf(Promise);
    order.run(first, ['/books/1'], () => void published.push('first'));
    await tick();
    expect(published).toEqual(['first']);
    order.settle(unknown); // dropped (rolled back)
    await held;
    expect(published).toEqual(['first', 'third']);
    expect(order.pending).toBe(0);
    await order.whenReleased();
  });

  it('never waits for a later ticket', () => {
    const order = new CommitOrder(1000, jest.fn());
    const first = order.take();
    order.take(new Set(['/books/1']));
    expect(order.run(first, ['/books/1'], () => 'now')).toBe('now');
  });

  it('gives up on an earlier ticket whose end is never reported', async () => {
    const onTimeout = jest.fn();
    const order = new CommitOrder(20, onTimeout);
    order.take();
    const ticket = order.take();
    await order.run(ticket, ['/books/1'], () => undefined);
    expect(onTimeout).toHaveBeenCalledWith(1);
    expect(order.pending).toBe(0);
  });
});
