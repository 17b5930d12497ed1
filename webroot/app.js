/*
 * The dashboard: follows the counter and top10 views over the event-bus bridge, the way any
 * late subscriber must (register, ask for a snapshot, hold batches meanwhile, apply the newer
 * ones), and reconnects with back-off. User names only ever go into textContent/attributes.
 */
(function () {
  'use strict';

  const VIEWS = ['counter', 'top10'];
  const SNAPSHOT_TIMEOUT_MS = 5000;
  const MAX_HELD = 5000;
  const RATE_WINDOW_MS = 10000;
  const SILENCE_LIMIT_MS = 70000; // SockJS heartbeats come every 25 s
  const RETRY_MIN_MS = 500;
  const RETRY_MAX_MS = 15000;
  const NULL_USER_LABEL = '(no user)';

  const $ = (id) => document.getElementById(id);
  const numberFormat = new Intl.NumberFormat();

  // ---- one view's rows: a multiset keyed by the row's JSON, like the server's ViewTable ----

  class ViewState {
    constructor(name) {
      this.name = name;
      this.rows = new Map(); // JSON of row -> {row, n}
      this.ts = -1;
      this.ready = false;
      this.held = [];
      this.heldOverflow = false;
    }

    add(row) {
      const key = JSON.stringify(row);
      const e = this.rows.get(key);
      if (e) {
        e.n++;
      } else {
        this.rows.set(key, {row: row, n: 1});
      }
    }

    remove(row) {
      const key = JSON.stringify(row);
      const e = this.rows.get(key);
      if (!e) {
        return false;
      }
      if (--e.n === 0) {
        this.rows.delete(key);
      }
      return true;
    }

    /** Replaces everything with a snapshot, then replays held batches newer than it. False if one does not fit. */
    adopt(snapshot) {
      this.rows = new Map();
      snapshot.inserted.forEach((row) => this.add(row));
      this.ts = snapshot.timestamp;
      const held = this.held;
      this.held = [];
      this.ready = true;
      for (const batch of held) {
        if (batch.timestamp > this.ts && !this.apply(batch)) {
          return false;
        }
      }
      return true;
    }

    /** Applies a batch newer than the state; false when it deletes a row that is not there. */
    apply(batch) {
      let fits = true;
      batch.deleted.forEach((row) => {
        fits = this.remove(row) && fits;
      });
      batch.inserted.forEach((row) => this.add(row));
      this.ts = batch.timestamp;
      return fits;
    }

    list() {
      const out = [];
      for (const e of this.rows.values()) {
        for (let i = 0; i < e.n; i++) {
          out.push(e.row);
        }
      }
      return out;
    }
  }

  const states = {};
  VIEWS.forEach((v) => {
    states[v] = new ViewState(v);
  });

  // ---- connection: one BridgeBus per attempt, back-off between attempts ----

  let bus = null;
  let attempt = 0;
  let everLive = false;
  let retryAt = 0;
  let retryTimer = null;

  function connect() {
    retryTimer = null;
    const b = new BridgeBus('/eventbus', {
      onopen: () => {
        if (b === bus) {
          subscribeAll(b);
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

  function subscribeAll(b) {
    VIEWS.forEach((v) => {
      const st = states[v];
      st.ready = false;
      st.held = [];
      st.heldOverflow = false;
      b.register('views.' + v, (msg) => onMessage(b, st, msg));
      requestSnapshot(b, st, 0);
    });
    renderConn();
  }

  function requestSnapshot(b, st, tries) {
    b.request('views.' + st.name + '.snapshot', null, SNAPSHOT_TIMEOUT_MS)
      .then((snapshot) => {
        if (b === bus) {
          takeSnapshot(b, st, snapshot);
        }
      })
      .catch(() => {
        // No snapshot yet (the server has none, or the reply got lost): ask again; a pushed one also does.
        if (b === bus && b.open && !st.ready) {
          setTimeout(() => {
            if (b === bus && b.open && !st.ready) {
              requestSnapshot(b, st, tries + 1);
            }
          }, backoff(tries));
        }
      });
  }

  function onMessage(b, st, msg) {
    if (b !== bus || !msg || msg.view !== st.name) {
      return;
    }
    if (msg.snapshot) {
      takeSnapshot(b, st, msg); // the server restarts us from its state (after a reset, or after we fell behind)
      return;
    }
    if (!st.ready) {
      if (st.held.length >= MAX_HELD) {
        st.held = [];
        st.heldOverflow = true;
      }
      st.held.push(msg);
      return;
    }
    if (msg.timestamp <= st.ts) {
      return;
    }
    if (!st.apply(msg)) {
      diverged(b, st);
      return;
    }
    changed(st, false);
  }

  function takeSnapshot(b, st, snapshot) {
    if (st.ready && snapshot.timestamp <= st.ts) {
      return; // an older answer to a request that crossed a pushed snapshot
    }
    if (st.heldOverflow) {
      st.heldOverflow = false;
      st.held = [];
      requestSnapshot(b, st, 0); // we dropped batches newer than this snapshot may be: ask again
      return;
    }
    if (!st.adopt(snapshot)) {
      diverged(b, st);
      return;
    }
    changed(st, true);
    renderConn();
  }

  function diverged(b, st) {
    console.warn('view ' + st.name + ' got a change that does not fit; fetching a fresh snapshot');
    st.ready = false;
    st.held = [];
    requestSnapshot(b, st, 0);
    renderConn();
  }

  function lost() {
    VIEWS.forEach((v) => {
      states[v].ready = false;
    });
    const delay = backoff(attempt++);
    retryAt = Date.now() + delay;
    retryTimer = setTimeout(connect, delay);
    renderConn();
  }

  function backoff(n) {
    const base = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * Math.pow(2, n));
    return Math.round(base * (0.7 + Math.random() * 0.6));
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

  // ---- connection indicator: connecting (never been live yet), live, reconnecting ----

  function renderConn() {
    const open = bus !== null && bus.open;
    const live = open && VIEWS.every((v) => states[v].ready);
    let state;
    let label;
    if (live) {
      state = 'live';
      label = 'Live';
      everLive = true;
      attempt = 0;
    } else {
      state = everLive ? 'reconnecting' : 'connecting';
      if (open) {
        label = 'Syncing…';
      } else if (retryTimer !== null && retryAt - Date.now() >= 1000) {
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

  // ---- rendering ----

  const counterEl = $('counter');
  let shownCount = null;
  let targetCount = null;
  let tweenFrom = 0;
  let tweenStart = 0;
  let tweening = false; // one animation loop at a time
  const TWEEN_MS = 600;
  const rateSamples = []; // {t: ms, c: count}
  const SPARK_SECONDS = 120;
  const spark = []; // edits in each of the last seconds
  let sparkBase = null; // the count at the previous tick; null after a snapshot (its jump is no second's edits)

  function changed(st, isSnapshot) {
    if (st.name === 'counter') {
      const rows = st.list();
      const count = rows.length > 0 ? Number(rows[0][0]) : 0;
      setCount(count, isSnapshot);
    } else if (st.name === 'top10') {
      renderChart(st.list());
    }
    renderFreshness();
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

  function renderRate() {
    const now = performance.now();
    while (rateSamples.length > 2 && rateSamples[1].t <= now - RATE_WINDOW_MS) {
      rateSamples.shift();
    }
    const el = $('rate');
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
    const ts = Math.max.apply(null, VIEWS.map((v) => states[v].ts));
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

  // ---- sparkline: edits in each second of the last two minutes ----

  function tickSpark() {
    const st = states.counter;
    if (!st.ready) {
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
    const max = Math.max(1, Math.max.apply(null, spark));
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

  // Names compare by code point (what the server's C collation does), NULL after every name.
  function compareNames(a, b) {
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

  const chart = $('chart');
  const bars = new Map(); // user key -> <li>

  function userKey(user) {
    return user === null ? 'null' : 'u:' + user;
  }

  function makeBar(user) {
    const li = document.createElement('li');
    li.className = 'row bar entering';
    const fill = document.createElement('span');
    fill.className = 'fill';
    fill.style.setProperty('--hue', String(hue(user)));
    const rank = document.createElement('span');
    rank.className = 'rank';
    const name = document.createElement('span');
    name.className = 'name';
    const value = document.createElement('span');
    value.className = 'value';
    if (user === null) {
      li.dataset.nullUser = 'true';
      name.textContent = NULL_USER_LABEL;
      name.classList.add('nouser');
    } else {
      li.dataset.user = user;
      name.textContent = user;
      name.title = user;
    }
    li.append(fill, rank, name, value);
    return li;
  }

  function renderChart(rows) {
    rows.sort((a, b) => (Number(b[1]) - Number(a[1])) || compareNames(a[0], b[0]));
    const max = rows.length > 0 ? Math.max(1, Number(rows[0][1])) : 1;
    const seen = new Set();
    rows.forEach((row, i) => {
      const user = row[0];
      const count = Number(row[1]);
      const key = userKey(user);
      seen.add(key);
      let li = bars.get(key);
      const entering = !li;
      if (entering) {
        li = makeBar(user);
        bars.set(key, li);
        li.style.setProperty('--i', String(i));
        chart.appendChild(li);
      }
      li.style.setProperty('--i', String(i));
      li.dataset.count = String(count);
      li.dataset.rank = String(i + 1);
      li.querySelector('.rank').textContent = String(i + 1);
      li.querySelector('.value').textContent = numberFormat.format(count);
      const fill = li.querySelector('.fill');
      const scale = String(Math.max(0.02, count / max));
      if (entering) {
        requestAnimationFrame(() => requestAnimationFrame(() => {
          li.classList.remove('entering');
          fill.style.setProperty('--scale', scale);
        }));
      } else {
        fill.style.setProperty('--scale', scale);
      }
    });
    for (const [key, li] of bars) {
      if (!seen.has(key)) {
        bars.delete(key);
        leave(li, rows.length);
      }
    }
    chart.style.setProperty('--n', String(rows.length));
    $('chart-empty').hidden = rows.length > 0;
  }

  function leave(li, position) {
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

  connect();
})();
