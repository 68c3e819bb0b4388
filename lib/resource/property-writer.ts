import { ValueKind, type PropertyPlan, type PropertyWriter } from './property-plan';
import { isoString } from './iso-date';

/**
 * How a value that is not a plain string, number, boolean or null becomes JSON (or undefined:
 * left out): the serializer's general rules.
 */
export type ValueConverter = (plan: PropertyPlan, raw: unknown, groups: readonly string[] | undefined) => unknown;

/**
 * Compiles the property loop of one entity class into straight-line code (as MikroORM compiles its
 * hydrators): every property read and written under its literal name, so the engine sees fixed
 * shapes instead of one generic loop over names, and the document of every entity of the class
 * takes the same hidden class. Plain scalars (strings, numbers, booleans, null) and dates are
 * written inline; everything else goes through `convert`, the general rules. Names are embedded as
 * JSON string literals, never as code.
 */
export function compilePropertyWriter(plans: readonly PropertyPlan[], convert: ValueConverter): PropertyWriter {
  const lines: string[] = ['let raw, value;'];
  plans.forEach((plan, i) => {
    const name = JSON.stringify(plan.name);
    const key = JSON.stringify(plan.key);
    if (plan.getterName) {
      lines.push(`raw = callGetter(source, ${JSON.stringify(plan.getterName)});`);
    } else if (plan.kind === ValueKind.ToMany) {
      lines.push(`raw = loaded !== undefined ? (loaded.get(${name}) ?? source[${name}]) : source[${name}];`);
    } else {
      lines.push(`raw = source[${name}];`);
    }
    // Not loaded (lazy), computed on load (formula), or not stored at all: left out. Stored but
    // never set on a new entity: the row holds NULL, and a fresh load says `null`.
    lines.push(plan.nullWhenUnset ? 'if (raw === undefined) raw = null;' : 'if (raw !== undefined) {');
    const plain = plan.kind === ValueKind.Scalar && !plan.serializer && !plan.customType && !plan.scalarReference;
    if (plain) {
      lines.push(
        `if (raw === null || typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') target[${key}] = raw;`,
        `else if (raw instanceof Date) target[${key}] = isoString(raw);`,
        `else { value = convert(plans[${i}], raw, groups); if (value !== undefined) target[${key}] = value; }`,
      );
    } else {
      lines.push(`value = convert(plans[${i}], raw, groups); if (value !== undefined) target[${key}] = value;`);
    }
    if (!plan.nullWhenUnset) {
      lines.push('}');
    }
  });
  const factory = new Function(
    'plans',
    'convert',
    'isoString',
    'callGetter',
    `return function writeProperties(source, target, groups, loaded) {\n${lines.join('\n')}\n};`,
  );
  return factory(plans, convert, isoString, callGetter) as PropertyWriter;
}

function callGetter(source: Record<string, unknown>, name: string): unknown {
  const getter = source[name];
  return typeof getter === 'function' ? getter.call(source) : undefined;
}
