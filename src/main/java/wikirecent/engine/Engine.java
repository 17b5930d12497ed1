package wikirecent.engine;

import wikirecent.records.FileKeys;
import wikirecent.records.RecordScanner;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.bus.ViewParams;
import wikirecent.bus.Views;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Follows the {@code recentchanges} file and keeps a {@link ViewState} (the default {@code counter},
 * {@code user_edits} and {@code top10}) and a {@link ShapedCore} (every other parameter set) of the prefix
 * read so far. Each data line is parsed once and fed to both. Blocking and single-threaded, with no Vert.x
 * in it: {@link EngineVerticle} calls it from its worker context; tests and the benchmark call it directly.
 * <p>
 * Each {@link #step} reads at most {@code batchMaxBytes} past the offset, applies the complete
 * records among them and, when publishing, closes one batch of both at a fresh timestamp. The default sets
 * of the views ViewState does not hold ({@code top_wikis}, {@code edits_per_minute}, {@code wiki_edits}) are
 * live in the core from {@link #goLive} on; others only while {@link #open}. Timestamps are
 * {@code max(now, last + 1)}: strictly increasing, across restarts too (the checkpoint keeps the
 * last one). A file that shrinks below the offset, is replaced (other file key) or rewritten
 * (other bytes just before the offset) resets the state to a full re-read, and so does a step that fails
 * once it may have applied records ({@link StepFailed}).
 */
public final class Engine implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  /** What one step did. {@code reset} is why the state was thrown away (null if it was not). */
  public record Step(long bytesConsumed, boolean more, String reset, List<JsonObject> messages) {
  }

  /**
   * A step failed after it may have applied some of its records. The state was thrown away as on a file
   * reset (offset 0): the next steps read the file again, and whatever was published of the old state must
   * be replaced by reset snapshots ({@link #goLive}).
   */
  public static final class StepFailed extends RuntimeException {
    StepFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Whether the checkpoint was used, whether one was there but had to be ignored, and a sentence saying what happened. */
  public record Restore(boolean used, boolean rejected, String message) {
  }

  private final Path file;
  private final Path checkpointFile;
  private final int batchMaxBytes;
  private final LongSupplier clock;
  private final RecordScanner scanner = new RecordScanner();

  private FileChannel channel;
  private Object fileKey;
  private ViewState state = new ViewState();
  private ShapedCore core = new ShapedCore();
  private long offset;
  private byte[] tail = new byte[0];
  private long lastTimestamp;
  private byte[] buf;

  private long bytesRead;
  private long resets;
  private long failedSteps;
  private long checkpointWrites;
  private long checkpointedOffset = -1;
  private long checkpointedTimestamp = -1;
  private long fileSize;
  /** The open file's size from this step's stat of the path, or -1: spares an fstat per step. */
  private long statSize;

  /**
   * Run before each read of the file, before each data line is applied, before each reset snapshot {@link #goLive}
   * makes and each default set's snapshot {@link #open} makes, and after {@link #open} built and registered a new
   * instance: let tests make those fail.
   */
  Runnable beforeRead = () -> {
  };
  Runnable beforeApply = () -> {
  };
  Runnable beforeSnapshot = () -> {
  };
  Runnable afterOpen = () -> {
  };
  /** The most a step reads looking for a record's end: an array's bound (tests set it lower). */
  int longestRead = Integer.MAX_VALUE - 16;
  // Where a step found no record end within longestRead, and said so: the same error, with no read of 2 GiB again at
  // every append, until the file is cut (shorter than it was then: put right, maybe), reset, or a minute has passed
  // (a file copied over in place keeps its key and may keep its size).
  private long noRecordEndAt = -1;
  private long noRecordEndSize;
  private long noRecordEndUntil;
  private String noRecordEnd;
  private static final long NO_RECORD_END_RECHECK_MILLIS = 60_000;

  private final RecordScanner.DataSink sink = (b, off, len) -> {
    beforeApply.run();
    if (state.applyLine(b, off, len)) {
      core.apply(state.parser()); // the same parse, the same String objects
    }
  };

  public Engine(Path file, Path checkpointFile, int batchMaxBytes, LongSupplier clock) {
    if (batchMaxBytes < 1024) {
      throw new IllegalArgumentException("batchMaxBytes must be at least 1024, not " + batchMaxBytes);
    }
    this.file = file;
    this.checkpointFile = checkpointFile;
    this.batchMaxBytes = batchMaxBytes;
    this.clock = clock;
    this.buf = new byte[Checkpoint.FINGERPRINT_BYTES + batchMaxBytes];
  }

  /** Loads the checkpoint if there is one that fits the file; otherwise the whole file will be read. */
  public Restore restore() {
    if (checkpointFile == null) {
      return new Restore(false, false, "no checkpoint file configured: reading " + file + " from the start");
    }
    try {
      Checkpoint.Data d = Checkpoint.read(checkpointFile);
      lastTimestamp = Math.max(lastTimestamp, d.lastTimestamp());
      if (!openIfPresent()) {
        throw new Checkpoint.Rejected(file + " does not exist", d.lastTimestamp());
      }
      Checkpoint.verify(d, channel, file);
      state = d.state();
      core = d.core();
      offset = d.offset();
      tail = d.tail();
      checkpointedOffset = offset;
      checkpointedTimestamp = lastTimestamp;
      return new Restore(true, false, String.format("loaded checkpoint %s: offset %,d, %,d events, %,d users, %,d events in the"
        + " last 24 h of event time; reading only what came after", checkpointFile, offset, state.total(), state.groups(), core.windowEvents()));
    } catch (Checkpoint.Rejected r) {
      lastTimestamp = Math.max(lastTimestamp, r.lastTimestamp);
      return new Restore(false, Files.exists(checkpointFile),
        "checkpoint not used: " + r.getMessage() + "; reading " + file + " from the start");
    } catch (IOException | RuntimeException e) {
      return new Restore(false, true, "checkpoint not used: reading " + checkpointFile + " failed (" + e
        + "); reading " + file + " from the start");
    }
  }

  /**
   * Reads what came after the offset (at most {@code batchMaxBytes}) and applies its complete
   * records. When {@code publish} is set, returns the batch's messages (none if nothing changed).
   *
   * @throws StepFailed if applying failed part-way; the state was reset (a failure before that, e.g. an
   *   IOException of the read, leaves the state and offset as they were)
   */
  public Step step(boolean publish) throws IOException {
    // Making them after a failed step can itself fail (memory): then they are made now.
    if (state == null) {
      state = new ViewState();
    }
    if (core == null) {
      core = new ShapedCore();
    }
    statSize = -1;
    String reset = checkFile();
    if (channel == null) {
      return new Step(0, false, reset, List.of());
    }
    long size = statSize >= 0 ? statSize : channel.size();
    fileSize = size;
    if (size < offset) {
      reset = resetState(file + " shrank to " + size + " bytes, below offset " + offset + " (truncated)");
    }
    if (reset != null) {
      publish = false; // subscribers hold the old state: only a reset snapshot may follow
    }
    long available = size - offset;
    if (available == 0) {
      return new Step(0, false, reset, List.of());
    }
    if (offset == noRecordEndAt && size >= noRecordEndSize && clock.getAsLong() < noRecordEndUntil) {
      throw new IOException(noRecordEnd);
    }
    if (publish && !state.tracking()) {
      state.startTracking();
    }
    int k = tail.length;
    int want = (int) Math.min(available, batchMaxBytes);
    int consumed;
    boolean applying = false;
    try {
      while (true) {
        if (buf.length < k + want) {
          buf = new byte[k + want];
        }
        int n = read(offset - k, k + want);
        bytesRead += n;
        if (n < k || !Arrays.equals(buf, 0, k, tail, 0, k)) {
          reset = resetState(file + " holds other bytes before offset " + offset + " than were read (rewritten)");
          return new Step(0, true, reset, List.of());
        }
        applying = true; // from here on the state may hold part of this step
        consumed = scanner.scan(buf, k, n, sink) - k;
        if (consumed == 0 && n == k + want && want < available) {
          if (k + want >= longestRead) {
            // No record of ingest's is that long. Growing on would read the same 2 GiB at every step, for good: a clear
            // error instead, the views kept as they are, until the file is put right.
            buf = new byte[Checkpoint.FINGERPRINT_BYTES + batchMaxBytes];
            noRecordEndAt = offset;
            noRecordEndSize = size;
            noRecordEndUntil = clock.getAsLong() + NO_RECORD_END_RECHECK_MILLIS;
            noRecordEnd = "no record ends in the " + (k + want) + " bytes after offset " + offset + " of " + file
              + ": it is damaged there, or not a recentchanges file";
            throw new IOException(noRecordEnd);
          }
          want = (int) Math.min(available, Math.min((long) longestRead - k, 2L * want)); // one record longer than a step
          applying = false; // no whole record yet, so none applied
          continue;
        }
        break;
      }
      offset += consumed;
      int tailLen = (int) Math.min(Checkpoint.FINGERPRINT_BYTES, offset);
      tail = Arrays.copyOfRange(buf, k + consumed - tailLen, k + consumed);
      List<JsonObject> messages = publish && (state.changed() || core.pending()) ? closeBatch(nextTimestamp()) : List.of();
      return new Step(consumed, want < available, reset, messages);
    } catch (RuntimeException | Error e) {
      // Errors too: whatever threw (an OutOfMemoryError may come of another part's memory), the state it
      // interrupted must go, or the next step (Vert.x logs an Error and runs the next task) applies its
      // records again. Rebuilding under the same pressure may fail again: the verticle paces the retries.
      if (!applying) {
        throw e;
      }
      long at = offset;
      failedSteps++;
      try {
        startOver();
      } catch (Error again) { // the fresh state could not be made: the next step makes it
        e.addSuppressed(again);
      }
      throw new StepFailed("applying the records after offset " + at + " of " + file + " failed (" + e
        + "): the views start over from the beginning of the file", e);
    }
  }

  private List<JsonObject> closeBatch(long timestamp) {
    List<JsonObject> out = state.closeBatch(timestamp);
    if (core.pending()) {
      List<JsonObject> shaped = core.closeBatch(timestamp);
      if (!shaped.isEmpty()) {
        out = new ArrayList<>(out);
        out.addAll(shaped);
      }
    }
    return out;
  }

  private int read(long position, int len) throws IOException {
    beforeRead.run();
    ByteBuffer bb = ByteBuffer.wrap(buf, 0, len);
    while (bb.hasRemaining()) {
      if (channel.read(bb, position + bb.position()) < 0) {
        break;
      }
    }
    return bb.position();
  }

  // Opens the file when it appears; resets when it vanished or another file took its name.
  private String checkFile() throws IOException {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      attrs = null;
    }
    if (attrs == null) {
      closeChannel();
      fileSize = 0;
      if (offset > 0 || state.total() > 0 || state.skipped() > 0) {
        return resetState(file + " is gone");
      }
      return null;
    }
    if (channel != null && !Objects.equals(attrs.fileKey(), fileKey)) {
      closeChannel();
      openIfPresent();
      return resetState(file + " was replaced by another file");
    }
    if (channel == null) {
      openIfPresent();
    } else {
      statSize = attrs.size(); // the same file as the channel's (same key)
    }
    return null;
  }

  private boolean openIfPresent() throws IOException {
    if (channel != null) {
      return true;
    }
    try {
      FileKeys.Opened<FileChannel> opened = FileKeys.open(file, () -> FileChannel.open(file, StandardOpenOption.READ));
      channel = opened.opened();
      fileKey = opened.key();
      return true;
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  private String resetState(String reason) {
    log.warn("{}: the views start over from the beginning of the file", reason);
    resets++;
    startOver();
    return reason;
  }

  private void startOver() {
    offset = 0;
    noRecordEndAt = -1;
    tail = new byte[0];
    state = null; // unreachable before the new ones are made: after an OutOfMemoryError they need its room
    core = null;
    state = new ViewState();
    core = new ShapedCore(); // every instance goes with it
  }

  /**
   * Starts publishing: batch bookkeeping on, the default set of every view live, and a reset snapshot of
   * each at a fresh timestamp (ViewState's three first). If it throws (memory), the state is as it was and
   * it may be called again.
   */
  public List<JsonObject> goLive() {
    state.startTracking();
    long ts = nextTimestamp();
    if (core.pending()) {
      core.closeBatch(ts); // sets live before (a checkpoint's, a failed goLive's) changed while catching up: their snapshots say it
    }
    List<JsonObject> out = new ArrayList<>(ViewParams.View.values().length);
    for (Views v : Views.values()) {
      beforeSnapshot.run();
      out.add(state.snapshot(v, ts));
    }
    for (ViewParams.View v : ViewParams.View.values()) {
      if (Views.byName(v.viewName()).isEmpty()) {
        beforeSnapshot.run();
        out.add(core.open(ViewParams.of(v), ts));
      }
    }
    return out;
  }

  /** The view's current rows as a snapshot at the last timestamp. */
  public JsonObject snapshot(Views view) {
    return state.snapshot(view, lastTimestamp);
  }

  /**
   * The parameter set's snapshot at the last timestamp, opening it first if it is not live (a 24 h instance
   * takes tens of ms to build). Only between steps, once live ({@link #goLive}): a live set's rows are those
   * its last batch left, so the next batch applies to the snapshot.
   */
  public JsonObject open(ViewParams params) {
    if (!state.tracking()) {
      throw new IllegalStateException("open needs goLive first");
    }
    Views base = params.isDefault() ? Views.byName(params.view().viewName()).orElse(null) : null;
    if (base != null) {
      beforeSnapshot.run();
      return state.snapshot(base, lastTimestamp);
    }
    boolean fresh = !core.isOpen(params);
    try {
      JsonObject snapshot = core.open(params, lastTimestamp);
      if (fresh) {
        afterOpen.run();
      }
      return snapshot;
    } catch (RuntimeException | Error e) {
      if (fresh) {
        core.close(params); // built and registered, then its snapshot failed (memory): no instance no one asked for stays
      }
      throw e;
    }
  }

  /** True if the set's batches are being published: the default sets once live, others while open. */
  public boolean isOpen(ViewParams params) {
    return state.tracking() && (params.isDefault() || core.isOpen(params));
  }

  /** Drops a parameterised instance; false if it was not open. The default sets stay. */
  public boolean close(ViewParams params) {
    return !params.isDefault() && core.close(params);
  }

  private long nextTimestamp() {
    lastTimestamp = Math.max(clock.getAsLong(), lastTimestamp + 1);
    return lastTimestamp;
  }

  /** True if the state or the timestamp moved since the last checkpoint. */
  public boolean checkpointDue() {
    return checkpointFile != null && (offset != checkpointedOffset || lastTimestamp != checkpointedTimestamp);
  }

  /** Writes the checkpoint (atomically). */
  public void writeCheckpoint() throws IOException {
    if (checkpointFile == null) {
      return;
    }
    byte[] head = channel == null ? new byte[0] : Checkpoint.readAt(channel, 0, (int) Math.min(Checkpoint.FINGERPRINT_BYTES, offset));
    if (head.length != Math.min(Checkpoint.FINGERPRINT_BYTES, offset)) {
      throw new IOException(file + " is shorter than the offset " + offset + "; not checkpointing");
    }
    Checkpoint.write(checkpointFile, new Checkpoint.Data(lastTimestamp, offset, head, tail, state, core));
    checkpointedOffset = offset;
    checkpointedTimestamp = lastTimestamp;
    checkpointWrites++;
  }

  /** The default views' state; null only after a failed step that could not make a fresh one, until the next step. */
  public ViewState state() {
    return state;
  }

  /** The shaped views' state (replaced, with every instance, when the file is reset); null as {@link #state} can be. */
  public ShapedCore core() {
    return core;
  }

  public Path file() {
    return file;
  }

  /** Bytes of the file the views reflect (always a record boundary). */
  public long offset() {
    return offset;
  }

  /** True while the file is open (it existed at the last step). */
  public boolean fileOpen() {
    return channel != null;
  }

  /** The file's size when last looked at. */
  public long fileSize() {
    return fileSize;
  }

  public long lastTimestamp() {
    return lastTimestamp;
  }

  public long bytesRead() {
    return bytesRead;
  }

  /** Times the file shrank, vanished, was replaced or rewritten, and the state started over. */
  public long resets() {
    return resets;
  }

  /** Steps that failed part-way ({@link StepFailed}), after which the state started over too. */
  public long failedSteps() {
    return failedSteps;
  }

  public long checkpointWrites() {
    return checkpointWrites;
  }

  private void closeChannel() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        log.debug("closing {}: {}", file, e.toString());
      }
      channel = null;
      fileKey = null;
    }
  }

  @Override
  public void close() {
    closeChannel();
  }
}
