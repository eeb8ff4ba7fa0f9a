package io.peregrine.agent.publish;

import io.peregrine.schema.L7Event;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.TimestampType;

/**
 * What a producer's {@code compression.type} costs the agent per L7 event: the producer
 * compresses inside {@code send()} (its record accumulator appends each record to the batch
 * through the codec), so this builds the producer's batches (as {@link MemoryRecordsBuilder},
 * {@code batch.size} of the agent, 10,000 records the most the publisher hands over at once) of
 * framed L7 events as the agent's mapping makes them, and measures this thread's CPU time per
 * record and the batch bytes per record, each codec in turn, rounds alternating.
 * <pre>
 * cd edge-agent
 * mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test.cp -Dmdep.includeScope=test
 * java -cp target/test-classes:target/classes:$(cat target/test.cp) \
 *     io.peregrine.agent.publish.CompressionCpuBenchmark [cpu-seconds per codec and round, default 2]
 * </pre>
 */
public final class CompressionCpuBenchmark {

  private static final int BATCH_BYTES = 256 * 1024;
  private static final int BATCH_RECORDS = 10_000;
  private static final org.apache.kafka.common.header.Header[] NO_HEADERS = {};

  private CompressionCpuBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2;
    List<L7Event> events = PublisherCpuBenchmark.events(20_000);
    List<byte[]> values = new ArrayList<>(events.size());
    List<Long> timestamps = new ArrayList<>(events.size());
    for (L7Event e : events) {
      values.add(new SpooledRecord("l7", null, AvroBinary.encode(e), 0, 0).frame(1));
      timestamps.add(e.getTimestamp().toEpochMilli());
    }
    byte[] key = "agent-bench".getBytes(StandardCharsets.UTF_8);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    CompressionType[] types = {CompressionType.NONE, CompressionType.LZ4, CompressionType.ZSTD,
        CompressionType.SNAPPY, CompressionType.GZIP};
    ByteBuffer buffer = ByteBuffer.allocate(BATCH_BYTES);
    for (int round = 0; round < 3; round++) {  // the first round warms up
      for (CompressionType type : types) {
        Compression compression = Compression.of(type).build();
        long records = 0;
        long bytes = 0;
        int next = 0;
        long cpu0 = mx.getCurrentThreadCpuTime();
        while (mx.getCurrentThreadCpuTime() - cpu0 < seconds * 1e9) {
          buffer.clear();
          MemoryRecordsBuilder b = MemoryRecords.builder(buffer, compression, TimestampType.CREATE_TIME, 0L);
          for (int i = 0; i < BATCH_RECORDS && b.hasRoomFor(timestamps.get(next), key, values.get(next), NO_HEADERS); i++) {
            b.append(timestamps.get(next), key, values.get(next));
            next = (next + 1) % values.size();
            records++;
          }
          bytes += b.build().sizeInBytes();
        }
        double nanos = (mx.getCurrentThreadCpuTime() - cpu0) / (double) records;
        System.out.printf(Locale.ROOT, "round %d %-6s %6.0f ns of CPU per record, %6.1f bytes per record%n",
            round, type.name, nanos, bytes / (double) records);
      }
    }
  }
}
