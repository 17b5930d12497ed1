package wikirecent.ingest;

import wikirecent.jsonb.JsonbCheck;
import wikirecent.jsonb.JsonbReader;

import java.util.Arrays;

/**
 * Looks at an event's data once, in one pass over its bytes ({@link JsonbCheck}): is it one JSON object that
 * PostgreSQL's {@code ::jsonb} accepts, is it a canary, what are its {@code meta.id} and {@code meta.dt}. No line
 * reaches the file that Materialize's {@code data::jsonb} or the embedded engine would refuse: no invalid UTF-8,
 * no {@code \u0000}, no unpaired surrogate escape, no byte-order mark, no number out of numeric's range, no
 * nesting past {@value JsonbReader#MAX_DEPTH}. An instance reuses its buffers (one per thread); {@link #inspect}
 * makes one per call.
 */
public final class EventJson {

  public enum Kind { EVENT, CANARY, INVALID }

  /**
   * @param kind   what the data is
   * @param metaId {@code meta.id} if it is a string, else null
   * @param line   the data as one line, ready for the record (null unless {@code EVENT})
   * @param reason why the data is {@code INVALID}
   * @param metaDt {@code meta.dt} if it is a string, else null: where to resume by time
   */
  public record Inspection(Kind kind, String metaId, byte[] line, String reason, String metaDt) {
  }

  // members of the root object (depth 1) and of objects in it (depth 2, where meta's are)
  private final JsonbCheck check = new JsonbCheck(2);
  private String metaId;
  private String metaDt;
  private String reason;

  public static Inspection inspect(byte[] data) {
    return new EventJson().read(data);
  }

  /** Like {@link #inspect}, with this instance's buffers. Not thread-safe. */
  public Inspection read(byte[] data) {
    Kind kind = read(data, 0, data.length);
    return switch (kind) {
      case INVALID -> new Inspection(kind, null, null, reason, null);
      case CANARY -> new Inspection(kind, metaId, null, null, metaDt);
      case EVENT -> new Inspection(kind, metaId, hasLineBreak() ? oneLine(data, 0, data.length) : data, null, metaDt);
    };
  }

  /**
   * Looks at {@code b[off, off+len)} in place: what it is; then {@link #metaId()}, {@link #metaDt()} and
   * {@link #reason()} tell the rest, until the next call.
   */
  public Kind read(byte[] b, int off, int len) {
    metaId = null;
    metaDt = null;
    reason = null;
    JsonbCheck c = check;
    if (!c.check(b, off, len)) {
      reason = c.reason();
      return Kind.INVALID;
    }
    if (c.rootType() != JsonbCheck.OBJECT) {
      reason = "not a JSON object";
      return Kind.INVALID;
    }
    int n = c.memberCount();
    int meta = -1;
    for (int m = 0; m < n; m++) {
      if (c.depth(m) == 1 && c.keyIs(m, "meta")) {
        meta = m; // with duplicate keys the last one wins, as in jsonb
      }
    }
    int id = -1;
    int dt = -1;
    int domain = -1;
    if (meta >= 0 && c.valueType(meta) == JsonbCheck.OBJECT) {
      // meta's own members follow it, up to the root object's next member
      for (int m = meta + 1; m < n && c.depth(m) == 2; m++) {
        if (c.keyIs(m, "id")) {
          id = m;
        } else if (c.keyIs(m, "dt")) {
          dt = m;
        } else if (c.keyIs(m, "domain")) {
          domain = m;
        }
      }
    }
    metaId = id < 0 ? null : c.stringValue(id);
    metaDt = dt < 0 ? null : c.stringValue(dt);
    return domain >= 0 && c.valueIs(domain, "canary") ? Kind.CANARY : Kind.EVENT;
  }

  /** {@code meta.id} of the last data read, if a string; else null. */
  public String metaId() {
    return metaId;
  }

  /** {@code meta.dt} of the last data read, if a string; else null. */
  public String metaDt() {
    return metaDt;
  }

  /** Why the last data read is {@code INVALID}. */
  public String reason() {
    return reason;
  }

  /** Whether the last data read, valid, spans lines: then its record line is {@link #oneLine} of it. */
  public boolean hasLineBreak() {
    return check.hasLineBreak();
  }

  /**
   * Valid JSON spread over several {@code data:} lines, made one line by dropping the whitespace between
   * tokens. Done on bytes rather than by re-serializing a tree so every value keeps its exact spelling
   * (Jackson would rewrite {@code 1.50} as {@code 1.5}). A line break can only be such whitespace, since JSON
   * strings cannot hold a raw one.
   */
  static byte[] oneLine(byte[] json, int off, int len) {
    byte[] out = new byte[len];
    int n = 0;
    boolean inString = false;
    boolean escaped = false;
    for (int i = off; i < off + len; i++) {
      byte b = json[i];
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

}
