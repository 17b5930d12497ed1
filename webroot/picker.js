/*
 * The wiki picker: a text input with type-ahead over the wikis seen (wiki_edits rows, most edited
 * first), following the ARIA combobox pattern. Arrow keys move through the suggestions, Enter
 * applies the highlighted one or the typed code, Escape closes the list (and then undoes the
 * typing). Empty means every wiki. A code must be [a-z0-9_]{1,64}, checked here as the server does.
 */

import {validWiki} from './params.js';

const MAX_OPTIONS = 10;
const numberFormat = new Intl.NumberFormat();
const HINT = 'A wiki code such as enwiki; Enter applies, empty shows all';
const INVALID = 'Only a–z, 0–9 and _ (at most 64 characters): not applied';

export class WikiPicker {
  /**
   * @param el {input, list, clear, hint}
   * @param wikis () => the wiki_edits rows [[wiki, count], ...] known now (maybe none)
   * @param onChoose (wiki or null) when the applied wiki changes
   */
  constructor(el, wikis, onChoose) {
    this.el = el;
    this.wikis = wikis;
    this.onChoose = onChoose;
    this.applied = null;
    this.options = []; // wiki codes shown, in order
    this.active = -1;
    const input = el.input;
    input.addEventListener('input', () => {
      this.validate();
      this.open();
    });
    input.addEventListener('keydown', (e) => this.key(e));
    input.addEventListener('change', () => this.commit());
    input.addEventListener('click', () => {
      if (el.list.hidden) {
        this.open();
      }
    });
    input.addEventListener('blur', () => this.close());
    // Choosing with the mouse must not take the focus away from the input first.
    el.list.addEventListener('mousedown', (e) => e.preventDefault());
    el.list.addEventListener('click', (e) => {
      const li = e.target.closest('[role="option"]');
      if (li) {
        this.choose(li.dataset.wiki);
      }
    });
    el.clear.addEventListener('click', () => {
      this.choose(null);
      input.focus();
    });
  }

  /** Shows wiki (null: all) as the applied choice, without telling anyone. */
  set(wiki) {
    this.applied = wiki;
    this.el.input.value = wiki === null ? '' : wiki;
    this.el.clear.hidden = wiki === null;
    this.validate();
  }

  /**
   * The wiki list changed: an open list shows the new counts but keeps its options and their order, so a click lands
   * on the wiki pointed at (rebuilt a few times a second, the option under the pointer was replaced or moved between
   * press and release). Typing, or opening it again, sorts it afresh.
   */
  refresh() {
    if (this.el.list.hidden) {
      return;
    }
    const counts = new Map(this.wikis().map((r) => [r[0], r[1]]));
    for (const li of this.el.list.children) {
      const n = counts.get(li.dataset.wiki);
      if (n !== undefined) {
        li.querySelector('.c').textContent = numberFormat.format(Number(n));
      }
    }
  }

  key(e) {
    const open = !this.el.list.hidden;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!open) {
        this.open();
      }
      const n = this.options.length;
      if (n > 0) {
        const from = this.active < 0 ? (e.key === 'ArrowDown' ? -1 : 0) : this.active;
        this.highlight((from + (e.key === 'ArrowDown' ? 1 : -1) + n) % n);
      }
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (open && this.active >= 0) {
        this.choose(this.options[this.active]);
      } else {
        this.commit();
      }
    } else if (e.key === 'Escape') {
      if (open) {
        e.preventDefault();
        this.close();
      } else if (this.el.input.value !== (this.applied === null ? '' : this.applied)) {
        e.preventDefault();
        this.set(this.applied);
      }
    } else if (e.key === 'Tab') {
      this.close();
    }
  }

  /** The suggestions for the typed text: codes starting with it, then codes containing it; most edited first. */
  matches(text) {
    const rows = this.wikis()
      .filter((r) => validWiki(r[0]))
      .sort((a, b) => (Number(b[1]) - Number(a[1])) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const starts = [];
    const contains = [];
    for (const r of rows) {
      if (r[0].startsWith(text)) {
        starts.push(r);
      } else if (r[0].includes(text)) {
        contains.push(r);
      }
      if (starts.length >= MAX_OPTIONS) {
        break;
      }
    }
    return starts.concat(contains).slice(0, MAX_OPTIONS);
  }

  open() {
    const text = this.el.input.value.trim().toLowerCase();
    const found = this.matches(text);
    const list = this.el.list;
    list.replaceChildren();
    this.options = [];
    this.active = -1;
    this.el.input.removeAttribute('aria-activedescendant');
    found.forEach((r, i) => {
      const li = document.createElement('li');
      li.id = 'wiki-opt-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', 'false');
      li.dataset.wiki = r[0];
      const name = document.createElement('span');
      name.className = 'w';
      name.textContent = r[0];
      const count = document.createElement('span');
      count.className = 'c';
      count.textContent = numberFormat.format(Number(r[1]));
      li.append(name, count);
      list.appendChild(li);
      this.options.push(r[0]);
    });
    const show = found.length > 0;
    list.hidden = !show;
    this.el.input.setAttribute('aria-expanded', String(show));
  }

  highlight(i) {
    const items = this.el.list.children;
    if (this.active >= 0 && items[this.active]) {
      items[this.active].setAttribute('aria-selected', 'false');
    }
    this.active = i;
    const li = items[i];
    li.setAttribute('aria-selected', 'true');
    this.el.input.setAttribute('aria-activedescendant', li.id);
    li.scrollIntoView({block: 'nearest'});
  }

  close() {
    this.el.list.hidden = true;
    this.el.input.setAttribute('aria-expanded', 'false');
    this.el.input.removeAttribute('aria-activedescendant');
    this.active = -1;
  }

  /** Applies the typed text if it is a wiki code (or empty); otherwise says why not. */
  commit() {
    const text = this.el.input.value.trim().toLowerCase();
    if (text === '') {
      this.choose(null);
    } else if (validWiki(text)) {
      this.choose(text);
    } else {
      this.validate();
    }
  }

  choose(wiki) {
    this.close();
    const changed = wiki !== this.applied;
    this.set(wiki);
    if (changed) {
      this.onChoose(wiki);
    }
  }

  validate() {
    const text = this.el.input.value.trim().toLowerCase();
    const bad = text !== '' && !validWiki(text);
    this.el.input.setAttribute('aria-invalid', String(bad));
    this.el.hint.dataset.state = bad ? 'invalid' : 'idle';
    this.el.hint.textContent = bad ? INVALID : HINT;
  }
}
