package wikirecent.bench;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** What the benchmark ran on, and the few /proc and JVM readings the scenarios take. */
final class Machine {

  private Machine() {
  }

  static JsonObject describe() {
    Runtime rt = Runtime.getRuntime();
    return new JsonObject()
      .put("cores", rt.availableProcessors())
      .put("cpu", cpuModel())
      .put("memoryGiB", Math.round(memTotalKb() / 1024.0 / 1024.0 * 10) / 10.0)
      .put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
        + " (" + System.getProperty("java.vm.vendor") + ")")
      .put("jvmMaxHeapMiB", rt.maxMemory() >> 20)
      .put("os", osName() + ", kernel " + System.getProperty("os.version") + " " + System.getProperty("os.arch"))
      .put("openFilesLimit", openFilesLimit())
      .put("loadAverageAtStart", loadAverage());
  }

  static String oneLine(JsonObject m) {
    return String.format(Locale.ROOT, "machine: %d cores (%s), %.1f GiB memory, %s, %s; open-file limit %s; load average at start %s",
      m.getInteger("cores"), m.getString("cpu"), m.getDouble("memoryGiB"), m.getString("jvm"), m.getString("os"),
      m.getString("openFilesLimit"), m.getString("loadAverageAtStart"));
  }

  private static String cpuModel() {
    for (String line : lines(Path.of("/proc/cpuinfo"))) {
      if (line.startsWith("model name")) {
        return line.substring(line.indexOf(':') + 1).trim();
      }
    }
    return System.getProperty("os.arch");
  }

  private static long memTotalKb() {
    for (String line : lines(Path.of("/proc/meminfo"))) {
      if (line.startsWith("MemTotal:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return Runtime.getRuntime().maxMemory() >> 10;
  }

  private static String osName() {
    for (String line : lines(Path.of("/etc/os-release"))) {
      if (line.startsWith("PRETTY_NAME=")) {
        return line.substring("PRETTY_NAME=".length()).replace("\"", "");
      }
    }
    return System.getProperty("os.name");
  }

  /** "soft/hard" from /proc/self/limits, e.g. "20000/20000". */
  static String openFilesLimit() {
    for (String line : lines(Path.of("/proc/self/limits"))) {
      if (line.startsWith("Max open files")) {
        String[] f = line.substring("Max open files".length()).trim().split("\\s+");
        return f[0] + "/" + f[1];
      }
    }
    return "unknown";
  }

  static String loadAverage() {
    List<String> l = lines(Path.of("/proc/loadavg"));
    if (l.isEmpty()) {
      return "unknown";
    }
    String[] f = l.get(0).split(" ");
    return f[0] + " " + f[1] + " " + f[2];
  }

  /** Resident set size of a process in bytes (VmRSS), or -1. */
  static long rssBytes(long pid) {
    return statusNumber(pid, "VmRSS:") * 1024;
  }

  /** Peak resident set size of a process in bytes (VmHWM), or -1. */
  static long peakRssBytes(long pid) {
    return statusNumber(pid, "VmHWM:") * 1024;
  }

  /** Threads of a process (/proc/&lt;pid&gt;/status), or -1. */
  static long threads(long pid) {
    return statusNumber(pid, "Threads:");
  }

  /** Open file descriptors of a process (entries of /proc/&lt;pid&gt;/fd), or -1. */
  static long openFiles(long pid) {
    try (var fds = java.nio.file.Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
      return fds.count();
    } catch (java.io.IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The number on a line of /proc/&lt;pid&gt;/status (kB for the memory ones), or -1. */
  private static long statusNumber(long pid, String field) {
    for (String line : lines(Path.of("/proc", String.valueOf(pid), "status"))) {
      if (line.startsWith(field)) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  /** CPU time a process has run, in ns (first field of /proc/&lt;pid&gt;/schedstat: user and system), or -1. */
  static long cpuNanos(long pid) {
    List<String> l = lines(Path.of("/proc", String.valueOf(pid), "schedstat"));
    if (l.isEmpty()) {
      return -1;
    }
    return Long.parseLong(l.get(0).split(" ")[0]);
  }

  /** CPU time of a process, every thread's, those that ended too, in ns (10 ms steps), or -1. */
  static long processCpuNanos(long pid) {
    List<String> stat = lines(Path.of("/proc", String.valueOf(pid), "stat"));
    try {
      return stat.isEmpty() ? -1 : cpuNanosOfStat(stat.get(0));
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /**
   * utime + stime of a {@code /proc/<pid>/stat} line, in ns (ticks of 10 ms: Linux's USER_HZ is 100). The process's,
   * its threads' that ended included: a sum over the live threads' schedstat lost a thread's whole lifetime of CPU
   * when it ended within the window. The name in parentheses may hold spaces and parentheses: fields count from the
   * last ')'.
   */
  static long cpuNanosOfStat(String line) {
    String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // fields 14 and 15, counted from 1
  }

  /** CPU time per thread name (the comm file of each of the process's tasks, at most 15 characters), in ns; empty if unreadable. */
  static java.util.Map<String, Long> threadCpuNanos(long pid) {
    java.util.Map<String, Long> out = new java.util.TreeMap<>();
    try (var dirs = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
      for (Path task : dirs.toList()) {
        List<String> stat = lines(task.resolve("schedstat"));
        List<String> comm = lines(task.resolve("comm"));
        if (!stat.isEmpty() && !comm.isEmpty()) {
          out.merge(comm.get(0).trim(), Long.parseLong(stat.get(0).split(" ")[0]), Long::sum);
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone
    }
    return out;
  }

  /** CPU time of this JVM's threads whose name starts with {@code prefix}, in ns (threads that ended are not counted). */
  static long threadCpuNanos(String prefix) {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith(prefix)) {
        long ns = mx.getThreadCpuTime(t.getId());
        if (ns > 0) {
          sum += ns;
        }
      }
    }
    return sum;
  }

  private static List<String> lines(Path p) {
    try {
      return Files.readAllLines(p);
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }
}
