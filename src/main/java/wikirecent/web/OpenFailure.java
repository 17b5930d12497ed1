package wikirecent.web;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * Why a view instance could not be served: an HTTP status and a message fit for the client. 400 bad
 * parameters, 429 too many live instances (at the source, or replicas on this node), 501 not available with
 * this source, 503 not yet (the source is catching up, or none answers): try again.
 */
final class OpenFailure extends RuntimeException {

  final int code;

  OpenFailure(int code, String message) {
    super(message, null, false, false); // a client's answer: no stack trace to fill in
    this.code = code;
  }

  /** A refusal the source means (400, 429, 501): the replica ends. Anything else is worth retrying. */
  boolean endsReplica() {
    return code == 400 || code == 429 || code == 501;
  }

  /** What a failed snapshot request means, as a status a client is told. */
  static OpenFailure of(Throwable cause, String address) {
    if (cause instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        int code = re.failureCode();
        String message = re.getMessage() == null ? "refused" : re.getMessage();
        return new OpenFailure(code == 400 || code == 429 || code == 501 ? code : 503, message);
      }
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return new OpenFailure(503, "no view source answers " + address + " yet");
      }
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return new OpenFailure(503, "the view source did not answer " + address + " in time");
      }
    }
    return new OpenFailure(503, String.valueOf(cause.getMessage()));
  }
}
