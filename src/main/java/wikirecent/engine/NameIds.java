package wikirecent.engine;

import java.util.Arrays;

/**
 * A dictionary of names (users, wikis) to dense ids, append-only: ids are never reused, so a stored id
 * keeps its name. NULL is id {@value #NULL}. Open addressing over an int table: a name costs its
 * String plus 4 bytes of id array and at most 8 of table.
 */
final class NameIds {

  static final int NULL = 0;
  private static final int GOLDEN = 0x9E3779B9;

  private String[] names = new String[16];
  private int count = 1; // id 0, NULL, is there from the start
  private int[] table; // id + 1, 0 = empty
  private int shift;

  NameIds() {
    allocate(4);
  }

  private void allocate(int bits) {
    table = new int[1 << bits];
    shift = 32 - bits;
  }

  /** The name's id, added if new. */
  int id(String name) {
    if (name == null) {
      return NULL;
    }
    int h = name.hashCode();
    int mask = table.length - 1;
    int i = (h * GOLDEN) >>> shift;
    for (int t; (t = table[i]) != 0; i = (i + 1) & mask) {
      String n = names[t - 1];
      if (n.hashCode() == h && n.equals(name)) {
        return t - 1;
      }
    }
    if (count == names.length) {
      names = Arrays.copyOf(names, count * 2);
    }
    names[count] = name;
    table[i] = ++count;
    if (count > table.length / 2) {
      grow();
    }
    return count - 1;
  }

  /** The name's id, or -1 if it has none. */
  int find(String name) {
    if (name == null) {
      return NULL;
    }
    int h = name.hashCode();
    int mask = table.length - 1;
    for (int i = (h * GOLDEN) >>> shift, t; (t = table[i]) != 0; i = (i + 1) & mask) {
      String n = names[t - 1];
      if (n.hashCode() == h && n.equals(name)) {
        return t - 1;
      }
    }
    return -1;
  }

  /** The name of {@code id} (null for {@link #NULL}). */
  String name(int id) {
    return names[id];
  }

  /** Ids in use, NULL's included: the next new name gets this id. */
  int size() {
    return count;
  }

  private void grow() {
    allocate(32 - shift + 1);
    int mask = table.length - 1;
    for (int id = 1; id < count; id++) {
      int i = (names[id].hashCode() * GOLDEN) >>> shift;
      while (table[i] != 0) {
        i = (i + 1) & mask;
      }
      table[i] = id + 1;
    }
  }
}
