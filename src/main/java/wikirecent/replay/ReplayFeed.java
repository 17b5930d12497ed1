package wikirecent.replay;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import wikirecent.ingest.Since;
import wikirecent.ingest.SseParser;
import wikirecent.jsonb.LineScan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * The recorded events a replay serves, in order, and how event number N goes on the wire. Offsets count on
 * across {@code --loop} rounds: offset N is event {@code N % size} of round {@code N / size}.
 */
final class ReplayFeed {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String ID_START = "[{\"topic\":\"replay\",\"partition\":0,\"offset\":";
  private static final byte[] LF = {'\n'};
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] HEAD_LF = ascii("event: message\nid: " + ID_START);
  private static final byte[] HEAD_CRLF = ascii("event: message\r\nid: " + ID_START);
  private static final byte[] ID_END = ascii("}]");
  private static final byte[] DATA_PREFIX = ascii("data: ");

  private final List<byte[]> events;
  private final String source;

  /** Per event: where the characters of its meta.id string are in its bytes ([start, end)), or -1. */
  private final int[] idStart;
  private final int[] idEnd;
  /** Per event: its meta.dt in epoch milliseconds, or Long.MIN_VALUE if it has none. */
  private final long[] dtMillis;
  /** Per event: whether its data holds a line break (goes out as several data: lines). */
  private final boolean[] multiLine;

  private ReplayFeed(List<byte[]> events, String source) {
    this.events = events;
    this.source = source;
    this.idStart = new int[events.size()];
    this.idEnd = new int[events.size()];
    this.dtMillis = new long[events.size()];
    this.multiLine = new boolean[events.size()];
    for (int i = 0; i < events.size(); i++) {
      locateMetaId(i);
      byte[] data = events.get(i);
      multiLine[i] = LineScan.lineBreak(data, 0, data.length) >= 0; // a CR too: JSON's white space, SSE's line end
    }
  }

  static ReplayFeed load(Path file) throws IOException {
    if (file == null) {
      try {
        List<byte[]> events = Sample.lines().stream().map(l -> l.getBytes(StandardCharsets.UTF_8)).toList();
        return new ReplayFeed(events, "the bundled sample (classpath:" + Sample.RESOURCE + ")");
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
    }
    if (!Files.isRegularFile(file)) {
      throw new IOException("no such file: " + file.toAbsolutePath());
    }
    return parse(Files.readAllBytes(file), file.toString());
  }

  /**
   * JSON lines (the first thing in the file is {@code {}) or SSE text (anything else, e.g. a recentchanges
   * file or a curl capture): each {@code message} event's data, as recorded.
   */
  static ReplayFeed parse(byte[] content, String source) {
    int start = 0;
    if (content.length >= 3 && content[0] == (byte) 0xEF && content[1] == (byte) 0xBB && content[2] == (byte) 0xBF) {
      start = 3;
    }
    int first = start;
    while (first < content.length && Character.isWhitespace(content[first])) {
      first++;
    }
    boolean jsonLines = first < content.length && content[first] == '{';
    return new ReplayFeed(jsonLines ? jsonLines(content, start) : sse(content), source);
  }

  private static List<byte[]> jsonLines(byte[] content, int start) {
    List<byte[]> events = new ArrayList<>();
    int lineStart = start;
    for (int i = start; i <= content.length; i++) {
      if (i == content.length || content[i] == '\n') {
        int end = i;
        if (end > lineStart && content[end - 1] == '\r') {
          end--;
        }
        if (!isBlank(content, lineStart, end)) {
          events.add(Arrays.copyOfRange(content, lineStart, end));
        }
        lineStart = i + 1;
      }
    }
    return events;
  }

  private static List<byte[]> sse(byte[] content) {
    List<byte[]> events = new ArrayList<>();
    SseParser parser = new SseParser(event -> {
      if (event.isMessage()) {
        events.add(event.data());
      }
    });
    parser.feed(content);
    // A recording may stop right after its last line: that event was complete all the same.
    parser.feed(new byte[] {'\n', '\n'});
    return events;
  }

  private static boolean isBlank(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (!Character.isWhitespace(b[i])) {
        return false;
      }
    }
    return true;
  }

  int size() {
    return events.size();
  }

  String source() {
    return source;
  }

  /** The data of event {@code offset}: as recorded in round 0; with a fresh deterministic meta.id in later rounds. */
  byte[] data(long offset) {
    int i = (int) (offset % events.size());
    long round = offset / events.size();
    return round == 0 ? events.get(i) : withRoundId(i, round);
  }

  /** The whole SSE frame of event {@code offset}. */
  byte[] frame(long offset, boolean crlf) {
    Buffer b = Buffer.buffer(events.get((int) (offset % events.size())).length + 128);
    appendFrame(b, offset, crlf);
    return b.getBytes();
  }

  /**
   * Appends the SSE frame of event {@code offset} to {@code out}: its pieces straight from the recorded bytes, with
   * the id's digits (and in later rounds the fresh meta.id) put in between; no per-event array or String.
   */
  void appendFrame(Buffer out, long offset, boolean crlf) {
    int i = (int) (offset % events.size());
    long round = offset / events.size();
    byte[] eol = crlf ? CRLF : LF;
    out.appendBytes(crlf ? HEAD_CRLF : HEAD_LF);
    byte[] digits = new byte[20];
    int d = digits.length;
    long v = offset;
    do {
      digits[--d] = (byte) ('0' + v % 10);
      v /= 10;
    } while (v > 0);
    out.appendBytes(digits, d, digits.length - d);
    out.appendBytes(ID_END);
    out.appendBytes(eol);
    byte[] data = events.get(i);
    if (multiLine[i]) {
      appendLines(out, round == 0 ? data : withRoundId(i, round), eol); // rare: data recorded over several data: lines
    } else {
      out.appendBytes(DATA_PREFIX);
      int start = idStart[i];
      if (round == 0 || start < 0) {
        out.appendBytes(data);
      } else {
        int end = idEnd[i];
        out.appendBytes(data, 0, start).appendBytes(freshId(i, round)).appendBytes(data, end, data.length - end);
      }
      out.appendBytes(eol);
    }
    out.appendBytes(eol);
  }

  /**
   * Data recorded over several lines goes out the same way, a {@code data:} line each; a line ends at LF, CR or CRLF
   * as SSE has it, so a CR between JSON tokens reaches the client as the LF it joins lines with, not as a cut.
   */
  private static void appendLines(Buffer out, byte[] data, byte[] eol) {
    int lineStart = 0;
    for (int k = 0; k <= data.length; k++) {
      if (k == data.length || data[k] == '\n' || data[k] == '\r') {
        out.appendBytes(DATA_PREFIX).appendBytes(data, lineStart, k - lineStart).appendBytes(eol);
        if (k < data.length - 1 && data[k] == '\r' && data[k + 1] == '\n') {
          k++;
        }
        lineStart = k + 1;
      }
    }
  }

  /** The SSE id of event {@code offset}, shaped like Wikimedia's (a JSON array of topic/partition/offset). */
  static String id(long offset) {
    return ID_START + offset + "}]";
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** The offset in an id made by {@link #id(long)}, or -1 if the id is not one of ours. */
  static long offsetOf(String lastEventId) {
    if (lastEventId == null || lastEventId.isBlank()) {
      return -1;
    }
    try {
      JsonNode id = MAPPER.readTree(lastEventId);
      if (id != null && id.isArray()) {
        for (JsonNode part : id) {
          if ("replay".equals(part.path("topic").asText()) && part.path("offset").canConvertToLong()) {
            long offset = part.path("offset").asLong();
            // Past MAX_OFFSET no replay ever counted (aeons at any rate): not ours, and offset + 1 must not overflow.
            return offset >= 0 && offset <= MAX_OFFSET ? offset : -1;
          }
        }
      }
    } catch (IOException e) {
      // not ours
    }
    return -1;
  }

  /** The largest offset a Last-Event-ID of ours may carry. */
  static final long MAX_OFFSET = Long.MAX_VALUE / 2;

  /**
   * The offset of the first event whose meta.dt is at or after {@code since}: where {@code ?since=} starts. A
   * time after every recorded event is the live edge, which for a replay is its start (offset 0): the recording
   * is what "now" is for its clients.
   */
  long firstAtOrAfter(Instant since) {
    long t = since.toEpochMilli();
    for (int i = 0; i < dtMillis.length; i++) {
      if (dtMillis[i] != Long.MIN_VALUE && dtMillis[i] >= t) {
        return i;
      }
    }
    return 0;
  }

  /** Finds meta.id (and meta.dt) once, so later rounds can splice in a fresh id without re-serializing the JSON. */
  private void locateMetaId(int i) {
    idStart[i] = -1;
    idEnd[i] = -1;
    dtMillis[i] = Long.MIN_VALUE;
    try (JsonParser p = MAPPER.getFactory().createParser(events.get(i))) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        if (p.nextToken() == JsonToken.START_OBJECT && "meta".equals(name)) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            if (p.nextToken() == JsonToken.VALUE_STRING && "id".equals(field)) {
              int start = (int) p.currentTokenLocation().getByteOffset() + 1; // after the opening quote
              p.getText(); // reads to the closing quote
              idStart[i] = start;
              idEnd[i] = (int) p.currentLocation().getByteOffset() - 1;
            } else if (p.currentToken() == JsonToken.VALUE_STRING && "dt".equals(field)) {
              dtMillis[i] = dtMillis(p.getText());
            } else {
              p.skipChildren();
            }
          }
        } else {
          p.skipChildren();
        }
      }
    } catch (IOException e) {
      idStart[i] = -1; // not JSON: served as recorded, every round
      idEnd[i] = -1;
    }
  }

  private static long dtMillis(String dt) {
    try {
      return Since.parse(dt).toEpochMilli();
    } catch (IllegalArgumentException e) {
      return Long.MIN_VALUE; // not a time: this event is never where a since starts
    }
  }

  private byte[] withRoundId(int i, long round) {
    byte[] data = events.get(i);
    int start = idStart[i];
    if (start < 0) {
      return data;
    }
    int end = idEnd[i];
    byte[] fresh = freshId(i, round);
    byte[] out = new byte[data.length - (end - start) + fresh.length];
    System.arraycopy(data, 0, out, 0, start);
    System.arraycopy(fresh, 0, out, start, fresh.length);
    System.arraycopy(data, end, out, start + fresh.length, data.length - end);
    return out;
  }

  /** The meta.id event {@code i} has in a later round: a name-based UUID of its recorded one and the round. */
  private byte[] freshId(int i, long round) {
    String original = new String(events.get(i), idStart[i], idEnd[i] - idStart[i], StandardCharsets.UTF_8);
    return UUID.nameUUIDFromBytes((original + "#" + round).getBytes(StandardCharsets.UTF_8)).toString()
      .getBytes(StandardCharsets.US_ASCII);
  }
}
