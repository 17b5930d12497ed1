/*
 * The views the page follows over the bridge, one per canonical key however many panels want it.
 * Each is followed the way any late subscriber must: register on views.<key>, ask
 * views.<view>.snapshot[?query] for a snapshot, hold the batches that arrive meanwhile, apply the
 * newer ones; a batch that does not fit means asking again. A key nobody wants any more is
 * unregistered at once. Refusals (403 not offered, 400, 429 too many live views, 501 not
 * available with this source) are kept on the follow for its panel to show; 429 is tried again
 * later, 503 (catching up) and lost replies are retried on a back-off without fuss.
 */

import {addresses} from './params.js';

// Well past what a node takes to answer (opening an instance waits up to web.openTimeoutMillis, 5 s, then a build):
// a reply after it is dropped, and asking again is refused (already_asked) until that reply has gone.
const SNAPSHOT_TIMEOUT_MS = 30000;
const MAX_HELD = 5000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 15000;

const STABLE_MS = 30000;

/**
 * The reconnect attempt to go on from once a connection is lost: 0 again only after one that stayed live STABLE_MS
 * (liveSince: when it first had every view, or null), so a node that drops sessions soon after is not asked every
 * half second.
 */
export function attemptAfterLoss(attempt, liveSince, now) {
  return liveSince !== null && now - liveSince >= STABLE_MS ? 0 : attempt;
}

export function backoff(n) {
  const base = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * Math.pow(2, n));
  return Math.round(base * (0.7 + Math.random() * 0.6));
}

/** One view's rows: a multiset keyed by the row's JSON, like the server's ViewTable. */
export class ViewState {
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

export class Follows {
  /**
   * @param hooks {changed(follow, isSnapshot): rows changed; status(follow): ready or error changed}
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.follows = new Map(); // canonical key -> follow
    this.bus = null;
  }

  /** The follow of key (a key of view), wanted by listener (any object); registered now if connected. */
  want(view, key, listener) {
    let f = this.follows.get(key);
    if (!f) {
      const a = addresses(view, key);
      f = {
        view: view,
        key: key,
        address: a.messages,
        snapshotAddress: a.snapshot,
        state: new ViewState(view),
        listeners: new Set(),
        error: null,
        retry: null
      };
      this.follows.set(key, f);
      if (this.bus !== null && this.bus.open) {
        this.subscribe(this.bus, f);
      }
    }
    f.listeners.add(listener);
    return f;
  }

  /** Listener no longer wants f; when nobody does, it is unregistered. */
  drop(f, listener) {
    if (!f) {
      return;
    }
    f.listeners.delete(listener);
    if (f.listeners.size === 0 && this.follows.get(f.key) === f) {
      this.follows.delete(f.key);
      clearTimeout(f.retry);
      f.retry = null;
      if (this.bus !== null) {
        this.bus.unregister(f.address);
      }
    }
  }

  /** A new connection is open: follow everything again from a fresh snapshot. */
  attach(bus) {
    this.bus = bus;
    for (const f of this.follows.values()) {
      f.error = null; // asked again on this connection
      this.subscribe(bus, f);
      this.hooks.status(f);
    }
  }

  /** The connection is gone: nothing is current until the next one. */
  lost() {
    for (const f of this.follows.values()) {
      f.state.ready = false;
      clearTimeout(f.retry);
      f.retry = null;
    }
  }

  /** Every follow has its snapshot or a refusal to show. */
  settled() {
    for (const f of this.follows.values()) {
      if (!f.state.ready && f.error === null) {
        return false;
      }
    }
    return true;
  }

  newestTimestamp() {
    let ts = -1;
    for (const f of this.follows.values()) {
      ts = Math.max(ts, f.state.ts);
    }
    return ts;
  }

  subscribe(b, f) {
    const st = f.state;
    st.ready = false;
    st.held = [];
    st.heldOverflow = false;
    clearTimeout(f.retry);
    f.retry = null;
    b.register(f.address, (msg) => this.onMessage(b, f, msg), (err) => {
      if (err.failureCode !== undefined && err.failureCode !== 503) {
        this.refused(b, f, err); // catching up is the snapshot request's business: it retries
      }
    });
    this.requestSnapshot(b, f, 0);
  }

  current(b, f) {
    return b === this.bus && b.open && this.follows.get(f.key) === f;
  }

  requestSnapshot(b, f, tries) {
    b.request(f.snapshotAddress, null, SNAPSHOT_TIMEOUT_MS)
      .then((snapshot) => {
        if (this.current(b, f)) {
          this.takeSnapshot(b, f, snapshot, false);
        }
      })
      .catch((err) => {
        if (!this.current(b, f) || f.state.ready) {
          return;
        }
        if (err.failureCode === undefined || err.failureCode === 503) {
          // No snapshot yet (catching up, or the reply got lost): ask again; a pushed one also does.
          setTimeout(() => {
            if (this.current(b, f) && !f.state.ready) {
              this.requestSnapshot(b, f, tries + 1);
            }
          }, backoff(tries));
        } else {
          this.refused(b, f, err);
        }
      });
  }

  refused(b, f, err) {
    if (!this.current(b, f)) {
      return;
    }
    f.state.ready = false;
    f.error = {code: err.failureCode, type: err.failureType, message: err.message};
    this.hooks.status(f);
    if (err.failureCode === 429 && f.retry === null) {
      // Instances free up as other pages leave: try again, slowly.
      f.retry = setTimeout(() => {
        f.retry = null;
        if (this.current(b, f)) {
          b.unregister(f.address);
          this.subscribe(b, f);
        }
      }, backoff(10));
    }
  }

  onMessage(b, f, msg) {
    const st = f.state;
    if (!this.current(b, f) || !msg || msg.view !== f.view) {
      return;
    }
    if (msg.snapshot) {
      this.takeSnapshot(b, f, msg, true); // the server restarts us from its state (after a reset, or after we fell behind)
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
      this.diverged(b, f);
      return;
    }
    this.hooks.changed(f, false);
  }

  /**
   * A pushed snapshot is always taken, and replaces the batches held before it: what the server sends next starts from
   * it (a merged batch of what came since it may follow), even when it is older than our state or than those batches.
   */
  takeSnapshot(b, f, snapshot, pushed) {
    const st = f.state;
    if (!pushed && st.ready && snapshot.timestamp < st.ts) {
      return; // an older answer to a request that crossed a pushed snapshot
    }
    // An answer as new as the state is taken too: that state may stand on a snapshot pushed to an earlier follow of
    // the key (read after this one registered) and a batch that happened to fit across the gap after it.
    if (pushed) {
      st.held = [];
      st.heldOverflow = false;
    }
    if (st.heldOverflow) {
      st.heldOverflow = false;
      st.held = [];
      this.requestSnapshot(b, f, 0); // we dropped batches newer than this snapshot may be: ask again
      return;
    }
    if (!st.adopt(snapshot)) {
      this.diverged(b, f);
      return;
    }
    const wasRefused = f.error !== null;
    f.error = null;
    clearTimeout(f.retry);
    f.retry = null;
    this.hooks.changed(f, true);
    if (wasRefused) {
      this.hooks.status(f);
    }
  }

  diverged(b, f) {
    console.warn('view ' + f.key + ' got a change that does not fit; fetching a fresh snapshot');
    f.state.ready = false;
    f.state.held = [];
    this.requestSnapshot(b, f, 0);
    this.hooks.status(f);
  }
}
