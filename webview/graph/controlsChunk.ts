/**
 * The page's vscode-elements controls (toolbar, properties side bar), in a bundle of their own
 * (`dist/webview/graph-controls.js`). Defining and first rendering them took about a fifth of the time to a
 * first paint of the graph, which needs none of them, so `main.ts` loads this once the graph is on screen; the
 * elements in the page upgrade then, keeping the room the stylesheet gives them until they do.
 */
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-form-group/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
