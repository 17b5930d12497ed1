package wikirecent.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a bench run found: the machine, then one table per scenario (printed as text, written as
 * JSON with the raw values, including ones no column shows such as each run's figure).
 */
final class Report {

  /** A column: the row key it shows, its header, and a format ({@code %,.0f}, {@code %.2f}, {@code %s}). */
  record Column(String key, String header, String format) {
  }

  /** One scenario's result. */
  static final class Table {
    final String scenario;
    final String title;
    final List<Column> columns = new ArrayList<>();
    final List<Map<String, Object>> rows = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    String status = "ok";
    double seconds;

    Table(String scenario, String title) {
      this.scenario = scenario;
      this.title = title;
    }

    Table column(String key, String header, String format) {
      columns.add(new Column(key, header, format));
      return this;
    }

    /** A row from key, value pairs. */
    Map<String, Object> row(Object... keyValues) {
      Map<String, Object> row = new LinkedHashMap<>();
      for (int i = 0; i + 1 < keyValues.length; i += 2) {
        row.put((String) keyValues[i], keyValues[i + 1]);
      }
      rows.add(row);
      return row;
    }

    Table note(String text) {
      notes.add(text);
      return this;
    }

    void print(PrintStream out) {
      out.println();
      out.printf("== %s (%s, %.0f s)%n", title, status, seconds);
      if (!rows.isEmpty()) {
        List<String[]> cells = new ArrayList<>();
        String[] head = new String[columns.size()];
        int[] width = new int[columns.size()];
        for (int c = 0; c < columns.size(); c++) {
          head[c] = columns.get(c).header();
          width[c] = head[c].length();
        }
        for (Map<String, Object> row : rows) {
          String[] line = new String[columns.size()];
          for (int c = 0; c < columns.size(); c++) {
            line[c] = format(columns.get(c), row.get(columns.get(c).key()));
            width[c] = Math.max(width[c], line[c].length());
          }
          cells.add(line);
        }
        out.println(line(head, width));
        StringBuilder rule = new StringBuilder();
        for (int c = 0; c < width.length; c++) {
          rule.append(c == 0 ? "" : "  ").append("-".repeat(width[c]));
        }
        out.println(rule);
        for (String[] line : cells) {
          out.println(line(line, width));
        }
      }
      for (String n : notes) {
        out.println("  * " + n);
      }
    }

    private static String line(String[] cells, int[] width) {
      StringBuilder sb = new StringBuilder();
      for (int c = 0; c < cells.length; c++) {
        if (c > 0) {
          sb.append("  ");
        }
        // the first column names the case: left-aligned; figures right-aligned
        sb.append(c == 0 ? String.format("%-" + width[c] + "s", cells[c]) : String.format("%" + width[c] + "s", cells[c]));
      }
      return sb.toString().stripTrailing();
    }

    private static String format(Column column, Object v) {
      if (v == null) {
        return "-";
      }
      if (v instanceof Number n && column.format().contains("f")) {
        double d = n.doubleValue();
        return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, column.format(), d);
      }
      if (v instanceof Number n && column.format().contains("d")) {
        return String.format(Locale.ROOT, column.format(), n.longValue());
      }
      return String.valueOf(v);
    }

    JsonObject json() {
      JsonArray cols = new JsonArray();
      columns.forEach(c -> cols.add(new JsonObject().put("key", c.key()).put("header", c.header())));
      JsonArray rs = new JsonArray();
      for (Map<String, Object> row : rows) {
        JsonObject r = new JsonObject();
        row.forEach((k, v) -> r.put(k, jsonValue(v)));
        rs.add(r);
      }
      return new JsonObject().put("scenario", scenario).put("title", title).put("status", status)
        .put("seconds", Math.round(seconds * 10) / 10.0).put("columns", cols).put("rows", rs)
        .put("notes", new JsonArray(new ArrayList<>(notes)));
    }

    private static Object jsonValue(Object v) {
      if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
        return null;
      }
      if (v instanceof List<?> list) {
        JsonArray a = new JsonArray();
        list.forEach(x -> a.add(jsonValue(x)));
        return a;
      }
      return v;
    }
  }

  private final JsonObject machine;
  private final String command;
  private final List<Table> tables = new ArrayList<>();
  private final long startMillis = System.currentTimeMillis();

  Report(JsonObject machine, String command) {
    this.machine = machine;
    this.command = command;
  }

  void add(Table t) {
    tables.add(t);
  }

  List<Table> tables() {
    return tables;
  }

  JsonObject json(double wallSeconds) {
    JsonArray ts = new JsonArray();
    tables.forEach(t -> ts.add(t.json()));
    return new JsonObject()
      .put("command", command)
      .put("started", java.time.Instant.ofEpochMilli(startMillis).toString())
      .put("wallSeconds", Math.round(wallSeconds * 10) / 10.0)
      .put("machine", machine)
      .put("scenarios", ts);
  }

  void write(Path file, double wallSeconds) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, json(wallSeconds).encodePrettily() + "\n");
  }
}
