package io.peregrine.agent.collect;

import io.peregrine.schema.CloudMetadata;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cloud placement fetched on a background thread and cached: asked once at start, then again
 * every {@code refresh} after an answer (an instance does not move, but spot status and
 * detection may change) or every {@code retry} while nothing answered. The scan thread only reads
 * the cached value, so a metadata service that is slow or absent never delays a sample.
 */
public final class CachedCloudMetadata implements CloudMetadataSource, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CachedCloudMetadata.class);

  /** Something that fetches the placement, blocking. */
  @FunctionalInterface
  public interface Fetcher {
    Optional<CloudMetadata> fetch() throws InterruptedException;
  }

  /** How long {@link #close} waits for a fetch in progress to give up. */
  static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  private final Fetcher fetcher;
  private final Duration refresh;
  private final Duration retry;
  private final ScheduledExecutorService executor;
  private volatile CloudMetadata current;
  private volatile boolean reported;

  private CachedCloudMetadata(Fetcher fetcher, Duration refresh, Duration retry) {
    this.fetcher = fetcher;
    this.refresh = refresh;
    this.retry = retry;
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "agent-cloud-metadata");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts fetching at once in the background. */
  public static CachedCloudMetadata start(Fetcher fetcher, Duration refresh, Duration retry) {
    CachedCloudMetadata cache = new CachedCloudMetadata(fetcher, refresh, retry);
    cache.executor.execute(cache::refreshNow);
    return cache;
  }

  @Override
  public CloudMetadata current() {
    return current;
  }

  private void refreshNow() {
    Duration next = retry;
    try {
      Optional<CloudMetadata> m = fetcher.fetch();
      if (m.isPresent()) {
        if (current == null || !current.equals(m.get())) {
          log.info("cloud placement: {} {} {} {} {}", m.get().getProvider(), m.get().getRegion(),
              m.get().getAvailabilityZone(), m.get().getInstanceType(), m.get().getLifecycle());
        }
        current = m.get();
        next = refresh;
      } else if (!reported) {
        reported = true;
        log.info("no cloud instance metadata service answered; cloud placement stays empty (retrying every {})",
            retry);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (RuntimeException e) {
      log.warn("cloud metadata lookup failed: {}", e.toString());
    }
    try {
      executor.schedule(this::refreshNow, next.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  /**
   * Stops the fetch thread: interrupts a fetch in progress (the JDK HTTP client abandons the
   * request) and waits for the thread to end, at most {@link #CLOSE_WAIT}.
   */
  @Override
  public void close() {
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("cloud metadata fetch did not stop within {}; its daemon thread is left behind", CLOSE_WAIT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
