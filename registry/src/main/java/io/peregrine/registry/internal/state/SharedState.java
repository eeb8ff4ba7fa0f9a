package io.peregrine.registry.internal.state;

import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@link RegistryState} behind a read-write lock. The store's reader thread is the only writer
 * ({@link #update}); HTTP handlers and the store's writer read consistent snapshots with
 * {@link #read}. Critical sections are in-memory and short, so readers on the event loop never wait
 * on Kafka.
 */
public final class SharedState {

  private final RegistryState state = new RegistryState();
  private final ReadWriteLock lock = new ReentrantReadWriteLock();

  public <T> T read(Function<RegistryState, T> query) {
    lock.readLock().lock();
    try {
      return query.apply(state);
    } finally {
      lock.readLock().unlock();
    }
  }

  public void update(Consumer<RegistryState> mutation) {
    lock.writeLock().lock();
    try {
      mutation.accept(state);
    } finally {
      lock.writeLock().unlock();
    }
  }
}
