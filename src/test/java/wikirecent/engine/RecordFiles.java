package wikirecent.engine;

import wikirecent.common.RecordFormat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** Test data: the bundled sample's lines, and {@code recentchanges} files made of them. */
final class RecordFiles {

  private static List<String> sample;

  private RecordFiles() {
  }

  /** The 5,911 recorded events of {@code sample/recentchange-sample.jsonl}, one JSON text each. */
  static synchronized List<String> sample() {
    if (sample == null) {
      try (InputStream in = RecordFiles.class.getResourceAsStream("/sample/recentchange-sample.jsonl")) {
        if (in == null) {
          throw new IllegalStateException("sample/recentchange-sample.jsonl is not on the test classpath");
        }
        List<String> lines = new ArrayList<>();
        for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
          if (!l.isEmpty()) {
            lines.add(l);
          }
        }
        sample = List.copyOf(lines);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return sample;
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
