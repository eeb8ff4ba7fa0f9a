package io.peregrine.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaIT {

    @TempDir
    Path dir;

    @Test
    void shouldKeepRecordsAcrossRestart() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir).port(0).controllerPort(0).start()) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("kept", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                    new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("kept", "k", "v1")).get(30, TimeUnit.SECONDS);
            }
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir).port(0).controllerPort(0).start()) {
            assertThat(readAll(kafka.bootstrapServers(), "kept", 1)).containsExactly("v1");
        }
    }

    @Test
    void shouldStopBrokerWhenItsParentIsKilled() throws Exception {
        Process parent = new ProcessBuilder(
                ProcessHandle.current().info().command().orElseThrow(),
                "-cp", System.getProperty("java.class.path"),
                BrokerParentMain.class.getName(), dir.toString())
                .redirectErrorStream(true)
                .start();
        long brokerPid;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            String pidLine = null;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("broker-pid=")) {
                    pidLine = line;
                    break;
                }
            }
            assertThat(pidLine).as("the parent printed its broker's pid").isNotNull();
            brokerPid = Long.parseLong(pidLine.substring("broker-pid=".length()));
            Optional<ProcessHandle> broker = ProcessHandle.of(brokerPid);
            assertThat(broker).isPresent();
            parent.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: no shutdown hook runs
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
            while (broker.get().isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(broker.get().isAlive()).as("broker outlived its killed parent").isFalse();
        }
    }

    @Test
    void shouldRefuseAPortThatIsTakenRatherThanTalkToItsOwner() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            assertThatThrownBy(() -> EmbeddedKafka.builder().dataDir(dir).port(taken.getLocalPort()).controllerPort(0)
                    .startTimeout(Duration.ofSeconds(40)).start())
                    .isInstanceOf(EmbeddedKafka.BrokerStartException.class)
                    .hasMessageContaining("port " + taken.getLocalPort())
                    .hasMessageContaining("already in use");
        }
    }

    @Test
    void shouldReportTheBrokerLogWhenItCannotStart() {
        assertThatThrownBy(() -> EmbeddedKafka.builder().dataDir(dir).port(0).controllerPort(0)
                .brokerProperty("num.network.threads", "not-a-number")
                .startTimeout(Duration.ofSeconds(40)).start())
                .isInstanceOf(EmbeddedKafka.BrokerStartException.class)
                .hasMessageContaining("exited with code")
                .hasMessageContaining(dir.resolve("kafka.log").toString())
                .hasMessageContaining("num.network.threads");
    }

    static List<String> readAll(String bootstrap, String topic, int expected) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(Set.of(tp));
            consumer.seekToBeginning(Set.of(tp));
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
            }
            return values;
        }
    }

    /** Runs in its own JVM: starts a broker, prints its pid and waits to be killed. */
    public static final class BrokerParentMain {
        public static void main(String[] args) throws InterruptedException {
            EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(Path.of(args[0])).port(0).controllerPort(0).start();
            System.out.println("broker-pid=" + kafka.process().pid());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
