/**
 * Quick fixes as concrete text edits. The front end knows the syntax and what ran, so it can say exactly
 * which argument to change and what to insert:
 * - set `in_channels` / `num_features` / `in_features` to the width that actually arrives;
 * - give a projection shortcut the stride its block has, or insert a projection (1x1 conv + BatchNorm)
 *   where a parameter-free shortcut cannot match the main path;
 * - wire an accepted-but-unused downsample argument into `forward`.
 * A fix is offered only when it is sure to apply to every instance the edited code makes.
 */
import { isForeignSpan } from './moduleResolver';
import type { GraphBuilder } from '../../core/graph';
import type { Diagnostic, IrGraph, IrNode, QuickFix, TextEdit } from '../../core/ir';
import type { Arg, CallExpr, ClassDef, Expr, FunctionDef, Span, Stmt } from './ast';
import type { Interp } from './interp';
import { TORCH_MODULES } from '../../core/ops';
import type { AddEvent } from './library';
import { forEachStmtExpr, methodOf, methodsOf, optionalModuleParamOf, type ParamUse } from './syntax';
import { ModuleObj, Namespace, PyClass, PyFunction, type Value, isInt, numOf } from './values';

export function computeFixes(I: Interp, graph: IrGraph, _b: GraphBuilder): void {
  const f = new FixMaker(I, graph);
  for (const e of I.lib.graph.layerEvents) f.attrFix(e.module, e.diag);
  for (const e of I.lib.graph.addEvents) f.addFix(e);
  for (const u of I.unusedArgs) {
    const fix = f.wireFix(u.cls, u.use);
    if (fix) push(u.diag, fix);
  }
}

/** Edits that would land in an imported file: its code is not the file the fix edits, so such a fix is not offered. */
const foreignEdits = new WeakSet<TextEdit>();

function push(d: Diagnostic, fix: QuickFix): void {
  if (fix.edits.some((e) => foreignEdits.has(e))) return;
  (d.fixes ??= []).push(fix);
}

class FixMaker {
  private readonly byId = new Map<string, IrNode>();
  private readonly byPath = new Map<string, ModuleObj>();

  constructor(
    private readonly I: Interp,
    graph: IrGraph,
  ) {
    for (const n of graph.nodes) this.byId.set(n.id, n);
    for (const [m, p] of I.lib.graph.paths) this.byPath.set(p, m);
  }

  private edit(s: Span, newText: string): TextEdit {
    const e = { range: this.I.range(s), newText };
    if (isForeignSpan(s)) foreignEdits.add(e);
    return e;
  }

  /** The argument expression that sets `attr` in a layer constructor call, by keyword or position. */
  private argFor(call: CallExpr, type: string, attr: string): Arg | null {
    const kw = call.args.find((a) => a.name === attr);
    if (kw) return kw;
    const i = TORCH_MODULES.get(type)?.module.params.indexOf(attr) ?? -1;
    if (i < 0 || call.args.slice(0, i + 1).some((a) => a.star || a.name !== null)) return null;
    return call.args[i] ?? null;
  }

  /** Whether `call` is written as `nn.<type>(...)` (not a partial or a helper whose arguments are shifted). */
  private directCall(call: CallExpr, type: string): boolean {
    const fn = call.fn;
    return (fn.k === 'attr' && fn.name === type) || (fn.k === 'name' && fn.id === type);
  }

  /** Editing a call site is safe when it builds this one module, or when the argument is a literal anyway. */
  private safeToEdit(call: CallExpr, arg: Arg | null): boolean {
    return (this.I.instancesBySite.get(call) ?? 0) === 1 || (arg !== null && arg.e.k === 'num');
  }

  attrFix(m: ModuleObj, d: Diagnostic): void {
    const attr = d.fix?.attr;
    const value = d.fix?.value;
    const call = m.ctorCall;
    const type = m.layer?.type;
    if (!attr || typeof value !== 'number' || !call || !type || !this.directCall(call, type)) return;
    const arg = this.argFor(call, type, attr);
    if (!arg || !this.safeToEdit(call, arg)) return;
    push(d, { title: `Set ${attr} to ${value}`, edits: [this.edit(arg.e, String(value))] });
  }

