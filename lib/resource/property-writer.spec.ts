import { ValueKind, type PropertyPlan } from './property-plan';
import { compilePropertyWriter } from './property-writer';

const plan = (name: string, extra: Partial<PropertyPlan> = {}): PropertyPlan =>
  ({ name, key: name, kind: ValueKind.Scalar, nullWhenUnset: true, scalarReference: false, prop: {} as never, ...extra }) as PropertyPlan;

describe('compilePropertyWriter', () => {
  const converted: string[] = [];
  const convert = (p: PropertyPlan, raw: unknown) => {
    converted.push(p.name);
    return typeof raw === 'bigint' ? `big ${raw}` : raw === 'skip' ? undefined : { from: p.name };
  };

  beforeEach(() => (converted.length = 0));

  it('takes names as data, never as code: quotes, backslashes and line breaks are read and written literally', () => {
    const names = ['a"b', "c'd", 'e\\f', 'g\nh', '`${x}`', '});throw 1;//'];
    const { write } = compilePropertyWriter(
      names.map((name) => plan(name, { key: `${name}!` })),
      convert,
    );
    const source = Object.fromEntries(names.map((name, i) => [name, i]));
    const target: Record<string, unknown> = {};
    write(source, target, undefined, undefined);
    expect(target).toEqual(Object.fromEntries(names.map((name, i) => [`${name}!`, i])));
    expect(Object.keys(target)).toEqual(names.map((name) => `${name}!`));
  });

  it('writes plain values, dates and number or string keys inline, and hands everything else to convert', () => {
    const primary = { kind: ValueKind.Primary };
    const { write } = compilePropertyWriter(
      [
        plan('s'),
        plan('n'),
        plan('b'),
        plan('z'),
        plan('d'),
        plan('big'),
        plan('obj'),
        plan('gone', { serializer: String }),
        plan('pk', primary),
        plan('uuid', primary),
        plan('oid', primary),
        plan('typedPk', { ...primary, customType: {} as never }),
      ],
      convert,
    );
    const target: Record<string, unknown> = {};
    const source = { s: 'x', n: 1.5, b: false, z: null, d: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)), big: 12n, obj: { a: 1 }, gone: 'skip', pk: 7, uuid: 'u-1', oid: { id: 1 }, typedPk: 8 };
    write(source, target, undefined, undefined);
    expect(target).toEqual({
      s: 'x',
      n: 1.5,
      b: false,
      z: null,
      d: '2024-01-02T03:04:05.006Z',
      big: 'big 12',
      obj: { from: 'obj' },
      pk: 7,
      uuid: 'u-1',
      oid: { from: 'oid' },
      typedPk: { from: 'typedPk' },
    });
    expect(converted).toEqual(['big', 'obj', 'gone', 'oid', 'typedPk']);
  });

  it('writes an initialized empty collection as an empty array (new, or the one given to share); any other to-many value goes to convert', () => {
    const collection = (items: number[], initialized = true) => ({ isInitialized: () => initialized, count: () => items.length });
    const toMany = { kind: ValueKind.ToMany, nullWhenUnset: false };
    const { document } = compilePropertyWriter([plan('empty', toMany), plan('full', toMany), plan('lazy', toMany), plan('array', toMany)], convert);
    const source = { empty: collection([]), full: collection([1]), lazy: collection([], false), array: [] };
    const first = document('/x/1', 'X', source, undefined, undefined);
    expect(first).toEqual({ '@id': '/x/1', '@type': 'X', empty: [], full: { from: 'full' }, lazy: { from: 'lazy' }, array: { from: 'array' } });
    expect(converted).toEqual(['full', 'lazy', 'array']);
    // Each document its own array: a caller may change one without touching the others.
    expect(document('/x/2', 'X', source, undefined, undefined).empty).not.toBe(first.empty);
    // Unless the caller gives the one to share (snapshots that are only encoded); `full` still converts.
    const shared = Object.freeze(Array.of<never>());
    const snapshot = document('/x/3', 'X', source, undefined, undefined, shared);
    expect(snapshot.empty).toBe(shared);
    expect(snapshot.full).toEqual({ from: 'full' });
  });

  it('defines keys Object.prototype has (toString, __proto__) as own properties, leaving the prototype alone', () => {
    const { document, write } = compilePropertyWriter([plan('a', { key: 'toString' }), plan('b', { key: '__proto__' }), plan('c', { nullWhenUnset: false })], convert);
    const source = { a: 'text', b: { x: 1 } };
    const target: Record<string, unknown> = {};
    write(source, target, undefined, undefined);
    for (const made of [document('/x/1', 'X', source, undefined, undefined), target]) {
      expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
      expect(Object.getOwnPropertyNames(made)).toEqual(expect.arrayContaining(['toString', '__proto__']));
      expect(JSON.parse(JSON.stringify(made))).toMatchObject({ toString: 'text' });
    }
    expect(JSON.stringify(document('/x/1', 'X', { ...source, c: 3 }, undefined, undefined))).toBe(
      '{"@id":"/x/1","@type":"X","toString":"text","__proto__":{"from":"b"},"c":3}',
    );
  });

  it('makes plain objects: Object.prototype, own enumerable properties only, the same JSON as a literal', () => {
    const { document } = compilePropertyWriter([plan('a'), plan('b')], convert);
    const full = document('/x/1', 'X', { a: 1, b: 'two' }, undefined, undefined);
    const partial = document('/x/1', 'X', { a: 1, b: 'skip', toString: 'ignored' }, undefined, undefined);
    for (const made of [full, partial]) {
      expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
      expect(made.constructor).toBe(Object);
      expect(Object.getOwnPropertyNames(made)).toEqual(Object.keys(made));
    }
    expect(JSON.stringify(full)).toBe(JSON.stringify({ '@id': '/x/1', '@type': 'X', a: 1, b: 'two' }));
  });

  it('writes null for an unset stored property, leaves out an unset one that is not stored', () => {
    const { write } = compilePropertyWriter([plan('stored'), plan('lazy', { nullWhenUnset: false })], convert);
    const target: Record<string, unknown> = {};
    write({}, target, undefined, undefined);
    expect(target).toEqual({ stored: null });
  });

  it('reads getters and loaded collections instead of the property', () => {
    const { write } = compilePropertyWriter(
      [plan('full', { getterName: 'fullName', nullWhenUnset: false }), plan('tags', { kind: ValueKind.ToMany, nullWhenUnset: false })],
      (p, raw) => (p.name === 'tags' ? raw : convert(p, raw)),
    );
    const target: Record<string, unknown> = {};
    const loadedTags = [{ id: 1 }];
    write({ first: 'Ada', fullName(this: { first: string }) { return this.first; }, tags: 'not loaded' } as never, target, undefined, new Map([['tags', loadedTags]]));
    expect(target).toEqual({ full: 'Ada', tags: loadedTags });
  });

  it('makes the document with @id and @type first, in plan order, whether or not a property is left out', () => {
    const { document } = compilePropertyWriter([plan('a'), plan('@id'), plan('gone', { serializer: String }), plan('b')], convert);
    const full = document('/x/1', 'X', { a: 1, '@id': 'own', gone: 'kept', b: 2 }, undefined, undefined);
    expect(Object.entries(full)).toEqual([
      ['@id', 'own'],
      ['@type', 'X'],
      ['a', 1],
      ['gone', { from: 'gone' }],
      ['b', 2],
    ]);
    const partial = document('/x/1', 'X', { a: 1, gone: 'skip', b: 2 }, undefined, undefined);
    expect(Object.entries(partial)).toEqual([
      ['@id', null],
      ['@type', 'X'],
      ['a', 1],
      ['b', 2],
    ]);
    expect(Object.keys(document('/x/2', 'X', { gone: 'skip' }, undefined, undefined))).not.toContain('gone');
  });
});
