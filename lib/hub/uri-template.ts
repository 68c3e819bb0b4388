/**
 * Matching of strings against RFC 6570 URI templates ("does some assignment of the variables expand
 * to this string?"), as Mercure topic selectors need it.
 *
 * The template is compiled to a small Thompson NFA and simulated over the input, so matching runs in
 * O(input length x template size) whatever the template: subscribers choose templates, and a
 * backtracking regular expression would let one of them stall the hub.
 *
 * The language accepted for each expression is the set of its possible expansions (RFC 6570
 * section 3.2), slightly widened where being exact would cost a lot for no practical gain:
 * - the order of the variables of a named expression (`{?a,b}`, `{;a,b}`, `{&a,b}`) is not enforced;
 * - the length of a prefix modifier (`{id:3}`) is not enforced;
 * - values may contain non-ASCII characters as is (topics are IRIs, RFC 3987), besides
 *   percent-encoded triplets.
 */

/** ASCII code points allowed in a value, as a lookup table; non-ASCII is allowed when `iri` is set. */
interface CharClass {
  readonly ascii: Uint8Array;
  readonly nonAscii: boolean;
}

function charClass(chars: string, nonAscii: boolean): CharClass {
  const ascii = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) ascii[chars.charCodeAt(i)] = 1;
  return { ascii, nonAscii };
}

const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DIGIT = '0123456789';
const HEXDIG = DIGIT + 'ABCDEFabcdef';
const UNRESERVED = ALPHA + DIGIT + '-._~';
const RESERVED = ":/?#[]@!$&'()*+,;=";
const LENIENT = "!'()*";
const VARCHAR = ALPHA + DIGIT + '_.%';

const HEX_CLASS = charClass(HEXDIG, false);

// Regular-expression AST.
type Node =
  | { readonly t: 'lit'; readonly s: string }
  | { readonly t: 'cls'; readonly c: CharClass }
  | { readonly t: 'cat'; readonly xs: readonly Node[] }
  | { readonly t: 'alt'; readonly xs: readonly Node[] }
  | { readonly t: 'star'; readonly x: Node }
  | { readonly t: 'opt'; readonly x: Node };

const lit = (s: string): Node => ({ t: 'lit', s });
const cat = (...xs: Node[]): Node => ({ t: 'cat', xs });
const alt = (...xs: Node[]): Node => (xs.length === 1 ? xs[0] : { t: 'alt', xs });
const star = (x: Node): Node => ({ t: 'star', x });
const opt = (x: Node): Node => ({ t: 'opt', x });
const plus = (x: Node): Node => cat(x, star(x));

/** One character of a value: an allowed character or a percent-encoded triplet. */
function unit(allowed: string): Node {
  return alt(
    { t: 'cls', c: charClass(allowed, true) },
    cat(lit('%'), { t: 'cls', c: HEX_CLASS }, { t: 'cls', c: HEX_CLASS }),
  );
}

interface VarSpec {
  name: string;
  explode: boolean;
}

/** Operator table of RFC 6570 appendix A. */
const OPERATORS: Record<string, { first: string; sep: string; named: boolean; ifemp: string; reserved: boolean }> = {
  '': { first: '', sep: ',', named: false, ifemp: '', reserved: false },
  '+': { first: '', sep: ',', named: false, ifemp: '', reserved: true },
  '#': { first: '#', sep: ',', named: false, ifemp: '', reserved: true },
  '.': { first: '.', sep: '.', named: false, ifemp: '', reserved: false },
  '/': { first: '/', sep: '/', named: false, ifemp: '', reserved: false },
  ';': { first: ';', sep: ';', named: true, ifemp: '', reserved: false },
  '?': { first: '?', sep: '&', named: true, ifemp: '=', reserved: false },
  '&': { first: '&', sep: '&', named: true, ifemp: '=', reserved: false },
};

function parseVarSpec(spec: string): VarSpec | undefined {
  let name = spec;
  let explode = false;
  const colon = spec.indexOf(':');
  if (colon !== -1) {
    name = spec.slice(0, colon);
    const length = spec.slice(colon + 1);
    if (!/^[1-9][0-9]{0,3}$/.test(length)) return undefined;
  } else if (spec.endsWith('*')) {
    name = spec.slice(0, -1);
    explode = true;
  }
  if (name === '') return undefined;
  for (let i = 0; i < name.length; i++) {
    if (!VARCHAR.includes(name[i])) return undefined;
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
    return undefined;
  }
  return { name, explode };
}

