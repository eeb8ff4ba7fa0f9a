package io.peregrine.streams.endpoints;

import io.peregrine.schema.AppId;
import io.peregrine.schema.AppKind;

/**
 * Names a destination no agent owns, as the architecture says: by the DNS name seen for its IP,
 * else by the name the client used (HTTP Host, TLS SNI), else by a well-known port name, else
 * ip:port. The id always carries the port ({@code external/<name-or-ip>:<port>}), so two services
 * on one host stay apart.
 */
public final class ExternalServices {

    private ExternalServices() {
    }

    /**
     * @param dnsName name a DNS answer on the client's node gave for {@code ip}; null if none
     * @param serverName HTTP Host / SNI of the request; null if none
     */
    public static AppId server(String ip, int port, String dnsName, String serverName) {
        String name = dnsName != null && !dnsName.isBlank() ? dnsName
                : serverName != null && !serverName.isBlank() && !Addresses.isIpLiteral(serverName) ? serverName
                : null;
        if (name != null) {
            return app("external/" + name + ":" + port, name);
        }
        String hostPort = hostPort(ip, port);
        String display = WellKnownPorts.name(port).map(n -> n + " (" + hostPort + ")").orElse(hostPort);
        return app("external/" + hostPort, display);
    }

    /** A client that is not instrumented, known only by its address (its ports are ephemeral). */
    public static AppId client(String ip, String nodeHostname) {
        String display = nodeHostname != null ? nodeHostname + " (" + ip + ")" : ip;
        return app("external/" + ip, display);
    }

    private static String hostPort(String ip, int port) {
        return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + port;
    }

    private static AppId app(String id, String name) {
        return AppId.newBuilder().setKind(AppKind.EXTERNAL).setId(id).setName(name).build();
    }
}
