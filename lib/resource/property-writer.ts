import { ValueKind, type DocumentWriter, type PropertyPlan, type PropertyWriter } from './property-plan';
import { isoString } from './iso-date';

/**
 * How a value that is not a plain string, number, boolean or null becomes JSON (or undefined:
 * left out): the serializer's general rules.
 */
export type ValueConverter = (plan: PropertyPlan, raw: unknown, groups: readonly string[] | undefined) => unknown;

/**
 * Compiles the property loop of one entity class into straight-line code (as MikroORM compiles its
 * hydrators): every property read and written under its literal name, so the engine sees fixed
 * shapes instead of one generic loop over names. Plain scalars (strings, numbers, booleans, null)
 * and dates are converted inline; everything else goes through `convert`, the general rules.
 * Names are embedded as JSON string literals, never as code.
 *
 * `write` adds the properties to an object; `document` makes the whole JSON-LD document, `@id` and
 * `@type` first, in one constructor call when no property is left out (the common case: one
 * allocation, every document of the class with the same hidden class).
 */
export function compilePropertyWriter(plans: readonly PropertyPlan[], convert: ValueConverter): CompiledWriter {
  const values: string[] = ['let raw;'];
  const keys = plans.map((plan) => JSON.stringify(plan.key));
  const vars = plans.map((_, i) => `v${i}`);
  plans.forEach((plan, i) => {
    const name = JSON.stringify(plan.name);
    if (plan.getterName) {
      values.push(`raw = callGetter(source, ${JSON.stringify(plan.getterName)});`);
    } else if (plan.kind === ValueKind.ToMany) {
      values.push(`raw = loaded !== undefined ? (loaded.get(${name}) ?? source[${name}]) : source[${name}];`);
    } else {
      values.push(`raw = source[${name}];`);
    }
    // Not loaded (lazy), computed on load (formula), or not stored at all: left out (undefined).
    // Stored but never set on a new entity: the row holds NULL, and a fresh load says `null`.
    if (plan.nullWhenUnset) {
      values.push('if (raw === undefined) raw = null;');
    }
    const plain = plan.kind === ValueKind.Scalar && !plan.serializer && !plan.customType && !plan.scalarReference;
    const general = `convert(plans[${i}], raw, groups)`;
    // `convert` makes null of null for every kind but these two (a serializer sees null; a to-many
    // collection is never null): an unset relation or embeddable costs no call.
    const nullIsNull = !plan.serializer && plan.kind !== ValueKind.ToMany;
    const bare = !plan.serializer && !plan.customType && !plan.scalarReference;
    let converted: string;
    if (plain) {
      converted = `raw === null || typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean' ? raw : raw instanceof Date ? isoString(raw) : ${general}`;
    } else if (bare && plan.kind === ValueKind.Primary) {
      // The platform normalizes only driver objects (MongoDB's ObjectId): a number or a string is itself.
      converted = `typeof raw === 'number' || typeof raw === 'string' ? raw : raw === null ? null : ${general}`;
    } else if (bare && plan.kind === ValueKind.ToMany) {
      // An initialized empty collection (every new entity's) is an empty array: no call into the
      // general rules. The caller's shared one if given, else a new one (`Array.of()`, not a
      // literal or `new Array()`: see the documents below).
      converted = `raw !== null && !Array.isArray(raw) && raw.isInitialized() && raw.count() === 0 ? (emptyList ?? Array.of()) : ${general}`;
    } else {
      converted = nullIsNull ? `raw === null ? null : ${general}` : general;
    }
    values.push(plan.nullWhenUnset ? `const ${vars[i]} = ${converted};` : `const ${vars[i]} = raw === undefined ? undefined : ${converted};`);
  });
  // A key `Object.prototype` has (`toString`, `__proto__`...) is defined, not assigned: assigning
  // would set the prototype, or do nothing where `Object.prototype` is frozen.
  const set = (target: string, i: number) =>
    plans[i].key in Object.prototype ? `define(${target}, ${keys[i]}, ${vars[i]});` : `${target}[${keys[i]}] = ${vars[i]};`;
  const assign = (target: string) => vars.map((v, i) => `if (${v} !== undefined) ${set(target, i)}`).join('\n');
  const allPresent = vars.length ? vars.map((v) => `${v} !== undefined`).join(' && ') : 'true';
  const fields = vars.map((_, i) => set('this', i)).join('\n');
  // Documents are made with `new` rather than an object literal: V8 tracks the objects a literal
  // makes and, once many of them outlive a minor collection (the listener keeps its snapshots
  // until just after the flush), allocates all later ones in the old generation, where they keep
  // the young strings they hold alive until a full collection. `new` has no such tracking. The
  // prototype is `Object.prototype`, so a document is a plain object as before.
  const factory = new Function(
    'plans',
    'convert',
    'isoString',
    'callGetter',
    'define',
    `function Full(id, type, ${vars.join(', ')}) {\nthis["@id"] = id;\nthis["@type"] = type;\n${fields}\n}
    Full.prototype = Object.prototype;
    function Head(id, type) {\nthis["@id"] = id;\nthis["@type"] = type;\n}
    Head.prototype = Object.prototype;
    return {
      write(source, target, groups, loaded) {\nconst emptyList = undefined;\n${values.join('\n')}\n${assign('target')}\n},
      document(id, type, source, groups, loaded, emptyList) {\n${values.join('\n')}
        if (${allPresent}) return new Full(id, type, ${vars.join(', ')});
        const document = new Head(id, type);\n${assign('document')}
        return document;
      },
    };`,
  );
  return factory(plans, convert, isoString, callGetter, define) as CompiledWriter;
}

/** The compiled writers of one class and groups. */
export interface CompiledWriter {
  readonly write: PropertyWriter;
  readonly document: DocumentWriter;
}

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function callGetter(source: Record<string, unknown>, name: string): unknown {
  const getter = source[name];
  return typeof getter === 'function' ? getter.call(source) : undefined;
}
