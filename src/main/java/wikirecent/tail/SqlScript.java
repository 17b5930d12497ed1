package wikirecent.tail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code .sql} file from the classpath ({@code sql/} is packed into the jar), cut into
 * statements: on {@code ;} outside quotes and comments, comments dropped, blank statements
 * skipped. Enough for our DDL; not a SQL parser.
 */
public final class SqlScript {

  private SqlScript() {
  }

  /** Loads e.g. {@code /sql/views.sql}. */
  public static List<String> load(String resource) {
    try (InputStream in = SqlScript.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the classpath");
      }
      return split(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static List<String> split(String script) {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int i = 0;
    int n = script.length();
    while (i < n) {
      char c = script.charAt(i);
      if (c == '\'' || c == '"') {
        int end = closingQuote(script, i, c);
        current.append(script, i, end);
        i = end;
      } else if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
        int end = script.indexOf('\n', i);
        i = end < 0 ? n : end;
        if (onBlankLine(current)) {
          // A whole-line comment goes with its line.
          current.setLength(current.lastIndexOf("\n") + 1);
          i = Math.min(n, i + 1);
        }
      } else if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
        int end = script.indexOf("*/", i + 2);
        if (end < 0) {
          throw new IllegalArgumentException("unterminated /* comment at offset " + i);
        }
        i = end + 2;
        current.append(' ');
      } else if (c == ';') {
        add(statements, current);
        i++;
      } else {
        current.append(c);
        i++;
      }
    }
    add(statements, current);
    return statements;
  }

  // Returns the index just past the quote that closes the one at 'start'; a doubled quote is an escaped one.
  private static int closingQuote(String s, int start, char quote) {
    int i = start + 1;
    while (i < s.length()) {
      if (s.charAt(i) == quote) {
        if (i + 1 < s.length() && s.charAt(i + 1) == quote) {
          i += 2;
          continue;
        }
        return i + 1;
      }
      i++;
    }
    throw new IllegalArgumentException("unterminated " + quote + " quote at offset " + start);
  }

  private static boolean onBlankLine(StringBuilder current) {
    return current.substring(current.lastIndexOf("\n") + 1).isBlank();
  }

  private static void add(List<String> statements, StringBuilder current) {
    String statement = current.toString().strip();
    if (!statement.isEmpty()) {
      statements.add(statement);
    }
    current.setLength(0);
  }
}