  addFix(e: AddEvent): void {
    const d = e.diag;
    const cls = e.module?.cls;
    if (!(cls instanceof PyClass) || !cls.def) return;
    const failing = d.severity === 'error' || d.code === 'shape/residual-add-condition';
    const viaConv = d.severity === 'error' ? this.shortcutConv(e) : null;
    if (viaConv) {
      const fix = this.strideFix(viaConv, e);
      if (fix) push(d, fix);
      return;
    }
    // Wiring an unused downsample argument alone leaves the add failing wherever nobody passes one: the block
    // needs a projection it builds itself when the shapes differ (the argument still wins when given).
    const projection = failing ? this.projectionFix(e, cls) : null;
    if (projection) {
      push(d, projection);
      const padded = this.padFix(e, cls);
      if (padded) push(d, padded);
      return;
    }
    const unused = this.unusedOptional(cls);
    if (unused) {
      const fix = this.wireFix(cls, unused);
      if (fix) push(d, fix);
    }
  }

  /** An optional module parameter the class stores but never reads after `__init__`. */
  private unusedOptional(cls: PyClass): ParamUse | null {
    const u = this.I.unusedArgs.find((x) => x.cls === cls && x.use.param.default?.k === 'const' && x.use.param.default.v === null);
    if (u) return u.use;
    const o = optionalModuleParamOf(cls.def!);
    if (o && o.storedAs.length && !this.readsAttr(cls.def!, o.storedAs[0]!)) return o;
    return null;
  }

  private readsAttr(c: ClassDef, attr: string): boolean {
    let found = false;
    for (const m of methodsOf(c)) {
      if (m.name === '__init__') continue;
      forEachStmtExpr(m.body, (e) => {
        if (e.k === 'attr' && e.name === attr && e.obj.k === 'name' && e.obj.id === (m.params[0]?.name ?? 'self')) found = true;
      });
    }
    return found;
  }

  // ------------------------------------------------------------ wire an unused downsample

  wireFix(cls: PyClass, use: ParamUse): QuickFix | null {
    const def = cls.def;
    const d = use.param.default;
    if (!def || !d || d.k !== 'const' || d.v !== null) return null;
    const site = this.shortcutOperand(def);
    if (!site) return null;
    const I = this.I;
    const edits: TextEdit[] = [];
    let attr = use.storedAs[0];
    if (!attr) {
      const init = methodOf(def, '__init__');
      const last = init?.body[init.body.length - 1];
      if (!init || !last) return null;
      attr = use.param.name;
      const at = this.endOfStatement(last);
      edits.push(this.edit({ from: at, to: at }, `\n${this.bodyIndent(init)}${init.params[0]?.name ?? 'self'}.${attr} = ${use.param.name}`));
    }
    const ind = I.lines.indentAt(site.stmt.from);
    const lineStart = I.lines.lineStart(site.stmt.from);
    const self = site.self;
    edits.push(this.edit({ from: lineStart, to: lineStart }, `${ind}if ${self}.${attr} is not None:\n${ind}    ${site.name} = ${self}.${attr}(${site.name})\n`));
    return { title: `Apply ${use.param.name} to the shortcut in forward`, edits };
  }

