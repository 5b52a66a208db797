/**
 * The side panel of diff mode: which two versions are compared, the totals and the output shape on both
 * sides, a legend of the diff colours with counts, the per-stage table of params and MACs deltas, and the
 * changed layers with their attributes as `old → new`. Rows are links into the graph. Built with DOM calls
 * only (text from the workspace is never parsed as HTML).
 */
import { DIFF_STATUSES, type DiffStatus, type ModelDiff, type Shape, type StageDiff, changeText, fmtCompact, unionId } from '../../src/protocol/graphProtocol';
import { type DiffMarks, signedCompact } from './diff';

export interface DiffPanelHost {
  /** The user picked a row: select and show these union-graph ids. */
  onPick(irIds: string[]): void;
}

/** At most this many changed layers are listed; the graph and the tooltips have the rest. */
const MAX_LISTED = 300;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const shapeText = (s: Shape | undefined): string => (s === undefined || s === null ? '?' : `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]`);

const STATUS_WORD: Record<DiffStatus, string> = { added: 'added', removed: 'removed', changed: 'changed', reshaped: 'reshaped', same: 'unchanged' };

export class DiffPanel {
  constructor(
    private readonly root: HTMLElement,
    private readonly host: DiffPanelHost,
  ) {}

  get visible(): boolean {
    return !this.root.hidden;
  }

  hide(): void {
    this.root.hidden = true;
    this.root.replaceChildren();
    document.body.classList.remove('diff-mode');
  }

  show(marks: DiffMarks): void {
    const d = marks.diff;
    const { before, after } = marks.labels;
    const parts: HTMLElement[] = [];
    parts.push(el('h2', 'diff-title', `${before} → ${after}`));
    const names = d.before.name === d.after.name ? d.after.name : `${d.before.name} → ${d.after.name}`;
    parts.push(el('div', 'diff-model', names));

    const facts = el('dl', 'diff-facts');
    const fact = (term: string, value: string, cls?: string) => {
      facts.append(el('dt', undefined, term), el('dd', cls, value));
    };
    const total = (c: ModelDiff['total']['params']) => (c.delta === 0 ? `${fmtCompact(c.after)} (unchanged)` : `${fmtCompact(c.before)} → ${fmtCompact(c.after)} (${signedCompact(c.delta)})`);
    fact('Params', total(d.total.params));
    fact('MACs', total(d.total.macs));
    if (d.inputChanged) fact('Input', `${shapeText(d.before.input)} → ${shapeText(d.after.input)}`);
    const outputs = (x: ModelDiff['before']) => (x.outputs ?? [x.output]).map(shapeText).join(', ');
    if (d.outputChanged) fact('Output', `${outputs(d.before)} → ${outputs(d.after)}: the output shape changed`, 'interface-changed');
    else fact('Output', `${outputs(d.after)} (unchanged)`);
    parts.push(facts);

    const legend = el('div', 'diff-legend');
    legend.setAttribute('aria-label', 'Diff colours');
    for (const s of DIFF_STATUSES) {
      if (s === 'same') continue;
      const key = el('span', `key diff-key-${s}`);
      key.append(el('span', `diff-swatch ${s}`), el('span', undefined, `${STATUS_WORD[s]} ${d.counts[s]}`));
      key.title = s === 'reshaped' ? 'the same layer, but the tensor through it has another shape' : `layers ${STATUS_WORD[s]}`;
      legend.append(key);
    }
    parts.push(legend);

    parts.push(this.stageTable(marks));
    parts.push(...this.changeList(marks));
    this.root.replaceChildren(...parts);
    this.root.hidden = false;
    document.body.classList.add('diff-mode');
  }

  private stageTable(marks: DiffMarks): HTMLTableElement {
    const d = marks.diff;
    const table = el('table', 'diff-stages');
    table.setAttribute('aria-label', 'Params and MACs delta per stage');
    const head = el('tr');
    for (const h of ['Stage', 'Δ Params', 'Δ MACs']) head.append(el('th', undefined, h));
    table.append(el('thead'), el('tbody'), el('tfoot'));
    table.tHead!.append(head);
    for (const s of d.stages) {
      const tr = el('tr', `stage-row status-${s.status}`);
      tr.dataset['stage'] = s.name;
      const name = el('td', 'stage-name');
      name.append(el('span', `diff-swatch ${s.status}`), el('span', 'stage-label', s.name));
      const what = whatText(s);
      if (what) name.append(el('span', 'stage-what', what));
      name.title = `${s.name}: ${STATUS_WORD[s.status]}`;
      tr.append(name, el('td', 'num', signedCompact(s.params.delta)), el('td', 'num', signedCompact(s.macs.delta)));
      tr.title = `params ${fmtCompact(s.params.before)} → ${fmtCompact(s.params.after)} · MACs ${fmtCompact(s.macs.before)} → ${fmtCompact(s.macs.after)} · output ${shapeText(s.output.before)} → ${shapeText(s.output.after)}`;
      const ids = this.idsOfStage(marks, s.name);
      if (ids.length) {
        tr.tabIndex = 0;
        tr.classList.add('link');
        const pick = () => this.host.onPick(ids);
        tr.addEventListener('click', pick);
        tr.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            pick();
          }
        });
      }
      table.tBodies[0]!.append(tr);
    }
    const foot = el('tr', 'total-row');
    foot.append(el('td', undefined, 'Total'), el('td', 'num', signedCompact(d.total.params.delta)), el('td', 'num', signedCompact(d.total.macs.delta)));
    table.tFoot!.append(foot);
    return table;
  }

  /** The group a stage row stands for, or the top-level layer. */
  private idsOfStage(marks: DiffMarks, name: string): string[] {
    for (const [id, g] of marks.groups) if (g.name === name && !g.parent) return [id];
    for (const [id, n] of marks.nodes) if (n.key === name) return [id];
    return [];
  }

  private changeList(marks: DiffMarks): HTMLElement[] {
    const rows = marks.diff.nodes.filter((n) => n.status === 'changed');
    if (!rows.length) return [];
    const list = el('ul', 'diff-changes');
    list.setAttribute('aria-label', 'Changed layers');
    for (const n of rows.slice(0, MAX_LISTED)) {
      const li = el('li', 'link');
      li.tabIndex = 0;
      li.append(el('span', 'change-name', n.name), el('span', 'change-what', n.changes.map(changeText).join(', ')));
      const pick = () => this.host.onPick([unionId(n)]);
      li.addEventListener('click', pick);
      li.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') pick();
      });
      list.append(li);
    }
    const out: HTMLElement[] = [el('h3', undefined, `Changed layers (${rows.length})`), list];
    if (rows.length > MAX_LISTED) out.push(el('p', 'diff-more', `and ${rows.length - MAX_LISTED} more (hover a layer in the graph)`));
    return out;
  }
}

/** `2× → 3× BasicBlock`, `2× BasicBlock`, or the op; nothing when the row is a plain layer named like its op. */
function whatText(s: StageDiff): string {
  const { before, after } = s.what;
  if (before === undefined || after === undefined || before === after) return after ?? before ?? '';
  const b = /^(\d+)× (.+)$/.exec(before);
  const a = /^(\d+)× (.+)$/.exec(after);
  if (a && b && a[2] === b[2]) return `${b[1]}× → ${a[1]}× ${a[2]}`;
  return `${before} → ${after}`;
}
