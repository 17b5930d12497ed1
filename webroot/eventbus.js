/*
 * A small client for the Vert.x event-bus bridge protocol over SockJS: register on an address
 * (and leave it), send a request and get its reply. One instance is one connection; the app
 * makes a new one to reconnect. Frames: register/unregister/send/ping out; rec/err in. A refusal
 * or failure keeps the server's failureCode and failureType (403 access_denied, 429, 501, 503).
 */
(function (global) {
  'use strict';

  function makeId() {
    if (global.crypto && typeof global.crypto.randomUUID === 'function') {
      return global.crypto.randomUUID();
    }
    // 36 characters like a UUID: the server refuses longer reply addresses.
    let id = '';
    while (id.length < 36) {
      id += Math.random().toString(16).slice(2);
    }
    return id.slice(0, 36);
  }

  /** An Error carrying an err frame's failureCode (a number or undefined) and failureType. */
  function failure(msg, fallback) {
    const e = new Error(String(msg.message || msg.body || msg.failureType || fallback));
    e.failureCode = typeof msg.failureCode === 'number' ? msg.failureCode : undefined;
    e.failureType = typeof msg.failureType === 'string' ? msg.failureType : undefined;
    return e;
  }

  class BridgeBus {
    /**
     * @param url the SockJS endpoint, e.g. '/eventbus'
     * @param hooks {onopen(), onclose(), onerror(err)}
     */
    constructor(url, hooks) {
      this.hooks = hooks || {};
      this.handlers = new Map();   // address -> {onMessage(body), onError(err)}
      this.pending = new Map();    // reply address -> {resolve, reject, timer}
      this.open = false;
      this.closed = false;
      this.lastHeard = Date.now(); // any frame or SockJS heartbeat; lets the app notice a dead connection
      this.sock = new global.SockJS(url);
      this.sock.onopen = () => {
        this.open = true;
        this.lastHeard = Date.now();
        this.call('onopen');
      };
      this.sock.onheartbeat = () => {
        this.lastHeard = Date.now();
      };
      this.sock.onmessage = (e) => {
        this.lastHeard = Date.now();
        this.receive(e.data);
      };
      this.sock.onclose = () => {
        const wasClosed = this.closed;
        this.open = false;
        this.closed = true;
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(new Error('connection closed'));
        }
        this.pending.clear();
        if (!wasClosed) {
          this.call('onclose');
        }
      };
    }

    call(name, arg) {
      if (typeof this.hooks[name] === 'function') {
        this.hooks[name](arg);
      }
    }

    write(frame) {
      if (!this.open) {
        throw new Error('not connected');
      }
      this.sock.send(JSON.stringify(frame));
    }

    /**
     * Delivers every message published on address to handler(body); an err frame about that
     * address (a refused or failed registration) goes to onError(err), if given.
     */
    register(address, handler, onError) {
      this.handlers.set(address, {onMessage: handler, onError: onError});
      this.write({type: 'register', address: address});
    }

    /** Stops the deliveries on address (nothing to tell the server once the connection is gone). */
    unregister(address) {
      this.handlers.delete(address);
      if (this.open) {
        this.write({type: 'unregister', address: address});
      }
    }

    /** Sends body to address; resolves with the reply's body, rejects on an err frame or after timeoutMs. */
    request(address, body, timeoutMs) {
      return new Promise((resolve, reject) => {
        const replyAddress = makeId();
        const timer = setTimeout(() => {
          this.pending.delete(replyAddress);
          reject(new Error('no reply from ' + address + ' within ' + timeoutMs + ' ms'));
        }, timeoutMs);
        this.pending.set(replyAddress, {resolve, reject, timer});
        try {
          this.write({type: 'send', address: address, replyAddress: replyAddress, body: body});
        } catch (e) {
          clearTimeout(timer);
          this.pending.delete(replyAddress);
          reject(e);
        }
      });
    }

    receive(data) {
      let msg;
      try {
        msg = JSON.parse(data);
      } catch (e) {
        this.call('onerror', new Error('unreadable frame'));
        return;
      }
      const reply = msg.address !== undefined ? this.pending.get(msg.address) : undefined;
      if (reply) {
        this.pending.delete(msg.address);
        clearTimeout(reply.timer);
        if (msg.type === 'err') {
          reply.reject(failure(msg, 'request failed'));
        } else {
          reply.resolve(msg.body);
        }
        return;
      }
      const handler = msg.address !== undefined ? this.handlers.get(msg.address) : undefined;
      try {
        if (msg.type === 'rec' && handler) {
          handler.onMessage(msg.body);
          return;
        } else if (msg.type === 'err' && handler && typeof handler.onError === 'function') {
          handler.onError(failure(msg, 'refused'));
          return;
        }
      } catch (e) {
        // SockJS hands a frame's messages over in one loop: one that throws would lose the others' (other views).
        console.error('event bus: the handler of ' + msg.address + ' failed:', e);
        return;
      }
      if (msg.type === 'err') {
        this.call('onerror', new Error((msg.address ? msg.address + ': ' : '') + (msg.message || msg.body || 'refused')));
      }
    }

    close() {
      if (!this.closed) {
        this.closed = true;
        this.open = false;
        this.sock.close();
      }
    }
  }

  global.BridgeBus = BridgeBus;
})(window);
