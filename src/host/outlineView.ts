/**
 * The "Model Outline" tree in the ResNet Studio container: modules of the followed model with output shapes
 * and costs; clicking an entry reveals its source.
 */
import * as vscode from 'vscode';
import type { ActiveModel } from './activeModel';
import type { StudioContext } from './context';
import type { IrGraph } from '../core/ir';
import { type OutlineItem, fingerprint, outlineState } from './outline';

export const OUTLINE_VIEW_ID = 'resnetStudio.outline';

class OutlineProvider implements vscode.TreeDataProvider<OutlineItem> {
  private roots: OutlineItem[] = [];
  private key = '';
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  update(roots: OutlineItem[], key: string): void {
    this.roots = roots;
    this.key = key;
    this.changed.fire();
  }

  getChildren(element?: OutlineItem): OutlineItem[] {
    return element ? element.children : this.roots;
  }

  getTreeItem(it: OutlineItem): vscode.TreeItem {
    const state = it.children.length
      ? this.roots.length <= 12 && this.roots.includes(it) && it.kind !== 'stage'
        ? vscode.TreeItemCollapsibleState.Expanded
        : vscode.TreeItemCollapsibleState.Collapsed
      : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(it.label, state);
    item.id = `${this.key}#${it.id}`;
    item.description = it.description;
    item.tooltip = it.error ? `${it.tooltip}\n⚠ ${it.error}` : it.tooltip;
    item.iconPath = it.error
      ? new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'))
      : new vscode.ThemeIcon(it.kind === 'layer' ? 'symbol-field' : it.kind === 'stage' ? 'symbol-namespace' : 'symbol-class');
    item.contextValue = it.kind;
    if (it.source) item.command = { command: 'resnetStudio.revealSource', title: 'Reveal Source', arguments: [it.source] };
    return item;
  }
}

export function registerOutlineView(ctx: StudioContext, active: ActiveModel): void {
  const provider = new OutlineProvider();
  const view = vscode.window.createTreeView(OUTLINE_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  let lastGood: { uri: string; graph: IrGraph } | undefined;
  let shown = '';
  const refresh = (): void => {
    const r = active.current;
    const uri = r?.uri.toString() ?? '';
    const state = outlineState(r ? { uri, analysis: r.analysis } : undefined, lastGood);
    if (r?.analysis.graph && state.roots.length && !r.analysis.diagnostics.some((d) => d.code === 'syntax/error')) lastGood = { uri, graph: r.analysis.graph };
    // Every refresh makes the workbench ask for the tree again; one that changes nothing only races the
    // requests still in flight for the tree it replaces (the source of "No tree item with id ...").
    const print = fingerprint(state, uri);
    if (print === shown) return;
    shown = print;
    view.description = state.description;
    // The tree goes first and the message after it, so the two are never on screen together.
    provider.update(state.roots, uri);
    view.message = state.message;
  };
  ctx.subscriptions.push(
    view,
    active.onDidChange(refresh),
    view.onDidChangeVisibility((e) => {
      if (e.visible) void active.start().then(refresh);
    }),
  );
  if (view.visible) void active.start().then(refresh);
  else refresh();
}
