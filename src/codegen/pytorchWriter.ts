/**
 * IR -> idiomatic PyTorch source: one `nn.Module` class per distinct block structure (channel counts and
 * strides become constructor arguments), stages built by a `_make_layer` helper as torchvision builds them,
 * plain containers as `nn.Sequential`, a model class with `forward`, and a factory function. Attribute names
 * follow the IR's module paths, so `state_dict()` keys are the paths the analysis shows. The writer is a back
 * end of the catalogue: how each op is spelled comes from its `torch.modules[0]` and `pytorch` fields.
 */
import { formatShape } from '../core/dims';
import type { AttrValue, Attrs, IrGraph, IrNode } from '../core/ir';
import { OP_SPECS } from '../core/ops';
import { fmtInt } from '../core/report';
import { isUnsupported, unsupported } from '../core/opTypes';
import {
  CHANNEL_ATTRS,
  CodegenError,
  type Member,
  type ModuleTree,
  type Scope,
  buildTree,
  channels,
  describeNode,
  strideOf,
  torchAttrs,
  unsupportedForPyTorch,
} from './moduleTree';
import { type PyExpr, call, className, doubleQuoted, flat, functionName, layout, parseExpr, pyIdent, pyValue } from './pyFormat';

export interface PyTorchWriteOptions {
  /** The file the model came from, named in the generated docstring. */
  sourceFile?: string;
}

export interface WrittenPyTorch {
  code: string;
  /** The factory function to build the model with (`resnet50`). */
  factory: string;
  /** The model class. */
  modelClass: string;
}

type Kind = 'sequential' | 'stage' | 'class' | 'lambda';

/** How one constructor value of a class is written: a literal, an expression over the block's arguments, or an argument of its own. */
type Resolved = { lit: AttrValue } | { code: string } | { param: string };

interface Param {
  name: string;
  hint: string;
  default?: string;
}

interface ClassInfo {
  name: string;
  label: string;
  instances: Scope[];
  /** The optional shortcut member (`downsample`), present in some instances only or in all. */
  ds: string | null;
  dsSig: string | null;
  /** A residual block whose channels and stride are written through `inplanes`, `planes`, `stride`. */
  block: boolean;
  expansion: number;
  resolved: Map<string, Resolved>;
  params: Param[];
  /** How the optional shortcut's presence is decided. */
  dsRule: 'always' | 'standard' | 'param' | null;
}

const BLOCK_VARS = ['inplanes', 'planes', 'stride'] as const;

class Writer {
  private readonly tree: ModuleTree;
  private readonly kinds = new Map<Scope, Kind>();
  private readonly classOf = new Map<Scope, ClassInfo>();
  private readonly classes: ClassInfo[] = [];
  private readonly keys = new Map<Scope, string>();
  private readonly shortcutOf = new Map<Scope, Scope | null>();
  /** Parameter-free shortcuts made of tensor operations (CIFAR's option A), each a scope of its own here. */
  private readonly lambdas = new Set<Scope>();
  private usesLambda = false;
  private usesF = false;
  private readonly typing = new Set<string>();

  constructor(private readonly g: IrGraph) {
    const refused = unsupportedForPyTorch(g);
    if (refused.length) throw new CodegenError(refused.map((r) => r.message).join('\n'), refused[0]!.source);
    this.tree = buildTree(g);
    this.visit(this.tree.root);
    for (const c of this.classes) this.resolveClass(c);
  }

  // ------------------------------------------------------------------------------------------------------
  // Structure: which scopes are classes, which classes are the same

  private kind(s: Scope): Kind {
    if (this.lambdas.has(s)) return 'lambda';
    let k = this.kinds.get(s);
    if (k) return k;
    k = 'class';
    // Numbered members in a chain are a Sequential whatever its class (`class ConvNormAct(nn.Sequential)`).
    const chain = s.inputs.length === 1 && s.members.every((m, i) => m.rel === String(i));
    const linked =
      chain &&
      s.members.every((m, i) => {
        const prev = i === 0 ? s.inputs[0] : outputOf(s.members[i - 1]!);
        if (m.kind === 'node') return m.node.inputs.length === 1 && m.node.inputs[0] === prev && !m.node.shared && OP_SPECS[m.node.op].pytorch !== undefined && isModule(m.node);
        return m.scope.inputs.length === 1 && m.scope.inputs[0] === prev;
      });
    if (linked && s.members.length > 0) {
      const blocks = s.members.every((m) => m.kind === 'scope' && m.scope.group?.kind === 'block');
      k = blocks ? 'stage' : 'sequential';
    }
    this.kinds.set(s, k);
    return k;
  }

