package wikirecent.ingest;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One dispatched server-sent event.
 *
 * @param type        the {@code event:} field, {@code "message"} when absent or empty
 * @param lastEventId the last event id in force when the event was dispatched ({@code ""} if none yet)
 * @param data        the UTF-8 bytes of the data lines, joined by {@code \n}
 */
public record SseEvent(String type, String lastEventId, byte[] data) {

  public static final String MESSAGE = "message";

  public boolean isMessage() {
    return MESSAGE.equals(type);
  }

  public String dataAsString() {
    return new String(data, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SseEvent e && type.equals(e.type) && lastEventId.equals(e.lastEventId) && Arrays.equals(data, e.data);
  }

  @Override
  public int hashCode() {
    return (type.hashCode() * 31 + lastEventId.hashCode()) * 31 + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "SseEvent[type=" + type + ", id=" + visible(lastEventId) + ", data=" + visible(dataAsString()) + "]";
  }

  private static String visible(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints().forEach(c -> {
      if (c < 0x20 || c == 0x7F) {
        sb.append(String.format("\\u%04x", c));
      } else {
        sb.appendCodePoint(c);
      }
    });
    return sb.toString();
  }
}
