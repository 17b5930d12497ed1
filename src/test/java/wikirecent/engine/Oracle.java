package wikirecent.engine;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.vertx.core.json.JsonArray;
import wikirecent.jsonb.JsonbReader;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The views recomputed from scratch, written independently of the engine: each line decoded to a
 * String strictly, parsed into a Jackson tree, users grouped in a HashMap, and the whole list
 * sorted for top10 (names compared by their UTF-8 bytes). What PostgreSQL refuses beyond plain
 * JSON (NUL, unpaired surrogates, a byte-order mark, numbers out of numeric's range, nesting past
 * {@link JsonbReader#MAX_DEPTH}) is checked on the decoded tree. {@link #read} also reads what shaped views
 * filter on (wiki, bot, timestamp) from the same tree, by the SQL the views are defined with.
 */
final class Oracle {

  // Jackson's own length and depth limits lifted: what is refused is decided below, by PostgreSQL's rules.
  private static final JsonMapper MAPPER = JsonMapper.builder(com.fasterxml.jackson.core.JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
        .maxNestingDepth(Integer.MAX_VALUE)
        .maxNumberLength(Integer.MAX_VALUE)
        .maxStringLength(Integer.MAX_VALUE)
        .maxNameLength(Integer.MAX_VALUE)
        .build())
      .build())
    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
    .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
    .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
    .build();

  /** One line's meaning: not an event, or an event with a user (null = SQL NULL). */
  record Parsed(boolean valid, String user) {
    static final Parsed INVALID = new Parsed(false, null);
  }

  /** The expected views. */
  record Expected(long count, Map<String, Long> userEdits, List<Map.Entry<String, Long>> top10) {
  }

  private Oracle() {
  }

  /** One line as the shaped views read it: {@code ->>'user'}, {@code ->>'wiki'}, {@code ->'bot' = 'true'}, the timestamp. */
  record Reading(boolean valid, String user, String wiki, boolean bot, long ts) {
    static final Reading INVALID = new Reading(false, null, null, false, EventParser.NO_TS);
    static final Reading NOT_AN_OBJECT = new Reading(true, null, null, false, EventParser.NO_TS);
  }

  /** The largest timestamp taken: 2^53 - 1. */
  private static final BigDecimal MAX_TS = BigDecimal.valueOf(2).pow(53).subtract(BigDecimal.ONE);

  static Parsed parse(byte[] line) {
    Reading e = read(line);
    return e.valid() ? new Parsed(true, e.user()) : Parsed.INVALID;
  }

  static Reading read(byte[] line) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(line)).toString();
    } catch (CharacterCodingException e) {
      return Reading.INVALID;
    }
    if (text.indexOf('\0') >= 0 || text.startsWith("\uFEFF")) {
      return Reading.INVALID;
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(text);
    } catch (Exception e) {
      return Reading.INVALID;
    }
    if (root == null || root.isMissingNode() || !acceptable(text)) {
      return Reading.INVALID;
    }
    if (!root.isObject()) {
      return Reading.NOT_AN_OBJECT;
    }
    JsonNode bot = root.get("bot");
    return new Reading(true, text(root.get("user")), text(root.get("wiki")), bot != null && bot.isBoolean() && bot.booleanValue(),
      ts(root.get("timestamp")));
  }

  /** {@code ->>}: a string's text, SQL NULL for JSON null or no member, else jsonb's text of the value. */
  private static String text(JsonNode v) {
    if (v == null || v.isNull()) {
      return null;
    }
    return v.isTextual() ? v.textValue() : jsonbText(v);
  }

  /** {@code CASE WHEN n BETWEEN 0 AND 2^53-1 AND n = trunc(n) THEN n::bigint END} for a number, NULL otherwise. */
  private static long ts(JsonNode v) {
    if (v == null || !v.isNumber()) {
      return EventParser.NO_TS;
    }
    BigDecimal n = v.decimalValue();
    if (n.compareTo(BigDecimal.ZERO) < 0 || n.compareTo(MAX_TS) > 0) {
      return EventParser.NO_TS;
    }
    BigDecimal trunc = n.setScale(0, RoundingMode.DOWN);
    return trunc.compareTo(n) == 0 ? trunc.longValueExact() : EventParser.NO_TS;
  }

  // Every string and key free of NUL and lone surrogates, every number within numeric's range, containers nested
  // at most MAX_DEPTH deep: checked on all tokens, since the tree keeps only the last of duplicate keys.
  private static boolean acceptable(String text) {
    try (JsonParser p = MAPPER.createParser(text)) {
      int open = 0;
      for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
          if (++open > JsonbReader.MAX_DEPTH) {
            return false;
          }
        } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
          open--;
        } else if (t == JsonToken.VALUE_STRING || t == JsonToken.FIELD_NAME) {
          if (!clean(p.getText())) {
            return false;
          }
        } else if (t.isNumeric()) {
          BigDecimal d = new BigDecimal(p.getText());
          if (Math.max(0, d.scale()) > 16383 || (d.signum() != 0 && d.precision() - d.scale() - 1 > 131071)) {
            return false;
          }
        }
      }
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  private static boolean clean(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /**
   * jsonb's text for a value (a string quoted): scalars as numeric and jsonb print them, arrays in order, objects by
   * key length then key bytes, {@code ", "} and {@code ": "} between. Walked with a stack of what is left to print, as
   * values may nest thousands deep.
   */
  static String jsonbText(JsonNode n) {
    StringBuilder sb = new StringBuilder();
    Deque<Object> todo = new ArrayDeque<>(); // a JsonNode to print, or text to append as it is
    todo.push(n);
    while (!todo.isEmpty()) {
      Object next = todo.pop();
      if (next instanceof String text) {
        sb.append(text);
        continue;
      }
      JsonNode v = (JsonNode) next;
      List<Object> parts = new ArrayList<>();
      if (v.isArray()) {
        parts.add("[");
        for (JsonNode item : v) {
          parts.add(parts.size() > 1 ? ", " : "");
          parts.add(item);
        }
        parts.add("]");
      } else if (v.isObject()) {
        Map<String, JsonNode> sorted = new TreeMap<>(Comparator
          .comparingInt((String k) -> k.getBytes(StandardCharsets.UTF_8).length)
          .thenComparing((x, y) -> Arrays.compareUnsigned(x.getBytes(StandardCharsets.UTF_8), y.getBytes(StandardCharsets.UTF_8))));
        v.fields().forEachRemaining(f -> sorted.put(f.getKey(), f.getValue()));
        parts.add("{");
        sorted.forEach((k, value) -> {
          parts.add((parts.size() > 1 ? ", " : "") + quote(k) + ": ");
          parts.add(value);
        });
        parts.add("}");
      } else {
        sb.append(scalarText(v));
        continue;
      }
      for (int i = parts.size() - 1; i >= 0; i--) {
        todo.push(parts.get(i));
      }
    }
    return sb.toString();
  }

  private static String scalarText(JsonNode v) {
    if (v.isNull()) {
      return "null";
    }
    if (v.isBoolean()) {
      return v.booleanValue() ? "true" : "false";
    }
    if (v.isNumber()) {
      BigDecimal d = v.decimalValue();
      return (d.scale() < 0 ? d.setScale(0) : d).toPlainString();
    }
    return quote(v.textValue());
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c == '\t') {
        sb.append("\\t");
      } else if (c == '\r') {
        sb.append("\\r");
      } else if (c == '\b') {
        sb.append("\\b");
      } else if (c == '\f') {
        sb.append("\\f");
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  static Expected compute(List<byte[]> lines) {
    Map<String, Long> groups = new HashMap<>();
    long count = 0;
    for (byte[] line : lines) {
      Parsed p = parse(line);
      if (p.valid()) {
        count++;
        groups.merge(p.user(), 1L, Long::sum);
      }
    }
    List<Map.Entry<String, Long>> all = new ArrayList<>(groups.entrySet());
    all.sort(TOP10_ORDER);
    return new Expected(count, groups, new ArrayList<>(all.subList(0, Math.min(10, all.size()))));
  }

  /** count DESC, then the name's UTF-8 bytes (= code points), NULL last. */
  static final Comparator<Map.Entry<String, Long>> TOP10_ORDER = (a, b) -> {
    int byCount = Long.compare(b.getValue(), a.getValue());
    if (byCount != 0) {
      return byCount;
    }
    if (a.getKey() == null || b.getKey() == null) {
      return a.getKey() == null ? (b.getKey() == null ? 0 : 1) : -1;
    }
    return Arrays.compareUnsigned(a.getKey().getBytes(StandardCharsets.UTF_8), b.getKey().getBytes(StandardCharsets.UTF_8));
  };

  // --- the same things in the engine's row form, for comparisons ---

  static Map<String, Long> userEditsOf(JsonArray rows) {
    Map<String, Long> m = new HashMap<>();
    for (Object r : rows) {
      JsonArray row = (JsonArray) r;
      Long prev = m.put(row.getString(0), row.getLong(1));
      if (prev != null) {
        throw new AssertionError("user_edits has two rows for " + row.getString(0));
      }
    }
    return m;
  }

  static List<Map.Entry<String, Long>> top10Of(JsonArray rows) {
    List<Map.Entry<String, Long>> out = new ArrayList<>();
    for (Object r : rows) {
      JsonArray row = (JsonArray) r;
      out.add(new java.util.AbstractMap.SimpleImmutableEntry<>(row.getString(0), row.getLong(1)));
    }
    return out;
  }
}