  /**
   * The residual add's shortcut operand in the class's methods: a plain name that holds the block input
   * (`identity = x`, `identity = x.clone()`, or `x` itself), added with `+=`, `+` or `torch.add`.
   */
  private shortcutOperand(def: ClassDef): { stmt: Stmt; name: string; self: string } | null {
    for (const m of methodsOf(def)) {
      if (m.name === '__init__') continue;
      const self = m.params[0]?.name ?? 'self';
      const input = m.params[1]?.name;
      if (!input) continue;
      const holdsInput = new Set([input]);
      let hit: { stmt: Stmt; name: string; self: string } | null = null;
      const consider = (ops: Expr[], s: Stmt): void => {
        if (hit) return;
        const names = ops.filter((o): o is Extract<Expr, { k: 'name' }> => o.k === 'name');
        const pick = names.find((n, i) => holdsInput.has(n.id) && i === names.length - 1) ?? names.find((n) => holdsInput.has(n.id) && n.id !== input) ?? names.find((n) => holdsInput.has(n.id));
        if (pick && names.length === 2) hit = { stmt: s, name: pick.id, self };
      };
      forEachStmtExpr(
        m.body,
        (e, s) => {
          if (e.k === 'bin' && e.op === '+') consider([e.l, e.r], s);
          if (e.k === 'call' && e.fn.k === 'attr' && e.fn.name === 'add' && e.args.length >= 2) consider([e.args[0]!.e, e.args[1]!.e], s);
        },
        false,
        (s) => {
          if (s.k === 'assign' && s.targets.length === 1 && s.targets[0]!.k === 'name') {
            const v = s.value;
            const fromInput = (v.k === 'name' && holdsInput.has(v.id)) || (v.k === 'call' && v.fn.k === 'attr' && ['clone', 'detach', 'contiguous'].includes(v.fn.name) && v.fn.obj.k === 'name' && holdsInput.has(v.fn.obj.id));
            const t = s.targets[0]!.id;
            if (fromInput) holdsInput.add(t);
            else if (t !== input) holdsInput.delete(t);
            else holdsInput.delete(t);
          }
          if (s.k === 'aug' && s.op === '+' && s.target.k === 'name') consider([s.target, s.value], s);
        },
      );
      if (hit) return hit;
    }
    return null;
  }

  // ------------------------------------------------------------ a projection that lacks its stride

  /** The conv on the shortcut branch of a failed add, if the shortcut is a projection. */
  private shortcutConv(e: AddEvent): { node: IrNode; module: ModuleObj } | null {
    const stop = e.blockInput?.node;
    let cur = this.byId.get(e.other.node);
    for (let i = 0; cur && i < 8 && cur.id !== stop; i++) {
      if (cur.op === 'Conv2d') {
        const m = this.byPath.get(cur.name);
        return m ? { node: cur, module: m } : null;
      }
      if (cur.inputs.length !== 1) return null;
      cur = this.byId.get(cur.inputs[0]!);
    }
    return null;
  }

  private strideFix(c: { node: IrNode; module: ModuleObj }, e: AddEvent): QuickFix | null {
    const main = e.main.shape;
    const inShape = c.node.inputShapes[0];
    const call = c.module.ctorCall;
    const layer = c.module.layer;
    if (!main || !inShape || !call || !layer || !this.directCall(call, layer.type)) return null;
    const hMain = main[main.length - 2];
    const hIn = inShape[inShape.length - 2];
    if (typeof hMain !== 'number' || typeof hIn !== 'number') return null;
    const k = layer.attrs['kernel_size'];
    const p = layer.attrs['padding'] ?? 0;
    const kk = Array.isArray(k) ? k[0] : k;
    const pp = Array.isArray(p) ? p[0] : p;
    if (typeof kk !== 'number' || typeof pp !== 'number') return null;
    let stride: number | null = null;
    for (let s = 1; s <= 8; s++) if (Math.floor((hIn + 2 * pp - kk) / s) + 1 === hMain) stride = stride ?? s;
    if (stride === null) return null;
    const cur = layer.attrs['stride'];
    if ((Array.isArray(cur) ? cur[0] : cur ?? 1) === stride) return null;
    const name = this.variableFor(c.module, stride, 'stride');
    const text = name ?? String(stride);
    const arg = this.argFor(call, layer.type, 'stride');
    if (!name && !this.safeToEdit(call, arg)) return null;
    const title = `Pass stride=${text}${name ? ` (${stride})` : ''} to ${c.node.name}`;
    if (arg) return { title, edits: [this.edit(arg.e, text)] };
    return { title, edits: [this.insertArg(call, `stride=${text}`)] };
  }

