package io.peregrine.registry;

import io.peregrine.registry.internal.api.RegistryApi;
import io.peregrine.registry.internal.http.Dispatcher;
import io.peregrine.registry.internal.http.HttpServer;
import io.peregrine.registry.internal.http.RegistryRoutes;
import io.peregrine.registry.internal.schema.CompatibilityLevel;
import io.peregrine.registry.internal.state.SharedState;
import io.peregrine.registry.internal.store.KafkaStore;
import io.peregrine.registry.internal.store.StoreException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Confluent-compatible Schema Registry: the Confluent REST API on Netty, stored in Kafka
 * ({@code _schemas}, Confluent's layout). Several instances may share one topic; they agree
 * because writes are serialized through a Kafka transaction (see {@code KafkaStore}).
 *
 * <pre>{@code
 * try (SchemaRegistryServer server = SchemaRegistryServer.start(config)) {
 *   String url = server.url(); // http://127.0.0.1:8081
 * }
 * }</pre>
 */
public final class SchemaRegistryServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SchemaRegistryServer.class);
  private static final int QUEUE = 1_000;

  private final RegistryConfig config;
  private final KafkaStore store;
  private final ExecutorService writes;
  private final ExecutorService compute;
  private final HttpServer http;
  private final int port;

  private SchemaRegistryServer(RegistryConfig config, KafkaStore store, ExecutorService writes,
      ExecutorService compute, HttpServer http) {
    this.config = config;
    this.store = store;
    this.writes = writes;
    this.compute = compute;
    this.http = http;
    this.port = http.port();
  }

  /**
   * Starts the registry and returns once the schema topic is replayed and the port is bound.
   *
   * @throws RegistryStartupException if Kafka or the topic is unusable or the port cannot be bound
   */
  public static SchemaRegistryServer start(RegistryConfig config) {
    SharedState state = new SharedState();
    KafkaStore store;
    try {
      store = KafkaStore.start(config, state);
    } catch (StoreException e) {
      throw new RegistryStartupException("Schema registry cannot use topic " + config.topic() + " on "
          + String.join(",", config.bootstrapServers()) + ": " + e.getMessage(), e);
    }
    // One writer thread: writes are serialized anyway (KafkaStore's write lock); a single thread
    // keeps them in arrival order. Parsing-heavy reads get their own small pool.
    ExecutorService writes = pool("registry-writer", 1);
    ExecutorService compute = pool("registry-compute", 2);
    try {
      RegistryApi api = new RegistryApi(state, store::write,
          CompatibilityLevel.forName(config.defaultCompatibility()).orElseThrow());
      Dispatcher dispatcher = new Dispatcher(RegistryRoutes.create(api), compute, writes);
      HttpServer http = HttpServer.start(config.host(), config.port(), config.maxRequestBytes(), dispatcher);
      SchemaRegistryServer server = new SchemaRegistryServer(config, store, writes, compute, http);
      log.info("Schema registry listening on {} (topic {} on {})", server.url(), config.topic(),
          String.join(",", config.bootstrapServers()));
      return server;
    } catch (Exception e) {
      writes.shutdownNow();
      compute.shutdownNow();
      store.close();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new RegistryStartupException("Schema registry cannot listen on " + config.host() + ":"
          + config.port() + ": " + e, e);
    }
  }

  private static ExecutorService pool(String name, int threads) {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(QUEUE), r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
    return pool;
  }

  /** The bound port (the actual one when configured with port 0). */
  public int port() {
    return port;
  }

  /** {@code http://host:port}, for clients' {@code schema.registry.url}. */
  public String url() {
    String host = config.host();
    if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + port();
  }

  public RegistryConfig config() {
    return config;
  }

  /** Stops listening, lets in-flight writes finish (bounded by the store timeout), closes Kafka clients. */
  @Override
  public void close() {
    http.close();
    compute.shutdown();
    writes.shutdown();
    try {
      writes.awaitTermination(config.timeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
      compute.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    writes.shutdownNow();
    compute.shutdownNow();
    store.close();
    log.info("Schema registry on port {} stopped", port());
  }
}
