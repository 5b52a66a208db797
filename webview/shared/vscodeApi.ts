/**
 * The webview side of VS Code's `acquireVsCodeApi()`, typed by the page's protocol. VS Code allows the
 * function to be called only once per page, so every module gets the same instance from here.
 */

export interface VsCodeApi<State, Out> {
  postMessage(message: Out): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi(): { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): void };

let api: VsCodeApi<unknown, unknown> | undefined;

export function getVsCodeApi<State, Out>(): VsCodeApi<State, Out> {
  if (!api) {
    if (typeof acquireVsCodeApi !== 'function') throw new Error('acquireVsCodeApi is not available: this page must run inside a VS Code webview');
    const raw = acquireVsCodeApi();
    api = {
      postMessage: (m) => raw.postMessage(m),
      getState: () => raw.getState() ?? undefined,
      setState: (s) => raw.setState(s),
    };
  }
  return api as VsCodeApi<State, Out>;
}
