/**
 * Peregrine's Confluent-compatible Schema Registry.
 *
 * <p>Public API: {@link io.peregrine.registry.RegistryConfig} and
 * {@link io.peregrine.registry.SchemaRegistryServer}. Everything under {@code internal} may change
 * without notice and must not be used by other modules:
 *
 * <ul>
 *   <li>{@code internal.http}: the Netty listener, routing and ordered (pipelined) responses
 *   <li>{@code internal.api}: one operation per REST endpoint, with Confluent's codes and messages
 *   <li>{@code internal.state}: the in-memory state machine the {@code _schemas} log replays into
 *   <li>{@code internal.store}: the topic itself: Confluent's record layout, the reader thread and
 *       the transactional writer that serializes writes across instances
 *   <li>{@code internal.schema}: Avro parsing, canonical form and compatibility levels
 * </ul>
 */
package io.peregrine.registry;