  /** Assigns every class scope under `s` (depth first) to a class; returns `s`'s structural key. */
  private visit(s: Scope): string {
    for (const m of s.members) if (m.kind === 'scope') this.visit(m.scope);
    const kind = s.group ? this.kind(s) : 'class';
    const ds = kind === 'class' ? this.shortcut(s) : null;
    const key = this.signature(s, ds);
    this.keys.set(s, key);
    if (kind !== 'class' || !s.group) return key;
    const dsSig = ds ? this.keys.get(ds)! : null;
    const fullKey = `${s.group.label}|${key}`;
    let c = this.classes.find((x) => x.instances[0] && `${x.label}|${this.keys.get(x.instances[0])}` === fullKey && (x.dsSig === null || dsSig === null || x.dsSig === dsSig));
    if (!c) {
      c = { name: '', label: s.group.label, instances: [], ds: null, dsSig: null, block: s.group.kind === 'block', expansion: 1, resolved: new Map(), params: [], dsRule: null };
      this.classes.push(c);
    }
    c.instances.push(s);
    if (ds) {
      c.dsSig = dsSig;
      c.ds = this.memberOf(s, ds)!.rel;
    }
    this.classOf.set(s, c);
    return `${fullKey}|${dsSig ?? ''}`;
  }

  private memberOf(s: Scope, child: Scope): Member | undefined {
    return s.members.find((m) => m.kind === 'scope' && m.scope === child);
  }

  /** A block's projection shortcut held in its own container (`downsample`): optional across instances. */
  private shortcut(s: Scope): Scope | null {
    if (this.shortcutOf.has(s)) return this.shortcutOf.get(s)!;
    let found: Scope | null = null;
    if (s.group?.kind === 'block') {
      const skip = this.g.skips.find((k) => k.group === s.group!.id);
      if (skip && skip.via.length) {
        const via = new Set(skip.via);
        for (const m of s.members) {
          if (m.kind !== 'scope') continue;
          const sc = m.scope;
          if (sc.nodes.every((n) => via.has(n.id)) && sc.inputs.length === 1 && sc.inputs[0] === s.inputs[0] && this.kind(sc) === 'sequential') found = sc;
        }
        if (!found) found = this.functionalShortcut(s, skip.via);
      }
    }
    this.shortcutOf.set(s, found);
    return found;
  }

  /**
   * A shortcut of tensor operations only (subsample and zero-pad), chained from the block's input: its nodes
   * become one member, `shortcut`, written as a `LambdaLayer` as CIFAR ResNet code writes it.
   */
  private functionalShortcut(s: Scope, via: readonly string[]): Scope | null {
    const idx = via.map((id) => s.members.findIndex((m) => m.kind === 'node' && m.node.id === id));
    if (idx.some((i) => i < 0)) return null;
    const nodes = idx.map((i) => (s.members[i] as { node: IrNode }).node);
    const chained = nodes.every((n, k) => !isModule(n) && n.inputs.length === 1 && n.inputs[0] === (k === 0 ? s.inputs[0] : nodes[k - 1]!.id));
    if (!chained) return null;
    let rel = 'shortcut';
    while (s.members.some((m, i) => m.rel === rel && !idx.includes(i))) rel += '_';
    const sc: Scope = { group: null, path: `${s.path}.${rel}`, members: nodes.map((node) => ({ kind: 'node', node, rel: node.op })), nodes, inputs: [s.inputs[0]!], output: nodes[nodes.length - 1]!.id };
    s.members = s.members.filter((_m, i) => !idx.includes(i));
    s.members.splice(Math.min(...idx), 0, { kind: 'scope', scope: sc, rel });
    this.lambdas.add(sc);
    this.keys.set(sc, JSON.stringify(nodes.map((n) => n.op)));
    return sc;
  }

  /** The scope's structure without attribute values (an optional shortcut left out and read as the block's input). */
  private signature(s: Scope, ds: Scope | null): string {
    const refs = new Map<string, string>();
    s.inputs.forEach((id, k) => refs.set(id, `i${k}`));
    if (ds) refs.set(ds.output, 'i0');
    const parts: unknown[] = [];
    let j = 0;
    for (const m of s.members) {
      if (m.kind === 'scope' && m.scope === ds) continue;
      const ins = (m.kind === 'node' ? m.node.inputs : m.scope.inputs).map((id) => refs.get(id) ?? '?');
      if (m.kind === 'node') {
        if (m.node.op === 'input') parts.push(['input']);
        else if (isModule(m.node)) parts.push([m.rel, m.node.op, ins, m.node.shared ? 1 : 0]);
        else parts.push(['~', m.node.op, ins, exprCode(m.node, ins)]);
        refs.set(m.node.id, `m${j}`);
      } else {
        parts.push([m.rel, this.keys.get(m.scope), ins]);
        refs.set(m.scope.output, `m${j}`);
      }
      j++;
    }
    parts.push(refs.get(s.output) ?? '?');
    return JSON.stringify(parts);
  }

  // ------------------------------------------------------------------------------------------------------
  // Values: what each class instance is built with, and how the class writes it

  /** Per-instance constructor values of a class scope (its parameters, by name). */
  private ctorValues(s: Scope): Map<string, AttrValue> {
    const c = this.classOf.get(s)!;
    const out = new Map<string, AttrValue>();
    const vars = this.blockVars(s, c);
    for (const p of c.params) {
      if ((BLOCK_VARS as readonly string[]).includes(p.name)) out.set(p.name, vars[p.name as keyof typeof vars]);
      else if (p.name === 'downsample') out.set(p.name, this.shortcut(s) !== null);
      else out.set(p.name, this.valuesOf(s).get(this.fallbackKey(c, p.name)) ?? null);
    }
    return out;
  }

