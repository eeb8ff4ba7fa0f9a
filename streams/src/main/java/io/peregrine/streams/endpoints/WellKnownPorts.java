package io.peregrine.streams.endpoints;

import java.util.Map;
import java.util.Optional;

/**
 * Service names of well-known server ports, used to name an external service that has no DNS name
 * (as Coroot does: 5432 postgres, 3306 mysql, 9092 kafka...).
 */
public final class WellKnownPorts {

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(21, "ftp"),
            Map.entry(22, "ssh"),
            Map.entry(25, "smtp"),
            Map.entry(53, "dns"),
            Map.entry(80, "http"),
            Map.entry(110, "pop3"),
            Map.entry(143, "imap"),
            Map.entry(389, "ldap"),
            Map.entry(443, "https"),
            Map.entry(465, "smtps"),
            Map.entry(587, "smtp"),
            Map.entry(636, "ldaps"),
            Map.entry(993, "imaps"),
            Map.entry(1433, "mssql"),
            Map.entry(1521, "oracle"),
            Map.entry(2181, "zookeeper"),
            Map.entry(2379, "etcd"),
            Map.entry(3306, "mysql"),
            Map.entry(4317, "otlp"),
            Map.entry(5432, "postgres"),
            Map.entry(5672, "rabbitmq"),
            Map.entry(6379, "redis"),
            Map.entry(6443, "kubernetes-api"),
            Map.entry(8086, "influxdb"),
            Map.entry(8123, "clickhouse"),
            Map.entry(8500, "consul"),
            Map.entry(9000, "clickhouse"),
            Map.entry(9042, "cassandra"),
            Map.entry(9092, "kafka"),
            Map.entry(9200, "elasticsearch"),
            Map.entry(9300, "elasticsearch"),
            Map.entry(11211, "memcached"),
            Map.entry(26257, "cockroachdb"),
            Map.entry(27017, "mongodb"));

    private WellKnownPorts() {
    }

    public static Optional<String> name(int port) {
        return Optional.ofNullable(NAMES.get(port));
    }
}
