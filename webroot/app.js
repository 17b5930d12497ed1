/*
 * The dashboard: the choice (wiki, bot, window; kept in the URL), the panels that follow it
 * (counter, top10, top_wikis, edits_per_minute), the wiki picker fed by wiki_edits, and the
 * connection with its back-off. Each panel follows the canonical key of its view for the current
 * choice; changing the choice swaps keys (the old one unregistered, the new one registered and
 * snapshotted). Names from the data only ever go into textContent and attributes.
 */

import * as P from './params.js';
import {Follows, attemptAfterLoss, backoff} from './views.js';
import {BarChart} from './bars.js';
import {MinuteChart} from './minutes.js';
import {WikiPicker} from './picker.js';

const RATE_WINDOW_MS = 10000;
const SILENCE_LIMIT_MS = 70000; // SockJS heartbeats come every 25 s
const SPARK_SECONDS = 120;
const TWEEN_MS = 600;

const $ = (id) => document.getElementById(id);
const numberFormat = new Intl.NumberFormat();

const follows = new Follows({changed: changed, status: statusChanged});

// ---- the choice, from the URL ----

const fromUrl = P.readQuery(location.search);
let choice = fromUrl.choice;

function writeUrl() {
  const q = P.query(choice);
  history.replaceState(history.state, '', location.pathname + (q === '' ? '' : '?' + q) + location.hash);
  $('controls').dataset.query = q;
}

function showNote(problems) {
  const note = $('url-note');
  note.hidden = problems.length === 0;
  note.dataset.problems = String(problems.length);
  note.textContent = problems.length === 0 ? '' : 'From the link: ' + problems.join('; ') + '.';
}

// ---- panels ----

const topUsers = new BarChart($('chart'), $('chart-empty'), 'user', '(no user)');
const topWikis = new BarChart($('wikis'), $('wikis-empty'), 'wiki', '(no wiki)');
const minutes = new MinuteChart({
  svg: $('epm'), max: $('epm-max'), start: $('epm-start'), mid: $('epm-mid'), end: $('epm-end'),
  humans: $('epm-humans'), bots: $('epm-bots'), empty: $('epm-empty')
});

const counterPanel = {
  el: $('panel-counter'), view: 'counter', follow: null,
  render: (rows, isSnapshot) => setCount(rows.length > 0 ? Number(rows[0][0]) : 0, isSnapshot),
  clear: resetCounter
};
const panels = [
  counterPanel,
  {el: $('panel-top10'), view: 'top10', follow: null, render: (rows) => topUsers.render(rows), clear: () => topUsers.clear()},
  {el: $('panel-wikis'), view: 'top_wikis', follow: null, render: (rows) => topWikis.render(rows), clear: () => topWikis.clear()},
  {el: $('panel-epm'), view: 'edits_per_minute', follow: null, render: renderMinutes, clear: () => minutes.clear()}
];
const minutesPanel = panels[3];

// Not panels: every wiki's minutes (their newest minute ends the chart's hour) and the wiki list.
const edge = follows.want('edits_per_minute', P.key('edits_per_minute', P.defaults()), 'edge');
const wikiList = follows.want('wiki_edits', 'wiki_edits', 'picker');

function renderMinutes() {
  const f = minutesPanel.follow;
  if (f.state.ready) {
    minutes.render(f.state.list(), edge.state.ready ? edge.state.list() : []);
  }
}

