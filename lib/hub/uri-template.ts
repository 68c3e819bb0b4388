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
 * - prefix modifiers (`{id:3}`) bound the expression as a whole: with every variable of an
 *   expression prefixed, its expansion is at most the sum of their lengths (plus separators), so a
 *   selector never matches more than its modifiers allow (`{id:1}` never matches `42`);
 * - values may contain non-ASCII characters as is (topics are IRIs, RFC 3987), besides
 *   percent-encoded triplets.
 */

/** ASCII code points allowed in a value, as a lookup table; non-ASCII is allowed when `iri` is set. */
interface CharClass {
  readonly ascii: Uint8Array;
  readonly nonAscii: boolean;
}

const classes = new Map<string, CharClass>();

/** Shared between templates: compiled templates refer to a handful of classes. */
function charClass(chars: string, nonAscii: boolean): CharClass {
  const key = (nonAscii ? '1' : '0') + chars;
  let known = classes.get(key);
  if (!known) classes.set(key, (known = buildClass(chars, nonAscii)));
  return known;
}

function buildClass(chars: string, nonAscii: boolean): CharClass {
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
  | { readonly t: 'opt'; readonly x: Node }
  /** Zero to `n` repetitions of `x`. */
  | { readonly t: 'upto'; readonly n: number; readonly x: Node };

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
  /** The prefix modifier (`{id:3}` -> 3), if any. */
  maxLength?: number;
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
  let maxLength: number | undefined;
  const colon = spec.indexOf(':');
  if (colon !== -1) {
    name = spec.slice(0, colon);
    const length = spec.slice(colon + 1);
    if (!/^[1-9][0-9]{0,3}$/.test(length)) return undefined;
    maxLength = Number(length);
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
  return { name, explode, ...(maxLength !== undefined && { maxLength }) };
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
  // Every variable prefixed: the expansion is bounded (sum of the prefixes, plus separators).
  const bounded = specs.every((s) => s.maxLength !== undefined);
  if (!op.named && bounded) {
    const total = specs.reduce((sum, s) => sum + s.maxLength!, 0) + specs.length - 1;
    const chars = valueChars.includes(op.sep) ? valueChars : valueChars + op.sep;
    const content: Node = { t: 'upto', n: total, x: unit(chars) };
    return op.first === '' ? content : opt(cat(lit(op.first), content));
  }
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
  if (bounded) {
    // Each name with its own bound; at most one item per variable.
    const items = specs.map((s) => {
      const limited: Node = { t: 'upto', n: s.maxLength!, x: unit(valueChars) };
      return op.ifemp === '=' ? cat(lit(s.name), lit('='), limited) : cat(lit(s.name), opt(cat(lit('='), limited)));
    });
    const item = alt(...items);
    return opt(cat(lit(op.first), item, { t: 'upto', n: specs.length - 1, x: cat(lit(op.sep), item) }));
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
    if (this.kind.length >= MAX_TEMPLATE_STATES) throw new TemplateTooComplex();
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
      case 'upto': {
        // Nested: each repetition either continues to the next one or leaves (built iteratively).
        let state = next;
        for (let i = 0; i < node.n; i++) {
          const s = this.add(KIND_SPLIT);
          this.out1[s] = this.compile(node.x, state);
          this.out2[s] = next;
          state = s;
        }
        return state;
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

/** Longest template compiled, to keep matching cheap. */
export const MAX_TEMPLATE_LENGTH = 4096;
/** Most NFA states of one compiled template (a prefix modifier unrolls into states). */
export const MAX_TEMPLATE_STATES = 16_384;

class TemplateTooComplex extends Error {}

// Scratch space shared by every matcher: matching is synchronous, so one set suffices, and a
// compiled template keeps only its own (small) tables.
let scratchCurrent = new Int32Array(64);
let scratchNext = new Int32Array(64);
let scratchMark = new Uint32Array(64);
let scratchStack = new Int32Array(130);
let generation = 0;

function ensureScratch(states: number): void {
  if (scratchCurrent.length >= states) return;
  const size = Math.max(states, scratchCurrent.length * 2);
  scratchCurrent = new Int32Array(size);
  scratchNext = new Int32Array(size);
  scratchMark = new Uint32Array(size);
  scratchStack = new Int32Array(size * 2 + 2);
  generation = 0;
}

function nextGeneration(): number {
  generation++;
  if (generation === 0xffffffff) {
    scratchMark.fill(0);
    generation = 1;
  }
  return generation;
}

export class UriTemplateMatcher {
  private readonly kind: Uint8Array;
  private readonly code: Uint16Array;
  /** Index into `classes` of each class state. */
  private readonly cls: Uint8Array;
  private readonly classes: CharClass[];
  private readonly out1: Int32Array;
  private readonly out2: Int32Array;
  private readonly start: number;

  private constructor(b: NfaBuilder, start: number) {
    this.kind = Uint8Array.from(b.kind);
    this.code = Uint16Array.from(b.code);
    this.classes = [...new Set(b.cls.filter((c): c is CharClass => c !== null))];
    this.cls = Uint8Array.from(b.cls, (c) => (c ? this.classes.indexOf(c) : 0));
    this.out1 = Int32Array.from(b.out1);
    this.out2 = Int32Array.from(b.out2);
    this.start = start;
  }

  /** Number of NFA states: what the template costs to keep and to match against. */
  get size(): number {
    return this.kind.length;
  }

  /**
   * Compiles a template; undefined when the string is not a valid URI template, is longer than
   * `MAX_TEMPLATE_LENGTH`, or compiles to more than `MAX_TEMPLATE_STATES` states.
   */
  static compile(template: string): UriTemplateMatcher | undefined {
    if (template.length > MAX_TEMPLATE_LENGTH) return undefined;
    const root = parseTemplate(template);
    if (!root) return undefined;
    const b = new NfaBuilder();
    try {
      const accept = b.add(KIND_MATCH);
      return new UriTemplateMatcher(b, b.compile(root, accept));
    } catch (error) {
      if (error instanceof TemplateTooComplex) return undefined;
      throw error;
    }
  }

  /** Adds the epsilon closure of `state` to `list` (returns the new length). */
  private addState(list: Int32Array, length: number, state: number, gen: number): number {
    const stack = scratchStack;
    const mark = scratchMark;
    let top = 0;
    stack[top++] = state;
    while (top > 0) {
      const s = stack[--top];
      if (s < 0 || mark[s] === gen) continue;
      mark[s] = gen;
      if (this.kind[s] === KIND_SPLIT) {
        stack[top++] = this.out2[s];
        stack[top++] = this.out1[s];
      } else {
        list[length++] = s;
      }
    }
    return length;
  }

  matches(input: string): boolean {
    ensureScratch(this.kind.length);
    let current = scratchCurrent;
    let next = scratchNext;
    let length = this.addState(current, 0, this.start, nextGeneration());
    for (let i = 0; i < input.length && length > 0; i++) {
      const c = input.charCodeAt(i);
      if (length === 1 && this.kind[current[0]] === KIND_CHAR) {
        // Fast path through literal text: one active state, no epsilon moves to follow.
        const s = current[0];
        if (this.code[s] !== c) return false;
        const to = this.kind[this.out1[s]];
        if (to === KIND_CHAR || to === KIND_MATCH) {
          current[0] = this.out1[s];
          continue;
        }
      }
      const gen = nextGeneration();
      let nextLength = 0;
      for (let k = 0; k < length; k++) {
        const s = current[k];
        const kind = this.kind[s];
        let ok = false;
        if (kind === KIND_CHAR) ok = this.code[s] === c;
        else if (kind === KIND_CLASS) {
          const cc = this.classes[this.cls[s]];
          ok = c < 128 ? cc.ascii[c] === 1 : cc.nonAscii;
        }
        if (ok) nextLength = this.addState(next, nextLength, this.out1[s], gen);
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
