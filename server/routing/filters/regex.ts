/*
 * The filters' bounded regular expressions, pure: a small parser and a Pike VM (Thompson NFA
 * simulation) whose time is linear in the text for a given pattern — hostile mail cannot make
 * it backtrack, whatever the pattern. JS RegExp backtracks: `(a|aa)+$` passes safe-regex2 and
 * still takes forever on 1 KB of "a". Case-insensitive always; ^ and $ are the text's ends.
 * Supported: literals, ., [classes] with ranges, \d \w \s (and negations), groups (…) (?:…),
 * alternation, * + ? {m} {m,} {m,n} (n ≤ 100). Refused: backreferences, lookaround, \b.
 */

type Pred = (c: number) => boolean;
type Node =
  | { t: 'pred'; p: Pred } | { t: 'bol' } | { t: 'eol' }
  | { t: 'cat'; a: Node[] } | { t: 'alt'; a: Node[] } | { t: 'rep'; n: Node; min: number; max: number };
type Ins = { op: 'char'; p: Pred } | { op: 'split'; x: number; y: number } | { op: 'jmp'; x: number } | { op: 'bol' } | { op: 'eol' } | { op: 'match' };

export const PATTERN_MAX = 300;
const REPEAT_MAX = 100;
const PROGRAM_MAX = 4000;

export class PatternError extends Error {}

const isDigit: Pred = (c) => c >= 48 && c <= 57;
const isWord: Pred = (c) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isSpace: Pred = (c) => c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0xfeff || (c >= 0x2000 && c <= 0x200a) || c === 0x3000;
const not = (p: Pred): Pred => (c) => !p(c);
const upper = (c: number) => String.fromCharCode(c).toUpperCase().charCodeAt(0);
/** Text is lowercased once; a class written in capitals still matches its letters. */
const folded = (p: Pred): Pred => (c) => p(c) || p(upper(c));

function parse(src: string): Node {
  let i = 0;
  const fail = (why: string): never => { throw new PatternError(`${why} at position ${i + 1}`); };
  const peek = () => src[i];

  function escape(inClass: boolean): Pred | number {
    const c = src[i++];
    if (c === undefined) return fail('a trailing backslash');
    switch (c) {
      case 'd': return isDigit; case 'D': return not(isDigit);
      case 'w': return isWord; case 'W': return not(isWord);
      case 's': return isSpace; case 'S': return not(isSpace);
      case 'n': return 10; case 'r': return 13; case 't': return 9; case 'f': return 12; case 'v': return 11; case '0': return 0;
      case 'x': case 'u': {
        const len = c === 'x' ? 2 : 4;
        const hex = src.slice(i, i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) return fail(`\\${c} needs ${len} hex digits`);
        i += len;
        return parseInt(hex, 16);
      }
      case 'b': case 'B': if (inClass && c === 'b') return 8; return fail('word boundaries (\\b) are not supported');
      default:
        if (/[1-9]/.test(c)) return fail('backreferences are not supported');
        if (/[A-Za-z0-9]/.test(c)) return fail(`unknown escape \\${c}`);
        return c.charCodeAt(0);
    }
  }

  function charClass(): Pred {
    const negate = peek() === '^';
    if (negate) i++;
    const preds: Pred[] = [];
    let first = true;
    while (i < src.length && (peek() !== ']' || first)) {
      first = false;
      let lo: Pred | number;
      if (peek() === '\\') { i++; lo = escape(true); } else lo = src.charCodeAt(i++);
      if (typeof lo === 'number' && peek() === '-' && src[i + 1] !== undefined && src[i + 1] !== ']') {
        i++;
        let hi: Pred | number;
        if (peek() === '\\') { i++; hi = escape(true); } else hi = src.charCodeAt(i++);
        if (typeof hi !== 'number') return fail('a class range ends in a class');
        if (hi < lo) return fail('a class range out of order');
        const a = lo, b = hi;
        preds.push((c) => c >= a && c <= b);
      } else if (typeof lo === 'number') { const a = lo; preds.push((c) => c === a); } else preds.push(lo);
    }
    if (peek() !== ']') return fail('an unclosed [');
    i++;
    const any = folded((c) => preds.some((p) => p(c)));
    return negate ? not(any) : any;
  }

  function atom(): Node {
    const c = src[i++]!;
    switch (c) {
      case '(': {
        if (peek() === '?') {
          if (src[i + 1] !== ':') return fail('lookarounds and named groups are not supported');
          i += 2;
        }
        const n = alt();
        if (peek() !== ')') return fail('an unclosed (');
        i++;
        return n;
      }
      case '[': return { t: 'pred', p: charClass() };
      case '.': return { t: 'pred', p: (x) => x !== 10 && x !== 13 };
      case '^': return { t: 'bol' };
      case '$': return { t: 'eol' };
      case '\\': { const e = escape(false); return { t: 'pred', p: typeof e === 'number' ? eq(e) : e }; }
      case '*': case '+': case '?': case '{': i--; return fail('nothing to repeat');
      case ')': i--; return fail('an unmatched )');
      default: return { t: 'pred', p: eq(c.charCodeAt(0)) };
    }
  }
  const eq = (code: number): Pred => { const l = String.fromCharCode(code).toLowerCase().charCodeAt(0); return (x) => x === l; };

  function quantified(n: Node): Node {
    const c = peek();
    let min: number, max: number;
    if (c === '*') { min = 0; max = Infinity; i++; } else if (c === '+') { min = 1; max = Infinity; i++; } else if (c === '?') { min = 0; max = 1; i++; } else if (c === '{') {
      const m = /^\{(\d{1,3})(,(\d{0,3}))?\}/.exec(src.slice(i));
      if (!m) return fail('a malformed {m,n}');
      min = Number(m[1]); max = m[2] === undefined ? min : m[3] ? Number(m[3]) : Infinity;
      if (min > REPEAT_MAX || (max !== Infinity && (max > REPEAT_MAX || max < min))) return fail(`{m,n} must be ordered and at most ${REPEAT_MAX}`);
      i += m[0].length;
    } else return n;
    if (peek() === '?') i++; // lazy: the same answer for "does it match"
    if (peek() === '*' || peek() === '+' || peek() === '{') return fail('a quantifier after a quantifier');
    return { t: 'rep', n, min, max };
  }

  function cat(): Node {
    const a: Node[] = [];
    while (i < src.length && peek() !== '|' && peek() !== ')') a.push(quantified(atom()));
    return { t: 'cat', a };
  }
  function alt(): Node {
    const a = [cat()];
    while (peek() === '|') { i++; a.push(cat()); }
    return a.length === 1 ? a[0]! : { t: 'alt', a };
  }

  const n = alt();
  if (i < src.length) return fail('an unmatched )');
  return n;
}

