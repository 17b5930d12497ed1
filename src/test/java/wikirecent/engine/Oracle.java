package wikirecent.engine;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.vertx.core.json.JsonArray;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The views recomputed from scratch, written independently of the engine: each line decoded to a
 * String strictly, parsed into a Jackson tree, users grouped in a HashMap, and the whole list
 * sorted for top10 (names compared by their UTF-8 bytes). What PostgreSQL refuses beyond plain
 * JSON (NUL, unpaired surrogates, a byte-order mark, numbers out of numeric's range) is checked
 * on the decoded tree.
 */
final class Oracle {

  private static final JsonMapper MAPPER = JsonMapper.builder()
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

  static Parsed parse(byte[] line) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(line)).toString();
    } catch (CharacterCodingException e) {
      return Parsed.INVALID;
    }
    if (text.indexOf('\0') >= 0 || text.startsWith("\uFEFF")) {
      return Parsed.INVALID;
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(text);
    } catch (Exception e) {
      return Parsed.INVALID;
    }
    if (root == null || root.isMissingNode() || !acceptable(text)) {
      return Parsed.INVALID;
    }
    if (!root.isObject()) {
      return new Parsed(true, null);
    }
    JsonNode user = root.get("user");
    if (user == null || user.isNull()) {
      return new Parsed(true, null);
    }
    return new Parsed(true, user.isTextual() ? user.textValue() : jsonbText(user));
  }

  // Every string and key free of NUL and lone surrogates, every number within numeric's range:
  // checked on all tokens, since the tree keeps only the last of duplicate keys.
  private static boolean acceptable(String text) {
    try (JsonParser p = MAPPER.createParser(text)) {
      for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
        if (t == JsonToken.VALUE_STRING || t == JsonToken.FIELD_NAME) {
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

  /** jsonb's text for a non-string value, recursively. */
  static String jsonbText(JsonNode n) {
    if (n.isNull()) {
      return "null";
    }
    if (n.isBoolean()) {
      return n.booleanValue() ? "true" : "false";
    }
    if (n.isNumber()) {
      BigDecimal d = n.decimalValue();
      return (d.scale() < 0 ? d.setScale(0) : d).toPlainString();
    }
    if (n.isTextual()) {
      return quote(n.textValue());
    }
    StringBuilder sb = new StringBuilder();
    if (n.isArray()) {
      List<String> items = new ArrayList<>();
      n.forEach(item -> items.add(jsonbText(item)));
      return sb.append('[').append(String.join(", ", items)).append(']').toString();
    }
    Map<String, String> sorted = new TreeMap<>(Comparator
      .comparingInt((String k) -> k.getBytes(StandardCharsets.UTF_8).length)
      .thenComparing((a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8))));
    n.fields().forEachRemaining(f -> sorted.put(f.getKey(), jsonbText(f.getValue())));
    List<String> items = new ArrayList<>();
    sorted.forEach((k, v) -> items.add(quote(k) + ": " + v));
    return sb.append('{').append(String.join(", ", items)).append('}').toString();
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
