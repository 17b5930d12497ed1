package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.Test;
import wikirecent.testsupport.Wait;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard scenarios fed by the scripted view source. */
class DashboardScriptedIT extends DashboardScenarios {

  static final String HOSTILE = "<img src=x onerror=alert(1)>";
  private ScriptedViewSource source;
  private final Random random = new Random(3);
  private int newcomers;

  @Override
  protected void startFeed(Vertx vertx) {
    source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    List<String> edits = new ArrayList<>();
    String[] users = {"Alice", "Bob", "Carol", "Dave", "Eve", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Niaj"};
    for (int i = 0; i < users.length; i++) {
      for (int n = 0; n < 40 - 3 * i; n++) {
        edits.add(users[i]);
      }
    }
    for (int n = 0; n < 20; n++) {
      edits.add(null); // a redacted user: its own row, shown as "(no user)"
    }
    for (int n = 0; n < 5; n++) {
      edits.add("Zoë 🌍 " + n);
    }
    Wait.on(source.edit(edits.toArray(new String[0])));
  }

  @Override
  protected void moreEdits() {
    String[] pool = {"Alice", "Bob", "Carol", "Zoë 🌍 1", "Oscar", "Peggy"};
    for (int i = 0; i < 5; i++) {
      String[] users = new String[1 + random.nextInt(3)];
      for (int j = 0; j < users.length; j++) {
        users[j] = pool[random.nextInt(pool.length)];
      }
      Wait.on(source.edit(users));
    }
  }

  @Override
  protected void pushOutOfTop10(List<String> shown) {
    JsonArray top = Wait.on(source.expected("top10"));
    long tenth = top.getJsonArray(top.size() - 1).getLong(1);
    String newcomer = "Newcomer " + (++newcomers);
    String[] edits = new String[(int) tenth + 3];
    java.util.Arrays.fill(edits, newcomer);
    Wait.on(source.edit(edits));
  }

  @Override
  protected String hostileNameInTop10() {
    String[] edits = new String[60];
    java.util.Arrays.fill(edits, HOSTILE);
    Wait.on(source.edit(edits));
    return HOSTILE;
  }

  /**
   * The page's own views.js, driven message by message through a stand-in bus: a page that fell behind is sent the
   * node's cached snapshot, older than a batch it already applied, then one batch merging everything since. Taking
   * the pushed snapshot is the only way the merged batch fits; skipping it as "older" shows x twice. The same for a
   * view still waiting for its answer, holding a batch: replaying the held batch after the pushed snapshot shows x
   * twice too.
   */
  @Test
  void aPushedSnapshotOlderThanWhatThePageHoldsIsTakenSoTheBatchAfterItFits() {
    browser.open(web.url("/"));
    Object rows = browser.driver().executeAsyncScript(withStandInBus("""
        const f = follows.want('top10', 'top10', {});
        follows.attach(bus);
        const push = (m) => handlers.get(f.address)(Object.assign({view: 'top10', deleted: []}, m));
        replies[0]({view: 'top10', snapshot: true, timestamp: 1, inserted: [['a', 1]], deleted: []});
        setTimeout(() => {
          push({timestamp: 2, inserted: [['x', 1]]});
          push({snapshot: true, timestamp: 1, inserted: [['a', 1]]});
          push({timestamp: 3, inserted: [['x', 1], ['y', 1]]});
          const g = follows.want('counter', 'counter', {}); // its question is never answered here
          const pushG = (m) => handlers.get(g.address)(Object.assign({view: 'counter', deleted: []}, m));
          pushG({timestamp: 5, inserted: [['x', 1]]}); // held: no snapshot yet
          pushG({snapshot: true, timestamp: 4, inserted: [['a', 1]]});
          pushG({timestamp: 6, inserted: [['x', 1], ['y', 1]]});
          const rows = (st) => st.list().map((r) => r[0]).sort();
          done([rows(f.state), rows(g.state)]);
        }, 0);
      """));
    assertThat(rows).isEqualTo(List.of(List.of("a", "x", "y"), List.of("a", "x", "y")));
  }

  /**
   * A page drops a view and follows it again while a snapshot pushed to the first follow is still on its way: it
   * reaches the new follow, which takes it. The node sends the new follow batches from where it registered, so one
   * change (b left) falls in the gap, and the next batch happens to fit. The answer to the new follow's question, as
   * new as that batch, is the node's state: taken, the page shows it; skipped as "not newer", b stays for good.
   */
  @Test
  void anAnswerAsNewAsAStateBuiltOnAnEarlierFollowsSnapshotReplacesIt() {
    browser.open(web.url("/"));
    Object rows = browser.driver().executeAsyncScript(withStandInBus("""
        const first = {};
        const f = follows.want('top10', 'top10', first);
        follows.attach(bus);
        replies[0]({view: 'top10', snapshot: true, timestamp: 1, inserted: [['a', 1]], deleted: []});
        setTimeout(() => {
          follows.drop(f, first);
          const g = follows.want('top10', 'top10', {});
          const push = (m) => handlers.get(g.address)(Object.assign({view: 'top10', deleted: []}, m));
          push({snapshot: true, timestamp: 4, inserted: [['a', 1], ['b', 1]]}); // sent to the first follow
          push({timestamp: 9, inserted: [['c', 1]]}); // the new follow's first batch; b left at 6, before it registered
          replies[1]({view: 'top10', snapshot: true, timestamp: 9, inserted: [['a', 1], ['c', 1]], deleted: []});
          setTimeout(() => done([replies.length, f === g, g.state.list().map((r) => r[0]).sort()]), 0);
        }, 0);
      """));
    assertThat(rows).isEqualTo(List.of(2L, false, List.of("a", "c")));
  }

  /**
   * A snapshot answer that takes longer than the node's default wait to open an instance (5 s) is still taken: the
   * page's own event bus (a stand-in SockJS underneath) gets the reply 6 s after the question. Dropped after a
   * shorter wait, it is lost, and asking again is refused while it is on its way.
   */
  @Test
  void anAnswerThatTakesLongerThanTheNodesOpenWaitIsTaken() {
    browser.open(web.url("/"));
    Object result = browser.driver().executeAsyncScript("""
      const done = arguments[arguments.length - 1];
      import('/views.js').then(({Follows}) => {
        const real = window.SockJS;
        let sock = null;
        const sent = [];
        window.SockJS = class { constructor() { sock = this; } send(frame) { sent.push(JSON.parse(frame)); } close() {} };
        const bus = new window.BridgeBus('/nowhere', {});
        window.SockJS = real;
        sock.onopen();
        const follows = new Follows({changed() {}, status() {}});
        const f = follows.want('top10', 'top10', {});
        follows.attach(bus);
        const question = sent.find((m) => m.type === 'send');
        setTimeout(() => {
          sock.onmessage({data: JSON.stringify({type: 'rec', address: question.replyAddress,
            body: {view: 'top10', snapshot: true, timestamp: 7, inserted: [['a', 3]], deleted: []}})});
          setTimeout(() => done([f.state.ready, f.state.list(), sent.filter((m) => m.type === 'send').length]), 0);
        }, 6000);
      }).catch((e) => done('failed: ' + e));
      """);
    assertThat(result).isEqualTo(List.of(true, List.of(List.of("a", 3L)), 1L));
  }

  /** The reconnect back-off starts over only after a connection that stayed live 30 s. */
  @Test
  void theBackOffStartsOverOnlyAfterAConnectionThatLasted() {
    browser.open(web.url("/"));
    Object result = browser.driver().executeAsyncScript("""
      const done = arguments[arguments.length - 1];
      import('/views.js').then(({attemptAfterLoss}) => done([
        attemptAfterLoss(4, null, 100000),          // never live
        attemptAfterLoss(4, 100000, 100000 + 2000),  // dropped soon after going live
        attemptAfterLoss(4, 100000, 100000 + 30000)  // lasted
      ])).catch((e) => done('failed: ' + e));
      """);
    assertThat(result).isEqualTo(List.of(4L, 4L, 0L));
  }

  /**
   * A view whose handler throws (here the minute chart given an event dated past what a Date holds, which used to
   * throw) loses neither the other views' messages of the same SockJS frame nor the chart: it shows a dash.
   */
  @Test
  void aMinuteFarAheadShowsADashAndAFailingHandlerDoesNotLoseTheOthersMessages() {
    browser.open(web.url("/"));
    Object result = browser.driver().executeAsyncScript("""
      const done = arguments[arguments.length - 1];
      import('/minutes.js').then(({MinuteChart}) => {
        const el = (tag) => document.createElement(tag);
        const chart = new MinuteChart({svg: document.createElementNS('http://www.w3.org/2000/svg', 'svg'), max: el('span'),
          start: el('span'), mid: el('span'), end: el('span'), humans: el('span'), bots: el('span'), empty: el('p')});
        const far = 9007199254740940; // the newest minute start the engine can count: 2^53 - 1 s, to the minute
        chart.render([[far, false, 2]], []);
        const real = window.SockJS;
        let sock = null;
        window.SockJS = class { constructor() { sock = this; } send() {} close() {} };
        const bus = new window.BridgeBus('/nowhere', {});
        window.SockJS = real;
        sock.onopen();
        const got = [];
        bus.register('views.a', () => { throw new Error('a view that cannot render this'); });
        bus.register('views.b', (body) => got.push(body));
        for (const address of ['views.a', 'views.b']) { // as SockJS hands over one frame's messages
          sock.onmessage({data: JSON.stringify({type: 'rec', address: address, body: address})});
        }
        done([chart.el.end.textContent, chart.el.humans.textContent, got]);
      }).catch((e) => done('failed: ' + e));
      """);
    assertThat(result).isEqualTo(List.of("–", "2", List.of("views.b")));
  }

  /**
   * The body run with the page's own views.js and a stand-in for its bus: {@code follows} (a Follows), {@code handlers}
   * (address to the handler registered), {@code replies} (the resolvers of the requests made, in order) and
   * {@code done} (the script's result).
   */
  private static String withStandInBus(String body) {
    return """
      const done = arguments[arguments.length - 1];
      import('/views.js').then(({Follows}) => {
        const handlers = new Map();
        const replies = [];
        const bus = {open: true,
          register(address, handler) { handlers.set(address, handler); },
          unregister(address) { handlers.delete(address); },
          request() { return new Promise((resolve) => replies.push(resolve)); }};
        const follows = new Follows({changed() {}, status() {}});
      """ + body + """
      }).catch((e) => done('failed: ' + e));
      """;
  }
}