function compile(root: Node): Ins[] {
  const prog: Ins[] = [];
  const push = (ins: Ins) => { if (prog.length >= PROGRAM_MAX) throw new PatternError('the pattern is too complex'); prog.push(ins); return prog.length - 1; };
  function emit(n: Node): void {
    switch (n.t) {
      case 'pred': push({ op: 'char', p: n.p }); return;
      case 'bol': push({ op: 'bol' }); return;
      case 'eol': push({ op: 'eol' }); return;
      case 'cat': n.a.forEach(emit); return;
      case 'alt': {
        const jumps: number[] = [];
        n.a.forEach((b, k) => {
          if (k === n.a.length - 1) { emit(b); return; }
          const s = push({ op: 'split', x: 0, y: 0 });
          (prog[s] as { x: number }).x = prog.length;
          emit(b);
          jumps.push(push({ op: 'jmp', x: 0 }));
          (prog[s] as { y: number }).y = prog.length;
        });
        for (const j of jumps) (prog[j] as { x: number }).x = prog.length;
        return;
      }
      case 'rep': {
        for (let k = 0; k < n.min; k++) emit(n.n);
        if (n.max === Infinity) {
          const s = push({ op: 'split', x: 0, y: 0 });
          (prog[s] as { x: number }).x = prog.length;
          emit(n.n);
          push({ op: 'jmp', x: s });
          (prog[s] as { y: number }).y = prog.length;
        } else {
          const splits: number[] = [];
          for (let k = n.min; k < n.max; k++) {
            const s = push({ op: 'split', x: 0, y: 0 });
            (prog[s] as { x: number }).x = prog.length;
            splits.push(s);
            emit(n.n);
          }
          for (const s of splits) (prog[s] as { y: number }).y = prog.length;
        }
      }
    }
  }
  emit(root);
  push({ op: 'match' });
  return prog;
}

export interface Pattern { source: string; test(text: string): boolean }

/** Compiles a pattern or throws PatternError with a reason fit for a form. */
export function compilePattern(source: string): Pattern {
  if (source.length > PATTERN_MAX) throw new PatternError(`at most ${PATTERN_MAX} characters`);
  const prog = compile(parse(source));
  const n = prog.length;
  return {
    source,
    test(input: string): boolean {
      const text = input.toLowerCase();
      const len = text.length;
      let clist = new Int32Array(n), nlist = new Int32Array(n);
      const mark = new Int32Array(n).fill(-1);
      const stack = new Int32Array(n * 2 + 2);
      let gen = 0;
      // Adds pc and what it reaches without reading a character; true when that reaches a match.
      const add = (list: Int32Array, count: number, pc0: number, at: number): number => {
        let sp = 0;
        stack[sp++] = pc0;
        while (sp) {
          const pc = stack[--sp]!;
          if (mark[pc] === gen) continue;
          mark[pc] = gen;
          const ins = prog[pc]!;
          switch (ins.op) {
            case 'match': return -1;
            case 'jmp': stack[sp++] = ins.x; break;
            case 'split': stack[sp++] = ins.y; stack[sp++] = ins.x; break;
            case 'bol': if (at === 0) stack[sp++] = pc + 1; break;
            case 'eol': if (at === len) stack[sp++] = pc + 1; break;
            case 'char': list[count++] = pc;
          }
        }
        return count;
      };
      let cn = add(clist, 0, 0, 0);
      if (cn < 0) return true;
      for (let at = 0; at < len; at++) {
        const c = text.charCodeAt(at);
        gen++;
        let nn = 0;
        for (let k = 0; k < cn; k++) {
          const pc = clist[k]!;
          if ((prog[pc] as { p: Pred }).p(c)) { nn = add(nlist, nn, pc + 1, at + 1); if (nn < 0) return true; }
        }
        // Unanchored: a match may also start at the next position.
        nn = add(nlist, nn, 0, at + 1);
        if (nn < 0) return true;
        [clist, nlist] = [nlist, clist];
        cn = nn;
      }
      return false;
    },
  };
}