  private blockVars(s: Scope, c: ClassInfo): { inplanes: number; planes: number; stride: number } {
    const inplanes = channels(this.tree.byId.get(s.inputs[0] ?? '')) ?? 0;
    const out = channels(this.tree.byId.get(s.output)) ?? 0;
    return { inplanes, planes: out / c.expansion, stride: strideOf(s, this.tree.byId) };
  }

  private readonly fallbackKeys = new Map<ClassInfo, Map<string, string>>();

  private fallbackKey(c: ClassInfo, param: string): string {
    return this.fallbackKeys.get(c)?.get(param) ?? param;
  }

  /** Every value an instance is built from, keyed by member path and attribute (`conv1.out_channels`). */
  private valuesOf(s: Scope): Map<string, AttrValue> {
    const out = new Map<string, AttrValue>();
    const seen = new Set<string>();
    const walk = (scope: Scope, prefix: string) => {
      for (const m of scope.members) {
        const key = prefix + m.rel;
        if (m.kind === 'node') {
          if (!isModule(m.node) || seen.has(key)) continue;
          seen.add(key);
          for (const [k, v] of Object.entries(moduleAttrs(m.node))) out.set(`${key}.${k}`, v);
        } else {
          const kind = this.kind(m.scope);
          if (kind === 'lambda') m.scope.nodes.forEach((n, j) => leaves(n.attrs, `${key}.${j}`, out));
          else if (kind === 'class') for (const [k, v] of this.ctorValues(m.scope)) out.set(`${key}.${k}`, v);
          else if (kind === 'stage') m.scope.members.forEach((b) => b.kind === 'scope' && [...this.ctorValues(b.scope)].forEach(([k, v]) => out.set(`${key}.${b.rel}.${k}`, v)));
          else walk(m.scope, `${key}.`);
        }
      }
    };
    walk(s, '');
    return out;
  }

