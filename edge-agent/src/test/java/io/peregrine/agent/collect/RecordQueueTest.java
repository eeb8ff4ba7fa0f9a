package io.peregrine.agent.collect;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.ebpf.L7Record;
import io.peregrine.agent.ebpf.ProcessRecord;
import io.peregrine.agent.ebpf.SensorRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RecordQueueTest {

  private static L7Record l7(int payload) {
    return SensorEventsTest.l7(1, L7Record.Protocol.HTTP, L7Record.Side.CLIENT, "GET", 200, 0,
        new byte[payload], new byte[payload]);
  }

  private static final ProcessRecord EXIT = new ProcessRecord(ProcessRecord.Kind.EXIT, Instant.EPOCH, 0, 0, 0, Instant.EPOCH, "", "", 0);

  @Test
  void shouldRefuseRecordsBeyondItsBytesThenAcceptAgainOnceTaken() throws Exception {
    long one = RecordQueue.RECORD_OVERHEAD + 2 * 1_024;
    RecordQueue q = new RecordQueue(1_000, 3 * one);
    assertThat(q.offer(l7(1_024))).isTrue();
    assertThat(q.offer(l7(1_024))).isTrue();
    assertThat(q.offer(l7(1_024))).isTrue();
    assertThat(q.bytes()).isEqualTo(3 * one);
    assertThat(q.offer(l7(1_024))).as("over the byte bound").isFalse();
    assertThat(q.offer(l7(0))).as("a small one does not fit either").isFalse();
    assertThat(q.size()).isEqualTo(3);

    List<SensorRecord> batch = new ArrayList<>();
    q.take(batch, 2);
    assertThat(batch).hasSize(2);
    assertThat(q.bytes()).isEqualTo(one);
    assertThat(q.offer(l7(1_024))).isTrue();
    batch.clear();
    q.take(batch, 10);
    assertThat(batch).hasSize(2);
    assertThat(q.bytes()).isZero();
  }

  @Test
  void shouldRefuseRecordsBeyondItsCountWhateverTheirBytes() throws Exception {
    RecordQueue q = new RecordQueue(2, Long.MAX_VALUE);
    assertThat(q.offer(EXIT)).isTrue();
    assertThat(q.offer(EXIT)).isTrue();
    assertThat(q.offer(EXIT)).isFalse();
    assertThat(q.offer(EXIT, 1, TimeUnit.MILLISECONDS)).isFalse();
    assertThat(q.bytes()).isEqualTo(2 * RecordQueue.RECORD_OVERHEAD);
  }

  @Test
  void shouldQueueTheEndMarkerPastTheByteBound() throws Exception {
    RecordQueue q = new RecordQueue(10, RecordQueue.RECORD_OVERHEAD);
    assertThat(q.offer(EXIT)).isTrue();
    assertThat(q.offer(EXIT)).isFalse();
    assertThat(q.offer(EXIT, 1, TimeUnit.SECONDS)).isTrue();
    List<SensorRecord> batch = new ArrayList<>();
    q.take(batch, 10);
    assertThat(batch).hasSize(2);
    assertThat(q.bytes()).isZero();
  }
}
