package io.peregrine.agent.collect;

import io.peregrine.schema.CloudMetadata;

/** Where the node runs in a cloud, as far as is known now. */
@FunctionalInterface
public interface CloudMetadataSource {

  /** Not in a cloud, or detection disabled. */
  CloudMetadataSource NONE = () -> null;

  /** The latest known placement, or null; answers at once, never blocks on the network. */
  CloudMetadata current();
}
