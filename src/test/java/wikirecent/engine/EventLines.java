package wikirecent.engine;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Random {@code data:} lines for property tests: a small, skewed pool of names (so there are ties,
 * bursts, displacements and re-entries in top10), NULL and missing users, numbers, booleans,
 * nested values, duplicate keys, escaped and raw forms of the same name, non-object values, and
 * lines PostgreSQL refuses.
 */
final class EventLines {

  /** Names as JSON string literals; several pairs spell the same name two ways. */
  static final List<String> NAMES = List.of(
    "\"Alice\"", "\"Bob\"", "\"bob\"", "\"Carol\"", "\"Dave\"", "\"Eve\"", "\"Frank\"", "\"Grace\"",
    "\"Heidi\"", "\"Ivan\"", "\"Judy\"", "\"Mallory\"", "\"Ärger\"", "\"Ωmega\"", "\"\uD83D\uDE00bot\"",
    "\"\uFF21dmin\"", "\"\"", "\"a\"", "\"ab\"", "\"A l\"", "\"Al\\u0069ce\"", "\"\\uD83D\\uDE00bot\"",
    "\"tab\\there\"", "\"~2025-12345-67\"", "\"192.0.2.1\"", "\"2001:db8::1\"");

  static final List<String> ODD_USERS = List.of(
    "0", "-0", "1.50", "1e2", "12345678901234567890", "-1.5E-3", "0.0", "100e-2", "true", "false",
    "{\"b\":1,\"a\":[1,2.0,\"x\"],\"aa\":{\"z\":1,\"z\":2}}", "[]", "{}", "[null,\"q\\\"\"]", "{\"é\":1,\"e\":2}");

  static final List<String> NON_OBJECTS = List.of("[1,2]", "\"just a string\"", "42", "null", "true", " [ ] ", "-0.5");

  /** Lines PostgreSQL's {@code ::jsonb} refuses (as text: some are patched to raw bytes in {@link #bytes}). */
  static final List<String> INVALID = List.of(
    "", "   ", "{", "{\"user\":\"x\"", "{\"user\":\"x\"} x", "{\"user\":\"x\"}{}", "{user:\"x\"}", "{\"user\":\"x\",}",
    "{\"user\":\"\\u0000\"}", "{\"user\":\"\\ud800\"}", "{\"user\":\"\\udc00x\"}", "{\"user\":\"\\ud83d\\ud83d\"}",
    "{\"x\":\"\\u0000\",\"user\":\"Alice\"}", "{\"user\":NaN}", "{\"user\":01}", "{\"user\":1e131072}",
    "{\"a\":0.5e-16383,\"user\":\"Bob\"}", "{\"user\":\"a\tb\"}", "[1,2]]", "nul", "{\"user\":'x'}",
    "RAW:C3", "RAW:FF", "RAW:EDA080", "RAW:C080", "RAW:00", "BOM");

  private EventLines() {
  }

  /** One line (as text to be turned into bytes by {@link #bytes}). */
  static Arbitrary<String> line() {
    Arbitrary<String> name = Arbitraries.frequencyOf(
      net.jqwik.api.Tuple.of(8, Arbitraries.of(NAMES.subList(0, 4))),
      net.jqwik.api.Tuple.of(6, Arbitraries.of(NAMES)),
      net.jqwik.api.Tuple.of(1, Arbitraries.strings().ofMaxLength(6).map(EventLines::jsonString)));
    Arbitrary<String> objectWithUser = Combinators.combine(name, Arbitraries.integers().between(0, 3))
      .as(EventLines::withUser);
    return Arbitraries.frequencyOf(
      net.jqwik.api.Tuple.of(60, objectWithUser),
      net.jqwik.api.Tuple.of(5, Arbitraries.of("{\"type\":\"edit\"}", "{\"meta\":{\"user\":\"Alice\"}}", "{}")),
      net.jqwik.api.Tuple.of(5, Arbitraries.of("{\"user\":null}", "{\"user\" : null , \"id\":1}")),
      net.jqwik.api.Tuple.of(6, Arbitraries.of(ODD_USERS).map(u -> "{\"user\":" + u + "}")),
      net.jqwik.api.Tuple.of(4, Combinators.combine(name, name).as((a, b) -> "{\"user\":" + a + ",\"x\":1,\"user\":" + b + "}")),
      net.jqwik.api.Tuple.of(2, name.map(a -> "{\"user\":" + a + ",\"user\":null}")),
      net.jqwik.api.Tuple.of(4, Arbitraries.of(NON_OBJECTS)),
      net.jqwik.api.Tuple.of(10, Arbitraries.of(INVALID)));
  }

  private static String withUser(String name, int shape) {
    return switch (shape) {
      case 0 -> "{\"user\":" + name + "}";
      case 1 -> "{\"type\":\"edit\",\"meta\":{\"user\":\"nested\",\"n\":[1,{\"user\":2}]},\"user\":" + name + ",\"bot\":false}";
      case 2 -> "{\"id\":123,\"length\":{\"old\":1.5e3,\"new\":-2},\"user\":" + name + "}\r";
      default -> " {\"user\" :\t" + name + " } ";
    };
  }

  static String jsonString(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20 || Character.isSurrogate(c)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  /** The line's bytes; {@code RAW:hex} becomes a user string holding those raw bytes, {@code BOM} a byte-order mark before an event. */
  static byte[] bytes(String line) {
    if (line.startsWith("RAW:")) {
      String hex = line.substring(4);
      byte[] raw = new byte[hex.length() / 2];
      for (int i = 0; i < raw.length; i++) {
        raw[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
      }
      return concat("{\"user\":\"x".getBytes(StandardCharsets.UTF_8), raw, "\"}".getBytes(StandardCharsets.UTF_8));
    }
    if (line.equals("BOM")) {
      return concat(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, "{\"user\":\"Alice\"}".getBytes(StandardCharsets.UTF_8));
    }
    return line.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /** Batches of lines, with bursts (one line repeated) mixed in. */
  static Arbitrary<List<List<String>>> batches() {
    Arbitrary<List<String>> burst = Combinators.combine(line(), Arbitraries.integers().between(1, 12))
      .as((l, n) -> {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          out.add(l);
        }
        return out;
      });
    Arbitrary<List<String>> batch = burst.list().ofMinSize(0).ofMaxSize(8)
      .map(parts -> {
        List<String> out = new ArrayList<>();
        parts.forEach(out::addAll);
        return out;
      });
    return batch.list().ofMinSize(1).ofMaxSize(40);
  }
}