  /** A variable visible at the constructor call whose value is `value`, preferring the name `prefer`. */
  private variableFor(m: ModuleObj, value: number, prefer: string): string | null {
    const scope = m.ctorScope;
    if (!scope) return null;
    const matches = (v: Value | undefined): boolean => v !== undefined && isInt(v) && numOf(v) === value;
    if (matches(scope.vars.get(prefer))) return prefer;
    return null;
  }

  private insertArg(call: CallExpr, text: string): TextEdit {
    const src = this.I.text;
    let close = call.argsSpan.to - 1;
    let j = close - 1;
    while (j > call.argsSpan.from && /\s/.test(src[j]!)) j--;
    const hasArgs = call.args.length > 0;
    const trailingComma = src[j] === ',';
    if (!hasArgs) return this.edit({ from: close, to: close }, text);
    if (trailingComma) {
      close = j + 1;
      return this.edit({ from: close, to: close }, ` ${text},`);
    }
    return this.edit({ from: j + 1, to: j + 1 }, `, ${text}`);
  }

  // ------------------------------------------------------------ insert a projection shortcut

  /**
   * What a projection for this block is written from: the block's first conv's `in_channels`, its last conv's
   * `out_channels` and the stride of its main path, as source text of its `__init__`.
   */
  private projectionParts(e: AddEvent, cls: PyClass): { init: FunctionDef; inText: string; outText: string; strideText: string; convs: IrNode[] } | null {
    const I = this.I;
    const def = cls.def!;
    const init = methodOf(def, '__init__');
    const m = e.module;
    if (!init || !m || !e.blockInput) return null;
    const inside = (s: Span | null): boolean => !!s && s.from >= init.from && s.to <= init.to;
    // The block's own layers, written in its __init__, give the expressions for the projection.
    // The block analysed on its own is the root module, whose path is empty.
    const path = I.lib.graph.paths.get(m);
    const convs = [...this.byId.values()].filter((n) => n.op === 'Conv2d' && (path ? n.name.startsWith(`${path}.`) : true));
    const first = convs.find((n) => n.inputs.includes(e.blockInput!.node));
    const last = this.nearestConv(e.main.node, e.blockInput.node);
    const firstM = first ? this.byPath.get(first.name) : undefined;
    const lastM = last ? this.byPath.get(last.name) : undefined;
    /**
     * A conv argument as the block's `__init__` writes it: in the `nn.Conv2d(...)` call there, or through a
     * helper such as torchvision's `conv3x3(inplanes, planes, stride)`, whose parameter the conv receives.
     */
    const initArg = (mm: ModuleObj | undefined, attr: string): Expr | null => {
      const call = mm?.ctorCall;
      if (!call) return null;
      const a = this.argFor(call, 'Conv2d', attr);
      if (inside(call)) return a?.e ?? null;
      const own = mm === undefined ? undefined : I.lib.graph.paths.get(mm)?.split('.').pop();
      if (!own) return null;
      let site: CallExpr | null = null;
      forEachStmtExpr(init.body, () => undefined, false, (st) => {
        if (site || st.k !== 'assign' || st.targets.length !== 1 || st.value.k !== 'call') return;
        const t = st.targets[0]!;
        if (t.k === 'attr' && t.name === own) site = st.value;
      });
      const helperCall = site as CallExpr | null;
      if (!helperCall || helperCall.fn.k !== 'name') return null;
      const helper = I.globals.vars.get(helperCall.fn.id);
      if (!(helper instanceof PyFunction) || helper.def.k === 'lambda' || !(call.from >= helper.def.from && call.to <= helper.def.to)) return null;
      if (!a) {
        // `stride` left to the helper's parameter of that name.
        const i = helper.def.params.findIndex((p) => p.name === attr);
        const passed = helperCall.args.find((x) => x.name === attr) ?? (i >= 0 && helperCall.args.slice(0, i + 1).every((x) => !x.star && x.name === null) ? helperCall.args[i] : undefined);
        return passed?.e ?? null;
      }
      if (a.e.k !== 'name') return a.e.k === 'num' ? a.e : null;
      const id = a.e.id;
      const i = helper.def.params.findIndex((p) => p.name === id);
      if (i < 0) return null;
      const passed = helperCall.args.find((x) => x.name === id) ?? (helperCall.args.slice(0, i + 1).every((x) => !x.star && x.name === null) ? helperCall.args[i] : undefined);
      return passed?.e ?? helper.def.params[i]!.default;
    };
    const inArg = initArg(firstM, 'in_channels');
    const outArg = initArg(lastM, 'out_channels');
    if (!inArg || !outArg) return null;
    // The stride as written (a `stride` argument), so the projection follows every instance, not only this one.
    let strideText = '1';
    for (const n of convs) {
      const a = initArg(this.byPath.get(n.name), 'stride');
      if (a && !(a.k === 'num' && a.v === 1)) {
        strideText = I.src(a);
        break;
      }
      const s = n.attrs['stride'];
      const sv = Array.isArray(s) ? s[0] : s;
      if (typeof sv === 'number' && sv !== 1) {
        strideText = String(sv);
        break;
      }
    }
    return { init, inText: I.src(inArg), outText: I.src(outArg), strideText, convs };
  }

