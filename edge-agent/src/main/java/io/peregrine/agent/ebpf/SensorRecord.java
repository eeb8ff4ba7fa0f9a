package io.peregrine.agent.ebpf;

/**
 * A record decoded from the sensor's stream. The kernel's records ({@link ConnectionRecord},
 * {@link L7Record}, {@link Http2Chunk}, {@link ProcessRecord}) go to the {@link SensorListener}; the loader's own
 * ({@link LoaderHello}, {@link SensorStats}) are handled by the sensor.
 */
public sealed interface SensorRecord
    permits ConnectionRecord, L7Record, Http2Chunk, ProcessRecord, LoaderHello, SensorStats {
}
