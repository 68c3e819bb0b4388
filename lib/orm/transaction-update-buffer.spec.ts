import { ResourceUpdate } from '../resource/resource-update';
import { TransactionUpdateBuffer } from './transaction-update-buffer';

const change = (iri: string, data: string, kind: ResourceUpdate['kind'] = 'update') =>
  new ResourceUpdate(undefined, iri, kind, [`https://x.test${iri}`], data, {});
const datas = (updates: ResourceUpdate[]) => updates.map((u) => `${u.iri}:${u.toUpdate().data}`);

describe('TransactionUpdateBuffer', () => {
  it('folds several changes of one IRI into the latest, at the position of the first', () => {
    const buffer = new TransactionUpdateBuffer();
    const root = {};
    buffer.add(root, [change('/a', 'a1', 'create'), change('/b', 'b1')]);
    buffer.add(root, [change('/a', 'a2'), change('/c', 'c1')]);
    buffer.add(root, [change('/b', 'deleted', 'delete')]);
    expect(datas(buffer.take(root))).toEqual(['/a:a2', '/b:deleted', '/c:c1']);
    expect(buffer.take(root)).toEqual([]);
  });

  it('hands a released savepoint to its parent and drops a rolled-back one', () => {
    const buffer = new TransactionUpdateBuffer();
    const root = {};
    const kept = {};
    const dropped = {};
    const nested = {};
    buffer.savepointOpened(kept, root);
    buffer.savepointOpened(nested, kept);
    buffer.savepointOpened(dropped, root);
    buffer.add(root, [change('/a', 'a1')]);
    buffer.add(nested, [change('/a', 'a2'), change('/n', 'n1')]);
    buffer.add(dropped, [change('/d', 'd1'), change('/a', 'a3')]);
    expect(buffer.isSavepoint(nested)).toBe(true);
    buffer.release(nested);
    buffer.release(kept);
    buffer.discard(dropped);
    expect(buffer.isSavepoint(kept)).toBe(false);
    expect(datas(buffer.take(root))).toEqual(['/a:a2', '/n:n1']);
  });

  it('drops everything of a rolled-back root', () => {
    const buffer = new TransactionUpdateBuffer();
    const root = {};
    buffer.add(root, [change('/a', 'a1')]);
    buffer.discard(root);
    expect(buffer.take(root)).toEqual([]);
  });
});
