package wikirecent.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import wikirecent.jsonb.JsonbReader;
import wikirecent.jsonb.PlainText;

import java.io.IOException;
import java.util.Arrays;

/**
 * The Jackson-based check ingest used before {@link EventJson} had its own one-pass reader, kept as the oracle
 * its property test compares with. Looks at an event's data once, token by token (no tree): is it one JSON object that PostgreSQL's
 * {@code ::jsonb} accepts, is it a canary, what is its {@code meta.id}. The whole document is read with the
 * plain check ({@link PlainText} and {@link JsonbReader}), so no line reaches the file that
 * Materialize's {@code data::jsonb} or the embedded engine would refuse: no invalid UTF-8, no {@code \u0000},
 * no unpaired surrogate escape, no byte-order mark, no number out of numeric's range, no nesting past
 * {@value JsonbReader#MAX_DEPTH}.
 */
final class JacksonEventJson {

    private JacksonEventJson() {
  }

  static EventJson.Inspection inspect(byte[] data) {
    byte[] line = oneLine(data);
    if (!PlainText.ok(line, 0, line.length)) {
      return invalid("invalid UTF-8, a \\u0000 or an unpaired surrogate escape (PostgreSQL's jsonb refuses them)");
    }
    // Read the data as sent: oneLine keeps valid JSON equivalent, but could join the tokens of invalid JSON.
    JsonbReader r = new JsonbReader();
    String metaId = null;
    String metaDt = null;
    String domain = null;
    try {
      r.start(data, 0, data.length);
      JsonParser p = r.parser();
      if (r.next() != JsonToken.START_OBJECT) {
        return invalid("not a JSON object");
      }
      boolean metaValueNext = false;
      boolean inMeta = false;
      JsonToken t;
      while ((t = r.next()) != null) {
        int depth = r.depth();
        if (metaValueNext) {
          // the value of a top-level "meta": with duplicate keys the last one wins, as in jsonb
          metaValueNext = false;
          metaId = null;
          metaDt = null;
          domain = null;
          inMeta = t == JsonToken.START_OBJECT;
        } else if (depth == 1) {
          inMeta = false;
          metaValueNext = t == JsonToken.FIELD_NAME && "meta".equals(p.currentName());
        } else if (inMeta && depth == 2 && t == JsonToken.FIELD_NAME) {
          String field = p.currentName();
          if ("id".equals(field)) {
            metaId = r.next() == JsonToken.VALUE_STRING ? p.getText() : null;
          } else if ("domain".equals(field)) {
            domain = r.next() == JsonToken.VALUE_STRING ? p.getText() : null;
          } else if ("dt".equals(field)) {
            metaDt = r.next() == JsonToken.VALUE_STRING ? p.getText() : null;
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      return invalid(JsonbReader.reason(e));
    } finally {
      r.close();
    }
    if ("canary".equals(domain)) {
      return new EventJson.Inspection(EventJson.Kind.CANARY, metaId, null, null, metaDt);
    }
    return new EventJson.Inspection(EventJson.Kind.EVENT, metaId, line, null, metaDt);
  }

  /**
   * Valid JSON spread over several {@code data:} lines, made one line by dropping the whitespace between
   * tokens. Done on bytes rather than by re-serializing a tree so every value keeps its exact spelling
   * (Jackson would rewrite {@code 1.50} as {@code 1.5}). A line break can only be such whitespace, since JSON
   * strings cannot hold a raw one.
   */
  private static byte[] oneLine(byte[] json) {
    if (indexOfLineBreak(json) < 0) {
      return json;
    }
    byte[] out = new byte[json.length];
    int n = 0;
    boolean inString = false;
    boolean escaped = false;
    for (byte b : json) {
      if (inString) {
        if (escaped) {
          escaped = false;
        } else if (b == '\\') {
          escaped = true;
        } else if (b == '"') {
          inString = false;
        }
      } else if (b == '"') {
        inString = true;
      } else if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
        continue;
      }
      out[n++] = b;
    }
    return Arrays.copyOf(out, n);
  }

  private static int indexOfLineBreak(byte[] b) {
    for (int i = 0; i < b.length; i++) {
      if (b[i] == '\n' || b[i] == '\r') {
        return i;
      }
    }
    return -1;
  }

  private static EventJson.Inspection invalid(String reason) {
    return new EventJson.Inspection(EventJson.Kind.INVALID, null, null, reason, null);
  }
}
