package io.peregrine.registry.internal.api;

import io.peregrine.registry.internal.state.RegistryState;
import io.peregrine.registry.internal.state.SharedState;
import io.peregrine.registry.internal.store.StoreCodec;
import io.peregrine.registry.internal.store.WritePlan;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The store's write path without Kafka: plans against the state, then applies the records through
 * the same codec the reader uses, so tests exercise the real encode/decode round trip.
 */
public final class InMemoryWriter implements RegistryApi.Writer {

  private final SharedState state;
  private final List<WritePlan.Record> log = new ArrayList<>();

  public InMemoryWriter(SharedState state) {
    this.state = state;
  }

  @Override
  public synchronized <T> T write(Function<RegistryState, WritePlan<T>> planner) {
    WritePlan<T> plan = state.read(planner);
    log.addAll(plan.records());
    state.update(s -> {
      for (WritePlan.Record r : plan.records()) {
        StoreCodec.Decoded d = StoreCodec.decode(r.key(), r.value());
        if (!(d instanceof StoreCodec.Decoded.Apply a)) {
          throw new AssertionError("wrote a record the reader cannot apply: " + d);
        }
        a.mutation().accept(s);
      }
    });
    return plan.result();
  }

  public synchronized List<WritePlan.Record> log() {
    return List.copyOf(log);
  }
}