  private resolveClass(c: ClassInfo): void {
    const rep = c.instances.find((s) => this.shortcut(s)) ?? c.instances[0]!;
    if (c.block) {
      const mainConv = rep.nodes.find((n) => n.op === 'Conv2d' && !this.shortcut(rep)?.nodes.includes(n));
      const ratios = c.instances.map((s) => {
        const conv = s.nodes.find((n) => n.op === 'Conv2d' && !this.shortcut(s)?.nodes.includes(n));
        const o = channels(this.tree.byId.get(s.output));
        const m = typeof conv?.attrs['out_channels'] === 'number' ? conv.attrs['out_channels'] : null;
        return o !== null && m ? o / m : NaN;
      });
      const e = ratios[0]!;
      c.expansion = mainConv && Number.isInteger(e) && e >= 1 && ratios.every((r) => r === e) ? e : 1;
      if (c.instances.some((s) => (channels(this.tree.byId.get(s.output)) ?? 0) % c.expansion !== 0)) c.expansion = 1;
    }
    const vars = c.instances.map((s) => (c.block ? this.blockVars(s, c) : null));
    // Layers that read the block's input take `inplanes` channels; the others, first of all, `planes`.
    const readsInput = new Set<string>();
    const mark = (scope: Scope, prefix: string, entry: string) => {
      for (const m of scope.members) {
        if (m.kind === 'node' && m.node.inputs.includes(entry)) readsInput.add(prefix + m.rel);
        else if (m.kind === 'scope' && m.scope.inputs.includes(entry) && this.kind(m.scope) === 'sequential') mark(m.scope, `${prefix}${m.rel}.`, entry);
      }
    };
    mark(rep, '', rep.inputs[0] ?? '');
    // Values of every instance, the optional shortcut's only where it exists.
    const values = c.instances.map((s) => this.valuesOf(s));
    const keys = [...new Set(values.flatMap((v) => [...v.keys()]))];
    const used = new Set<string>();
    const fallbacks = new Map<string, string>();
    for (const key of keys) {
      const vs = values.map((v) => v.get(key));
      const present = vs.map((v, i) => [v, i] as const).filter(([v]) => v !== undefined) as [AttrValue, number][];
      // A number inside a shortcut's operation (a pad width) is matched as a channel count.
      const attr = key.endsWith(LEAF) ? 'out_channels' : key.slice(key.lastIndexOf('.') + 1);
      const member = key.slice(0, key.lastIndexOf('.'));
      const expr = c.block ? matchExpr(attr, present.map(([v, i]) => [v, vars[i]!]), c.expansion, readsInput.has(member)) : null;
      if (expr) {
        c.resolved.set(key, { code: expr.code });
        expr.uses.forEach((u) => used.add(u));
        continue;
      }
      const first = JSON.stringify(present[0]?.[0]);
      if (present.every(([v]) => JSON.stringify(v) === first)) c.resolved.set(key, { lit: present[0]?.[0] ?? null });
      else {
        const name = pyIdent(key.replace(/\./g, '_'));
        c.resolved.set(key, { param: name });
        fallbacks.set(name, key);
      }
    }
    // The optional shortcut's rule reads all three; otherwise an argument nothing reads is left out.
    if (c.ds && c.instances.some((s) => !this.shortcut(s))) BLOCK_VARS.forEach((v) => used.add(v));
    if (c.block) for (const v of BLOCK_VARS) if (used.has(v)) c.params.push({ name: v, hint: 'int', ...(v === 'stride' ? { default: '1' } : {}) });
    // A value that differs between instances (a dilation) defaults to its most common one, as torchvision's
    // `dilation: int = 1`, so the usual instance is built without it and the argument may follow `stride = 1`.
    for (const [name, key] of fallbacks) {
      const vs = values.filter((x) => x.has(key)).map((x) => x.get(key)!);
      const usual = mostCommon(vs);
      const hint = hintOf(vs.find((v) => v !== null));
      const optional = usual === null && hint !== '';
      if (optional) this.typing.add('Optional');
      c.params.push({ name, hint: optional ? `Optional[${hint}]` : hint, ...(isImmutable(usual) ? { default: pyValue(usual) } : {}) });
    }
    this.fallbackKeys.set(c, fallbacks);
    if (c.ds) {
      const has = c.instances.map((s) => this.shortcut(s) !== null);
      if (has.every(Boolean)) c.dsRule = 'always';
      else if (c.block && c.instances.every((_s, i) => has[i] === (vars[i]!.stride !== 1 || vars[i]!.inplanes !== vars[i]!.planes * c.expansion))) c.dsRule = 'standard';
      else {
        c.dsRule = 'param';
        c.params.push({ name: 'downsample', hint: 'bool', default: 'False' });
      }
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Writing

  write(opts: PyTorchWriteOptions): WrittenPyTorch {
    const names = new Set<string>();
    const modelClass = className(this.g.name);
    names.add(modelClass);
    for (const c of this.classes) {
      let n = className(c.label);
      for (let k = 2; names.has(n); k++) n = `${className(c.label)}${k}`;
      names.add(n);
      c.name = n;
    }
    const factory = functionName(this.g.name);
    const bodies: string[][] = this.classes.map((c) => this.classCode(c));
    const model = this.modelCode(modelClass);
    if (this.usesLambda) bodies.unshift(LAMBDA_LAYER);
    const numClasses = this.numClasses();
    const fArgs = numClasses ? [`num_classes: int = ${numClasses.value}`] : [];
    const factoryCode = [
      ...layout(call(`def ${factory}`, fArgs, ` -> ${modelClass}:`), 0),
      `    """${this.g.name}${numClasses ? ' (num_classes outputs)' : ''}."""`,
      ...layout(call(`return ${modelClass}`, numClasses ? ['num_classes=num_classes'] : []), 4),
    ];
    const input = this.g.input && this.g.input.every((d) => typeof d === 'number') ? this.g.input : null;
    const header = [
      `"""${this.g.name}, written by ResNet Studio${opts.sourceFile ? ` from ${opts.sourceFile.replace(/^.*[\\/]/, '')}` : ''}.`,
      '',
      `Input ${formatShape(this.g.input)}, output ${formatShape(this.g.output)}; ${fmtInt(this.g.params)} parameters, ${fmtInt(this.g.macs)} MACs.`,
      '"""',
      `# resnet-studio: model=${factory}${input ? ` input=(${input.join(', ')})` : ''}`,
    ];
    const typing = [...this.typing].sort();
    const imports = [
      ...(typing.length ? [`from typing import ${typing.join(', ')}`, ''] : []),
      'import torch.nn as nn',
      ...(this.usesF ? ['import torch.nn.functional as F'] : []),
      'from torch import Tensor',
    ];
    const parts = [`${header.join('\n')}\n${imports.join('\n')}`, ...bodies.map((b) => b.join('\n')), model.join('\n'), factoryCode.join('\n')];
    // `torch.` in a catalogue expression (torch.cat) needs the package itself.
    const code = parts.join('\n\n\n') + '\n';
    const withTorch = /\btorch\.(?!nn\b)/.test(bodies.flat().join('\n') + model.join('\n')) ? code.replace('import torch.nn as nn', 'import torch\nimport torch.nn as nn') : code;
    return { code: withTorch, factory, modelClass };
  }

  private numClasses(): { key: string; value: number } | null {
    const out = this.tree.output;
    const m = this.tree.root.members.find((x) => x.kind === 'node' && x.node === out);
    if (!m || out.op !== 'Linear' || typeof out.attrs['out_features'] !== 'number') return null;
    return { key: `${m.rel}.out_features`, value: out.attrs['out_features'] };
  }

  private classCode(c: ClassInfo): string[] {
    const rep = c.instances.find((s) => this.shortcut(s)) ?? c.instances[0]!;
    const lines = [`class ${c.name}(nn.Module):`];
    if (c.block) lines.push(`    expansion = ${c.expansion}`, '');
    const written = c.params.map((p) => `${p.name}${p.hint ? `: ${p.hint}` : ''}${p.default !== undefined ? `${p.hint ? ' = ' : '='}${p.default}` : ''}`);
    // An argument without a default after one with a default is keyword-only; every call names it anyway.
    const bare = c.params.findIndex((p, i) => p.default === undefined && c.params.slice(0, i).some((q) => q.default !== undefined));
    if (bare >= 0) written.splice(bare, 0, '*');
    const sig = call('def __init__', ['self', ...written], ' -> None:');
    lines.push(...layout(sig, 4), '        super().__init__()');
    const resolve = (key: string, v: AttrValue): PyExpr => {
      const r = c.resolved.get(key);
      if (!r || 'lit' in r) return pyValue(r ? r.lit : v);
      return 'code' in r ? r.code : r.param;
    };
    lines.push(...this.initLines(rep, c, resolve, 8));
    lines.push('', ...this.forwardLines(rep, c, 4));
    return lines;
  }

  private modelCode(name: string): string[] {
    const root = this.tree.root;
    const nc = this.numClasses();
    const lines = [`class ${name}(nn.Module):`];
    lines.push(...layout(call('def __init__', ['self', ...(nc ? [`num_classes: int = ${nc.value}`] : [])], ' -> None:'), 4), '        super().__init__()');
    const resolve = (key: string, v: AttrValue): PyExpr => (nc && key === nc.key ? 'num_classes' : pyValue(v));
    lines.push(...this.initLines(root, null, resolve, 8));
    lines.push('', ...this.forwardLines(root, null, 4));
    if (this.makeLayerUsed.length) lines.push('', ...this.makeLayerCode(4));
    return lines;
  }

  private readonly makeLayerUsed: ClassInfo[] = [];

  private makeLayerCode(indent: number): string[] {
    const pad = ' '.repeat(indent);
    this.typing.add('List');
    this.typing.add('Type');
    const blockType = this.makeLayerUsed.length === 1 ? this.makeLayerUsed[0]!.name : `Union[${this.makeLayerUsed.map((c) => c.name).join(', ')}]`;
    if (this.makeLayerUsed.length > 1) this.typing.add('Union');
    return [
      ...layout(call('def _make_layer', ['self', `block: Type[${blockType}]`, 'planes: int', 'blocks: int', 'stride: int = 1'], ' -> nn.Sequential:'), indent),
      `${pad}    layers: List[nn.Module] = [block(self.inplanes, planes, stride)]`,
      `${pad}    self.inplanes = planes * block.expansion`,
      `${pad}    for _ in range(1, blocks):`,
      `${pad}        layers.append(block(self.inplanes, planes))`,
      `${pad}    return nn.Sequential(*layers)`,
    ];
  }

  /** `__init__` statements building the scope's members. */
  private initLines(s: Scope, c: ClassInfo | null, resolve: (key: string, v: AttrValue) => PyExpr, indent: number): string[] {
    const lines: string[] = [];
    const pad = ' '.repeat(indent);
    const defined = new Set<string>();
    let inplanes: number | null = null;
    const lists = moduleLists(s);
    const holders = new Set<string>();
    for (const m of s.members) {
      if (m.kind === 'node' && (!isModule(m.node) || defined.has(m.rel))) continue;
      defined.add(m.rel);
      const list = lists.get(m.rel.split('.')[0]!);
      if (list) {
        if (list.rels[0] === m.rel) {
          const items = list.rels.map((rel) => this.ctor(s.members.find((x) => x.rel === rel && (x.kind === 'scope' || isModule(x.node)))!, '', resolve));
          lines.push(...layout(call('nn.ModuleList', [{ head: '', open: '[', items }]), indent, `self.${pyIdent(list.head)} = `));
        }
        continue;
      }
      const attr = attrPath(m.rel, lists);
      const head = m.rel.split('.')[0]!;
      if (head !== m.rel && !holders.has(head)) {
        // A module path with no container of its own in the IR: a bare nn.Module holds it, so the path is kept.
        holders.add(head);
        lines.push(`${pad}self.${pyIdent(head)} = nn.Module()`);
      }
      if (c?.ds && m.kind === 'scope' && m.rel === c.ds && c.dsRule !== 'always') {
        this.typing.add('Optional');
        lines.push(`${pad}${attr}: Optional[nn.Module] = None`);
        lines.push(`${pad}if ${c.dsRule === 'standard' ? 'stride != 1 or inplanes != planes * self.expansion' : 'downsample'}:`);
        lines.push(...layout(this.ctor(m, '', resolve), indent + 4, `${attr} = `));
        continue;
      }
      if (m.kind === 'scope' && !c && this.kind(m.scope) === 'stage') {
        const stage = this.makeLayer(m.scope, inplanes);
        if (stage) {
          if (stage.setInplanes !== null) lines.push(`${pad}self.inplanes = ${stage.setInplanes}`);
          inplanes = stage.after;
          lines.push(...layout(stage.expr, indent, `${attr} = `));
          continue;
        }
      }
      lines.push(...layout(this.ctor(m, '', resolve), indent, `${attr} = `));
    }
    return lines;
  }

  /** A stage written as `self._make_layer(Block, planes, blocks, stride)`, when its blocks are built that way. */
  private makeLayer(stage: Scope, inplanes: number | null): { expr: PyExpr; setInplanes: number | null; after: number } | null {
    const blocks = stage.members.map((m) => (m.kind === 'scope' ? m.scope : null));
    if (blocks.some((b) => !b)) return null;
    const c = this.classOf.get(blocks[0]!);
    if (!c || !c.block || blocks.some((b) => this.classOf.get(b!) !== c) || c.params.map((p) => p.name).join() !== BLOCK_VARS.join()) return null;
    const vs = blocks.map((b) => this.blockVars(b!, c));
    const first = vs[0]!;
    if (!Number.isInteger(first.planes) || vs.slice(1).some((v) => v.stride !== 1 || v.planes !== first.planes || v.inplanes !== first.planes * c.expansion)) return null;
    if (!this.makeLayerUsed.includes(c)) this.makeLayerUsed.push(c);
    const args = [c.name, String(first.planes), String(blocks.length), ...(first.stride !== 1 ? [`stride=${first.stride}`] : [])];
    return { expr: call('self._make_layer', args), setInplanes: inplanes === first.inplanes ? null : first.inplanes, after: first.planes * c.expansion };
  }

  /** The constructor expression of a member: `nn.Conv2d(...)`, `nn.Sequential(...)` or `Block(...)`. */
  private ctor(m: Member, prefix: string, resolve: (key: string, v: AttrValue) => PyExpr): PyExpr {
    const key = prefix + m.rel;
    if (m.kind === 'node') return moduleCall(m.node, (attr, v) => resolve(`${key}.${attr}`, v));
    const kind = this.kind(m.scope);
    if (kind === 'lambda') return this.lambdaCtor(m.scope, key, resolve);
    if (kind === 'class') {
      const c = this.classOf.get(m.scope)!;
      const vals = this.ctorValues(m.scope);
      const args = c.params.map((p) => {
        const v = flat(resolve(`${key}.${p.name}`, vals.get(p.name) ?? null));
        if (v === p.default) return null;
        return (BLOCK_VARS as readonly string[]).includes(p.name) ? v : `${p.name}=${v}`;
      });
      return call(c.name, args.filter((a): a is string => a !== null));
    }
    return call(
      'nn.Sequential',
      m.scope.members.map((x) => this.ctor(x, `${key}.`, resolve)),
    );
  }

  /** `LambdaLayer(lambda x: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4)))`. */
  private lambdaCtor(sc: Scope, key: string, resolve: (key: string, v: AttrValue) => PyExpr): PyExpr {
    this.usesLambda = true;
    this.typing.add('Callable');
    const subst = new Map<string, string>();
    let code = 'x';
    sc.nodes.forEach((n, j) => {
      const vals = new Map<string, AttrValue>();
      leaves(n.attrs, `${key}.${j}`, vals);
      const attrs = JSON.parse(JSON.stringify(n.attrs)) as Record<string, AttrValue>;
      for (const [k, v] of vals) {
        const r = flat(resolve(k, v));
        if (r === pyValue(v)) continue;
        const sentinel = 987650000 + subst.size;
        subst.set(String(sentinel), r);
        setLeaf(attrs, k.slice(`${key}.${j}.`.length, -LEAF.length).split('.'), sentinel);
      }
      const w = OP_SPECS[n.op].pytorch;
      const out = isUnsupported(w) || w.kind !== 'expr' ? unsupported('it is not a tensor operation') : w.expr([code], attrs, n.inputShapes);
      if (isUnsupported(out)) throw new CodegenError(`cannot write ${describeNode(n)} as PyTorch: ${out.unsupported}`, n.source);
      code = doubleQuoted(out);
    });
    for (const [sentinel, r] of subst) code = code.split(sentinel).join(r);
    if (code.includes('F.')) this.usesF = true;
    return call('LambdaLayer', [parseExpr(`lambda x: ${code}`)]);
  }

  /** `forward`: one statement per member, variables reused once their value is dead. */
  private forwardLines(s: Scope, c: ClassInfo | null, indent: number): string[] {
    const pad = ' '.repeat(indent + 4);
    const vars = new Map<string, string>();
    const params = s.group ? s.inputs.map((_id, k) => (k === 0 ? 'x' : `x${k}`)) : ['x'];
    if (s.group) s.inputs.forEach((id, k) => vars.set(id, params[k]!));
    const steps = s.members.filter((m) => !(m.kind === 'node' && m.node.op === 'input'));
    if (!s.group) for (const m of s.members) if (m.kind === 'node' && m.node.op === 'input') vars.set(m.node.id, 'x');
    const uses = (m: Member) => (m.kind === 'node' ? m.node.inputs : m.scope.inputs);
    const lastUse = new Map<string, number>();
    steps.forEach((m, i) => uses(m).forEach((id) => lastUse.set(id, i)));
    lastUse.set(s.output, Infinity);
    const holder = new Map<string, string>();
    for (const [id, name] of vars) holder.set(name, id);
    const lines = layout(call('def forward', ['self', ...params.map((p) => `${p}: Tensor`)], ' -> Tensor:'), indent);
    const lists = moduleLists(s);
    const attrOf = (rel: string) => attrPath(rel, lists);
    steps.forEach((m, i) => {
      const ins = uses(m).map((id) => {
        const v = vars.get(id);
        if (!v) throw new CodegenError(`${m.kind === 'node' ? describeNode(m.node) : `'${m.scope.path}'`} uses a value computed later in another container; the writer needs the containers in execution order`);
        return v;
      });
      const free = (name: string) => {
        const id = holder.get(name);
        return id === undefined || (lastUse.get(id) ?? -1) <= i;
      };
      const out = outputOf(m);
      const optional = c?.ds && m.kind === 'scope' && m.rel === c.ds && c.dsRule !== 'always';
      let name: string;
      if (optional) name = 'identity';
      else if (ins[0] && free(ins[0]) && !(s.group && ins[0] === 'x' && c?.block)) name = ins[0];
      else {
        name = c?.block || !free('x') ? 'out' : 'x';
        for (let k = 1; !free(name); k++) name = `out${k}`;
      }
      vars.set(out, name);
      holder.set(name, out);
      if (optional) {
        lines.push(`${pad}identity = ${ins[0]}`, `${pad}if self.${pyIdent(m.rel)} is not None:`);
        lines.push(...layout(call(`self.${pyIdent(m.rel)}`, ins), indent + 8, 'identity = '));
        return;
      }
      if (m.kind === 'node' && !isModule(m.node)) {
        const w = OP_SPECS[m.node.op].pytorch;
        if (isUnsupported(w) || w.kind !== 'expr') throw new CodegenError(`cannot write ${describeNode(m.node)}`);
        const written = w.expr(ins, m.node.attrs, m.node.inputShapes);
        if (isUnsupported(written)) throw new CodegenError(`cannot write ${describeNode(m.node)} as PyTorch: ${written.unsupported}`, m.node.source);
        const code = doubleQuoted(written);
        if (code.includes('F.')) this.usesF = true;
        lines.push(...layout(parseExpr(code), indent + 4, `${name} = `));
        return;
      }
      lines.push(...layout(call(attrOf(m.rel), ins), indent + 4, `${name} = `));
    });
    lines.push(`${pad}return ${vars.get(s.output) ?? 'x'}`);
    return lines;
  }
}

/** A module node's constructor arguments (checked for refusals before writing starts). */
function moduleAttrs(n: IrNode): Attrs {
  const a = torchAttrs(n);
  if (isUnsupported(a)) throw new CodegenError(`cannot write ${describeNode(n)} as PyTorch: ${a.unsupported}`, n.source);
  return a;
}

/**
 * Members named `convs.0`, `convs.1`, ... with no container of their own in the IR: an `nn.ModuleList`
 * (`self.convs[0]`), so `state_dict` keys keep the source's paths.
 */
function moduleLists(s: Scope): Map<string, { head: string; rels: string[] }> {
  const byHead = new Map<string, Set<string>>();
  const plain = new Set<string>();
  for (const m of s.members) {
    if (m.kind === 'node' && !isModule(m.node)) continue;
    const r = /^([A-Za-z_]\w*)\.(\d+)$/.exec(m.rel);
    if (!r) {
      plain.add(m.rel.split('.')[0]!);
      continue;
    }
    let set = byHead.get(r[1]!);
    if (!set) byHead.set(r[1]!, (set = new Set()));
    set.add(m.rel);
  }
  const out = new Map<string, { head: string; rels: string[] }>();
  for (const [head, rels] of byHead) {
    const idx = [...rels].map((r) => Number(r.slice(head.length + 1))).sort((a, b) => a - b);
    if (plain.has(head) || idx.some((v, i) => v !== i)) continue;
    out.set(head, { head, rels: idx.map((i) => `${head}.${i}`) });
  }
  return out;
}

/** `self.conv1`, `self.convs[0]` (a module list), `self.transition.reduce` (a path without a container). */
function attrPath(rel: string, lists: Map<string, unknown>): string {
  const head = rel.split('.')[0]!;
  if (lists.has(head)) return `self.${pyIdent(head)}[${rel.slice(head.length + 1)}]`;
  return `self.${rel.split('.').map(pyIdent).join('.')}`;
}

/** Marks the key of a number inside a tensor operation's attributes. */
const LEAF = '.#';

/** Every number inside attributes, keyed `prefix.attr.index...#`. */
function leaves(attrs: Attrs, prefix: string, out: Map<string, AttrValue>): void {
  const walk = (v: AttrValue, path: string) => {
    if (typeof v === 'number') out.set(`${path}${LEAF}`, v);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}.${i}`));
  };
  for (const [k, v] of Object.entries(attrs)) walk(v, `${prefix}.${k}`);
}

function setLeaf(attrs: Record<string, AttrValue>, path: string[], value: number): void {
  let cur: AttrValue = attrs;
  for (const p of path.slice(0, -1)) cur = (cur as Record<string, AttrValue>)[p]!;
  (cur as Record<string, AttrValue>)[path[path.length - 1]!] = value;
}

/** The module the option-A shortcut is written with, as CIFAR ResNet code defines it. */
const LAMBDA_LAYER = [
  'class LambdaLayer(nn.Module):',
  '    def __init__(self, fn: Callable[[Tensor], Tensor]) -> None:',
  '        super().__init__()',
  '        self.fn = fn',
  '',
  '    def forward(self, x: Tensor) -> Tensor:',
  '        return self.fn(x)',
];

function outputOf(m: Member): string {
  return m.kind === 'node' ? m.node.id : m.scope.output;
}

function isModule(n: IrNode): boolean {
  const w = OP_SPECS[n.op].pytorch;
  return !isUnsupported(w) && w.kind === 'module';
}

/** The expression of a functional node, with its inputs named as given (for signatures and `forward`). */
function exprCode(n: IrNode, ins: string[]): string {
  const w = OP_SPECS[n.op].pytorch;
  const code = !isUnsupported(w) && w.kind === 'expr' ? w.expr(ins, n.attrs, n.inputShapes) : n.op;
  return isUnsupported(code) ? n.op : code;
}

/** `nn.Conv2d(64, 128, 3, stride=2, ...)`: the catalogue's first module class, required arguments by position. */
function moduleCall(n: IrNode, value: (attr: string, v: AttrValue) => PyExpr): PyExpr {
  const spec = OP_SPECS[n.op];
  const mod = spec.torch.modules?.[0];
  if (!mod) throw new CodegenError(`cannot write ${describeNode(n)} as PyTorch: the catalogue names no nn module for it`, n.source);
  const params = mod.anyArgs ? [] : mod.params.filter((p) => p !== 'device' && p !== 'dtype');
  const attrs = moduleAttrs(n);
  for (const [k, v] of Object.entries(attrs)) {
    if (params.includes(k) || mod.anyArgs) continue;
    if (JSON.stringify(v) !== JSON.stringify(spec.defaults[k] ?? null)) {
      throw new CodegenError(`cannot write ${describeNode(n)} as nn.${mod.name}: it has no argument for ${k}=${pyValue(v)}`, n.source);
    }
  }
  const args: PyExpr[] = [];
  params.forEach((p, i) => {
    const v = attrs[p];
    const expr = value(p, v ?? null);
    const text = flat(expr);
    if (i < mod.required) {
      if (v === null || v === undefined) throw new CodegenError(`cannot write ${describeNode(n)}: its ${p} is unknown`, n.source);
      args.push(expr);
      return;
    }
    if (v === undefined) return;
    const isDefault = text === pyValue(spec.defaults[p] ?? null) || (spec.defaults[p] === undefined && v === null);
    if (!isDefault) args.push(`${p}=${text}`);
  });
  return call(`nn.${mod.name}`, args);
}

/**
 * A block's value written through its arguments: `inplanes`, `planes`, `planes * self.expansion`, a
 * multiple or fraction of `planes`, or `stride`; null when no one expression gives every instance's value.
 */
function matchExpr(attr: string, present: [AttrValue, { inplanes: number; planes: number; stride: number }][], expansion: number, readsInput: boolean): { code: string; uses: string[] } | null {
  if (!present.length) return null;
  const holds = (f: (v: { inplanes: number; planes: number; stride: number }) => number) => present.every(([val, v]) => typeof val === 'number' && val === f(v));
  if (attr === 'stride') {
    const pairOk = present.every(([val, v]) => (Array.isArray(val) ? val.length === 2 && val[0] === v.stride && val[1] === v.stride : val === v.stride));
    return pairOk && present.some(([, v]) => v.stride !== 1) ? { code: 'stride', uses: ['stride'] } : null;
  }
  if (!CHANNEL_ATTRS.has(attr)) return null;
  const cands: [string, (v: { inplanes: number; planes: number; stride: number }) => number][] = [];
  const planes: typeof cands = [
    ['planes', (v) => v.planes],
    ...(expansion !== 1 ? [['planes * self.expansion', (v: { planes: number }) => v.planes * expansion] as (typeof cands)[number]] : []),
  ];
  const inp: typeof cands = [['inplanes', (v) => v.inplanes]];
  cands.push(...(attr.startsWith('in_') && readsInput ? [...inp, ...planes] : [...planes, ...inp]));
  for (const [code, f] of cands) if (holds(f)) return { code, uses: [code.split(' ')[0]!] };
  for (const k of [2, 4, 8, 16]) {
    if (holds((v) => v.planes * k)) return { code: `planes * ${k}`, uses: ['planes'] };
    if (present.every(([, v]) => v.planes % k === 0) && holds((v) => v.planes / k)) return { code: `planes // ${k}`, uses: ['planes'] };
  }
  return null;
}

/** The value most instances take (the first instance's among equals). */
function mostCommon(vs: AttrValue[]): AttrValue {
  const counts = new Map<string, number>();
  for (const v of vs) counts.set(JSON.stringify(v), (counts.get(JSON.stringify(v)) ?? 0) + 1);
  let best = vs[0] ?? null;
  for (const v of vs) if (counts.get(JSON.stringify(v))! > counts.get(JSON.stringify(best))!) best = v;
  return best;
}

/** Whether a value may be a Python default argument: written as an immutable literal (a list as a tuple), not a dict. */
function isImmutable(v: AttrValue): boolean {
  return v === null || typeof v !== 'object' || (Array.isArray(v) && v.every(isImmutable));
}

function hintOf(v: AttrValue | undefined): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'str';
  return '';
}

/** Writes the model as a PyTorch module file; throws {@link CodegenError} naming each op it cannot write. */
export function writePyTorch(g: IrGraph, opts: PyTorchWriteOptions = {}): WrittenPyTorch {
  return new Writer(g).write(opts);
}
