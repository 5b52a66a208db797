/**
 * The properties side bar of an editable design: the fields of the selected stage (block, count, width,
 * stride, the block's params such as groups / base width, shortcut type), of the selected layer (name and
 * every attribute its op takes), or of the model (name, input shape, classes). Each committed change is
 * checked first (`editValues.ts`) and becomes exactly one design edit; an invalid value is marked on its
 * field and goes nowhere. The fields are redrawn from each new design the host sends, keeping focus. Its
 * elements are vscode-elements controls, defined by the controls bundle (`controlsChunk.ts`).
 */
import type { DesignContext, DesignEdit, EditValue, LayerDef, ShortcutType } from '../../src/protocol/designEditProtocol';
import { loadControls } from './chunkLoader';
import { type EditTarget, blockDef, blockNames, findLayer, findStage, numClasses, shortcutType, stageParams } from './editTargets';
import { type Parsed, attrKind, formatValue, parseCount, parseName, parseShape, parseValue } from './editValues';

/** Keys of a layer definition that are not the op's attributes. */
const LAYER_KEYS = new Set(['type', 'name', 'id', 'inputs', 'comment']);

const SHORTCUTS: { value: ShortcutType; label: string }[] = [
  { value: 'A', label: 'A: parameter-free subsample and pad' },
  { value: 'B', label: 'B: projection when the shape changes' },
  { value: 'C', label: 'C: projection always' },
];

export interface PropertiesHost {
  /** One committed, valid change. */
  edit(e: DesignEdit): void;
  /** The selected thing was renamed: the selection follows the new name. */
  renamed(target: EditTarget, name: string): void;
}

/** What the graph knows about the selection that the file may not spell out (a generated layer). */
export interface IrFacts {
  op?: string;
  attrs?: Record<string, unknown>;
  outputShape?: unknown;
}

interface Field {
  id: string;
  label: string;
  value: string;
  placeholder?: string;
  hint?: string;
  /** Reads the text; a valid result is posted unless it equals the current value. */
  parse: (text: string) => Parsed<DesignEdit | null>;
}

export class PropertiesPanel {
  readonly el: HTMLElement;
  private shownKey = '';
  private target: EditTarget | null = null;

  constructor(
    parent: HTMLElement,
    private readonly host: PropertiesHost,
  ) {
    this.el = document.createElement('aside');
    this.el.id = 'edit-properties';
    this.el.setAttribute('aria-label', 'Properties');
    this.el.hidden = true;
    parent.append(this.el);
  }

  hide(): void {
    this.el.hidden = true;
    this.shownKey = '';
    this.target = null;
    this.el.replaceChildren();
  }

  /** Shows `target`'s fields from `ctx`; redraws only when what is shown changed, and keeps the focused field. */
  show(ctx: DesignContext, target: EditTarget, facts: IrFacts = {}): void {
    const key = JSON.stringify([target, this.relevant(ctx, target), facts.attrs ?? null, facts.outputShape ?? null]);
    this.el.hidden = false;
    this.target = target;
    if (key === this.shownKey) return;
    this.shownKey = key;
    const focused = this.el.querySelector<HTMLElement>(':focus-within[data-field]')?.dataset['field'] ?? (document.activeElement as HTMLElement | null)?.dataset?.['field'];
    this.el.replaceChildren();
    if (target.kind === 'stage') this.stage(ctx, target);
    else if (target.kind === 'layer') this.layer(ctx, target, facts);
    else this.model(ctx);
    if (focused) this.focusField(focused);
  }

  /** Moves focus to a field (the menu's "Rename…", "Input shape…"). */
  focusField(id: string): void {
    const el = this.el.querySelector<HTMLElement>(`[data-field="${CSS.escape(id)}"]`);
    if (!el) return;
    // A field drawn just now has no inner input to take the focus until its first render, nor any render
    // before the controls bundle has defined its element.
    const ready = async (): Promise<unknown> => {
      await loadControls();
      return (el as { updateComplete?: Promise<unknown> }).updateComplete;
    };
    void ready().then(() => {
      el.focus();
      el.scrollIntoView({ block: 'nearest' });
    });
  }

  /** The part of the design a target's fields read (what decides whether to redraw). */
  private relevant(ctx: DesignContext, target: EditTarget): unknown {
    if (target.kind === 'model') return [ctx.design.name, ctx.design.input, numClasses(ctx.design)];
    if (target.kind === 'stage') {
      const s = findStage(ctx.design, target.stage);
      return [s, s && blockDef(ctx, s.block), blockNames(ctx)];
    }
    return [findLayer(ctx, target.layer), ctx.opDefaults?.[target.op] ?? null];
  }

  private heading(title: string, sub?: string, note?: string): void {
    const h = document.createElement('h2');
    h.textContent = title;
    this.el.append(h);
    if (sub) {
      const s = document.createElement('div');
      s.className = 'props-sub';
      s.textContent = sub;
      this.el.append(s);
    }
    if (note) {
      const n = document.createElement('p');
      n.className = 'props-note';
      n.textContent = note;
      this.el.append(n);
    }
  }

