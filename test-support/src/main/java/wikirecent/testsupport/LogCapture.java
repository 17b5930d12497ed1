package wikirecent.testsupport;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * What one logger (and the loggers below it) says during each test, for assertions on log lines. Register it
 * with {@code @RegisterExtension}. The parts log from their own threads while a test reads, so the list is
 * guarded (logback's ListAppender is a bare ArrayList).
 */
public final class LogCapture implements BeforeEachCallback, AfterEachCallback {

  private final Logger logger;
  private final List<ILoggingEvent> events = new ArrayList<>();
  private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) {
      synchronized (events) {
        events.add(event);
      }
    }
  };

  public LogCapture(String loggerName) {
    this.logger = (Logger) LoggerFactory.getLogger(loggerName);
  }

  public LogCapture(Class<?> loggerClass) {
    this(loggerClass.getName());
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    synchronized (events) {
      events.clear();
    }
    appender.start();
    logger.addAppender(appender);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    logger.detachAppender(appender);
    appender.stop();
  }

  /** Every line so far as "LEVEL message", in the order logged. */
  public List<String> lines() {
    synchronized (events) {
      return events.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
    }
  }

  /** Every event so far (with its logger, level and any throwable), in the order logged. */
  public List<ILoggingEvent> events() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  /** The messages logged at exactly this level, in order. */
  public List<String> at(Level level) {
    synchronized (events) {
      return events.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }
  }
}
