package wikirecent.bench;

import java.io.IOException;
import java.util.Arrays;

/** {@code java -jar wikirecent.jar bench <name> [options]}: the benchmarks. They print numbers; they assert nothing. */
public final class Bench {

  private Bench() {
  }

  public static void main(String[] args) {
    String name = args.length > 0 ? args[0] : "";
    String[] rest = args.length > 0 ? Arrays.copyOfRange(args, 1, args.length) : args;
    try {
      switch (name) {
        case "engine" -> EngineBench.main(rest);
        default -> {
          System.err.println("usage: java -jar wikirecent.jar bench engine [options]   (bench engine --help for the options)");
          System.exit(2);
        }
      }
    } catch (IOException e) {
      System.err.println("bench " + name + " failed: " + e);
      System.exit(1);
    }
  }
}
