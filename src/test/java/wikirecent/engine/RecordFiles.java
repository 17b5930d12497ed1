package wikirecent.engine;

import wikirecent.records.RecordFormat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** Test data: {@code recentchanges} files made of event lines (e.g. the bundled sample's). */
final class RecordFiles {

  private RecordFiles() {
  }

  /** Records for these data lines (raw bytes), ids counting from {@code firstId}. */
  static byte[] records(List<byte[]> data, int firstId) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int id = firstId;
    for (byte[] d : data) {
      out.writeBytes(("event: message\nid: [{\"topic\":\"eqiad.mediawiki.recentchange\",\"partition\":0,\"offset\":"
        + id++ + "}]\ndata: ").getBytes(StandardCharsets.UTF_8));
      out.writeBytes(d);
      out.writeBytes("\n\n".getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  static byte[] recordsOf(List<String> lines, int firstId) {
    List<byte[]> data = new ArrayList<>();
    for (String l : lines) {
      data.add(EventLines.bytes(l));
    }
    return records(data, firstId);
  }

  /** One record as ingest writes it. */
  static byte[] record(int id, String json) {
    return RecordFormat.record("[{\"topic\":\"eqiad.mediawiki.recentchange\",\"partition\":0,\"offset\":" + id + "}]", json);
  }

  static void append(Path file, byte[] bytes) throws IOException {
    Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /** Steps without publishing until the engine has read all there is; returns the number of steps. */
  static int readAll(Engine engine) throws IOException {
    int steps = 0;
    while (true) {
      steps++;
      if (!engine.step(false).more()) {
        return steps;
      }
    }
  }
}
