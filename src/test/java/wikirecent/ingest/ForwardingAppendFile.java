package wikirecent.ingest;

import java.io.IOException;
import java.nio.ByteBuffer;

/** The real file behind the seam; a test's fault overrides only the calls it disturbs. */
abstract class ForwardingAppendFile implements AppendFile {

  protected AppendFile real;

  ForwardingAppendFile(AppendFile real) {
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
