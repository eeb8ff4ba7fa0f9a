package io.peregrine.streams.servicemap;

import io.peregrine.schema.AppId;
import io.peregrine.schema.Side;
import io.peregrine.streams.internal.Bytes;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * What the ingest tasks send to the window tasks through the repartition topic: pre-aggregated
 * partial results of one window, and ticks that carry each ingest task's event-time progress.
 */
sealed interface Partial permits Partial.Edge, Partial.Usage, Partial.Tick {

    /** Format of the repartition records; bump on any layout change. */
    int VERSION = 1;

    /**
     * Partial figures of one side of one edge in one window. Keyed (and partitioned) by the server
     * app id, so that both sides of every edge into a server, and its SLI, meet in one task.
     *
     * @param client the instrumented client (client-side observations), else null
     * @param clientIp the client address (server-side observations, whose client is not known yet)
     */
    record Edge(long windowStart, AppId server, Side side, AppId client, String clientIp, EdgeStats stats)
            implements Partial {

        /** Identity of the accumulator this partial merges into, within its window. */
        String slot() {
            return server.getId() + '\u0000' + side.name() + '\u0000'
                    + (client != null ? client.getId() : "ip:" + clientIp);
        }
    }

    /** Partial resource usage of one application in one window; keyed by the app id. */
    record Usage(long windowStart, AppId app, UsageStats stats) implements Partial {
        String slot() {
            return "usage\u0000" + app.getId();
        }
    }

    /**
     * Event-time progress of one ingest task (raw partition {@code source}): every event it will
     * still send is later than {@code streamTimeMs - grace} or already counted as late. An idle
     * source has no data and does not hold windows open.
     */
    record Tick(int source, long streamTimeMs, boolean idle) implements Partial {
    }

    /** Routing key of ticks; they are sent to every partition regardless. */
    String TICK_KEY = "";

    static Serde<Partial> serde() {
        return new PartialSerde();
    }

    final class PartialSerde implements Serde<Partial>, Serializer<Partial>, Deserializer<Partial> {
        private static final int EDGE = 1;
        private static final int USAGE = 2;
        private static final int TICK = 3;
        private static final Side[] SIDES = Side.values();
        private final ThreadLocal<Bytes.Writer> writer = ThreadLocal.withInitial(() -> new Bytes.Writer(1024));

        @Override
        public void configure(Map<String, ?> configs, boolean isKey) {
        }

        @Override
        public byte[] serialize(String topic, Partial p) {
            if (p == null) {
                return null;
            }
            Bytes.Writer w = writer.get().reset();
            w.writeByte(VERSION);
            if (p instanceof Edge e) {
                w.writeByte(EDGE).writeLong(e.windowStart());
                AppIds.write(w, e.server());
                w.writeByte(e.side().ordinal());
                w.writeBoolean(e.client() != null);
                if (e.client() != null) {
                    AppIds.write(w, e.client());
                }
                w.writeString(e.clientIp());
                e.stats().write(w);
            } else if (p instanceof Usage u) {
                w.writeByte(USAGE).writeLong(u.windowStart());
                AppIds.write(w, u.app());
                u.stats().write(w);
            } else {
                Tick t = (Tick) p;
                w.writeByte(TICK).writeInt(t.source()).writeLong(t.streamTimeMs()).writeBoolean(t.idle());
            }
            return w.toByteArray();
        }

        @Override
        public Partial deserialize(String topic, byte[] data) {
            if (data == null) {
                return null;
            }
            Bytes.Reader r = new Bytes.Reader(data);
            int version = r.readByte();
            if (version != VERSION) {
                throw new Bytes.CorruptDataException("partial format " + version + ", this build reads " + VERSION);
            }
            int type = r.readByte();
            return switch (type) {
                case EDGE -> {
                    long ws = r.readLong();
                    AppId server = AppIds.read(r);
                    int side = r.readByte();
                    if (side >= SIDES.length) {
                        throw new Bytes.CorruptDataException("side " + side);
                    }
                    AppId client = r.readBoolean() ? AppIds.read(r) : null;
                    String ip = r.readString();
                    yield new Edge(ws, server, SIDES[side], client, ip, EdgeStats.read(r));
                }
                case USAGE -> new Usage(r.readLong(), AppIds.read(r), UsageStats.read(r));
                case TICK -> new Tick(r.readInt(), r.readLong(), r.readBoolean());
                default -> throw new Bytes.CorruptDataException("partial type " + type);
            };
        }

        @Override
        public Serializer<Partial> serializer() {
            return this;
        }

        @Override
        public Deserializer<Partial> deserializer() {
            return this;
        }

        @Override
        public void close() {
        }
    }
}
