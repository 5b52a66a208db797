/**
 * Symbolic integers for blocks analysed without constructor arguments. A `Sym` is a polynomial with integer
 * coefficients over atoms (the user's own parameter names, or an opaque sub-expression such as
 * `planes // 4` that does not simplify). Polynomials have one canonical rendering, so the same width reached
 * by different code (`planes * 4`, `4 * planes`, `planes * self.expansion`) compares equal as a `Dim` string,
 * and conditions are stated in the user's names (`intermediate_channels * 4 == in_channels`).
 */

/** Monomial key (atoms joined by ` * `, in canonical order; '' for the constant) -> coefficient. */
export type Terms = Map<string, number>;

const MAX_TERMS = 8;

export class Sym {
  constructor(
    readonly terms: Terms,
    /** True when the value is a Python float (`planes * (64 / 64.0)`); `int()` clears it. */
    readonly float = false,
  ) {}
}

/** Orders atoms: parameters in declaration order first, other atoms after them alphabetically. */
export class SymTable {
  private readonly order = new Map<string, number>();
  private readonly interned = new Map<string, Sym>();

  atom(name: string, float = false): Sym {
    if (!this.order.has(name)) this.order.set(name, this.order.size);
    return new Sym(new Map([[name, 1]]), float);
  }

  /** The Sym a rendered dimension came from, so `x.size(1)` gives back arithmetic-ready values. */
  fromDim(dim: string): Sym {
    return this.interned.get(dim) ?? this.atom(dim);
  }

  private rank(atom: string): number {
    return this.order.get(atom) ?? 1e6;
  }

  private monoKey(atoms: string[]): string {
    return atoms
      .slice()
      .sort((a, b) => this.rank(a) - this.rank(b) || (a < b ? -1 : a > b ? 1 : 0))
      .join(' * ');
  }

  private atomsOf(key: string): string[] {
    return key === '' ? [] : key.split(' * ');
  }

  /** A plain number when the polynomial is constant. */
  norm(s: Sym): Sym | number {
    for (const [k, c] of s.terms) if (k !== '' && c !== 0) return s;
    return s.terms.get('') ?? 0;
  }

  lift(v: Sym | number, float = false): Sym {
    return typeof v === 'number' ? new Sym(v === 0 ? new Map() : new Map([['', v]]), float) : v;
  }

  add(a: Sym | number, b: Sym | number, sign = 1): Sym | number {
    const A = this.lift(a);
    const B = this.lift(b);
    const t: Terms = new Map(A.terms);
    for (const [k, c] of B.terms) {
      const v = (t.get(k) ?? 0) + sign * c;
      if (v === 0) t.delete(k);
      else t.set(k, v);
    }
    return this.cap(new Sym(t, A.float || B.float));
  }

  mul(a: Sym | number, b: Sym | number): Sym | number {
    const A = this.lift(a);
    const B = this.lift(b);
    const t: Terms = new Map();
    for (const [ka, ca] of A.terms) {
      for (const [kb, cb] of B.terms) {
        const k = this.monoKey([...this.atomsOf(ka), ...this.atomsOf(kb)]);
        const v = (t.get(k) ?? 0) + ca * cb;
        if (v === 0) t.delete(k);
        else t.set(k, v);
      }
    }
    return this.cap(new Sym(t, A.float || B.float));
  }

  /** Floor or true division; exact when every coefficient divides, otherwise a new atom. */
  div(a: Sym | number, b: Sym | number, floor: boolean): Sym | number {
    const A = this.lift(a);
    if (typeof b === 'number' && b !== 0 && [...A.terms.values()].every((c) => Number.isInteger(c / b))) {
      const t: Terms = new Map();
      for (const [k, c] of A.terms) t.set(k, c / b);
      return this.norm(new Sym(t, floor ? A.float : true));
    }
    if (typeof b === 'number' && b !== 0 && !floor && A.float) {
      const t: Terms = new Map();
      for (const [k, c] of A.terms) t.set(k, c / b);
      return this.norm(new Sym(t, true));
    }
    return this.compound(`${this.wrap(A)} ${floor ? '//' : '/'} ${this.wrap(this.lift(b))}`, !floor);
  }

  compound(text: string, float = false): Sym {
    const s = this.atom(`(${text})`, float);
    return s;
  }

  toInt(a: Sym): Sym | number {
    if (!a.float) return a;
    if ([...a.terms.values()].every((c) => Number.isInteger(c))) return this.norm(new Sym(a.terms, false));
    return this.compound(`int(${this.render(a)})`);
  }

  /** Canonical text: terms by their first atom's rank, constant last; `planes * 4 + 1`. */
  render(s: Sym): string {
    const terms = [...s.terms].filter(([, c]) => c !== 0);
    terms.sort(([a], [b]) => {
      if (a === '') return 1;
      if (b === '') return -1;
      const ra = this.rank(this.atomsOf(a)[0]!);
      const rb = this.rank(this.atomsOf(b)[0]!);
      return ra - rb || (a < b ? -1 : a > b ? 1 : 0);
    });
    if (terms.length === 0) return '0';
    let out = '';
    terms.forEach(([k, c], i) => {
      const neg = c < 0;
      const mag = Math.abs(c);
      const body = k === '' ? String(mag) : mag === 1 ? k : `${k} * ${mag}`;
      if (i === 0) out = neg ? `-${body}` : body;
      else out += neg ? ` - ${body}` : ` + ${body}`;
    });
    const text = out.startsWith('(') && out.endsWith(')') && !out.slice(1, -1).includes('(') ? out.slice(1, -1) : out;
    if (!this.interned.has(text)) this.interned.set(text, s);
    return text;
  }

  private wrap(s: Sym): string {
    const r = this.render(s);
    return /^[\w.]+$/.test(r) ? r : `(${r})`;
  }

  /** Too many terms help nobody reading a message: collapse into one atom. */
  private cap(s: Sym): Sym | number {
    if (s.terms.size <= MAX_TERMS) return this.norm(s);
    return this.compound(this.render(s), s.float);
  }
}
