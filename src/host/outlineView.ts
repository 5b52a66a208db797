/**
 * The "Model Outline" tree in the ResNet Studio container: modules of the followed model with output shapes
 * and costs; clicking an entry reveals its source.
 */
import * as vscode from 'vscode';
import type { ActiveModel } from './activeModel';
import type { StudioContext } from './context';
import { type OutlineItem, buildOutline } from './outline';

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
  const refresh = (): void => {
    const r = active.current;
    const g = r?.analysis.graph;
    view.description = g?.name ?? '';
    view.message = g ? undefined : r ? 'No model could be built from this file: see the Problems panel.' : 'Open a PyTorch file, a *.resnet.json design or a Keras model.json to see its modules.';
    provider.update(g ? buildOutline(g) : [], r?.uri.toString() ?? '');
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
