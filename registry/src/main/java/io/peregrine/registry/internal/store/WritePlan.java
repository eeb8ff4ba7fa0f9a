package io.peregrine.registry.internal.store;

import java.util.List;

/**
 * What one write decided, computed against the caught-up state: the records to append in one
 * transaction (none when the request is already satisfied, e.g. an idempotent re-register) and the
 * answer to give once they are applied.
 */
public record WritePlan<T>(List<Record> records, T result) {

  public WritePlan {
    records = List.copyOf(records);
  }

  /** Nothing to write; answer right away. */
  public static <T> WritePlan<T> answer(T result) {
    return new WritePlan<>(List.of(), result);
  }

  /** One {@code _schemas} record; {@code value == null} is a tombstone. */
  public record Record(byte[] key, byte[] value) {}
}