/** Follows the keys of the current choice: the new one wanted before the old is dropped, so a shared key stays. */
function follow() {
  topUsers.emptyText = P.query(choice, P.TAKES.top10) === '' ? 'No edits yet' : 'No edits match this choice';
  topWikis.emptyText = P.query(choice, P.TAKES.top_wikis) === '' ? 'No edits yet' : 'No edits match this choice';
  for (const p of panels) {
    const key = P.key(p.view, choice);
    if (p.follow !== null && p.follow.key === key) {
      continue;
    }
    const old = p.follow;
    p.follow = follows.want(p.view, key, p);
    follows.drop(old, p);
    p.el.dataset.key = key;
    if (p === counterPanel) {
      resetCounter();
    }
    if (p.follow.state.ready) {
      p.render(p.follow.state.list(), true); // a key another part already follows
    }
    showState(p);
  }
  $('total-title').textContent = choice.window === 'all' ? 'Edits seen' : 'Edits in the ' + P.windowWords(choice.window);
  $('counter-scope').textContent = P.describe(choice, ['wiki', 'bot']);
  $('top10-scope').textContent = P.describe(choice, P.TAKES.top10);
  $('wikis-scope').textContent = P.describe(choice, P.TAKES.top_wikis);
  $('epm-scope').textContent = P.describe(choice, P.TAKES.edits_per_minute);
  $('spark-figure').hidden = choice.window !== 'all';
  renderConn();
}

function changed(f, isSnapshot) {
  for (const p of panels) {
    if (p.follow === f) {
      p.render(f.state.list(), isSnapshot);
      showState(p);
    }
  }
  if (f === counterPanel.follow) {
    renderRate();
  }
  if (f === edge && minutesPanel.follow !== edge) {
    renderMinutes(); // another wiki's chart: the hour may have moved on
  } else if (f === wikiList) {
    picker.refresh();
  }
  renderFreshness();
  renderConn();
}

function statusChanged(f) {
  for (const p of panels) {
    if (p.follow === f) {
      showState(p);
    }
  }
  renderConn();
}

/** loading, live or error; a refusal shows as a message in the panel, in place of stale data. */
function showState(p) {
  const f = p.follow;
  const state = f.error !== null ? 'error' : f.state.ready ? 'live' : 'loading';
  const wasError = p.el.dataset.state === 'error';
  p.el.dataset.state = state;
  const box = p.el.querySelector('.panel-error');
  if (state !== 'error') {
    box.hidden = true;
    delete box.dataset.code;
    return;
  }
  if (!wasError) {
    p.clear();
  }
  p.el.querySelectorAll('.empty').forEach((e) => {
    e.hidden = true;
  });
  const what = document.createElement('strong');
  what.textContent = refusal(f.error.code);
  const detail = document.createElement('span');
  detail.className = 'detail';
  detail.textContent = f.error.message ? ' (' + f.error.message + ')' : '';
  box.replaceChildren(what, detail);
  box.dataset.code = String(f.error.code);
  box.hidden = false;
}

function refusal(code) {
  switch (code) {
    case 429:
      return 'The server is following too many views right now; trying again shortly.';
    case 501:
      return 'Not available from this server’s data source.';
    case 403:
      return 'This server does not offer this view.';
    case 400:
      return 'The server refused these parameters.';
    default:
      return 'The server could not open this view' + (code ? ' (' + code + ')' : '') + '.';
  }
}

// ---- controls ----

const picker = new WikiPicker(
  {input: $('wiki'), list: $('wiki-list'), clear: $('wiki-clear'), hint: $('wiki-hint')},
  () => (wikiList.state.ready ? wikiList.state.list() : []),
  (wiki) => choose({wiki: wiki}));

document.querySelectorAll('input[name="bot"]').forEach((r) => r.addEventListener('change', () => {
  if (r.checked) {
    choose({bot: r.value === 'any' ? null : r.value === 'true'});
  }
}));
document.querySelectorAll('input[name="window"]').forEach((r) => r.addEventListener('change', () => {
  if (r.checked) {
    choose({window: r.value});
  }
}));

function showChoice() {
  picker.set(choice.wiki);
  const bot = choice.bot === null ? 'any' : String(choice.bot);
  document.querySelectorAll('input[name="bot"]').forEach((r) => {
    r.checked = r.value === bot;
  });
  document.querySelectorAll('input[name="window"]').forEach((r) => {
    r.checked = r.value === choice.window;
  });
}

function choose(change) {
  choice = Object.assign({}, choice, change);
  showNote([]);
  writeUrl();
  follow();
}

// ---- connection: one BridgeBus per attempt, back-off between attempts ----

