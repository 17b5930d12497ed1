package wikirecent.records;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The real file, behind a quota the test can move: an append that would pass it writes what fits (as a full
 * disk does, leaving a partial record on disk) and then fails with ENOSPC's message.
 */
public final class QuotaFile extends ForwardingAppendFile {

  /** Shared by every file the opener opens, so a test can lift it while ingest runs. */
  public static final class Quota {
    public final AtomicLong bytes = new AtomicLong(Long.MAX_VALUE);
    public final AtomicInteger failures = new AtomicInteger();
    public final AtomicInteger forces = new AtomicInteger();

    public AppendFile.Opener opener() {
      return path -> new QuotaFile(ChannelAppendFile.open(path), this);
    }
  }

  private final Quota quota;

  QuotaFile(AppendFile real, Quota quota) {
    super(real);
    this.quota = quota;
  }

  static QuotaFile open(Path path, Quota quota) throws IOException {
    return new QuotaFile(ChannelAppendFile.open(path), quota);
  }

  @Override
  public void append(ByteBuffer record) throws IOException {
    long room = quota.bytes.get() - real.size();
    if (record.remaining() > room) {
      if (room > 0) {
        ByteBuffer part = record.duplicate();
        part.limit(part.position() + (int) room);
        real.append(part);
      }
      quota.failures.incrementAndGet();
      throw new IOException("No space left on device");
    }
    real.append(record);
  }

  @Override
  public void force() throws IOException {
    quota.forces.incrementAndGet();
    real.force();
  }
}
