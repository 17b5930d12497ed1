package wikirecent.tail;

/** TAIL output that cannot be right (timestamps going back, unexpected columns, ...): the session is started over. */
final class TailProtocolException extends RuntimeException {

  TailProtocolException(String message) {
    super(message, null, false, false);
  }
}