  private projectionFix(e: AddEvent, cls: PyClass): QuickFix | null {
    const I = this.I;
    const def = cls.def!;
    const parts = this.projectionParts(e, cls);
    const nn = this.nnName();
    if (!parts || !nn) return null;
    const { init, inText, outText, strideText } = parts;
    const self = init.params[0]?.name ?? 'self';
    const ind = this.bodyIndent(init);
    const cond = strideText === '1' ? `${inText} != ${outText}` : `${strideText} != 1 or ${inText} != ${outText}`;
    const projection = (target: string): string =>
      `\n${ind}    ${target} = ${nn}.Sequential(` +
      `\n${ind}        ${nn}.Conv2d(${inText}, ${outText}, kernel_size=1, stride=${strideText}, bias=False),` +
      `\n${ind}        ${nn}.BatchNorm2d(${outText}),` +
      `\n${ind}    )`;
    const at = this.endOfStatement(init.body[init.body.length - 1]!);

    // A block that takes an optional downsample (`identity_downsample=None`, torchvision's `downsample=None`)
    // builds it when none is passed and the shapes differ, and applies it before the add.
    const given = optionalModuleParamOf(def);
    const attr = given?.storedAs[0];
    if (given && attr) {
      const edits: TextEdit[] = [this.edit({ from: at, to: at }, `\n${ind}if ${self}.${attr} is None and (${cond}):${projection(`${self}.${attr}`)}`)];
      if (!this.readsAttr(def, attr)) {
        const wire = this.wireFix(cls, given);
        if (!wire) return null;
        edits.push(...wire.edits);
      }
      return { title: `Insert a projection shortcut as ${given.param.name} (1x1 conv + BatchNorm)`, edits };
    }

    const shortcut = ['shortcut', 'projection', 'proj_shortcut'].find((a) => !this.usesAttr(def, a));
    if (!shortcut) return null;
    const operand = this.operandAt(e, def);
    if (!operand) return null;
    const block = `\n${ind}${self}.${shortcut} = ${nn}.Identity()` + `\n${ind}if ${cond}:` + projection(`${self}.${shortcut}`);
    return {
      title: 'Insert a projection shortcut (1x1 conv + BatchNorm)',
      edits: [this.edit({ from: at, to: at }, block), this.edit(operand.e, `${operand.self}.${shortcut}(${I.src(operand.e)})`)],
    };
  }

