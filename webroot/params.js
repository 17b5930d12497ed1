/*
 * The dashboard's choice (wiki, bot, window) and the canonical names it maps to: the page's URL
 * query and each view's key on the bus. Canonical means the keys in the order wiki, bot, window,
 * defaults left out: `top10`, `top10?window=1h`, `top10?wiki=enwiki&bot=false&window=1h`.
 */

export const WINDOWS = ['all', '24h', '1h', '5m'];
export const WINDOW_SECONDS = {'24h': 86400, '1h': 3600, '5m': 300};
const WIKI = /^[a-z0-9_]{1,64}$/;

/** Which parameters each view of the dashboard takes (the rest are left at their defaults). */
export const TAKES = {
  counter: ['wiki', 'bot', 'window'],
  top10: ['wiki', 'bot', 'window'],
  top_wikis: ['bot', 'window'], // the panel compares wikis: the wiki choice does not narrow it
  edits_per_minute: ['wiki'],
  wiki_edits: []
};

/** The default choice: every wiki, bots and humans, all time. */
export function defaults() {
  return {wiki: null, bot: null, window: 'all'};
}

/** A wiki code the server accepts; "any" is how a query says "every wiki", not a wiki. */
export function validWiki(s) {
  return typeof s === 'string' && WIKI.test(s) && s !== 'any';
}

function shorten(s) {
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}

/** Reads ?wiki=&bot=&window=; a bad value falls back to its default and is named in problems. */
export function readQuery(search) {
  const q = new URLSearchParams(search);
  const choice = defaults();
  const problems = [];
  const wiki = q.get('wiki');
  const code = wiki === null ? null : wiki.trim().toLowerCase(); // as the picker takes typing: EnWiki is enwiki
  if (code !== null && code !== '' && code !== 'any') {
    if (validWiki(code)) {
      choice.wiki = code;
    } else {
      problems.push('wiki “' + shorten(wiki) + '” is not a wiki code (a–z, 0–9, _), so all wikis are shown');
    }
  }
  const bot = q.get('bot');
  if (bot === 'true' || bot === 'false') {
    choice.bot = bot === 'true';
  } else if (bot !== null && bot !== '' && bot !== 'any') {
    problems.push('bot “' + shorten(bot) + '” is not true, false or any, so all editors are shown');
  }
  const window = q.get('window');
  if (WINDOWS.includes(window)) {
    choice.window = window;
  } else if (window !== null && window !== '') {
    problems.push('window “' + shorten(window) + '” is not all, 24h, 1h or 5m, so all time is shown');
  }
  return {choice: choice, problems: problems};
}

/** The canonical query of the given parameters of a choice: 'wiki=enwiki&bot=false&window=1h', '' for defaults. */
export function query(choice, takes) {
  const parts = [];
  const keys = takes || ['wiki', 'bot', 'window'];
  if (keys.includes('wiki') && choice.wiki !== null) {
    parts.push('wiki=' + choice.wiki); // [a-z0-9_] only: nothing to escape
  }
  if (keys.includes('bot') && choice.bot !== null) {
    parts.push('bot=' + choice.bot);
  }
  if (keys.includes('window') && choice.window !== 'all') {
    parts.push('window=' + choice.window);
  }
  return parts.join('&');
}

/** A view's canonical key for a choice: 'top10?wiki=enwiki', or just 'top10'. */
export function key(view, choice) {
  const q = query(choice, TAKES[view]);
  return q === '' ? view : view + '?' + q;
}

/** Where a key's messages are published, and where its snapshot is asked for (same query). */
export function addresses(view, viewKey) {
  const q = viewKey.indexOf('?');
  return {
    messages: 'views.' + viewKey,
    snapshot: 'views.' + view + '.snapshot' + (q < 0 ? '' : viewKey.slice(q))
  };
}

/** Words for a choice, as a panel's subtitle shows them. */
export function describe(choice, takes) {
  const parts = [];
  if (takes.includes('wiki')) {
    parts.push(choice.wiki === null ? 'All wikis' : choice.wiki);
  }
  if (takes.includes('bot')) {
    parts.push(choice.bot === null ? 'all editors' : choice.bot ? 'bots' : 'humans');
  }
  if (takes.includes('window')) {
    parts.push(windowWords(choice.window));
  }
  const text = parts.join(' · ');
  const startsWithWiki = takes.includes('wiki') && choice.wiki !== null; // a wiki code keeps its case
  return startsWithWiki ? text : text.charAt(0).toUpperCase() + text.slice(1);
}

export function windowWords(window) {
  return {all: 'all time', '24h': 'last 24 hours', '1h': 'last hour', '5m': 'last 5 minutes'}[window];
}
