package io.peregrine.agent.collect;

import io.peregrine.schema.CloudMetadata;

/** Where the node runs in a cloud, as far as is known now. */
@FunctionalInterface
public interface CloudMetadataSource extends AutoCloseable {

  /** Not in a cloud, or detection disabled. */
  CloudMetadataSource NONE = () -> null;

  /** The latest known placement, or null; answers at once, never blocks on the network. */
  CloudMetadata current();

  /** Stops whatever fetches the placement in the background; nothing by default. */
  @Override
  default void close() {
  }
}
