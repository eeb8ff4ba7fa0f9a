package io.peregrine.agent.l7;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP or UDP proxy that records what a real client and a real server exchange through
 * it, to capture decoder fixtures: every read is a chunk, tagged with its direction, in order. The
 * request of an exchange is a run of client chunks, its response the run of server chunks after
 * it, each cut to {@link #CAPTURE} bytes as the eBPF sensor cuts them (it copies the first bytes
 * after each change of direction).
 */
final class RecordingProxy implements AutoCloseable {

    /** The sensor's default capture size. */
    static final int CAPTURE = 1024;

    record Chunk(boolean fromClient, byte[] bytes) {
    }

    /** The request and response prefixes of one exchange. */
    record Captured(byte[] request, byte[] response) {
    }

    /** Everything read on one client connection (TCP) or from one client address (UDP). */
    static final class Conversation {
        private final List<Chunk> chunks = new CopyOnWriteArrayList<>();

        void add(boolean fromClient, byte[] buf, int n) {
            chunks.add(new Chunk(fromClient, Arrays.copyOf(buf, n)));
        }

        /** The exchanges: each run of client chunks and the run of server chunks after it. */
        List<Captured> exchanges(boolean datagrams) {
            return exchanges(datagrams, false);
        }

        /**
         * The exchanges; with {@code multiplexed}, a response is every server byte after the
         * request (up to the capture size) rather than the next run only: on an HTTP/2 connection
         * the server's SETTINGS or PING acknowledgements come between the request and its
         * response, and a sensor pairing by stream sees past them.
         */
        List<Captured> exchanges(boolean datagrams, boolean multiplexed) {
            List<Captured> out = new ArrayList<>();
            List<Chunk> all = List.copyOf(chunks);
            int i = 0;
            while (i < all.size()) {
                if (!all.get(i).fromClient()) {
                    i++;
                    continue;
                }
                byte[] request = datagrams ? all.get(i++).bytes() : null;
                if (!datagrams) {
                    ByteRun req = new ByteRun();
                    while (i < all.size() && all.get(i).fromClient()) {
                        req.add(all.get(i++).bytes());
                    }
                    request = req.bytes();
                }
                ByteRun resp = new ByteRun();
                for (int k = i; k < all.size() && (multiplexed || !all.get(k).fromClient()); k++) {
                    if (!all.get(k).fromClient()) {
                        resp.add(all.get(k).bytes());
                        if (datagrams) {
                            break;
                        }
                    }
                }
                while (i < all.size() && !all.get(i).fromClient()) {
                    i++;
                }
                out.add(new Captured(cut(request), cut(resp.bytes())));
            }
            return out;
        }
    }

    private static byte[] cut(byte[] b) {
        return b.length > CAPTURE ? Arrays.copyOf(b, CAPTURE) : b;
    }

    /** Appends byte arrays up to the capture size. */
    private static final class ByteRun {
        private byte[] buf = new byte[0];

        void add(byte[] b) {
            if (buf.length < CAPTURE) {
                int n = Math.min(b.length, CAPTURE - buf.length);
                byte[] joined = Arrays.copyOf(buf, buf.length + n);
                System.arraycopy(b, 0, joined, buf.length, n);
                buf = joined;
            }
        }

        byte[] bytes() {
            return buf;
        }
    }

    private final List<Conversation> conversations = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();
    private final int port;

    private RecordingProxy(int port) {
        this.port = port;
    }

    int port() {
        return port;
    }

    List<Conversation> conversations() {
        return List.copyOf(conversations);
    }

    /** Forgets what was recorded so far. */
    void clear() {
        conversations.clear();
    }

    /** A TCP proxy on a free loopback port to {@code target}. */
    static RecordingProxy tcp(InetSocketAddress target) {
        return tcp(0, target);
    }

    /** A TCP proxy on loopback port {@code listenPort} (0: a free one) to {@code target}. */
    static RecordingProxy tcp(int listenPort, InetSocketAddress target) {
        try {
            ServerSocket listener = new ServerSocket(listenPort, 50, InetAddress.getLoopbackAddress());
            RecordingProxy proxy = new RecordingProxy(listener.getLocalPort());
            proxy.resources.add(listener);
            Thread accept = new Thread(() -> {
                while (!listener.isClosed()) {
                    try {
                        Socket client = listener.accept();
                        Socket server = new Socket(target.getAddress(), target.getPort());
                        client.setTcpNoDelay(true);
                        server.setTcpNoDelay(true);
                        proxy.resources.add(client);
                        proxy.resources.add(server);
                        Conversation c = new Conversation();
                        proxy.conversations.add(c);
                        pump(client, server, c, true);
                        pump(server, client, c, false);
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "proxy-accept-" + proxy.port);
            accept.setDaemon(true);
            accept.start();
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void pump(Socket from, Socket to, Conversation c, boolean fromClient) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[65536];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    c.add(fromClient, buf, n);
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed: close the other
            } finally {
                try {
                    to.close();
                    from.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }, "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** A UDP proxy on a free loopback port to {@code target}: one conversation per client address. */
    static RecordingProxy udp(InetSocketAddress target) {
        try {
            DatagramSocket listener = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            RecordingProxy proxy = new RecordingProxy(listener.getLocalPort());
            proxy.resources.add(listener);
            Map<SocketAddress, DatagramSocket> upstreams = new ConcurrentHashMap<>();
            Map<SocketAddress, Conversation> byClient = new ConcurrentHashMap<>();
            Thread t = new Thread(() -> {
                byte[] buf = new byte[65536];
                while (!listener.isClosed()) {
                    try {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        listener.receive(p);
                        SocketAddress client = p.getSocketAddress();
                        Conversation c = byClient.computeIfAbsent(client, k -> {
                            Conversation n = new Conversation();
                            proxy.conversations.add(n);
                            return n;
                        });
                        c.add(true, p.getData(), p.getLength());
                        DatagramSocket up = upstreams.computeIfAbsent(client, k -> {
                            try {
                                DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                                proxy.resources.add(s);
                                Thread back = new Thread(() -> {
                                    byte[] b = new byte[65536];
                                    while (!s.isClosed()) {
                                        try {
                                            DatagramPacket r = new DatagramPacket(b, b.length);
                                            s.receive(r);
                                            c.add(false, r.getData(), r.getLength());
                                            listener.send(new DatagramPacket(r.getData(), r.getLength(), client));
                                        } catch (IOException e) {
                                            return;
                                        }
                                    }
                                }, "proxy-udp-back");
                                back.setDaemon(true);
                                back.start();
                                return s;
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        });
                        up.send(new DatagramPacket(p.getData(), p.getLength(), target));
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "proxy-udp-" + proxy.port);
            t.setDaemon(true);
            t.start();
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
    }
}
