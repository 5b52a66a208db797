/**
 * The Models view's tree, as pure data built from the workspace index: files, the models of each file (with
 * params, MACs, output shape and error count), and under each model the block classes it is built from. A
 * class that another model of its file uses as a block is listed under that model, not beside it. Pure, so
 * the shaping is tested without VS Code; `modelsView.ts` turns these nodes into tree items.
 */
import { formatShape } from '../core/dims';
import { fmtCompact, fmtInt } from '../core/report';
import type { FileIndex, ModelEntry } from '../frontends/workspaceIndex';

export interface ModelsNode {
  /** Unique and stable across refreshes, so the tree keeps its expansion state. */
  id: string;
  kind: 'file' | 'model' | 'block';
  file: string;
  label: string;
  description: string;
  tooltip: string;
  /** The model to open in the graph (undefined opens the file's only model: designs and Keras files). */
  model?: string;
  /** `class`, `factory` or `design` for a model or a block defined in the file; absent for other nodes. */
  modelKind?: ModelEntry['kind'];
  errors: number;
  children: ModelsNode[];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `11.7 M params · 1.81 G MACs → [1, 1000] · 1 error`: what a model's row says after its name. */
export function modelDescription(m: ModelEntry): string {
  if (!m.analysed) return 'not analysed yet (file time limit); open it to analyse';
  if (!m.built) return m.errors ? `not built · ${plural(m.errors, 'error')}` : 'not built';
  const parts = [`${fmtCompact(m.params)} params`, `${fmtCompact(m.macs)} MACs`];
  let s = `${parts.join(' · ')} → ${formatShape(m.output)}`;
  if (m.errors) s += ` · ${plural(m.errors, 'error')}`;
  return s;
}

export function modelTooltip(m: ModelEntry, shownFile: string): string {
  const kind = m.kind === 'design' ? 'design' : m.kind === 'factory' ? 'factory function' : 'nn.Module class';
  const lines = [`${m.name} (${kind}) in ${shownFile}${m.source ? `:${m.source.line}` : ''}`];
  if (m.analysed && m.built) {
    lines.push(`input ${formatShape(m.input)} → output ${m.outputs ? m.outputs.map(formatShape).join(', ') : formatShape(m.output)}`);
    lines.push(`params ${fmtInt(m.params)} · MACs ${fmtInt(m.macs)}`);
    lines.push(`${plural(m.layers, 'layer')} · ${plural(m.shortcuts, 'residual shortcut')}`);
  }
  if (m.symbolic) lines.push('built with symbolic arguments (it needs arguments; give them in a # resnet-studio: comment for exact numbers)');
  if (m.fromDirective) lines.push('arguments and input from the file\'s # resnet-studio: comment');
  lines.push(`${plural(m.errors, 'error')}, ${plural(m.warnings, 'warning')}`);
  if (m.firstError) lines.push(`first error: ${m.firstError}`);
  if (m.blocks.length) lines.push(`blocks: ${m.blocks.map((b) => `${b.count}× ${b.name}`).join(', ')}`);
  return lines.join('\n');
}

/** `id` is the node's path from its file, so a block under two models (or nested twice) has distinct ids. */
function modelNode(f: FileIndex, m: ModelEntry, shownFile: string, depth: number, id: string): ModelsNode {
  const base = id;
  const children: ModelsNode[] = [];
  for (const b of m.blocks) {
    const own = f.models.find((x) => x.name === b.name);
    if (own && depth < 3) {
      const n = modelNode(f, own, shownFile, depth + 1, `${base}/${b.name}`);
      children.push({ ...n, kind: 'block', description: `${b.count}× · ${n.description}` });
    } else {
      children.push({
        id: `${base}/${b.name}`,
        kind: 'block',
        file: f.file,
        label: b.name,
        description: `${b.count}×`,
        tooltip: `${b.count}× ${b.name} in ${m.name} (defined in another file)`,
        errors: 0,
        children: [],
      });
    }
  }
  return {
    id: base,
    kind: 'model',
    file: f.file,
    label: m.name,
    description: modelDescription(m),
    tooltip: modelTooltip(m, shownFile),
    ...(m.kind === 'design' ? {} : { model: m.name }),
    modelKind: m.kind,
    errors: m.errors,
    children,
  };
}

/** The tree: one node per model file (in `files` order), its models under it, their blocks under them. */
export function buildModelsTree(files: readonly FileIndex[], shown: (file: string) => string): ModelsNode[] {
  return files.map((f) => {
    const name = shown(f.file);
    const top = f.models.filter((m) => m.usedBy.length === 0);
    // A class defined twice in one file (a redefinition) is listed twice; the second gets its own id.
    const used = new Map<string, number>();
    const children = top.map((m) => {
      const n = (used.get(m.name) ?? 0) + 1;
      used.set(m.name, n);
      return modelNode(f, m, name, 0, `${f.file}#${m.name}${n > 1 ? `~${n}` : ''}`);
    });
    const errors = f.diagnostics.filter((d) => d.severity === 'error').length;
    const slash = name.lastIndexOf('/');
    return {
      id: f.file,
      kind: 'file' as const,
      file: f.file,
      label: slash >= 0 ? name.slice(slash + 1) : name,
      description: `${slash >= 0 ? `${name.slice(0, slash)} · ` : ''}${plural(f.models.length, 'model')}${errors ? ` · ${plural(errors, 'error')}` : ''}`,
      tooltip: `${name}\n${plural(f.models.length, 'model')}: ${f.models.map((m) => m.name).join(', ')}\n${plural(errors, 'error')}`,
      errors,
      children,
    };
  });
}
