package wikirecent.replay;

/** Placeholder until the replay server lands. */
public final class ReplayServer {
  public static void main(String[] args) {
    throw new UnsupportedOperationException("replay is not built yet");
  }
}
