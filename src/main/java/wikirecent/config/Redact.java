package wikirecent.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * URLs as they may be shown (status, /health, logs, exceptions): the user-info becomes {@code ***}, every query
 * value {@code ***}, a fragment {@code ***}; scheme, host, port, path and parameter names stay, so a reader still
 * sees which server and which feed. The request itself always uses the real URL.
 */
public final class Redact {

  public static final String MASK = "***";

  /** Besides white space, what ends a URL in a text: quotes, angle brackets, a backtick. */
  private static final String URL_END = "\"'<>`";
  private static final Pattern URL = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://[^\\s" + URL_END + "]+");
  private static final String TRAILING = ".,;:!)]}";
  /** How far past a URL's start a split user-info's '@' is looked for (a password of a sane length). */
  private static final int MAX_SPLIT_USER_INFO = 256;

  private Redact() {
  }

  /** One URL (with or without a scheme), redacted. */
  public static String url(String url) {
    if (url == null) {
      return null;
    }
    int scheme = url.indexOf("://");
    int authorityStart = scheme < 0 ? 0 : scheme + 3;
    int authorityEnd = indexOfAny(url, "/?#", authorityStart);
    StringBuilder out = new StringBuilder(url.length());
    int at = url.lastIndexOf('@', authorityEnd - 1);
    if (at < authorityStart && splitUserInfo(url, authorityStart, authorityEnd)) {
      at = url.indexOf('@', authorityEnd); // a password with a '/', '?' or '#' in it: "user:pa/ss@host"
      authorityEnd = at < 0 ? authorityEnd : indexOfAny(url, "/?#", at);
    }
    if (at >= authorityStart) {
      out.append(url, 0, authorityStart).append(MASK).append(url, at, authorityEnd);
    } else {
      out.append(url, 0, authorityEnd);
    }
    int query = url.indexOf('?', authorityEnd);
    int fragment = url.indexOf('#', authorityEnd);
    int pathEnd = query >= 0 ? query : fragment >= 0 ? fragment : url.length();
    out.append(url, authorityEnd, pathEnd);
    if (query >= 0) {
      int queryEnd = fragment > query ? fragment : url.length();
      out.append('?').append(query(url.substring(query + 1, queryEnd)));
    }
    if (fragment >= 0 && fragment < url.length() - 1) {
      out.append('#').append(MASK);
    }
    return out.toString();
  }

  /** Any text (a log line, an error message, a server's answer) with every URL in it redacted. */
  public static String text(String text) {
    if (text == null || !text.contains("://")) {
      return text;
    }
    Matcher m = URL.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    int last = 0;
    while (m.find(last)) {
      int end = trimmed(text, m.start(), m.end());
      int authorityStart = text.indexOf("://", m.start()) + 3;
      int authorityEnd = Math.min(indexOfAny(text, "/?#", authorityStart), end);
      int at = text.indexOf('@', authorityStart);
      if (at >= end && at - authorityStart <= MAX_SPLIT_USER_INFO && splitUserInfo(text, authorityStart, authorityEnd)
        && text.substring(authorityStart, at).indexOf('\n') < 0) {
        // "user:pa ss@host/…": a space or a quote in the password ended the match. The URL goes on from its '@'; shown
        // with its user-info masked (more than it, at worst) and the rest redacted as any URL's.
        int restEnd = at;
        while (restEnd < text.length() && !Character.isWhitespace(text.charAt(restEnd)) && URL_END.indexOf(text.charAt(restEnd)) < 0) {
          restEnd++;
        }
        restEnd = trimmed(text, at, restEnd);
        out.append(text, last, m.start()).append(url(text.substring(m.start(), authorityStart) + "x" + text.substring(at, restEnd)));
        last = restEnd;
        continue;
      }
      out.append(text, last, m.start()).append(url(text.substring(m.start(), end)));
      last = end;
    }
    return out.append(text, last, text.length()).toString();
  }

  /** {@code end} less the sentence punctuation before it, which is not part of a URL. */
  private static int trimmed(String text, int start, int end) {
    while (end > start && TRAILING.indexOf(text.charAt(end - 1)) >= 0) {
      end--;
    }
    return end;
  }

  /**
   * Whether the authority {@code s[from, to)} holds no '@' but starts like user-info whose password goes on past it: a
   * colon followed by something other than a port ("user:pa" of "user:pa/ss@host"). Not an IPv6 literal's colons.
   */
  private static boolean splitUserInfo(String s, int from, int to) {
    if (from < to && s.charAt(from) == '[') {
      return false;
    }
    int colon = s.indexOf(':', from);
    if (colon < 0 || colon >= to) {
      return false;
    }
    for (int i = colon + 1; i < to; i++) {
      if (!Character.isDigit(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private static String query(String query) {
    StringBuilder out = new StringBuilder();
    for (String param : query.split("&", -1)) {
      if (out.length() > 0) {
        out.append('&');
      }
      int eq = param.indexOf('=');
      if (eq >= 0) {
        out.append(param, 0, eq + 1).append(MASK);
      } else if (!param.isEmpty()) {
        out.append(MASK); // a bare value may be a token too
      }
    }
    return out.toString();
  }

  private static int indexOfAny(String s, String chars, int from) {
    for (int i = from; i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return s.length();
  }
}