  private stage(ctx: DesignContext, target: Extract<EditTarget, { kind: 'stage' }>): void {
    const s = findStage(ctx.design, target.stage);
    if (!s) {
      this.heading(target.stage, 'not a stage of this design');
      return;
    }
    const def = blockDef(ctx, s.block);
    this.heading(`Stage ${s.stage}`, `${def?.label ?? s.block} × ${formatValue(s.count)}${target.block !== undefined ? ` · block ${target.block} selected` : ''}`);
    const stage = s.stage;
    const set = (key: string, kind: 'int', required: boolean) => (text: string): Parsed<DesignEdit | null> => {
      const p = parseValue(text, kind, { min: 1, allowEmpty: !required });
      return p.ok ? { ok: true, value: same(p.value, s[key]) ? null : { kind: 'setStage', stage, key, value: p.value } } : p;
    };
    this.text({ id: 'name', label: 'Name', value: stage, parse: (t) => this.rename(t, target, stage) });
    this.select('block', 'Block', blockNames(ctx).map((b) => ({ value: b, label: blockDef(ctx, b)?.label ? `${b} (${blockDef(ctx, b)!.label})` : b })), s.block, (v) =>
      v === s.block ? null : { kind: 'setStage', stage, key: 'block', value: v },
    );
    this.text({ id: 'count', label: 'Blocks', value: formatValue(s.count), parse: set('count', 'int', true) });
    this.text({ id: 'planes', label: 'Width (planes)', value: formatValue(s.planes), hint: 'channels before the block\u2019s expansion', parse: set('planes', 'int', true) });
    this.text({ id: 'stride', label: 'Stride', value: formatValue(s.stride), placeholder: 'default 1', hint: 'of the first block', parse: set('stride', 'int', false) });
    for (const p of stageParams(ctx, s)) {
      const kind = p.key === 'groups' || p.key === 'base_width' ? 'int' : 'any';
      this.text({
        id: `param-${p.key}`,
        label: PARAM_LABELS[p.key] ?? p.key,
        value: formatValue(s[p.key]),
        placeholder: p.default === undefined ? '' : `default ${formatValue(p.default)}`,
        parse: (text) => {
          const v = parseValue(text, kind, { min: 1 });
          return v.ok ? { ok: true, value: same(v.value, s[p.key]) ? null : { kind: 'setStage', stage, key: p.key, value: v.value } } : v;
        },
      });
    }
    const current = shortcutType(def);
    const options = SHORTCUTS.map((o) => ({ ...o }));
    if (!current) options.unshift({ value: '' as ShortcutType, label: def?.shortcut === 'identity' ? 'identity (none of A, B, C)' : 'custom' });
    this.select('shortcut', 'Shortcut', options, current ?? '', (v) => (v && v !== current ? { kind: 'setShortcut', stage, shortcut: v as ShortcutType } : null));
    if (def && !ctx.design.blocks?.[s.block]) this.note(`${s.block} is a built-in block: a shortcut change copies it into this file's blocks, and every stage using it follows.`);
  }

  private layer(ctx: DesignContext, target: Extract<EditTarget, { kind: 'layer' }>, facts: IrFacts): void {
    const found = findLayer(ctx, target.layer);
    const op = found?.def.type ?? facts.op ?? target.op;
    const where = found?.block
      ? `in block ${found.block}${found.builtin ? ' (built-in: the first change copies it into this file)' : ''}; every stage using it changes`
      : undefined;
    this.heading(target.layer, `${op}${Array.isArray(facts.outputShape) ? ` → ${facts.outputShape.map((d) => d ?? '?').join('×')}` : ''}`, where);
    if (!found) {
      this.note('The file does not spell this layer out (a shortcut made by the block\u2019s shortcut type, or a layer made by an op): change the stage instead.');
      const list = document.createElement('dl');
      list.className = 'props-readonly';
      for (const [k, v] of Object.entries(facts.attrs ?? {})) {
        const dt = document.createElement('dt');
        dt.textContent = k;
        const dd = document.createElement('dd');
        dd.textContent = formatValue(v);
        list.append(dt, dd);
      }
      this.el.append(list);
      return;
    }
    const def = found.def;
    const layer = target.layer;
    const local = layer.slice(layer.lastIndexOf('.') + 1);
    this.text({ id: 'name', label: 'Name', value: def.name ?? '', placeholder: local, parse: (t) => this.rename(t, target, local) });
    const defaults = ctx.opDefaults?.[def.type] ?? {};
    const keys = [...new Set([...Object.keys(defaults), ...Object.keys(def).filter((k) => !LAYER_KEYS.has(k))])];
    for (const key of keys) {
      const current = (def as LayerDef)[key];
      const dflt = defaults[key];
      const kind = attrKind(key, current, dflt);
      if (kind === 'bool') {
        this.checkbox(`attr-${key}`, key, typeof current === 'boolean' ? current : dflt === true, (checked) =>
          checked === current ? null : { kind: 'setLayer', layer, key, value: checked },
        );
        continue;
      }
      this.text({
        id: `attr-${key}`,
        label: key,
        value: formatValue(current),
        placeholder: dflt === undefined ? '' : dflt === null ? 'required, or inferred from the input' : `default ${formatValue(dflt)}`,
        parse: (text) => {
          const v = parseValue(text, kind);
          return v.ok ? { ok: true, value: same(v.value, current) ? null : { kind: 'setLayer', layer, key, value: v.value } } : v;
        },
      });
    }
  }

