/**
 * The graph's context menu: a small HTML menu (WAI-ARIA menu pattern) with one level of submenus, opened by a
 * right-click or the keyboard's context-menu key. Arrow keys move, Enter or Space runs an entry, → opens a
 * submenu and ← closes it, a letter jumps to the next entry starting with it, Escape closes a level and Tab
 * closes everything; focus goes back to where it was. It knows nothing about designs: the entries come from
 * `editController.ts`.
 */

export interface MenuItem {
  label: string;
  /** Shown as the entry's tooltip. */
  detail?: string;
  disabled?: boolean;
  /** For a choice among several (shortcut A/B/C): marks the current one. */
  checked?: boolean;
  run?: () => void;
  submenu?: MenuItem[];
}

/** A separator between groups of entries. */
export const SEPARATOR: MenuItem = { label: '-' };

interface Level {
  el: HTMLElement;
  items: MenuItem[];
  rows: HTMLElement[];
  /** The entry of the parent level that opened this one. */
  parentRow?: HTMLElement;
}

export class EditMenu {
  private levels: Level[] = [];
  private restoreFocus: HTMLElement | null = null;
  private readonly onOutside = (e: PointerEvent): void => {
    if (!this.levels.some((l) => l.el.contains(e.target as Node))) this.close(false);
  };

  constructor(private readonly root: HTMLElement = document.body) {}

  get isOpen(): boolean {
    return this.levels.length > 0;
  }

  /** The open menu's element (for tests and styling), or null. */
  get element(): HTMLElement | null {
    return this.levels[0]?.el ?? null;
  }

  /** Opens `items` at client coordinates (x, y), focusing the first entry that can run. */
  open(items: MenuItem[], x: number, y: number, label: string): void {
    this.close(false);
    this.restoreFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const level = this.build(items, label);
    this.levels.push(level);
    this.place(level.el, x, y);
    this.focusRow(level, this.next(level, -1, 1));
    document.addEventListener('pointerdown', this.onOutside, true);
  }

  /** Closes every level; `restore` puts focus back where it was before the menu opened. */
  close(restore = true): void {
    if (!this.levels.length) return;
    for (const l of this.levels) l.el.remove();
    this.levels = [];
    document.removeEventListener('pointerdown', this.onOutside, true);
    if (restore) this.restoreFocus?.focus();
    this.restoreFocus = null;
  }

  private build(items: MenuItem[], label: string): Level {
    const el = document.createElement('div');
    el.className = 'edit-menu';
    el.setAttribute('role', 'menu');
    el.setAttribute('aria-label', label);
    el.tabIndex = -1;
    const level: Level = { el, items, rows: [] };
    items.forEach((item, i) => {
      if (item === SEPARATOR || item.label === '-') {
        const sep = document.createElement('div');
        sep.className = 'edit-menu-separator';
        sep.setAttribute('role', 'separator');
        el.append(sep);
        level.rows.push(sep);
        return;
      }
      const row = document.createElement('div');
      row.className = 'edit-menu-item';
      row.tabIndex = -1;
      row.setAttribute('role', item.checked !== undefined ? 'menuitemradio' : 'menuitem');
      if (item.checked !== undefined) row.setAttribute('aria-checked', String(item.checked));
      if (item.disabled) row.setAttribute('aria-disabled', 'true');
      if (item.detail) row.title = item.detail;
      const check = document.createElement('span');
      check.className = 'edit-menu-check';
      check.textContent = item.checked ? '✓' : '';
      // The state is aria-checked, the submenu aria-haspopup: the marks are not part of the entry's name.
      check.setAttribute('aria-hidden', 'true');
      const text = document.createElement('span');
      text.className = 'edit-menu-label';
      text.textContent = item.label;
      row.append(check, text);
      if (item.submenu) {
        row.setAttribute('aria-haspopup', 'menu');
        row.setAttribute('aria-expanded', 'false');
        const arrow = document.createElement('span');
        arrow.className = 'edit-menu-arrow';
        arrow.textContent = '▸';
        arrow.setAttribute('aria-hidden', 'true');
        row.append(arrow);
      }
      row.addEventListener('pointerenter', () => {
        this.truncate(level);
        this.focusRow(level, i);
        if (item.submenu && !item.disabled) this.openSub(level, i, false);
      });
      row.addEventListener('click', (e) => {
        e.stopPropagation();
        this.activate(level, i, false);
      });
      el.append(row);
      level.rows.push(row);
    });
    el.addEventListener('keydown', (e) => this.onKey(level, e));
    el.addEventListener('contextmenu', (e) => e.preventDefault());
    this.root.append(el);
    return level;
  }

