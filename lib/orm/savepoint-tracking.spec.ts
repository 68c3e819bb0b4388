import type { Connection } from '@mikro-orm/core';
import { observeSavepoints } from './savepoint-tracking';

/** Stands in for MikroORM's connection: `begin({ ctx })` opens a savepoint of `ctx`. */
class FakeConnection {
  failRollback = false;
  async begin(options: { ctx?: object } = {}): Promise<object> {
    return { parent: options.ctx };
  }
  async commit(_ctx: object): Promise<void> {}
  async rollback(_ctx: object): Promise<void> {
    if (this.failRollback) {
      throw new Error('connection lost');
    }
  }
}

describe('observeSavepoints', () => {
  const setup = () => {
    const connection = new FakeConnection();
    const events: string[] = [];
    const names = new Map<object, string>();
    const name = (ctx: object) => names.get(ctx) ?? '?';
    const stop = observeSavepoints(connection as unknown as Connection, {
      opened: (savepoint, parent) => events.push(`opened ${name(savepoint)} in ${name(parent)}`),
      committed: (ctx) => void events.push(`committed ${name(ctx)}`),
      rolledBack: (ctx) => events.push(`rolled back ${name(ctx)}`),
    });
    return { connection, events, names, stop };
  };

  it('reports savepoints with their parent, and how every transaction ends', async () => {
    const { connection, events, names } = setup();
    const root = await connection.begin();
    names.set(root, 'root');
    const savepoint = await connection.begin({ ctx: root });
    names.set(savepoint, 'sp');
    events.push('--');
    await connection.rollback(savepoint);
    await connection.commit(root);
    expect(events).toEqual(['opened ? in root', '--', 'rolled back sp', 'committed root']);
  });

  it('reports a rollback that failed, and stops reporting once turned off', async () => {
    const { connection, events, stop } = setup();
    const root = await connection.begin();
    connection.failRollback = true;
    await expect(connection.rollback(root)).rejects.toThrow('connection lost');
    expect(events).toEqual(['rolled back ?']);
    stop();
    await connection.begin({ ctx: root });
    await connection.commit(root);
    expect(events).toHaveLength(1);
  });
});