  private model(ctx: DesignContext): void {
    const d = ctx.design;
    this.heading(d.name ?? 'Model', 'the whole design');
    this.text({ id: 'name', label: 'Model name', value: d.name ?? '', parse: (t) => this.rename(t, { kind: 'model' }, d.name ?? '') });
    this.text({
      id: 'input',
      label: 'Input shape',
      value: formatValue(d.input),
      placeholder: 'default 1, 3, 224, 224',
      hint: 'N, C, H, W (or C, H, W)',
      parse: (t) => {
        const p = parseShape(t);
        return p.ok ? { ok: true, value: same(p.value, d.input) ? null : { kind: 'setInput', shape: p.value } } : p;
      },
    });
    const classes = numClasses(d);
    this.text({
      id: 'classes',
      label: 'Classes',
      value: classes === undefined ? '' : String(classes),
      hint: d.vars?.['num_classes'] !== undefined ? 'vars.num_classes' : 'the last Linear\u2019s out_features',
      parse: (t) => {
        const p = parseCount(t);
        return p.ok ? { ok: true, value: p.value === classes ? null : { kind: 'setNumClasses', value: p.value } } : p;
      },
    });
  }

  private rename(text: string, target: EditTarget, current: string): Parsed<DesignEdit | null> {
    const p = parseName(text, target.kind !== 'model');
    if (!p.ok) return p;
    if (p.value === current) return { ok: true, value: null };
    const name = target.kind === 'stage' ? target.stage : target.kind === 'layer' ? target.layer : null;
    return { ok: true, value: { kind: 'rename', target: name, name: p.value } };
  }

  private note(text: string): void {
    const n = document.createElement('p');
    n.className = 'props-note';
    n.textContent = text;
    this.el.append(n);
  }

  private group(id: string, label: string, hint?: string): { group: HTMLElement; helper: HTMLElement } {
    const group = document.createElement('vscode-form-group');
    group.variant = 'vertical';
    const l = document.createElement('vscode-label');
    l.htmlFor = `prop-${id}`;
    l.textContent = label;
    const helper = document.createElement('div');
    helper.className = 'props-helper';
    helper.textContent = hint ?? '';
    helper.hidden = !hint;
    group.append(l);
    this.el.append(group);
    return { group, helper };
  }

  private text(f: Field): void {
    const { group, helper } = this.group(f.id, f.label, f.hint);
    const input = document.createElement('vscode-textfield');
    input.id = `prop-${f.id}`;
    input.dataset['field'] = f.id;
    input.value = f.value;
    if (f.placeholder) input.placeholder = f.placeholder;
    const hint = f.hint ?? '';
    input.addEventListener('change', () => {
      const r = f.parse(input.value);
      input.invalid = !r.ok;
      helper.textContent = r.ok ? hint : r.error;
      helper.hidden = r.ok ? !hint : false;
      helper.classList.toggle('props-error', !r.ok);
      if (r.ok) helper.removeAttribute('role');
      else helper.setAttribute('role', 'alert');
      if (r.ok && r.value) this.commit(r.value);
    });
    group.append(input, helper);
  }

  private select(id: string, label: string, options: { value: string; label: string }[], value: string, make: (v: string) => DesignEdit | null): void {
    const { group, helper } = this.group(id, label);
    const sel = document.createElement('vscode-single-select');
    sel.id = `prop-${id}`;
    sel.dataset['field'] = id;
    for (const o of options) {
      const opt = document.createElement('vscode-option');
      opt.value = o.value;
      opt.textContent = o.label;
      if (o.value === value) opt.selected = true;
      sel.append(opt);
    }
    sel.value = value;
    sel.addEventListener('change', () => {
      const e = make(sel.value);
      if (e) this.commit(e);
    });
    group.append(sel, helper);
  }

  private checkbox(id: string, label: string, checked: boolean, make: (checked: boolean) => DesignEdit | null): void {
    const group = document.createElement('vscode-form-group');
    group.variant = 'vertical';
    const box = document.createElement('vscode-checkbox');
    box.id = `prop-${id}`;
    box.dataset['field'] = id;
    box.label = label;
    box.checked = checked;
    box.addEventListener('change', () => {
      const e = make(box.checked);
      if (e) this.commit(e);
    });
    group.append(box);
    this.el.append(group);
  }

  private commit(e: DesignEdit): void {
    this.host.edit(e);
    if (e.kind === 'rename' && this.target) this.host.renamed(this.target, e.name);
  }
}

const PARAM_LABELS: Record<string, string> = { groups: 'Groups', base_width: 'Base width' };

/** Whether a parsed value equals what the file has (so re-committing an unchanged field posts nothing). */
function same(a: EditValue | null, b: unknown): boolean {
  if (a === null) return b === undefined || b === null;
  return JSON.stringify(a) === JSON.stringify(b);
}