/** The language of one expression (the text between braces), or undefined when it is invalid. */
function expressionNode(expression: string): Node | undefined {
  let operator = '';
  let body = expression;
  if (body !== '' && '+#./;?&'.includes(body[0])) {
    operator = body[0];
    body = body.slice(1);
  } else if (body !== '' && '=,!@|'.includes(body[0])) {
    return undefined; // reserved for future extensions
  }
  const specs: VarSpec[] = [];
  for (const part of body.split(',')) {
    const spec = parseVarSpec(part);
    if (!spec) return undefined;
    specs.push(spec);
  }
  const op = OPERATORS[operator];
  const anyExplode = specs.some((s) => s.explode);
  // Characters a single value may contain: list items are joined with ",", and exploded
  // associative arrays produce "key=value" pairs.
  // `!'()*` are tolerated unencoded: encodeURIComponent-based expanders leave them as is.
  const valueChars = op.reserved
    ? UNRESERVED + RESERVED
    : UNRESERVED + LENIENT + ',' + (anyExplode && !op.named ? '=' : '');
  const value = star(unit(valueChars));
  if (!op.named) {
    // first, then the values of the defined variables joined with sep. The separator is a value
    // character for "", "+", "#" and "." (the dot is unreserved); for "/" it is not, so the number
    // of segments is bounded by the number of variables unless one is exploded.
    if (op.sep !== '/') return op.first === '' ? value : opt(cat(lit(op.first), value));
    let rest: Node = cat();
    if (anyExplode) {
      rest = star(cat(lit('/'), value));
    } else {
      for (let i = 1; i < specs.length; i++) rest = opt(cat(lit('/'), value, rest));
    }
    return opt(cat(lit('/'), value, rest));
  }
  const names: Node[] = specs.map((s) => lit(s.name));
  if (anyExplode) names.push(plus(unit(UNRESERVED))); // keys of an exploded associative array
  const name = alt(...names);
  const item = op.ifemp === '=' ? cat(name, lit('='), value) : cat(name, opt(cat(lit('='), value)));
  return opt(cat(lit(op.first), item, star(cat(lit(op.sep), item))));
}

/** Parses a template into its AST; undefined when the string is not a valid URI template. */
function parseTemplate(template: string): Node | undefined {
  const parts: Node[] = [];
  let i = 0;
  let literal = '';
  while (i < template.length) {
    const ch = template[i];
    if (ch === '{') {
      const end = template.indexOf('}', i + 1);
      if (end === -1) return undefined;
      const inner = template.slice(i + 1, end);
      if (inner.includes('{')) return undefined;
      const node = expressionNode(inner);
      if (!node) return undefined;
      if (literal) parts.push(lit(literal));
      literal = '';
      parts.push(node);
      i = end + 1;
    } else if (ch === '}') {
      return undefined;
    } else {
      literal += ch;
      i++;
    }
  }
  if (literal) parts.push(lit(literal));
  return cat(...parts);
}

// NFA: states are indices into parallel arrays.
const KIND_MATCH = 0;
const KIND_CHAR = 1; // consumes one code unit equal to `code`
const KIND_CLASS = 2; // consumes one code unit of `classes`
const KIND_SPLIT = 3; // epsilon to out1 and out2 (out2 may be -1)

class NfaBuilder {
  kind: number[] = [];
  code: number[] = [];
  cls: (CharClass | null)[] = [];
  out1: number[] = [];
  out2: number[] = [];

  add(kind: number, code = 0, cls: CharClass | null = null): number {
    this.kind.push(kind);
    this.code.push(code);
    this.cls.push(cls);
    this.out1.push(-1);
    this.out2.push(-1);
    return this.kind.length - 1;
  }