  /** Positions a menu at (x, y), kept inside the window. */
  private place(el: HTMLElement, x: number, y: number): void {
    el.style.left = '0px';
    el.style.top = '0px';
    const r = el.getBoundingClientRect();
    const left = Math.max(2, Math.min(x, window.innerWidth - r.width - 2));
    const top = Math.max(2, Math.min(y, window.innerHeight - r.height - 2));
    el.style.left = `${left}px`;
    el.style.top = `${top}px`;
  }

  private selectable(level: Level, i: number): boolean {
    const item = level.items[i];
    return !!item && item !== SEPARATOR && item.label !== '-' && !item.disabled;
  }

  /** The next selectable entry from `from` in direction `dir`, wrapping; -1 when there is none. */
  private next(level: Level, from: number, dir: 1 | -1): number {
    const n = level.items.length;
    for (let k = 1; k <= n; k++) {
      const i = (((from + dir * k) % n) + n) % n;
      if (this.selectable(level, i)) return i;
    }
    return -1;
  }

  private focusRow(level: Level, i: number): void {
    const row = i >= 0 ? level.rows[i] : undefined;
    (row ?? level.el).focus();
  }

  private current(level: Level): number {
    return level.rows.findIndex((r) => r === document.activeElement);
  }

  /** Closes the levels below `level`. */
  private truncate(level: Level): void {
    const at = this.levels.indexOf(level);
    for (const l of this.levels.splice(at + 1)) {
      l.el.remove();
      l.parentRow?.setAttribute('aria-expanded', 'false');
    }
  }

  private openSub(level: Level, i: number, focus: boolean): void {
    const item = level.items[i]!;
    if (!item.submenu) return;
    this.truncate(level);
    const row = level.rows[i]!;
    const sub = this.build(item.submenu, item.label);
    sub.parentRow = row;
    row.setAttribute('aria-expanded', 'true');
    this.levels.push(sub);
    const r = row.getBoundingClientRect();
    const w = sub.el.getBoundingClientRect().width;
    this.place(sub.el, r.right + w > window.innerWidth ? r.left - w : r.right, r.top - 4);
    if (focus) this.focusRow(sub, this.next(sub, -1, 1));
  }

  private activate(level: Level, i: number, keyboard: boolean): void {
    const item = level.items[i];
    if (!item || !this.selectable(level, i)) return;
    if (item.submenu) {
      this.openSub(level, i, keyboard);
      return;
    }
    this.close(keyboard);
    item.run?.();
  }

  private onKey(level: Level, e: KeyboardEvent): void {
    const i = this.current(level);
    const depth = this.levels.indexOf(level);
    let handled = true;
    switch (e.key) {
      case 'ArrowDown':
        this.focusRow(level, this.next(level, i, 1));
        break;
      case 'ArrowUp':
        this.focusRow(level, this.next(level, i < 0 ? 0 : i, -1));
        break;
      case 'Home':
        this.focusRow(level, this.next(level, -1, 1));
        break;
      case 'End':
        this.focusRow(level, this.next(level, 0, -1));
        break;
      case 'Enter':
      case ' ':
        if (i >= 0) this.activate(level, i, true);
        break;
      case 'ArrowRight':
        if (i >= 0 && level.items[i]?.submenu && this.selectable(level, i)) this.openSub(level, i, true);
        break;
      case 'ArrowLeft':
      case 'Escape':
        if (depth > 0) {
          const parent = level.parentRow;
          this.truncate(this.levels[depth - 1]!);
          parent?.focus();
        } else if (e.key === 'Escape') this.close(true);
        break;
      case 'Tab':
        this.close(true);
        break;
      default:
        handled = this.typeahead(level, i, e.key);
    }
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  }

  /** A printable key moves to the next entry whose label starts with it. */
  private typeahead(level: Level, from: number, key: string): boolean {
    if (key.length !== 1 || !/\S/.test(key)) return false;
    const k = key.toLowerCase();
    const n = level.items.length;
    for (let step = 1; step <= n; step++) {
      const i = (from + step + n) % n;
      if (this.selectable(level, i) && level.items[i]!.label.toLowerCase().startsWith(k)) {
        this.focusRow(level, i);
        return true;
      }
    }
    return false;
  }
}
