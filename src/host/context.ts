/**
 * The one context object `activate()` builds: settings, logging, per-workspace model choices and the
 * analysis service, shared by every feature. Features register their disposables on `subscriptions`.
 */
import * as vscode from 'vscode';
import type { ModelChoice } from './analysisOptions';
import { SETTINGS_SECTION, type StudioSettings, parseSettings } from './settings';

const CHOICES_KEY = 'resnetStudio.modelChoices';

export class StudioContext implements vscode.Disposable {
  private cachedSettings: StudioSettings | undefined;
  private log: vscode.LogOutputChannel | undefined;
  private readonly settingsEmitter = new vscode.EventEmitter<StudioSettings>();
  private readonly choiceEmitter = new vscode.EventEmitter<vscode.Uri>();
  /** Fires with the new settings after any `resnetStudio.*` setting changes. */
  readonly onDidChangeSettings = this.settingsEmitter.event;
  /** Fires with the file whose per-model choice changed. */
  readonly onDidChangeChoice = this.choiceEmitter.event;
  readonly subscriptions: vscode.Disposable[] = [];

  constructor(readonly extension: vscode.ExtensionContext) {
    this.subscriptions.push(
      this.settingsEmitter,
      this.choiceEmitter,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(SETTINGS_SECTION)) return;
        this.cachedSettings = undefined;
        this.settingsEmitter.fire(this.settings());
      }),
    );
  }

  /** The typed settings (read once, re-read after a change). */
  settings(): StudioSettings {
    if (!this.cachedSettings) {
      const cfg = vscode.workspace.getConfiguration(SETTINGS_SECTION);
      this.cachedSettings = parseSettings((key) => cfg.get(key));
    }
    return this.cachedSettings;
  }

  /** The extension's log channel, created on first use so activation stays cheap. */
  get logger(): vscode.LogOutputChannel {
    if (!this.log) {
      this.log = vscode.window.createOutputChannel('ResNet Studio', { log: true });
      this.subscriptions.push(this.log);
    }
    return this.log;
  }

  /** Absolute path of a file inside the installed extension. */
  asAbsolutePath(relative: string): vscode.Uri {
    return vscode.Uri.joinPath(this.extension.extensionUri, relative);
  }

  choiceFor(uri: vscode.Uri): ModelChoice | undefined {
    const all = this.extension.workspaceState.get<Record<string, ModelChoice>>(CHOICES_KEY, {});
    return all[uri.toString()];
  }

  async setChoice(uri: vscode.Uri, choice: ModelChoice | undefined): Promise<void> {
    const all = { ...this.extension.workspaceState.get<Record<string, ModelChoice>>(CHOICES_KEY, {}) };
    if (choice && (choice.model || choice.input || choice.args)) all[uri.toString()] = choice;
    else delete all[uri.toString()];
    await this.extension.workspaceState.update(CHOICES_KEY, all);
    this.choiceEmitter.fire(uri);
  }

  /** Shows an error to the user and logs it with its stack. */
  reportError(what: string, err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    this.logger.error(`${what}: ${err instanceof Error && err.stack ? err.stack : msg}`);
    void vscode.window.showErrorMessage(`ResNet Studio: ${what}: ${msg}`);
  }

  /** Wraps a command handler so that a failure is reported (`reportError`) instead of lost. */
  guarded<A extends unknown[]>(what: string, fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
    return async (...args: A): Promise<void> => {
      try {
        await fn(...args);
      } catch (err) {
        this.reportError(what, err);
      }
    };
  }

  dispose(): void {
    for (const d of this.subscriptions.splice(0).reverse()) d.dispose();
  }
}