  /**
   * Compiles `node` so that it continues to `next`; returns its start state. Building backwards
   * from the accepting state avoids patch lists.
   */
  compile(node: Node, next: number): number {
    switch (node.t) {
      case 'lit': {
        let state = next;
        for (let i = node.s.length - 1; i >= 0; i--) {
          const s = this.add(KIND_CHAR, node.s.charCodeAt(i));
          this.out1[s] = state;
          state = s;
        }
        return state;
      }
      case 'cls': {
        const s = this.add(KIND_CLASS, 0, node.c);
        this.out1[s] = next;
        return s;
      }
      case 'cat': {
        let state = next;
        for (let i = node.xs.length - 1; i >= 0; i--) state = this.compile(node.xs[i], state);
        return state;
      }
      case 'alt': {
        // A chain of splits, one per alternative.
        let state = this.compile(node.xs[node.xs.length - 1], next);
        for (let i = node.xs.length - 2; i >= 0; i--) {
          const s = this.add(KIND_SPLIT);
          this.out1[s] = this.compile(node.xs[i], next);
          this.out2[s] = state;
          state = s;
        }
        return state;
      }
      case 'opt': {
        const s = this.add(KIND_SPLIT);
        this.out1[s] = this.compile(node.x, next);
        this.out2[s] = next;
        return s;
      }
      case 'star': {
        const s = this.add(KIND_SPLIT);
        this.out1[s] = this.compile(node.x, s);
        this.out2[s] = next;
        return s;
      }
    }
  }
}

/** Upper bound on the size of a compiled template, to keep matching cheap. */
export const MAX_TEMPLATE_LENGTH = 4096;

export class UriTemplateMatcher {
  private readonly kind: Uint8Array;
  private readonly code: Uint16Array;
  private readonly cls: (CharClass | null)[];
  private readonly out1: Int32Array;
  private readonly out2: Int32Array;
  private readonly start: number;
  // Scratch space reused by every match (matching is synchronous).
  private current: Int32Array;
  private nextList: Int32Array;
  private readonly mark: Uint32Array;
  private generation = 0;
  private readonly stack: Int32Array;

  private constructor(root: Node) {
    const b = new NfaBuilder();
    const accept = b.add(KIND_MATCH);
    const start = b.compile(root, accept);
    const n = b.kind.length;
    this.kind = Uint8Array.from(b.kind);
    this.code = Uint16Array.from(b.code);
    this.cls = b.cls;
    this.out1 = Int32Array.from(b.out1);
    this.out2 = Int32Array.from(b.out2);
    this.start = start;
    this.current = new Int32Array(n);
    this.nextList = new Int32Array(n);
    this.mark = new Uint32Array(n);
    this.stack = new Int32Array(n * 2 + 2);
  }

  /** Compiles a template; undefined when the string is not a valid URI template (or too long). */
  static compile(template: string): UriTemplateMatcher | undefined {
    if (template.length > MAX_TEMPLATE_LENGTH) return undefined;
    const root = parseTemplate(template);
    return root ? new UriTemplateMatcher(root) : undefined;
  }

  /** Adds the epsilon closure of `state` to `list` (returns the new length). */
  private addState(list: Int32Array, length: number, state: number): number {
    const stack = this.stack;
    const gen = this.generation;
    let top = 0;
    stack[top++] = state;
    while (top > 0) {
      const s = stack[--top];
      if (s < 0 || this.mark[s] === gen) continue;
      this.mark[s] = gen;
      if (this.kind[s] === KIND_SPLIT) {
        stack[top++] = this.out2[s];
        stack[top++] = this.out1[s];
      } else {
        list[length++] = s;
      }
    }
    return length;
  }

  private nextGeneration(): void {
    this.generation++;
    if (this.generation === 0xffffffff) {
      this.mark.fill(0);
      this.generation = 1;
    }
  }

  matches(input: string): boolean {
    let current = this.current;
    let next = this.nextList;
    this.nextGeneration();
    let length = this.addState(current, 0, this.start);
    for (let i = 0; i < input.length && length > 0; i++) {
      const c = input.charCodeAt(i);
      this.nextGeneration();
      let nextLength = 0;
      for (let k = 0; k < length; k++) {
        const s = current[k];
        const kind = this.kind[s];
        let ok = false;
        if (kind === KIND_CHAR) ok = this.code[s] === c;
        else if (kind === KIND_CLASS) {
          const cc = this.cls[s]!;
          ok = c < 128 ? cc.ascii[c] === 1 : cc.nonAscii;
        }
        if (ok) nextLength = this.addState(next, nextLength, this.out1[s]);
      }
      const swap = current;
      current = next;
      next = swap;
      length = nextLength;
    }
    for (let k = 0; k < length; k++) {
      if (this.kind[current[k]] === KIND_MATCH) return true;
    }
    return false;
  }
}
