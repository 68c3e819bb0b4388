import { ReferenceKind } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/core';
import { ApiResource, forgetDecoratedResourceClasses } from './api-resource.decorator';
import { ResourceMetadataRegistry } from './resource-metadata.registry';

// Kept apart from the fixture entities: the decorator remembers every decorated class of the process.
describe('ResourceMetadataRegistry start-up validation', () => {
  // A stand-in ORM: the validation reads nothing but the metadata list.
  const fakeOrm = (...classes: Function[]) =>
    ({
      getMetadata: () => ({
        getAll: () =>
          Object.fromEntries(
            classes.map((cls) => [cls.name, { className: cls.name, class: cls, embeddable: false, primaryKeys: ['id'], properties: {} }]),
          ),
      }),
    }) as unknown as MikroORM;
  const decorate = (cls: Function, options: object) => {
    ApiResource(options)(cls);
    created.push(cls);
  };
  const created: Function[] = [];
  afterEach(() => forgetDecoratedResourceClasses(...created.splice(0)));

  it('names the class and the unknown key', () => {
    class Misspelled {}
    decorate(Misspelled, { mercure: { topcs: 'x' } });
    expect(() => new ResourceMetadataRegistry(fakeOrm(Misspelled)).initialize()).toThrow(
      '@ApiResource() on Misspelled: option "mercure.topcs" is unknown (did you mean "mercure.topics"?)',
    );
  });

  it('rejects a hub that is not configured', () => {
    class Audited {}
    decorate(Audited, { mercure: { hub: 'audit' } });
    const registry = new ResourceMetadataRegistry(fakeOrm(Audited));
    expect(() => registry.initialize(['default'])).toThrow('@ApiResource() on Audited: option "mercure.hub" names hub "audit"');
    expect(() => registry.initialize(['default', 'audit'])).not.toThrow();
  });

  it('rejects a decorated class MikroORM does not know', () => {
    class NotAnEntity {}
    decorate(NotAnEntity, { mercure: true });
    expect(() => new ResourceMetadataRegistry(fakeOrm()).initialize()).toThrow(
      "@ApiResource() on NotAnEntity: MikroORM does not know this class; add it to MikroORM's entities or remove the decorator",
    );
  });

  it('rejects two resources on one path', () => {
    class Book {}
    class Livre {}
    decorate(Book, {});
    decorate(Livre, { path: '/books', shortName: 'Livre' });
    expect(() => new ResourceMetadataRegistry(fakeOrm(Book, Livre)).initialize()).toThrow(
      '@ApiResource() on Livre: path "/books" is already used by Book',
    );
  });

  it('checks parents against MikroORM metadata, naming the resource and the property', () => {
    class Parent {}
    class Stranger {}
    class Child {}
    decorate(Parent, { mercure: true });
    const meta = (cls: Function, properties: object) => ({ className: cls.name, class: cls, embeddable: false, primaryKeys: ['id'], properties });
    const orm = (childProperties: object) =>
      ({
        getMetadata: () => ({
          getAll: () => ({
            Parent: meta(Parent, {}),
            Stranger: meta(Stranger, {}),
            Child: meta(Child, childProperties),
          }),
        }),
      }) as unknown as MikroORM;
    const parentProp = { name: 'parent', kind: ReferenceKind.MANY_TO_ONE, type: 'Parent', owner: true };
    const stranger = { name: 'stranger', kind: ReferenceKind.MANY_TO_ONE, type: 'Stranger' };
    const siblings = { name: 'siblings', kind: ReferenceKind.ONE_TO_MANY, type: 'Parent' };
    const registry = (parents: string[]) => {
      forgetDecoratedResourceClasses(Child);
      decorate(Child, { mercure: true, parents });
      return new ResourceMetadataRegistry(orm({ parent: parentProp, stranger, siblings }));
    };
    expect(() => registry(['parnt']).initialize()).toThrow('@ApiResource() on Child: option "parents" names "parnt", which is not a property of Child');
    expect(() => registry(['siblings']).initialize()).toThrow('option "parents" names "siblings", which is not a ManyToOne (or owning OneToOne) relation');
    expect(() => registry(['stranger']).initialize()).toThrow('option "parents" names "stranger", whose target Stranger is not an @ApiResource() entity');
    const valid = registry(['parent']);
    valid.initialize();
    expect(valid.getParents(valid.getByClass(Child)!).map((p) => [p.property, p.parent.entityClass])).toEqual([['parent', Parent]]);
  });

  it('rejects operations outside create, update and delete', () => {
    class Picky {}
    decorate(Picky, { mercure: { operations: ['create', 'upsert'] } });
    expect(() => new ResourceMetadataRegistry(fakeOrm(Picky)).initialize()).toThrow(
      '@ApiResource() on Picky: option "mercure.operations" must be an array of "create", "update", "delete"',
    );
  });
});

describe('ResourceMetadataRegistry start-up validation (more)', () => {
  const created: Function[] = [];
  afterEach(() => forgetDecoratedResourceClasses(...created.splice(0)));

  it('rejects a decorated embeddable and a duplicate shortName', () => {
    class Address {}
    ApiResource()(Address);
    created.push(Address);
    const embeddableOrm = {
      getMetadata: () => ({ getAll: () => ({ Address: { className: 'Address', class: Address, embeddable: true, primaryKeys: [], properties: {} } }) }),
    } as unknown as MikroORM;
    expect(() => new ResourceMetadataRegistry(embeddableOrm).initialize()).toThrow(
      '@ApiResource() on Address: it is an embeddable; only entities can be resources',
    );
    forgetDecoratedResourceClasses(Address);

    class A {}
    class B {}
    ApiResource({ shortName: 'Thing' })(A);
    ApiResource({ shortName: 'Thing' })(B);
    created.push(A, B);
    const orm = {
      getMetadata: () => ({
        getAll: () => ({
          A: { className: 'A', class: A, embeddable: false, primaryKeys: ['id'], properties: {} },
          B: { className: 'B', class: B, embeddable: false, primaryKeys: ['id'], properties: {} },
        }),
      }),
    } as unknown as MikroORM;
    expect(() => new ResourceMetadataRegistry(orm).initialize()).toThrow('@ApiResource() on B: shortName "Thing" is already used by A');
  });
});