let bus = null;
let attempt = 0;
let everLive = false;
let liveSince = null; // when this connection first had every view; one that lasted earns a quick retry
let retryAt = 0;
let retryTimer = null;

function connect() {
  retryTimer = null;
  liveSince = null;
  const b = new window.BridgeBus('/eventbus', {
    onopen: () => {
      if (b === bus) {
        follows.attach(b);
        renderConn();
      }
    },
    onclose: () => {
      if (b === bus) {
        lost();
      }
    },
    onerror: (e) => console.warn('event bus:', e.message)
  });
  bus = b;
  renderConn();
}

function lost() {
  follows.lost();
  panels.forEach(showState);
  attempt = attemptAfterLoss(attempt, liveSince, Date.now());
  liveSince = null;
  const delay = backoff(attempt++);
  retryAt = Date.now() + delay;
  retryTimer = setTimeout(connect, delay);
  renderConn();
}

// A connection that went silent (no frames, no heartbeats) is dead even if nobody said so.
setInterval(() => {
  if (bus && bus.open && Date.now() - bus.lastHeard > SILENCE_LIMIT_MS) {
    const b = bus;
    b.close();
    if (b === bus) {
      lost();
    }
  }
}, 5000);

window.addEventListener('online', () => {
  if (retryTimer !== null) {
    clearTimeout(retryTimer);
    connect();
  }
});

/**
 * connecting (never been live yet), live (every view has its snapshot or a refusal to show), syncing (connected,
 * a view waits for its snapshot: after a change of choice, say; not a lost connection), reconnecting.
 */
function renderConn() {
  const open = bus !== null && bus.open;
  const live = open && follows.settled();
  let state;
  let label;
  if (live) {
    state = 'live';
    label = 'Live';
    everLive = true;
    if (liveSince === null) {
      liveSince = Date.now();
    }
  } else if (open) {
    state = everLive ? 'syncing' : 'connecting';
    label = 'Syncing…';
  } else {
    state = everLive ? 'reconnecting' : 'connecting';
    if (retryTimer !== null && retryAt - Date.now() >= 1000) {
      label = 'Reconnecting in ' + Math.ceil((retryAt - Date.now()) / 1000) + ' s…';
    } else {
      label = everLive ? 'Reconnecting…' : 'Connecting…';
    }
  }
  const el = $('conn');
  el.dataset.state = state;
  el.querySelector('.label').textContent = label;
  document.body.classList.toggle('offline', !live);
}

// ---- the counter: an animated number, edits per second, a 2-minute sparkline ----

const counterEl = $('counter');
let shownCount = null;
let targetCount = null;
let tweenFrom = 0;
let tweenStart = 0;
let tweening = false; // one animation loop at a time
const rateSamples = []; // {t: ms, c: count}
const spark = []; // edits in each of the last seconds
let sparkBase = null; // the count at the previous tick; null after a snapshot (its jump is no second's edits)

/** Another key: nothing of the old count carries over (no tween from it, no rate across it). */
function resetCounter() {
  shownCount = null;
  rateSamples.length = 0;
  spark.length = 0;
  sparkBase = null;
  counterEl.dataset.count = '';
  counterEl.textContent = '—';
  drawSpark();
  renderRate();
}

function setCount(count, isSnapshot) {
  const now = performance.now();
  if (isSnapshot) {
    rateSamples.length = 0; // a jump after a reconnect is not a rate
    sparkBase = null;
  }
  rateSamples.push({t: now, c: count});
  counterEl.dataset.count = String(count);
  if (shownCount === null) {
    shownCount = count;
    targetCount = count;
    counterEl.textContent = numberFormat.format(count);
    return;
  }
  tweenFrom = shownCount;
  tweenStart = now;
  targetCount = count;
  if (!tweening) {
    tweening = true;
    requestAnimationFrame(tween);
  }
}

