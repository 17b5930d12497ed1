package wikirecent.records;

import java.io.IOException;
import java.nio.ByteBuffer;

/** The real file behind the seam; a test's fault overrides only the calls it disturbs. */
public abstract class ForwardingAppendFile implements AppendFile {

  protected AppendFile real;

  protected ForwardingAppendFile(AppendFile real) {
    this.real = real;
  }

  @Override
  public long size() throws IOException {
    return real.size();
  }

  @Override
  public void append(ByteBuffer record) throws IOException {
    real.append(record);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return real.read(dst, position);
  }

  @Override
  public Object fileKey() {
    return real.fileKey();
  }

  @Override
  public void truncate(long size) throws IOException {
    real.truncate(size);
  }

  @Override
  public void force() throws IOException {
    real.force();
  }

  @Override
  public void close() throws IOException {
    real.close();
  }
}
