/**
 * Design editing in the graph page, in real Chromium with the built bundle and the host's CSP: the context
 * menu (mouse and keyboard) and the properties side bar post the right `editDesign` messages, invalid values
 * post nothing, `editResult` shows on the status line, and the next `setGraph` (the edited document)
 * updates the side bar and the graph, keeping collapsed stages and the viewport. The pure helpers the page
 * reads values and targets with are tested first, without a browser. Screenshots land in test-artifacts/webview/.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeText } from '../../src/frontends';
import { BUILTIN_BLOCKS } from '../../src/frontends/builtinBlocks';
import { designContextOf } from '../../src/frontends/designEdits';
import type { DesignFile } from '../../src/protocol/designEditProtocol';
import type { EditDesignMessage, SetGraphMessage } from '../../src/protocol/graphProtocol';
import { findLayer, numClasses, shortcutType, stageOfPath, stageParams } from '../../webview/graph/editTargets';
import { attrKind, formatValue, parseCount, parseName, parseShape, parseValue } from '../../webview/graph/editValues';
import { ARTIFACTS, GraphPage, graphPages, REPO_ROOT, webviewSkipReason } from './graphPage';

const skip = webviewSkipReason();
if (skip) console.log(`# skipping the design editing webview tests: ${skip}`);

const RESNET50 = 'examples/resnet50.resnet.json';

function designMessage(file: string, text: string, version: number, threshold = 300): SetGraphMessage {
  const a = analyzeText(file, text);
  return {
    type: 'setGraph',
    version,
    file,
    graph: a.graph,
    diagnostics: a.diagnostics,
    settings: { layoutDirection: 'DOWN', autoCollapseThreshold: threshold },
    design: designContextOf(text),
  };
}

const resnet50Text = (): string => readFileSync(join(REPO_ROOT, RESNET50), 'utf8');

describe('reading what the side bar is given', () => {
  test('values: integers where the schema wants them, lists, expressions, empty as "remove"', () => {
    assert.deepEqual(parseValue('7', 'int', { min: 1 }), { ok: true, value: 7 });
    assert.equal(parseValue('2.5', 'int').ok, false);
    assert.equal(parseValue('0', 'int', { min: 1 }).ok, false);
    assert.deepEqual(parseValue('-1', 'signed-int'), { ok: true, value: -1 });
    assert.deepEqual(parseValue('3, 3', 'int'), { ok: true, value: [3, 3] });
    assert.deepEqual(parseValue('[1,2]', 'int'), { ok: true, value: [1, 2] });
    assert.equal(parseValue('3, 1.5', 'int').ok, false);
    assert.deepEqual(parseValue('planes * expansion', 'int'), { ok: true, value: 'planes * expansion' });
    assert.deepEqual(parseValue('floor(planes / 2)', 'int'), { ok: true, value: 'floor(planes / 2)' });
    assert.equal(parseValue('floor(planes / 2', 'int').ok, false, 'unbalanced parentheses');
    assert.equal(parseValue('4 planes', 'int').ok, false);
    assert.deepEqual(parseValue('same', 'int'), { ok: true, value: 'same' }, 'a keyword such as padding="same"');
    assert.deepEqual(parseValue('', 'int'), { ok: true, value: null });
    assert.equal(parseValue(' ', 'int', { allowEmpty: false }).ok, false);
    assert.deepEqual(parseValue('0.25', 'any'), { ok: true, value: 0.25 });
    assert.deepEqual(parseValue('true', 'any'), { ok: true, value: true });
    assert.deepEqual(parseShape('1, 3, 224, 224'), { ok: true, value: [1, 3, 224, 224] });
    assert.deepEqual(parseShape('3×32×32'), { ok: true, value: [3, 32, 32] });
    assert.equal(parseShape('3, 32').ok, false);
    assert.equal(parseShape('3, 0, 32').ok, false);
    assert.equal(parseShape('3, 32.5, 32').ok, false);
    assert.deepEqual(parseCount('10'), { ok: true, value: 10 });
    assert.equal(parseCount('0').ok, false);
    assert.equal(parseCount('ten').ok, false);
    assert.equal(parseName('conv_a', true).ok, true);
    assert.equal(parseName('conv.a', true).ok, false, 'a dot would split the module path');
    assert.equal(parseName('My ResNet', false).ok, true);
    assert.equal(attrKind('bias', undefined, true), 'bool');
    assert.equal(attrKind('kernel_size', 3, null), 'int');
    assert.equal(attrKind('start_dim', undefined, 1), 'signed-int');
    assert.equal(attrKind('p', undefined, 0.5), 'any');
    assert.equal(formatValue([1, 1]), '1, 1');
    assert.equal(formatValue('planes'), 'planes');
    assert.equal(formatValue(undefined), '');
  });

  test('targets: stages, block layers (built-in or the file\u2019s own), unnamed layers, classes', () => {
    const ctx = designContextOf(resnet50Text())!;
    assert.deepEqual(stageOfPath(ctx.design, 'layer2.1.conv2')?.block, 1);
    assert.equal(stageOfPath(ctx.design, 'layer2.1.conv2')?.rest, 'conv2');
    assert.equal(stageOfPath(ctx.design, 'fc'), undefined);
    const conv2 = findLayer(ctx, 'layer3.0.conv2');
    assert.equal(conv2?.def.groups, 'groups');
    assert.equal(conv2?.block, 'bottleneck');
    assert.equal(conv2?.builtin, true);
    assert.equal(findLayer(ctx, 'layer3.0.downsample.0'), undefined, 'a projection shortcut is generated, not written');
    assert.equal(findLayer(ctx, 'conv1')?.def.kernel_size, 7);
    assert.equal(numClasses(ctx.design), 1000);
    assert.equal(shortcutType(BUILTIN_BLOCKS['bottleneck']), 'B');
    assert.equal(shortcutType(BUILTIN_BLOCKS['cifar']), 'A');
    assert.deepEqual(
      stageParams(ctx, ctx.design.layers[4] as never).map((p) => p.key),
      ['groups', 'base_width'],
    );
    const own: DesignFile = {
      blocks: { se: { main: [{ type: 'Conv2d', out_channels: 'planes', kernel_size: 3 }, { type: 'Conv2d', out_channels: 'planes', kernel_size: 1 }], shortcut: { layers: [{ type: 'Conv2d', name: 'proj', out_channels: 'planes', kernel_size: 1 }] } } },
      layers: [{ type: 'Flatten' }, { type: 'Linear', out_features: 10 }, { stage: 's1', block: 'se', count: 2, planes: 8 }],
    };
    const c2 = designContextOf(JSON.stringify(own))!;
    assert.equal(findLayer(c2, 's1.0.conv2d_1')?.def.kernel_size, 1, 'the second unnamed Conv2d of the block');
    assert.equal(findLayer(c2, 's1.1.proj')?.builtin, false);
    assert.equal(findLayer(c2, 'flatten')?.def.type, 'Flatten');
    assert.equal(numClasses(own), 10, 'the last Linear when there is no vars.num_classes');
    assert.equal(shortcutType(own.blocks!['se']), 'C');
  });
});

describe('design editing in the graph webview', { skip, timeout: 240_000 }, () => {
  const pages = graphPages();

  const groupId = (msg: SetGraphMessage, name: string): string => `g/${msg.graph!.groups.find((g) => g.name === name)!.id}`;
  const nodeId = (msg: SetGraphMessage, name: string): string => `n/${msg.graph!.nodes.find((n) => n.name === name)!.id}`;
  const edits = async (p: GraphPage): Promise<EditDesignMessage[]> => (await p.posted()).filter((m): m is EditDesignMessage => m.type === 'editDesign');
  /** The entries of the open menu (`level` 0) or of its open submenu (1). */
  const menuLabels = (p: GraphPage, level = 0): Promise<string[]> =>
    p.page.$$eval('.edit-menu', (ms, l) => [...(ms[l]?.querySelectorAll('[role^="menuitem"]') ?? [])].map((r) => `${r.getAttribute('aria-checked') ?? ''}${r.textContent ?? ''}`), level);
  const expandAll = (p: GraphPage): Promise<void> =>
    p.page.evaluate(() => (window as unknown as { resnetStudioGraph: { view: { expandAll(): Promise<void> } } }).resnetStudioGraph.view.expandAll());

  async function rightClick(p: GraphPage, viewId: string): Promise<void> {
    await p.bringIntoView(viewId);
    const pt = await p.nodePoint(viewId);
    assert.ok(pt, `${viewId} is drawn`);
    await p.page.mouse.click(pt.x, pt.y, { button: 'right' });
    await p.page.waitForSelector('.edit-menu[role="menu"]');
  }

  async function clickNode(p: GraphPage, viewId: string): Promise<void> {
    await p.bringIntoView(viewId);
    const pt = await p.nodePoint(viewId);
    assert.ok(pt, `${viewId} is drawn`);
    await p.page.mouse.click(pt.x, pt.y);
  }

  /** Types into a side bar field and commits it with Enter, as a user does. */
  async function commit(p: GraphPage, field: string, text: string): Promise<void> {
    const input = p.page.locator(`#prop-${field} input`);
    await input.fill(text);
    await input.press('Enter');
  }

  /**
   * Saves a screenshot of the page as it is drawn now. Straight from the DevTools protocol: Playwright's own
   * screenshot, here, now and then waited about a minute for something after a host message.
   */
  async function screenshot(p: GraphPage, name: string): Promise<void> {
    const cdp = await p.page.context().newCDPSession(p.page);
    try {
      const shot = await cdp.send('Page.captureScreenshot', { format: 'png' });
      writeFileSync(join(ARTIFACTS, name), Buffer.from(shot.data, 'base64'));
    } finally {
      await cdp.detach();
    }
  }

  async function assertClean(p: GraphPage): Promise<void> {
    assert.deepEqual(await p.cspViolations(), [], 'no CSP violations');
    assert.deepEqual(p.consoleErrors, [], 'no console errors or warnings');
  }

  test('right-click a stage → "Add block" posts addBlock; the keyboard picks a shortcut type; Escape closes', async () => {
    const p = await pages.open();
    try {
      const msg = designMessage(RESNET50, resnet50Text(), 3, 50);
      await p.send(msg);
      const layer2 = groupId(msg, 'layer2');
      await rightClick(p, layer2);
      assert.deepEqual(await menuLabels(p), ['Add block', 'Remove block', 'Add stage after', 'Remove stage', 'Insert after▸', 'Shortcut type▸', 'Properties']);
      assert.equal(await p.page.evaluate(() => document.activeElement?.textContent), 'Add block', 'focus starts on the first entry');
      await screenshot(p, 'design-edit-menu.png');
      await p.page.getByRole('menuitem', { name: 'Add block' }).click();
      assert.equal(await p.page.$('.edit-menu'), null, 'running an entry closes the menu');
      assert.deepEqual(await edits(p), [{ type: 'editDesign', version: 3, edit: { kind: 'addBlock', stage: 'layer2' } }]);
      // The side bar shows the stage the menu was opened on.
      assert.equal(await p.page.textContent('#edit-properties h2'), 'Stage layer2');

      // Keyboard only: down to "Shortcut type", → opens its submenu (B, the built-in bottleneck's, is checked), End, Enter.
      await rightClick(p, groupId(msg, 'layer3'));
      for (let i = 0; i < 5; i++) await p.page.keyboard.press('ArrowDown');
      assert.equal(await p.page.evaluate(() => document.activeElement?.textContent), 'Shortcut type▸');
      await p.page.keyboard.press('ArrowRight');
      const sub = await p.page.$$eval('.edit-menu', (ms) => ms.length);
      assert.equal(sub, 2, 'the submenu is open');
      assert.deepEqual(await menuLabels(p, 1), ['falseA: parameter-free subsample and pad', 'true✓B: projection when the shape changes', 'falseC: projection always']);
      await p.page.keyboard.press('ArrowLeft');
      assert.equal(await p.page.$$eval('.edit-menu', (ms) => ms.length), 1, '← closes the submenu only');
      await p.page.keyboard.press('ArrowRight');
      await p.page.keyboard.press('End');
      await p.page.keyboard.press('Enter');
      assert.deepEqual((await edits(p)).at(-1), { type: 'editDesign', version: 3, edit: { kind: 'setShortcut', stage: 'layer3', shortcut: 'C' } });

      // Escape closes without posting; a typed letter jumps to the entry starting with it.
      await rightClick(p, groupId(msg, 'layer4'));
      await p.page.keyboard.press('r');
      assert.equal(await p.page.evaluate(() => document.activeElement?.textContent), 'Remove block');
      await p.page.keyboard.press('Escape');
      assert.equal(await p.page.$('.edit-menu'), null);
      assert.equal((await edits(p)).length, 2);

      // From the keyboard alone: the selected node's menu opens with Shift+F10 (or the context-menu key).
      await clickNode(p, groupId(msg, 'layer1'));
      await p.page.keyboard.press('Shift+F10');
      await p.page.waitForSelector('.edit-menu');
      assert.equal(await p.page.getAttribute('.edit-menu', 'aria-label'), 'Stage layer1');
      await p.page.keyboard.press('Escape');
      assert.equal(await p.page.$('.edit-menu'), null);
      assert.equal(await p.page.evaluate(() => document.activeElement?.id), 'graph', 'Escape gives the focus back to the graph');

      // A block of a stage: duplicate is one more block in its stage.
      await p.send(designMessage(RESNET50, resnet50Text(), 4, 1000));
      await expandAll(p);
      const block = groupId(msg, 'layer1.1');
      await p.bringIntoView(block);
      // A group's box is its children's; its title row (above the first child) is the group's own.
      const pt = await p.page.evaluate((id) => {
        const cy = (window as unknown as { resnetStudioGraph: { view: { cy: { getElementById(id: string): { renderedBoundingBox(o: object): { x1: number; y1: number; x2: number } } } } } }).resnetStudioGraph.view.cy;
        const bb = cy.getElementById(id).renderedBoundingBox({ includeLabels: false });
        const r = document.getElementById('graph')!.getBoundingClientRect();
        return { x: r.left + bb.x1 + 6, y: r.top + bb.y1 + 6 };
      }, block);
      await p.page.mouse.click(pt.x, pt.y, { button: 'right' });
      await p.page.waitForSelector('.edit-menu');
      assert.deepEqual(await menuLabels(p), ['Duplicate block', 'Remove block', 'Properties']);
      await p.page.keyboard.press('Enter');
      assert.deepEqual((await edits(p)).at(-1), { type: 'editDesign', version: 4, edit: { kind: 'addBlock', stage: 'layer1' } });
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('the side bar posts setStage and setLayer for committed changes, and nothing for invalid ones', async () => {
    const p = await pages.open({ theme: 'light' });
    try {
      const msg = designMessage(RESNET50, resnet50Text(), 7, 50);
      await p.send(msg);
      assert.equal(await p.page.textContent('#edit-properties h2'), 'ResNet-50', 'with nothing selected the side bar shows the model');
      await clickNode(p, groupId(msg, 'layer3'));
      await p.page.waitForFunction(() => document.querySelector('#edit-properties h2')?.textContent === 'Stage layer3');
      assert.equal(await p.page.locator('#prop-count').evaluate((e) => (e as HTMLInputElement).value), '6');
      assert.equal(await p.page.locator('#prop-block').evaluate((e) => (e as HTMLInputElement).value), 'bottleneck');
      assert.equal(await p.page.locator('#prop-param-groups input').getAttribute('placeholder'), 'default 1');

      await commit(p, 'count', '2.5');
      assert.equal(await p.page.locator('#prop-count').evaluate((e) => (e as unknown as { invalid: boolean }).invalid), true);
      assert.match((await p.page.textContent('#edit-properties [role="alert"]')) ?? '', /whole number/);
      assert.deepEqual(await edits(p), [], 'an invalid value is not posted');
      await screenshot(p, 'design-edit-invalid.png');
      await commit(p, 'count', '7');
      assert.equal(await p.page.locator('#prop-count').evaluate((e) => (e as unknown as { invalid: boolean }).invalid), false);
      await commit(p, 'planes', 'width * 2');
      await commit(p, 'param-groups', '32');
      await commit(p, 'stride', '');
      assert.deepEqual(
        (await edits(p)).map((m) => m.edit),
        [
          { kind: 'setStage', stage: 'layer3', key: 'count', value: 7 },
          { kind: 'setStage', stage: 'layer3', key: 'planes', value: 'width * 2' },
          { kind: 'setStage', stage: 'layer3', key: 'groups', value: 32 },
          { kind: 'setStage', stage: 'layer3', key: 'stride', value: null },
        ],
      );
      assert.ok((await edits(p)).every((m) => m.version === 7));

      // A top-level layer: every Conv2d attribute is offered, with the catalogue's defaults as placeholders.
      await clickNode(p, nodeId(msg, 'conv1'));
      await p.page.waitForFunction(() => document.querySelector('#edit-properties h2')?.textContent === 'conv1');
      assert.equal(await p.page.locator('#prop-attr-kernel_size').evaluate((e) => (e as HTMLInputElement).value), '7');
      assert.equal(await p.page.locator('#prop-attr-dilation input').getAttribute('placeholder'), 'default 1');
      await commit(p, 'attr-kernel_size', '5');
      await commit(p, 'attr-padding', '2, 2');
      await commit(p, 'attr-out_channels', '-3');
      await p.page.locator('#prop-attr-bias').click();
      await commit(p, 'name', 'stem');
      const tail = (await edits(p)).slice(4).map((m) => m.edit);
      assert.deepEqual(tail, [
        { kind: 'setLayer', layer: 'conv1', key: 'kernel_size', value: 5 },
        { kind: 'setLayer', layer: 'conv1', key: 'padding', value: [2, 2] },
        { kind: 'setLayer', layer: 'conv1', key: 'bias', value: true },
        { kind: 'rename', target: 'conv1', name: 'stem' },
      ]);

      // A layer of a built-in block: the side bar says that editing it edits the block for every stage.
      await p.send(designMessage(RESNET50, resnet50Text(), 8, 1000));
      await expandAll(p);
      await clickNode(p, nodeId(msg, 'layer2.0.conv2'));
      await p.page.waitForFunction(() => document.querySelector('#edit-properties h2')?.textContent === 'layer2.0.conv2');
      assert.match((await p.page.textContent('#edit-properties .props-note')) ?? '', /in block bottleneck \(built-in/);
      assert.equal(await p.page.locator('#prop-attr-groups').evaluate((e) => (e as HTMLInputElement).value), 'groups');
      await commit(p, 'attr-kernel_size', '5');
      assert.deepEqual((await edits(p)).at(-1)?.edit, { kind: 'setLayer', layer: 'layer2.0.conv2', key: 'kernel_size', value: 5 });
      await screenshot(p, 'design-edit-layer.png');
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('the next setGraph with the changed design updates the side bar and the graph, keeping collapsed stages and the viewport', async () => {
    const p = await pages.open();
    try {
      const text = resnet50Text();
      const first = designMessage(RESNET50, text, 1, 50);
      await p.send(first);
      await clickNode(p, groupId(first, 'layer2'));
      await p.page.waitForFunction(() => document.querySelector('#edit-properties h2')?.textContent === 'Stage layer2');
      // Expand layer2 (the user's choice, which must survive the edit) and move the view.
      await p.page.evaluate((id) => (window as unknown as { resnetStudioGraph: { view: { toggle(id: string): Promise<void> } } }).resnetStudioGraph.view.toggle(id), first.graph!.groups.find((g) => g.name === 'layer2')!.id);
      await p.page.evaluate(() => {
        const cy = (window as unknown as { resnetStudioGraph: { view: { cy: { zoom(z?: number): number; pan(p?: { x: number; y: number }): { x: number; y: number } } } } }).resnetStudioGraph.view.cy;
        cy.zoom(0.8);
        cy.pan({ x: 40, y: -120 });
      });
      await commit(p, 'count', '5');
      assert.deepEqual((await edits(p)).map((m) => m.edit), [{ kind: 'setStage', stage: 'layer2', key: 'count', value: 5 }]);
      await p.send({ type: 'editResult', ok: true, message: 'layer2: count 4 → 5' }, false);
      // A posted message is handled in a later task of the page: wait for it, then judge what it showed.
      await p.page.waitForFunction(() => document.querySelector('#edit-status')?.textContent !== '', undefined, { timeout: 5_000 }).catch(() => undefined);
      assert.equal(await p.page.textContent('#edit-status'), 'layer2: count 4 → 5');
      assert.equal(await p.page.locator('#edit-status').evaluate((e) => e.classList.contains('has-error')), false);

      // The host applied the edit; the page gets the new document.
      const design = JSON.parse(text) as DesignFile;
      (design.layers.find((l) => (l as { stage?: string }).stage === 'layer2') as { count: number }).count = 5;
      const second = designMessage(RESNET50, JSON.stringify(design, null, 2), 2, 50);
      const blocksDrawnIn = (id: string): Promise<number> =>
        p.page.evaluate((gid) => (window as unknown as { resnetStudioGraph: { view: { cy: { getElementById(id: string): { children(): { length: number } } } } } }).resnetStudioGraph.view.cy.getElementById(gid).children().length, id);
      assert.equal(await blocksDrawnIn(groupId(first, 'layer2')), 4);
      const before = await p.stats();
      const viewport = () =>
        p.page.evaluate(() => {
          const cy = (window as unknown as { resnetStudioGraph: { view: { cy: { zoom(): number; pan(): { x: number; y: number } } } } }).resnetStudioGraph.view.cy;
          return { zoom: cy.zoom(), pan: cy.pan() };
        });
      const vp = await viewport();
      await p.send(second);
      assert.equal(await p.page.locator('#prop-count').evaluate((e) => (e as HTMLInputElement).value), '5', 'the side bar shows the new count');
      assert.equal(await p.page.textContent('#edit-properties h2'), 'Stage layer2', 'the selection is kept');
      const after = await p.stats();
      assert.equal(after.collapsed, before.collapsed, 'the same groups stay collapsed (layer2 stays expanded)');
      assert.equal(await blocksDrawnIn(groupId(second, 'layer2')), 5, 'layer2 is drawn with its new block');
      assert.equal(await p.page.evaluate((id) => (window as unknown as { resnetStudioGraph: { view: { cy: { getElementById(id: string): { hasClass(c: string): boolean } } } } }).resnetStudioGraph.view.cy.getElementById(id).hasClass('expanded'), groupId(second, 'layer2')), true);
      assert.deepEqual(await viewport(), vp, 'the viewport is kept');
      assert.match((await p.page.textContent('#status')) ?? '', /185 layers/);

      // A refused edit: an error on the status line.
      await p.send({ type: 'editResult', ok: false, message: 'layer2: a stage has at least one block' }, false);
      await p.page.waitForFunction(() => document.querySelector('#edit-status')?.textContent?.includes('at least one block'), undefined, { timeout: 5_000 }).catch(() => undefined);
      assert.equal(await p.page.locator('#edit-status').evaluate((e) => e.classList.contains('has-error')), true);
      await screenshot(p, 'design-edit-after.png');

      // Read-only again: a graph without a design offers no menu and no side bar.
      await p.send({ ...second, version: 3, design: null });
      assert.equal(await p.page.isHidden('#edit-properties'), true);
      const fc = nodeId(second, 'fc');
      await p.bringIntoView(fc);
      const pt = (await p.nodePoint(fc))!;
      await p.page.mouse.click(pt.x, pt.y, { button: 'right' });
      assert.equal(await p.page.$('.edit-menu'), null);
      await assertClean(p);
    } finally {
      await p.close();
    }
  });
  test('the background menu reaches the model fields; a layer’s menu inserts from the palette', async () => {
    const p = await pages.open();
    try {
      const msg = designMessage(RESNET50, resnet50Text(), 5, 50);
      await p.send(msg);
      const box = (await p.page.locator('#graph').boundingBox())!;
      await p.page.mouse.click(box.x + 8, box.y + box.height - 8, { button: 'right' });
      await p.page.waitForSelector('.edit-menu');
      assert.deepEqual(await menuLabels(p), ['Insert at start▸', 'Insert layer at start▸', 'Rename model…', 'Input shape…', 'Classes…']);
      await p.page.getByRole('menuitem', { name: 'Input shape…' }).click();
      await p.page.waitForFunction(() => (document.activeElement as HTMLElement | null)?.dataset['field'] === 'input');
      await commit(p, 'input', '3, 32, 32');
      await commit(p, 'classes', '10');
      assert.deepEqual((await edits(p)).map((m) => m.edit), [
        { kind: 'setInput', shape: [3, 32, 32] },
        { kind: 'setNumClasses', value: 10 },
      ]);
      await rightClick(p, nodeId(msg, 'fc'));
      await p.page.getByRole('menuitem', { name: 'Insert after', exact: true }).hover();
      assert.deepEqual(await menuLabels(p, 1), ['Conv–BN–ReLU', 'Squeeze-and-excitation', 'Dropout', 'Max pool', 'Average pool']);
      await p.page.getByRole('menuitem', { name: 'Dropout' }).click();
      assert.deepEqual((await edits(p)).at(-1), { type: 'editDesign', version: 5, edit: { kind: 'insert', after: 'fc', item: 'dropout' } });

      // torchvision's blocks call one relu module at three places: the gesture says which.
      await expandAll(p);
      const relus = msg.graph!.nodes.filter((n) => n.name === 'layer1.0.relu');
      assert.equal(relus.length, 3);
      await rightClick(p, `n/${relus[1]!.id}`);
      await p.page.getByRole('menuitem', { name: 'Duplicate' }).click();
      assert.deepEqual((await edits(p)).at(-1)?.edit, { kind: 'duplicateLayer', layer: 'layer1.0.relu', use: 1 });
      await rightClick(p, nodeId(msg, 'layer1.0.conv1'));
      await p.page.getByRole('menuitem', { name: 'Remove' }).click();
      assert.deepEqual((await edits(p)).at(-1)?.edit, { kind: 'removeLayer', layer: 'layer1.0.conv1' }, 'a module used once needs no use');
      await assertClean(p);
    } finally {
      await p.close();
    }
  });
});
