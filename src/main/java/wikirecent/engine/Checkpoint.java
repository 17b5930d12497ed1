package wikirecent.engine;

import wikirecent.records.RecordScanner;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The engine's checkpoint: the views' state and the file offset it reflects, so a restart reads
 * only what came after. Binary and versioned:
 * <pre>
 * magic "WRCK" | version int | lastTimestamp long | offset long | total long | skipped long
 * | head (int length + bytes: the file's first bytes) | tail (int length + bytes: the bytes just before offset)
 * | shaped state ({@link ShapedCore#write}: its user dictionary, groups and last 24 h of events)
 * | user_edits: the count of each user of the shaped state's dictionary, in id order (NULL's first, may be 0), long each
 * | CRC32C of everything before, int
 * </pre>
 * Both states see every event, so they name the same users: user_edits refers to the shaped state's names, which
 * keeps the checkpoint smaller and each name one String in memory after a restart. Version 1 had no shaped state;
 * the windows cannot be rebuilt without the file, so such a checkpoint is refused and the file re-read.
 * Written to a temp file, fsynced, renamed over the old one, directory fsynced. On load it is
 * ignored, with the reason, when it is missing, not ours, of another version, damaged, or does not
 * fit the file (shorter than the offset, other first bytes or bytes before the offset, offset not
 * at a record boundary): the file is the truth and gets re-read.
 */
final class Checkpoint {

  static final int MAGIC = 0x5752434B; // "WRCK"
  static final int VERSION = 2;
  /** How many bytes of the file's start, and before the offset, a checkpoint keeps as its fingerprint. */
  static final int FINGERPRINT_BYTES = 256;

  /** Why a checkpoint was not used. */
  static final class Rejected extends Exception {
    /** The checkpoint's last timestamp when its contents were intact, else -1: timestamps stay increasing. */
    final long lastTimestamp;

    Rejected(String reason, long lastTimestamp) {
      super(reason, null, false, false);
      this.lastTimestamp = lastTimestamp;
    }
  }

  /** What a checkpoint holds. */
  record Data(long lastTimestamp, long offset, byte[] head, byte[] tail, ViewState state, ShapedCore core) {
  }

  private Checkpoint() {
  }

  static void write(Path path, Data d) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve(path.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
      StandardOpenOption.TRUNCATE_EXISTING)) {
      CRC32C crc = new CRC32C();
      OutputStream raw = Channels.newOutputStream(ch);
      DataOutputStream out = new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(raw, 1 << 16), crc));
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeLong(d.lastTimestamp());
      out.writeLong(d.offset());
      out.writeLong(d.state().total());
      out.writeLong(d.state().skipped());
      writeBytes(out, d.head());
      writeBytes(out, d.tail());
      writeStates(out, d.state(), d.core());
      out.flush();
      ByteBuffer sum = ByteBuffer.allocate(4).putInt((int) crc.getValue()).flip();
      while (sum.hasRemaining()) {
        ch.write(sum);
      }
      ch.force(true);
    }
    Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel d2 = FileChannel.open(dir, StandardOpenOption.READ)) {
      d2.force(true); // make the rename itself durable
    } catch (IOException e) {
      // some file systems cannot sync a directory; the rename is still atomic
    }
  }

  private static void writeStates(DataOutputStream out, ViewState state, ShapedCore core) throws IOException {
    if (core.events() != state.total() || core.users() - (state.nullCount() > 0 ? 0 : 1) != state.groups()) {
      throw new IOException("the views (" + state.total() + " events, " + state.groups() + " users) and the shaped state ("
        + core.events() + " events, " + core.users() + " users) disagree; not checkpointing");
    }
    core.write(out);
    for (int id = 0; id < core.users(); id++) {
      out.writeLong(state.count(core.userName(id)));
    }
  }

  private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
    out.writeInt(b.length);
    out.write(b);
  }

  /** Reads a checkpoint, checking only the checkpoint itself. */
  static Data read(Path path) throws Rejected, IOException {
    InputStream file;
    try {
      file = Files.newInputStream(path);
    } catch (NoSuchFileException e) {
      throw new Rejected("no checkpoint at " + path, -1);
    }
    CRC32C crc = new CRC32C();
    try (DataInputStream in = new DataInputStream(new CheckedInputStream(new BufferedInputStream(file, 1 << 16), crc))) {
      int magic;
      int version;
      try {
        magic = in.readInt();
        version = in.readInt();
      } catch (EOFException e) {
        throw new Rejected("checkpoint " + path + " is too short to be one", -1);
      }
      if (magic != MAGIC) {
        throw new Rejected(path + " is not an engine checkpoint (bad magic)", -1);
      }
      if (version == 1) {
        throw new Rejected("checkpoint " + path + " has format version 1, written before shaped views: it holds no event times, and"
          + " the windows can only be rebuilt by reading the file", -1);
      }
      if (version != VERSION) {
        throw new Rejected("checkpoint " + path + " has format version " + version + ", this build reads " + VERSION, -1);
      }
      try {
        long lastTs = in.readLong();
        long offset = in.readLong();
        long total = in.readLong();
        long skipped = in.readLong();
        byte[] head = readBytes(in, FINGERPRINT_BYTES);
        byte[] tail = readBytes(in, FINGERPRINT_BYTES);
        if (offset < 0 || total < 0 || skipped < 0 || lastTs < 0) {
          throw new Rejected("checkpoint " + path + " is corrupt (negative field)", -1);
        }
        ShapedCore core;
        try {
          core = ShapedCore.read(in);
        } catch (EOFException e) {
          throw e;
        } catch (IOException e) {
          throw new Rejected("checkpoint " + path + " is corrupt (" + e.getMessage() + ")", -1);
        }
        // In id order, the order the names first came: no probe runs in a table sized for them all.
        ViewState state = ViewState.restored(skipped, core.users());
        int groups = 0;
        for (int id = 0; id < core.users(); id++) {
          long count = in.readLong();
          if (count < 0 || (count == 0 && id != 0)) {
            throw new Rejected("checkpoint " + path + " is corrupt (count " + count + ")", -1);
          }
          if (count > 0) {
            state.restoreGroup(core.userName(id), count);
            groups++;
          }
        }
        int expected = (int) crc.getValue();
        int stored = in.readInt();
        if (stored != expected) {
          throw new Rejected("checkpoint " + path + " is corrupt (checksum mismatch)", -1);
        }
        if (in.read() != -1) {
          throw new Rejected("checkpoint " + path + " is corrupt (bytes after the checksum)", -1);
        }
        if (state.total() != total || state.groups() != groups || core.events() != total) {
          throw new Rejected("checkpoint " + path + " is inconsistent (totals do not add up)", lastTs);
        }
        return new Data(lastTs, offset, head, tail, state, core);
      } catch (EOFException e) {
        throw new Rejected("checkpoint " + path + " is truncated", -1);
      }
    }
  }

  private static byte[] readBytes(DataInputStream in, int max) throws IOException, Rejected {
    return readBytes(in, in.readInt(), max);
  }

  private static byte[] readBytes(DataInputStream in, int len, int max) throws IOException, Rejected {
    if (len < 0 || len > max) {
      throw new Rejected("checkpoint is corrupt (length " + len + ")", -1);
    }
    // Read in steps so a corrupt huge length hits EOF instead of allocating it all.
    byte[] b = new byte[Math.min(len, 1 << 16)];
    int n = 0;
    while (n < len) {
      if (n == b.length) {
        b = Arrays.copyOf(b, (int) Math.min(len, 2L * b.length));
      }
      int r = in.read(b, n, b.length - n);
      if (r < 0) {
        throw new EOFException();
      }
      n += r;
    }
    return b;
  }

  /** Checks that the checkpoint describes a prefix of this file. */
  static void verify(Data d, FileChannel file, Path path) throws Rejected, IOException {
    long size = file.size();
    long ts = d.lastTimestamp();
    if (d.offset() > size) {
      throw new Rejected("checkpoint is at offset " + d.offset() + " but " + path + " has only " + size
        + " bytes (truncated or replaced)", ts);
    }
    int headLen = (int) Math.min(FINGERPRINT_BYTES, d.offset());
    int tailLen = (int) Math.min(FINGERPRINT_BYTES, d.offset());
    if (d.head().length != headLen || d.tail().length != tailLen) {
      throw new Rejected("checkpoint fingerprint has the wrong length", ts);
    }
    if (!Arrays.equals(readAt(file, 0, headLen), d.head())) {
      throw new Rejected(path + " starts with other bytes than the checkpointed file (replaced)", ts);
    }
    if (!Arrays.equals(readAt(file, d.offset() - tailLen, tailLen), d.tail())) {
      throw new Rejected(path + " holds other bytes before offset " + d.offset() + " than the checkpointed file (rewritten)", ts);
    }
    if (!RecordScanner.endsAtBoundary(d.tail(), 0, tailLen, d.offset() == tailLen)) {
      throw new Rejected("checkpoint offset " + d.offset() + " is not at a record boundary", ts);
    }
    if (d.offset() == 0 && (d.state().total() != 0 || d.state().skipped() != 0)) {
      throw new Rejected("checkpoint holds events at offset 0", ts);
    }
  }

  static byte[] readAt(FileChannel file, long position, int len) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(len);
    while (buf.hasRemaining()) {
      int r = file.read(buf, position + buf.position());
      if (r < 0) {
        break;
      }
    }
    return Arrays.copyOf(buf.array(), buf.position());
  }
}
