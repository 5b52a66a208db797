/**
 * Layer telemetry drawn on the graph: a bar under the toolbar (shown once a run's layer rows arrive) with a
 * statistic to show as heat and a step slider, the slider following the newest step while it sits at the end
 * (a live run) and replaying any earlier one. Layers take the heat colour of the params/MACs heat, and skip
 * edges a width from their add's branch-to-skip ratio, as element styles over the view's own, reapplied
 * whenever the view redraws its elements.
 */
import type { GraphView } from './view';
import type { TrainingRow } from '../../src/protocol/trainingProtocol';
import { STAT_LABELS } from '../metrics/layers';
import { TELEMETRY_METRICS, type TelemetryIndex, type TelemetryMetric, heatLevels, indexTelemetry, skipWidth, valuesAt } from './telemetry';
import { luminance, mix, readTheme } from './theme';

export interface TelemetryUpdate {
  /** The run the rows belong to; another run replaces what is held. */
  runId: string | null;
  rows: TrainingRow[];
  /** Rows to add to those held for the same run (a live run), instead of replacing them. */
  append: boolean;
}

export class TelemetryOverlay {
  private runId: string | null = null;
  private rows: TrainingRow[] = [];
  private index: TelemetryIndex = { steps: [], byModule: new Map() };
  private metric: TelemetryMetric | 'none' = 'gradNorm';
  /** The step shown; null follows the newest. */
  private step: number | null = null;
  private readonly bar: HTMLElement;
  private readonly select: HTMLSelectElement;
  private readonly slider: HTMLInputElement;
  private readonly label: HTMLElement;
  private frame = 0;
  private styled = false;

  constructor(
    private readonly view: GraphView,
    /** The bar goes right after this element (the toolbar). */
    anchor: HTMLElement,
  ) {
    this.bar = document.createElement('div');
    this.bar.id = 'telemetry-bar';
    this.bar.hidden = true;
    this.bar.setAttribute('role', 'group');
    this.bar.setAttribute('aria-label', 'Training telemetry');
    this.select = document.createElement('select');
    this.select.id = 'telemetry-metric';
    this.select.setAttribute('aria-label', 'Telemetry statistic shown as heat');
    for (const [value, text] of [['none', 'No telemetry'], ...TELEMETRY_METRICS.map((m) => [m, STAT_LABELS[m]] as const)] as const) {
      const o = document.createElement('option');
      o.value = value;
      o.textContent = text;
      this.select.append(o);
    }
    this.select.value = this.metric;
    this.slider = document.createElement('input');
    this.slider.type = 'range';
    this.slider.id = 'telemetry-step';
    this.slider.min = '0';
    this.slider.setAttribute('aria-label', 'Training step');
    this.label = document.createElement('span');
    this.label.id = 'telemetry-label';
    this.bar.append(this.select, this.slider, this.label);
    anchor.after(this.bar);
    this.select.addEventListener('change', () => {
      this.metric = this.select.value as TelemetryMetric | 'none';
      this.apply();
    });
    this.slider.addEventListener('input', () => {
      const i = Number(this.slider.value);
      this.step = i >= this.index.steps.length - 1 ? null : (this.index.steps[i] ?? null);
      this.apply();
    });
    // The view replaces elements when it redraws (a group collapsed, a new analysis): style them again.
    view.cy.on('add', () => this.schedule());
  }

  update(u: TelemetryUpdate): void {
    if (!u.append || u.runId !== this.runId) {
      this.rows = [];
      this.step = null;
    }
    this.runId = u.runId;
    this.rows.push(...u.rows);
    this.index = indexTelemetry(this.rows);
    this.apply();
  }

  /** The shown step and each styled layer's heat, for tests. */
  probe(): { step: number | null; heat: Record<string, number>; skipWidths: Record<string, number> } {
    const heat: Record<string, number> = {};
    const widths: Record<string, number> = {};
    this.view.cy.nodes().forEach((n) => {
      const h = n.data('telemetryHeat') as number | undefined;
      if (h !== undefined) heat[String(n.data('name'))] = h;
    });
    this.view.cy.edges().forEach((e) => {
      const w = e.data('telemetryWidth') as number | undefined;
      if (w !== undefined) widths[e.id()] = w;
    });
    return { step: this.shownStep(), heat, skipWidths: widths };
  }

  private shownStep(): number | null {
    return this.step ?? this.index.steps.at(-1) ?? null;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.apply();
    });
  }

  private apply(): void {
    const steps = this.index.steps;
    this.bar.hidden = steps.length === 0;
    const step = this.shownStep();
    this.slider.max = String(Math.max(0, steps.length - 1));
    this.slider.value = String(step === null ? 0 : Math.max(0, steps.indexOf(step)));
    this.slider.disabled = steps.length < 2 || this.metric === 'none';
    this.label.textContent = step === null ? '' : `step ${step}${this.step === null ? ' (newest)' : ''}`;
    const cy = this.view.cy;
    cy.batch(() => {
      if (this.styled) {
        cy.nodes().removeStyle('background-color color');
        cy.nodes().removeData('telemetryHeat');
        cy.edges().removeStyle('width');
        cy.edges().removeData('telemetryWidth');
        this.styled = false;
      }
      if (step === null || this.metric === 'none') return;
      this.styled = true;
      const t = readTheme();
      const values = valuesAt(this.index, this.metric, step);
      const levels = heatLevels(values);
      cy.nodes().forEach((n) => {
        if (n.data('kind') !== 'layer') return;
        const h = levels.get(String(n.data('name')));
        if (h === undefined) return;
        const fill = mix(t.nodeFill, t.heat, 0.85 * h);
        const lf = luminance(fill);
        const contrast = (c: string) => (Math.max(lf, luminance(c)) + 0.05) / (Math.min(lf, luminance(c)) + 0.05);
        n.style({ 'background-color': fill, color: contrast(t.foreground) >= contrast(t.background) ? t.foreground : t.background });
        n.data('telemetryHeat', h);
      });
      const ratios = valuesAt(this.index, 'branchRatio', step);
      const model = this.view.model;
      if (!model) return;
      const addName = new Map(model.graph.skips.map((s) => [s.id, model.graph.nodes.find((n) => n.id === s.to)?.name]));
      cy.edges('.skip').forEach((e) => {
        const name = addName.get(String(e.data('skipId')));
        const ratio = name !== undefined ? ratios.get(name) : undefined;
        if (ratio === undefined) return;
        const w = skipWidth(ratio);
        e.style('width', w);
        e.data('telemetryWidth', w);
      });
    });
  }
}
