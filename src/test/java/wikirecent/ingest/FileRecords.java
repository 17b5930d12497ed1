package wikirecent.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a recentchanges file the strict way, without the code under test: it must be a sequence of
 * "event: message\nid: ...\ndata: ...\n\n" records and nothing else.
 */
final class FileRecords {

  record Rec(String id, String data) {
  }

  private FileRecords() {
  }

  static List<Rec> read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return List.of();
    }
    String text = Files.readString(file, StandardCharsets.UTF_8);
    if (text.isEmpty()) {
      return List.of();
    }
    if (!text.endsWith("\n\n")) {
      throw new AssertionError(file + " does not end with a complete record: ..." + text.substring(Math.max(0, text.length() - 80)));
    }
    return parse(text);
  }

  private static List<Rec> parse(String text) {
    List<Rec> records = new ArrayList<>();
    for (String block : text.substring(0, text.length() - 2).split("\n\n", -1)) {
      String[] lines = block.split("\n", -1);
      if (lines.length != 3 || !lines[0].equals("event: message") || !lines[1].startsWith("id: ") || !lines[2].startsWith("data: ")) {
        throw new AssertionError("not a record: " + block);
      }
      records.add(new Rec(lines[1].substring(4), lines[2].substring(6)));
    }
    return records;
  }

  /**
   * The complete records of a file ingest may be appending to right now: a record being written is left out
   * (a reader can see half of one write), everything before it is read the strict way.
   */
  static List<Rec> readWhileWriting(Path file) throws IOException {
    byte[] b; // bytes first: the cut may fall inside a UTF-8 sequence
    try {
      b = Files.readAllBytes(file);
    } catch (java.nio.file.NoSuchFileException e) {
      return List.of(); // between the old file's going and the new one's coming
    }
    int end = b.length;
    while (end >= 2 && !(b[end - 1] == '\n' && b[end - 2] == '\n')) {
      end--;
    }
    return end < 2 ? List.of() : parse(new String(b, 0, end, StandardCharsets.UTF_8));
  }

  static List<String> data(Path file) throws IOException {
    return read(file).stream().map(Rec::data).toList();
  }

  /** Counts complete records cheaply while a test waits (the file may be mid-append). */
  static long countRecords(Path file) throws IOException {
    if (!Files.exists(file)) {
      return 0;
    }
    byte[] b = Files.readAllBytes(file);
    long n = 0;
    for (int i = 1; i < b.length; i++) {
      if (b[i] == '\n' && b[i - 1] == '\n') {
        n++;
      }
    }
    return n;
  }

  /** meta.id of one JSON line, by a plain regex (the sample's meta objects hold an "id" string). */
  static String metaId(String json) {
    var m = java.util.regex.Pattern.compile("\"meta\":\\{[^{}]*?\"id\":\"([^\"]+)\"").matcher(json);
    return m.find() ? m.group(1) : null;
  }
}
