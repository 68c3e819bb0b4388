import { ResourceUpdate } from '../resource/resource-update';
import { PendingParent, type Change } from './parent-changes';
import { TransactionUpdateBuffer } from './transaction-update-buffer';

const change = (iri: string, data: string, kind: ResourceUpdate['kind'] = 'update') =>
  new ResourceUpdate(undefined, iri, kind, [`https://x.test${iri}`], data, {});
const datas = (updates: Change[]) =>
  updates.map((u) => (u instanceof PendingParent ? `${u.iri}:parent(${u.kind})` : `${u.iri}:${u.toUpdate().data}`));
const parent = (iri: string) => new PendingParent(iri, 'update', {} as never, {});

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

  it('lets a parent to publish absorb its own create or update, and a delete win over it', () => {
    const buffer = new TransactionUpdateBuffer();
    const root = {};
    buffer.add(root, [change('/books/1', 'b1', 'create'), parent('/books/2'), parent('/books/3')]);
    buffer.add(root, [parent('/books/1'), change('/books/2', 'b2'), parent('/books/2')]);
    buffer.add(root, [change('/books/3', 'gone', 'delete'), parent('/books/3')]);
    expect(datas(buffer.take(root))).toEqual(['/books/1:parent(create)', '/books/2:parent(update)', '/books/3:gone']);
  });
});
