package wikirecent.engine;

import wikirecent.replay.Sample;

import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Not a test: {@link EventParser#parse} in ns per event over the bundled sample, and optionally the same for
 * another build's classes (e.g. before a change) in the same JVM, rounds alternating, so a busy machine
 * slows both alike; times are the thread's CPU time. Each build's {@code wikirecent} classes come from their own class loader and are called
 * the same way. From the repository root, after {@code mvn -q package -DskipTests}:
 * {@code java -cp bench/target/wikirecent-bench.jar:target/test-classes:test-support/target/classes:bench/target/test-classes wikirecent.engine.EventParserBench [otherClassesDir]}
 * (an older build: {@code git worktree add /tmp/old <commit> && mvn -q -o -f /tmp/old/pom.xml compile}, then
 * {@code /tmp/old/target/classes}).
 */
public final class EventParserBench {

  // The thread's CPU time, not the wall clock: on a shared machine, waiting for a core does not count.
  private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
  private static final int PASSES = 20;
  private static final int ROUNDS = 25;

  public static void main(String[] args) throws Throwable {
    List<byte[]> lines = new ArrayList<>();
    for (String s : Sample.lines()) {
      lines.add(s.getBytes(StandardCharsets.UTF_8));
    }
    List<String> names = new ArrayList<>(List.of("this build"));
    List<MethodHandle> parsers = new ArrayList<>(List.of(parser(Path.of("target/classes"))));
    if (args.length > 0) {
      names.add(args[0]);
      parsers.add(parser(Path.of(args[0])));
    }
    double[][] ns = new double[parsers.size()][ROUNDS];
    for (int round = 0; round < ROUNDS; round++) {
      for (int p = 0; p < parsers.size(); p++) {
        ns[p][round] = round(parsers.get(p), lines);
      }
    }
    for (int p = 0; p < parsers.size(); p++) {
      double[] r = Arrays.copyOfRange(ns[p], 5, ROUNDS); // the first rounds warm up
      Arrays.sort(r);
      System.out.printf("%-40s median %.0f ns/event, best %.0f (%d rounds of %d x %d lines)%n",
        names.get(p), r[r.length / 2], r[0], r.length, PASSES, lines.size());
    }
  }

  private static double round(MethodHandle parse, List<byte[]> lines) throws Throwable {
    long t0 = CPU.getCurrentThreadCpuTime();
    int valid = 0;
    for (int pass = 0; pass < PASSES; pass++) {
      for (byte[] b : lines) {
        if ((boolean) parse.invokeExact(b, 0, b.length)) {
          valid++;
        }
      }
    }
    if (valid == 0) {
      throw new AssertionError("no line parsed");
    }
    return (CPU.getCurrentThreadCpuTime() - t0) / (double) (PASSES * lines.size());
  }

  /** {@code parse(byte[], int, int)} bound to a fresh EventParser of the classes in {@code dir}. */
  private static MethodHandle parser(Path dir) throws Exception {
    ClassLoader loader = new ChildFirst(new URL[]{dir.toUri().toURL()}, EventParserBench.class.getClassLoader());
    Class<?> c = loader.loadClass("wikirecent.engine.EventParser");
    Object p = c.getDeclaredConstructor().newInstance();
    return MethodHandles.publicLookup().findVirtual(c, "parse", MethodType.methodType(boolean.class, byte[].class, int.class, int.class))
      .bindTo(p);
  }

  /** Loads the project's own classes from its URLs, everything else (Jackson...) from the parent. */
  private static final class ChildFirst extends URLClassLoader {
    ChildFirst(URL[] urls, ClassLoader parent) {
      super(urls, parent);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (!name.startsWith("wikirecent.")) {
        return super.loadClass(name, resolve);
      }
      synchronized (getClassLoadingLock(name)) {
        Class<?> c = findLoadedClass(name);
        return c != null ? c : findClass(name);
      }
    }
  }
}
