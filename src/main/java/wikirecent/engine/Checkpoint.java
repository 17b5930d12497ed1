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
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
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
 * only what came after. Binary, little and versioned:
 * <pre>
 * magic "WRCK" | version int | lastTimestamp long | offset long | total long | skipped long
 * | head (int length + bytes: the file's first bytes) | tail (int length + bytes: the bytes just before offset)
 * | groups int | groups x (user: int length (-1 = NULL) + UTF-8 bytes, count long)
 * | CRC32C of everything before, int
 * </pre>
 * Written to a temp file, fsynced, renamed over the old one, directory fsynced. On load it is
 * ignored, with the reason, when it is missing, not ours, of another version, damaged, or does not
 * fit the file (shorter than the offset, other first bytes or bytes before the offset, offset not
 * at a record boundary): the file is the truth and gets re-read.
 */
final class Checkpoint {

  static final int MAGIC = 0x5752434B; // "WRCK"
  static final int VERSION = 1;
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
  record Data(long lastTimestamp, long offset, byte[] head, byte[] tail, ViewState state) {
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
      out.writeInt((int) d.state().groups());
      IOException[] failure = new IOException[1];
      d.state().forEachGroup((user, count) -> {
        try {
          if (user == null) {
            out.writeInt(-1);
          } else {
            writeBytes(out, user.getBytes(StandardCharsets.UTF_8));
          }
          out.writeLong(count);
        } catch (IOException e) {
          failure[0] = e;
        }
      });
      if (failure[0] != null) {
        throw failure[0];
      }
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
        int groups = in.readInt();
        if (groups < 0 || offset < 0 || total < 0 || skipped < 0 || lastTs < 0) {
          throw new Rejected("checkpoint " + path + " is corrupt (negative field)", -1);
        }
        // Sized up front (a group takes at least 12 bytes, so a damaged count cannot ask for much).
        ViewState state = ViewState.restored(skipped, (int) Math.min(groups, Files.size(path) / 12));
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int i = 0; i < groups; i++) {
          int len = in.readInt();
          String user = null;
          if (len != -1) {
            user = utf8(decoder, readBytes(in, len, Integer.MAX_VALUE));
          }
          long count = in.readLong();
          if (count <= 0) {
            throw new Rejected("checkpoint " + path + " is corrupt (count " + count + ")", -1);
          }
          state.restoreGroup(user, count);
        }
        int expected = (int) crc.getValue();
        int stored = in.readInt();
        if (stored != expected) {
          throw new Rejected("checkpoint " + path + " is corrupt (checksum mismatch)", -1);
        }
        if (in.read() != -1) {
          throw new Rejected("checkpoint " + path + " is corrupt (bytes after the checksum)", -1);
        }
        if (state.total() != total || state.groups() != groups) {
          throw new Rejected("checkpoint " + path + " is inconsistent (totals do not add up)", lastTs);
        }
        return new Data(lastTs, offset, head, tail, state);
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

  private static String utf8(CharsetDecoder decoder, byte[] b) throws Rejected {
    try {
      return decoder.decode(ByteBuffer.wrap(b)).toString();
    } catch (CharacterCodingException e) {
      throw new Rejected("checkpoint is corrupt (a user is not UTF-8)", -1);
    }
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
