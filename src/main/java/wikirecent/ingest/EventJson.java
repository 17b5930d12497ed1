package wikirecent.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * Looks at an event's data once, with Jackson's streaming parser (no tree): is it one JSON object, is it a
 * canary, what is its {@code meta.id}. The whole document is read, so data that is not valid JSON never
 * reaches the file (Materialize's {@code data::jsonb} would fail on it).
 */
public final class EventJson {

  public enum Kind { EVENT, CANARY, INVALID }

  /**
   * @param kind   what the data is
   * @param metaId {@code meta.id} if it is a string, else null
   * @param line   the data as one line, ready for the record (null unless {@code EVENT})
   * @param reason why the data is {@code INVALID}
   */
  public record Inspection(Kind kind, String metaId, byte[] line, String reason) {
  }

  private static final JsonFactory FACTORY = JsonFactory.builder().build();

  private EventJson() {
  }

  public static Inspection inspect(byte[] data) {
    String metaId = null;
    String domain = null;
    try (JsonParser p = FACTORY.createParser(data)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return invalid("not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (value == JsonToken.START_OBJECT && "meta".equals(name)) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            if (v == JsonToken.VALUE_STRING && "id".equals(field)) {
              metaId = p.getText();
            } else if (v == JsonToken.VALUE_STRING && "domain".equals(field)) {
              domain = p.getText();
            } else {
              p.skipChildren();
            }
          }
        } else {
          p.skipChildren();
        }
      }
      if (p.nextToken() != null) {
        return invalid("more than one JSON value");
      }
    } catch (JsonProcessingException e) {
      return invalid(e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // reading a byte array does no I/O
    }
    if ("canary".equals(domain)) {
      return new Inspection(Kind.CANARY, metaId, null, null);
    }
    return new Inspection(Kind.EVENT, metaId, oneLine(data), null);
  }

  /**
   * Valid JSON spread over several {@code data:} lines, made one line by dropping the whitespace between
   * tokens. Done on bytes rather than by re-serializing a tree so every value keeps its exact spelling
   * (Jackson would rewrite {@code 1.50} as {@code 1.5}). A line break can only be such whitespace, since JSON
   * strings cannot hold a raw one.
   */
  static byte[] oneLine(byte[] json) {
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

  private static Inspection invalid(String reason) {
    return new Inspection(Kind.INVALID, null, null, reason);
  }
}
