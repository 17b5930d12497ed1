/*
 * An animated bar chart of [name, count] rows (top10's users, top_wikis's wikis): one <li> per
 * name, moved by transform so a change of rank slides; a name whose row is gone fades out and
 * is removed. Names only ever go into textContent and data attributes, never markup.
 */

const numberFormat = new Intl.NumberFormat();

/** Names compare by code point (what the server's C collation does), NULL after every name. */
export function compareNames(a, b) {
  if (a === b) {
    return 0;
  }
  if (a === null) {
    return 1;
  }
  if (b === null) {
    return -1;
  }
  const x = Array.from(a);
  const y = Array.from(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) {
      return d;
    }
  }
  return x.length - y.length;
}

function hue(name) {
  let h = 0;
  const s = name === null ? '' : name;
  for (let i = 0; i < s.length; i++) {
    h = (h * 31 + s.charCodeAt(i)) >>> 0;
  }
  return h % 360;
}

export class BarChart {
  /**
   * @param list the <ol> the bars live in
   * @param empty what shows while there are no rows
   * @param field what the names are ('user', 'wiki'): bars carry data-<field>, or data-null-<field>="true"
   * @param nullLabel the text for a NULL name
   */
  constructor(list, empty, field, nullLabel) {
    this.list = list;
    this.empty = empty;
    this.field = field;
    this.nullField = 'null' + field.charAt(0).toUpperCase() + field.slice(1);
    this.nullLabel = nullLabel;
    this.emptyText = 'No edits yet'; // once there is an answer: no rows is not "waiting"
    this.bars = new Map(); // name key -> <li>
  }

  static keyOf(name) {
    return name === null ? 'null' : 'n:' + name;
  }

  makeBar(name) {
    const li = document.createElement('li');
    li.className = 'row bar entering';
    const fill = document.createElement('span');
    fill.className = 'fill';
    fill.style.setProperty('--hue', String(hue(name)));
    const rank = document.createElement('span');
    rank.className = 'rank';
    const label = document.createElement('span');
    label.className = 'name';
    const value = document.createElement('span');
    value.className = 'value';
    if (name === null) {
      li.dataset[this.nullField] = 'true';
      label.textContent = this.nullLabel;
      label.classList.add('noname');
    } else {
      li.dataset[this.field] = name;
      label.textContent = name;
      label.title = name;
    }
    li.append(fill, rank, label, value);
    return li;
  }

  /** Shows exactly these rows, in the view's order (count desc, name asc, NULL last). */
  render(rows) {
    rows = rows.slice().sort((a, b) => (Number(b[1]) - Number(a[1])) || compareNames(a[0], b[0]));
    const max = rows.length > 0 ? Math.max(1, Number(rows[0][1])) : 1;
    const seen = new Set();
    rows.forEach((row, i) => {
      const name = row[0];
      const count = Number(row[1]);
      const key = BarChart.keyOf(name);
      seen.add(key);
      let li = this.bars.get(key);
      const entering = !li;
      if (entering) {
        li = this.makeBar(name);
        this.bars.set(key, li);
        this.list.appendChild(li);
      }
      li.style.setProperty('--i', String(i));
      li.dataset.count = String(count);
      li.dataset.rank = String(i + 1);
      li.querySelector('.rank').textContent = String(i + 1);
      li.querySelector('.value').textContent = numberFormat.format(count);
      const fill = li.querySelector('.fill');
      li.dataset.scale = String(Math.max(0.02, count / max));
      if (entering) {
        // Two frames on, so the entrance animates; then the newest length, not this render's: another may have come.
        requestAnimationFrame(() => requestAnimationFrame(() => {
          li.classList.remove('entering');
          fill.style.setProperty('--scale', li.dataset.scale);
        }));
      } else {
        fill.style.setProperty('--scale', li.dataset.scale);
      }
    });
    for (const [key, li] of this.bars) {
      if (!seen.has(key)) {
        this.bars.delete(key);
        BarChart.leave(li, rows.length);
      }
    }
    this.list.style.setProperty('--n', String(rows.length));
    this.empty.textContent = this.emptyText;
    this.empty.hidden = rows.length > 0;
  }

  /** No rows to show (a refusal): every bar goes at once. */
  clear() {
    for (const li of this.bars.values()) {
      li.remove();
    }
    this.bars.clear();
    this.list.style.setProperty('--n', '0');
    this.empty.hidden = true;
  }

  static leave(li, position) {
    li.classList.remove('bar');
    li.classList.add('leaving');
    li.style.setProperty('--i', String(position));
    let gone = false;
    const remove = () => {
      if (!gone) {
        gone = true;
        li.remove();
      }
    };
    li.addEventListener('transitionend', remove);
    setTimeout(remove, 800);
  }
}
