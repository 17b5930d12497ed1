/*
 * Edits per minute over the last hour, humans and bots stacked, from edits_per_minute rows
 * [minute (epoch s of the minute's start), bot, count]. A minute with no row is a zero. The hour
 * ends at the newest minute the views know of; a window (wm - 3600, wm] touches 61 minute starts
 * (60 when wm is a minute's last second), so 61 columns hold every row the view can have.
 * Plain SVG: one <g class="minute"> per column with data-minute, data-humans, data-bots.
 */

const SVG = 'http://www.w3.org/2000/svg';
const COLUMNS = 61;
const WIDTH = 10; // viewBox units per column
const HEIGHT = 200;
const numberFormat = new Intl.NumberFormat();
const timeFormat = new Intl.DateTimeFormat(undefined, {hour: '2-digit', minute: '2-digit'});

/** HH:MM; a dash past what a Date holds (an event dated far ahead), where formatting would throw. */
function clock(minute) {
  const date = new Date(minute * 1000);
  return Number.isNaN(date.getTime()) ? '–' : timeFormat.format(date);
}

/** 1, 2, 5, 10, 20, 50, ...: the smallest at least x, so the scale does not jitter with every edit. */
function niceCeiling(x) {
  if (x <= 1) {
    return 1;
  }
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  for (const m of [1, 2, 5, 10]) {
    if (m * p >= x) {
      return m * p;
    }
  }
  return 10 * p;
}

export class MinuteChart {
  /** @param el {svg, max, start, mid, end, humans, bots, empty} */
  constructor(el) {
    this.el = el;
    this.columns = [];
    const grid = document.createElementNS(SVG, 'line');
    grid.setAttribute('class', 'grid');
    grid.setAttribute('x1', '0');
    grid.setAttribute('x2', String(COLUMNS * WIDTH));
    grid.setAttribute('y1', String(HEIGHT / 2));
    grid.setAttribute('y2', String(HEIGHT / 2));
    el.svg.appendChild(grid);
    for (let i = 0; i < COLUMNS; i++) {
      const g = document.createElementNS(SVG, 'g');
      g.setAttribute('class', 'minute');
      const humans = document.createElementNS(SVG, 'rect');
      humans.setAttribute('class', 'humans');
      const bots = document.createElementNS(SVG, 'rect');
      bots.setAttribute('class', 'bots');
      [humans, bots].forEach((r) => {
        r.setAttribute('x', String(i * WIDTH + 1));
        r.setAttribute('width', String(WIDTH - 2));
        r.setAttribute('y', String(HEIGHT));
        r.setAttribute('height', '0');
      });
      const title = document.createElementNS(SVG, 'title');
      g.append(humans, bots, title);
      el.svg.appendChild(g);
      this.columns.push({g: g, humans: humans, bots: bots, title: title});
    }
    this.clear();
  }

  /**
   * @param rows this chart's rows
   * @param edgeRows rows of every wiki, whose newest minute ends the hour (a quiet wiki's hour still ends now)
   */
  render(rows, edgeRows) {
    const counts = new Map(); // minute -> {humans, bots}
    let end = -Infinity;
    for (const row of rows) {
      const minute = Number(row[0]);
      const c = counts.get(minute) || {humans: 0, bots: 0};
      if (row[1] === true) {
        c.bots += Number(row[2]);
      } else {
        c.humans += Number(row[2]);
      }
      counts.set(minute, c);
      end = Math.max(end, minute);
    }
    for (const row of edgeRows) {
      end = Math.max(end, Number(row[0]));
    }
    this.el.empty.textContent = 'No edits in the last hour';
    if (!Number.isFinite(end)) {
      this.clear();
      this.el.empty.hidden = false;
      return;
    }
    const start = end - (COLUMNS - 1) * 60;
    let peak = 0;
    let humansTotal = 0;
    let botsTotal = 0;
    for (let i = 0; i < COLUMNS; i++) {
      const c = counts.get(start + i * 60);
      if (c) {
        peak = Math.max(peak, c.humans + c.bots);
        humansTotal += c.humans;
        botsTotal += c.bots;
      }
    }
    const scale = niceCeiling(peak);
    for (let i = 0; i < COLUMNS; i++) {
      const minute = start + i * 60;
      const c = counts.get(minute) || {humans: 0, bots: 0};
      const col = this.columns[i];
      const hh = (c.humans / scale) * HEIGHT;
      const bh = (c.bots / scale) * HEIGHT;
      col.humans.setAttribute('y', (HEIGHT - hh).toFixed(2));
      col.humans.setAttribute('height', hh.toFixed(2));
      col.bots.setAttribute('y', (HEIGHT - hh - bh).toFixed(2));
      col.bots.setAttribute('height', bh.toFixed(2));
      col.g.dataset.minute = String(minute);
      col.g.dataset.humans = String(c.humans);
      col.g.dataset.bots = String(c.bots);
      col.title.textContent = clock(minute) + ': ' + numberFormat.format(c.humans) + ' by humans, '
        + numberFormat.format(c.bots) + ' by bots';
    }
    const svg = this.el.svg;
    svg.dataset.start = String(start);
    svg.dataset.end = String(end);
    svg.setAttribute('aria-label', 'Edits per minute from ' + clock(start) + ' to ' + clock(end) + ': '
      + numberFormat.format(humansTotal) + ' by humans and ' + numberFormat.format(botsTotal)
      + ' by bots; at most ' + numberFormat.format(peak) + ' in a minute');
    this.el.max.textContent = numberFormat.format(scale);
    this.el.start.textContent = clock(start);
    this.el.mid.textContent = clock(start + 30 * 60);
    this.el.end.textContent = clock(end);
    this.el.humans.textContent = numberFormat.format(humansTotal);
    this.el.bots.textContent = numberFormat.format(botsTotal);
    this.el.empty.hidden = humansTotal + botsTotal > 0;
  }

  /** Nothing to show: every column empty, no axis. */
  clear() {
    for (const col of this.columns) {
      col.humans.setAttribute('height', '0');
      col.bots.setAttribute('height', '0');
      delete col.g.dataset.minute;
      col.g.dataset.humans = '0';
      col.g.dataset.bots = '0';
      col.title.textContent = '';
    }
    const svg = this.el.svg;
    delete svg.dataset.start;
    delete svg.dataset.end;
    svg.setAttribute('aria-label', 'No edits in the last hour');
    ['start', 'mid', 'end'].forEach((k) => {
      this.el[k].textContent = '';
    });
    this.el.max.textContent = '0';
    this.el.humans.textContent = '—';
    this.el.bots.textContent = '—';
  }
}