function tween(now) {
  if (shownCount === null) {
    tweening = false; // reset meanwhile
    return;
  }
  const p = Math.min(1, (now - tweenStart) / TWEEN_MS);
  const eased = 1 - Math.pow(1 - p, 3);
  shownCount = Math.round(tweenFrom + (targetCount - tweenFrom) * eased);
  counterEl.textContent = numberFormat.format(shownCount);
  if (p < 1) {
    requestAnimationFrame(tween);
  } else {
    tweening = false;
    shownCount = targetCount;
    counterEl.textContent = numberFormat.format(targetCount);
  }
}

/** All time: the count's rise over the last seconds. A window: its count over its length (edits also leave it). */
function renderRate() {
  const el = $('rate');
  const now = performance.now();
  while (rateSamples.length > 2 && rateSamples[1].t <= now - RATE_WINDOW_MS) {
    rateSamples.shift(); // with a window too: they would pile up for as long as the page stays open
  }
  if (choice.window !== 'all') {
    const count = counterEl.dataset.count;
    if (count === '' || !counterPanel.follow.state.ready) {
      el.textContent = '— edits/s';
      delete el.dataset.rate;
      return;
    }
    const rate = Number(count) / P.WINDOW_SECONDS[choice.window];
    el.dataset.rate = rate.toFixed(3);
    const perMinute = rate * 60;
    el.textContent = rate >= 1
      ? (rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)) + ' edits/s on average'
      : (perMinute >= 10 ? perMinute.toFixed(0) : perMinute.toFixed(1)) + ' edits/min on average';
    return;
  }
  if (rateSamples.length < 2 || now - rateSamples[0].t < 2000) {
    el.textContent = '— edits/s';
    delete el.dataset.rate;
    return;
  }
  const base = rateSamples[0];
  const last = rateSamples[rateSamples.length - 1];
  const rate = (last.c - base.c) / ((now - base.t) / 1000);
  el.dataset.rate = rate.toFixed(3);
  el.textContent = (rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)) + ' edits/s';
}

function renderFreshness() {
  const el = $('fresh');
  const ts = follows.newestTimestamp();
  if (ts < 0) {
    el.textContent = 'waiting for data';
    return;
  }
  const age = Math.max(0, Date.now() - ts);
  el.dataset.ageMs = String(age);
  let text;
  if (age < 10000) {
    text = (age / 1000).toFixed(1) + ' s';
  } else if (age < 60000) {
    text = Math.round(age / 1000) + ' s';
  } else if (age < 3600000) {
    text = Math.round(age / 60000) + ' min';
  } else {
    text = Math.round(age / 3600000) + ' h';
  }
  el.textContent = 'updated ' + text + ' ago';
  el.classList.toggle('stale', age > 30000);
}

/** Edits in each second of the last two minutes (all time only: a window's count also falls). */
function tickSpark() {
  if (choice.window !== 'all' || !counterPanel.follow.state.ready || counterEl.dataset.count === '') {
    return;
  }
  const count = Number(counterEl.dataset.count);
  if (sparkBase !== null) {
    spark.push(Math.max(0, count - sparkBase));
    if (spark.length > SPARK_SECONDS) {
      spark.shift();
    }
  }
  sparkBase = count;
  drawSpark();
}

function drawSpark() {
  const max = Math.max(1, Math.max.apply(null, spark.concat([0])));
  const x0 = SPARK_SECONDS - spark.length;
  const points = spark.map((v, i) => (x0 + i) + ',' + (40 - (v / max) * 36).toFixed(2));
  const svg = $('spark');
  svg.querySelector('.line').setAttribute('d', points.length > 1 ? 'M' + points.join('L') : '');
  svg.querySelector('.area').setAttribute('d', points.length > 1
    ? 'M' + x0 + ',40L' + points.join('L') + 'L' + (SPARK_SECONDS - 1) + ',40Z' : '');
}

setInterval(tickSpark, 1000);

setInterval(() => {
  renderRate();
  renderFreshness();
  renderConn();
}, 500);

// ---- start ----

showChoice();
showNote(fromUrl.problems);
writeUrl();
follow();
connect();