  /**
   * He et al.'s option A, for basic blocks (two 3x3 convs, as CIFAR ResNets have): the shortcut keeps every
   * `stride`-th pixel and zero-pads the new channels, adding no parameters. Offered after the projection.
   */
  private padFix(e: AddEvent, cls: PyClass): QuickFix | null {
    const I = this.I;
    const def = cls.def!;
    const parts = this.projectionParts(e, cls);
    const nn = this.nnName();
    if (!parts || !nn) return null;
    const k3 = parts.convs.filter((n) => {
      const k = n.attrs['kernel_size'];
      return (Array.isArray(k) ? k[0] : k) === 3;
    });
    if (parts.convs.length !== 2 || k3.length !== 2) return null;
    const operand = this.operandAt(e, def);
    if (!operand || operand.e.k !== 'name' && operand.e.k !== 'call' && operand.e.k !== 'attr') return null;
    const { init, inText, outText, strideText } = parts;
    const self = init.params[0]?.name ?? 'self';
    const attr = ['pad_shortcut', 'shortcut_pad'].find((a) => !this.usesAttr(def, a));
    if (!attr) return null;
    const ind = this.bodyIndent(init);
    const at = this.endOfStatement(init.body[init.body.length - 1]!);
    const x = I.src(operand.e);
    const fself = operand.self;
    // Channels are padded at the end: (0, 0, 0, 0, 0, extra) pads W, H, then C of an NCHW tensor.
    const padded = `${nn}.functional.pad(${x}[:, :, ::${fself}.${attr}[0], ::${fself}.${attr}[0]], (0, 0, 0, 0, 0, ${fself}.${attr}[1]))`;
    return {
      title: 'Insert a parameter-free shortcut (option A: subsample and zero-pad channels)',
      edits: [
        this.edit({ from: at, to: at }, `\n${ind}${self}.${attr} = (${strideText}, ${outText} - ${inText})`),
        this.edit(operand.e, `(${padded} if ${fself}.${attr} != (1, 0) else ${x})`),
      ],
    };
  }

  /** The conv closest to `from` walking back along the main path to the block input. */
  private nearestConv(from: string, stop: string): IrNode | null {
    let cur = this.byId.get(from);
    for (let i = 0; cur && i < 64 && cur.id !== stop; i++) {
      if (cur.op === 'Conv2d') return cur;
      cur = this.byId.get(cur.inputs[0] ?? '');
    }
    return null;
  }

  /** The shortcut operand of the add at `e.at`: the one holding the block input (the second when unsure). */
  private operandAt(e: AddEvent, def: ClassDef): { e: Expr; self: string } | null {
    for (const m of methodsOf(def)) {
      if (e.at.from < m.from || e.at.to > m.to) continue;
      const self = m.params[0]?.name ?? 'self';
      let found: Expr | null = null;
      forEachStmtExpr(
        m.body,
        (x) => {
          if (found || x.from !== e.at.from || x.to !== e.at.to) return;
          if (x.k === 'bin') found = e.main.node === e.blockInput?.node ? x.l : x.r;
          if (x.k === 'call' && x.args.length >= 2) found = e.main.node === e.blockInput?.node ? x.args[0]!.e : x.args[1]!.e;
        },
        false,
        (s) => {
          if (!found && s.k === 'aug' && s.from === e.at.from && s.to === e.at.to) found = s.value;
        },
      );
      if (found) return { e: found, self };
    }
    return null;
  }

  private usesAttr(def: ClassDef, attr: string): boolean {
    let used = def.body.some((s) => (s.k === 'def' || s.k === 'class') && s.name === attr);
    for (const m of methodsOf(def)) {
      forEachStmtExpr(m.body, (e) => {
        if (e.k === 'attr' && e.name === attr) used = true;
      });
    }
    return used;
  }

  /** The name the file uses for `torch.nn`. */
  private nnName(): string | null {
    let torchName: string | null = null;
    for (const [k, v] of this.I.globals.vars) {
      if (v instanceof Namespace && v.name === 'torch.nn') return k;
      if (v instanceof Namespace && v.name === 'torch') torchName = k;
    }
    return torchName ? `${torchName}.nn` : null;
  }

  private bodyIndent(f: FunctionDef): string {
    const first = f.body[0];
    return first ? this.I.lines.indentAt(first.from) : `${this.I.lines.indentAt(f.from)}    `;
  }

  /** Offset at the end of a statement's last line (before its newline), for inserting lines after it. */
  private endOfStatement(s: Stmt): number {
    const src = this.I.text;
    let j = Math.min(s.to, src.length) - 1;
    while (j > s.from && /\s/.test(src[j]!)) j--;
    return this.I.lines.lineEnd(j);
  }
}

