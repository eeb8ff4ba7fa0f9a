package io.peregrine.streams.endpoints;

import io.peregrine.schema.AppId;
import io.peregrine.schema.AppInstance;
import io.peregrine.schema.ListenEvent;
import io.peregrine.schema.NetInterfaceStats;
import io.peregrine.schema.NodeSample;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who serves where: the in-memory index over the global listens and node stores that resolves a
 * destination (ip, port) seen by an agent on one node to the application instance listening there.
 *
 * <p>Resolution, following Coroot's service map: a loopback destination resolves on the observing
 * node (its loopback, then wildcard listeners); otherwise a listener bound to exactly that ip:port;
 * otherwise a wildcard listener ({@code 0.0.0.0}, {@code ::}) on the node that owns the ip (node
 * addresses come from {@link NodeSample} interfaces). When one socket address changes hands (a
 * listener that moves to another application), the owner is chosen by the event's timestamp, so
 * out-of-order events before the move still resolve to the old owner.
 *
 * <p>Written only by the global-store processors (the global thread, and the restore path at
 * start-up); read by the stream threads. Writers are serialized; readers see immutable snapshots.
 */
public final class EndpointIndex {

    /** One application instance owning a socket address from {@code validFrom} to {@code validUntil}. */
    public record Owner(AppInstance instance, String nodeKey, long validFrom, long validUntil) {
        public AppId app() {
            return instance.getApp();
        }
    }

    /** What the index knows about a node. */
    public record NodeInfo(String nodeKey, String hostname, String zone, String region, String lifecycle,
                           Set<String> addresses, long timestamp) {
    }

    private static final int MAX_HISTORY = 8;

    private record Listen(String storeKey, String nodeKey, String ip, int port, List<Owner> history) {
    }

    private final Map<String, Listen> byStoreKey = new ConcurrentHashMap<>();
    private final Map<String, List<Listen>> byAddressPort = new ConcurrentHashMap<>();
    private final Map<String, List<Listen>> byAddress = new ConcurrentHashMap<>();
    private final Map<String, List<Listen>> wildcardByNodePort = new ConcurrentHashMap<>();
    private final Map<String, List<Listen>> loopbackByNodePort = new ConcurrentHashMap<>();
    private final Map<String, NodeInfo> nodes = new ConcurrentHashMap<>();
    private final Map<String, List<String>> nodesByAddress = new ConcurrentHashMap<>();

    // ------------------------------------------------------------------ writes (global thread)

    /** Applies one record of {@code peregrine.raw.listens}. */
    public synchronized void putListen(String storeKey, ListenEvent e) {
        String nodeKey = NodeKeys.of(e.getNode());
        long from = e.getFirstSeen().toEpochMilli();
        long until = e.getListening() ? Long.MAX_VALUE : e.getLastSeen().toEpochMilli();
        Owner owner = new Owner(e.getInstance(), nodeKey, Math.min(from, e.getTimestamp().toEpochMilli()), until);
        Listen old = byStoreKey.get(storeKey);
        List<Owner> history = new ArrayList<>();
        if (old != null && old.nodeKey.equals(nodeKey) && old.ip.equals(e.getIp()) && old.port == e.getPort()) {
            history.addAll(old.history);
        }
        if (history.isEmpty()) {
            history.add(owner);
        } else {
            Owner last = history.get(history.size() - 1);
            if (sameInstance(last.instance, owner.instance)) {
                history.set(history.size() - 1,
                        new Owner(owner.instance, nodeKey, Math.min(last.validFrom, owner.validFrom), until));
            } else {
                if (last.validUntil == Long.MAX_VALUE) {
                    // The address changed hands: the previous owner held it until the new one appeared.
                    history.set(history.size() - 1, new Owner(last.instance, last.nodeKey, last.validFrom,
                            Math.max(last.validFrom, owner.validFrom - 1)));
                }
                history.add(owner);
                while (history.size() > MAX_HISTORY) {
                    history.remove(0);
                }
            }
        }
        if (old != null) {
            unindex(old);
        }
        Listen l = new Listen(storeKey, nodeKey, e.getIp(), e.getPort(), List.copyOf(history));
        byStoreKey.put(storeKey, l);
        index(l);
    }

    /** A tombstone in {@code peregrine.raw.listens}. */
    public synchronized void removeListen(String storeKey) {
        Listen old = byStoreKey.remove(storeKey);
        if (old != null) {
            unindex(old);
        }
    }

    /** Applies one record of {@code peregrine.raw.node-metrics}; older samples than the known one are ignored. */
    public synchronized void putNode(NodeSample s) {
        String nodeKey = NodeKeys.of(s.getNode());
        long ts = s.getTimestamp().toEpochMilli();
        NodeInfo old = nodes.get(nodeKey);
        if (old != null && old.timestamp > ts) {
            return;
        }
        Set<String> addresses = new LinkedHashSet<>();
        for (NetInterfaceStats i : s.getInterfaces()) {
            for (String a : i.getAddresses()) {
                if (!Addresses.isLoopback(a) && !Addresses.isWildcard(a)) {
                    addresses.add(a);
                }
            }
        }
        String zone = null;
        String region = null;
        String lifecycle = null;
        if (s.getCloud() != null) {
            zone = s.getCloud().getAvailabilityZone();
            region = s.getCloud().getRegion();
            lifecycle = s.getCloud().getLifecycle().name();
        }
        NodeInfo info = new NodeInfo(nodeKey, s.getNode().getHostname(), zone, region, lifecycle,
                Set.copyOf(addresses), ts);
        if (old != null) {
            for (String a : old.addresses) {
                removeFrom(nodesByAddress, a, nodeKey);
            }
        }
        nodes.put(nodeKey, info);
        for (String a : addresses) {
            nodesByAddress.merge(a, List.of(nodeKey), EndpointIndex::concatDistinct);
        }
    }

    public synchronized void clear() {
        byStoreKey.clear();
        byAddressPort.clear();
        byAddress.clear();
        wildcardByNodePort.clear();
        loopbackByNodePort.clear();
        nodes.clear();
        nodesByAddress.clear();
    }

    private void index(Listen l) {
        if (Addresses.isWildcard(l.ip)) {
            add(wildcardByNodePort, l.nodeKey + "|" + l.port, l);
        } else if (Addresses.isLoopback(l.ip)) {
            add(loopbackByNodePort, l.nodeKey + "|" + l.port, l);
        } else {
            add(byAddressPort, l.ip + "|" + l.port, l);
            add(byAddress, l.ip, l);
        }
    }

    private void unindex(Listen l) {
        if (Addresses.isWildcard(l.ip)) {
            remove(wildcardByNodePort, l.nodeKey + "|" + l.port, l);
        } else if (Addresses.isLoopback(l.ip)) {
            remove(loopbackByNodePort, l.nodeKey + "|" + l.port, l);
        } else {
            remove(byAddressPort, l.ip + "|" + l.port, l);
            remove(byAddress, l.ip, l);
        }
    }

    private static void add(Map<String, List<Listen>> map, String key, Listen l) {
        map.merge(key, List.of(l), (a, b) -> {
            List<Listen> out = new ArrayList<>(a.size() + 1);
            for (Listen x : a) {
                if (!x.storeKey.equals(l.storeKey)) {
                    out.add(x);
                }
            }
            out.addAll(b);
            return List.copyOf(out);
        });
    }

    private static void remove(Map<String, List<Listen>> map, String key, Listen l) {
        map.computeIfPresent(key, (k, list) -> {
            List<Listen> out = new ArrayList<>(list.size());
            for (Listen x : list) {
                if (!x.storeKey.equals(l.storeKey)) {
                    out.add(x);
                }
            }
            return out.isEmpty() ? null : List.copyOf(out);
        });
    }

    private static void removeFrom(Map<String, List<String>> map, String key, String value) {
        map.computeIfPresent(key, (k, list) -> {
            List<String> out = new ArrayList<>(list);
            out.remove(value);
            return out.isEmpty() ? null : List.copyOf(out);
        });
    }

    private static List<String> concatDistinct(List<String> a, List<String> b) {
        Set<String> s = new LinkedHashSet<>(a);
        s.addAll(b);
        return List.copyOf(s);
    }

    private static boolean sameInstance(AppInstance a, AppInstance b) {
        return a.getApp().getId().equals(b.getApp().getId()) && a.getInstanceId().equals(b.getInstanceId());
    }

    // ------------------------------------------------------------------ reads (stream threads)

    /**
     * The instance that served {@code ip:port} at {@code timestampMs}, as seen from a process on
     * {@code observerNode}; null when nobody owned it (an external service).
     */
    public Owner resolve(String ip, int port, String observerNode, long timestampMs) {
        if (ip == null) {
            return null;
        }
        if (Addresses.isLoopback(ip)) {
            Owner o = pick(loopbackByNodePort.get(observerNode + "|" + port), observerNode, timestampMs);
            return o != null ? o : pick(wildcardByNodePort.get(observerNode + "|" + port), observerNode, timestampMs);
        }
        Owner o = pick(byAddressPort.get(ip + "|" + port), observerNode, timestampMs);
        if (o != null) {
            return o;
        }
        List<String> owningNodes = nodesByAddress.get(ip);
        if (owningNodes != null) {
            if (owningNodes.contains(observerNode)) {
                o = pick(wildcardByNodePort.get(observerNode + "|" + port), observerNode, timestampMs);
                if (o != null) {
                    return o;
                }
            }
            for (String n : owningNodes) {
                o = pick(wildcardByNodePort.get(n + "|" + port), observerNode, timestampMs);
                if (o != null) {
                    return o;
                }
            }
        }
        return null;
    }

    /**
     * The application owning {@code ip} on any port through a listener bound to exactly that
     * address (typically a pod IP), when that is a single application; null otherwise. Used to name
     * the client of a server-side observation.
     */
    public AppId appOfAddress(String ip, long timestampMs) {
        List<Listen> listens = byAddress.get(ip);
        if (listens == null) {
            return null;
        }
        AppId found = null;
        for (Listen l : listens) {
            Owner o = ownerAt(l.history, timestampMs);
            if (o == null) {
                continue;
            }
            if (found != null && !found.getId().equals(o.app().getId())) {
                return null;
            }
            found = o.app();
        }
        return found;
    }

    /** The node owning {@code ip} (preferring the observer's node when several share it), else null. */
    public NodeInfo nodeOfAddress(String ip, String observerNode) {
        List<String> owningNodes = nodesByAddress.get(ip);
        if (owningNodes == null) {
            return null;
        }
        String n = owningNodes.contains(observerNode) ? observerNode : owningNodes.get(0);
        return nodes.get(n);
    }

    public NodeInfo node(String nodeKey) {
        return nodes.get(nodeKey);
    }

    public int listenCount() {
        return byStoreKey.size();
    }

    public Collection<NodeInfo> nodes() {
        return List.copyOf(nodes.values());
    }

    private static Owner pick(List<Listen> candidates, String observerNode, long ts) {
        if (candidates == null) {
            return null;
        }
        Owner best = null;
        for (Listen l : candidates) {
            Owner o = ownerAt(l.history, ts);
            if (o == null) {
                continue;
            }
            if (l.nodeKey.equals(observerNode)) {
                return o; // an address present on several nodes (a bridge address) is node-local
            }
            if (best == null || o.validFrom > best.validFrom) {
                best = o;
            }
        }
        return best;
    }

    private static Owner ownerAt(List<Owner> history, long ts) {
        Owner best = null;
        for (Owner o : history) {
            if (o.validFrom <= ts) {
                best = o;
            }
        }
        if (best == null) {
            // The traffic predates the first sighting (a listener found by a procfs scan after the
            // fact): the earliest owner is the best answer there is.
            best = history.get(0);
        }
        return ts <= best.validUntil ? best : null;
    }

    @Override
    public String toString() {
        return "EndpointIndex{listens=" + byStoreKey.size() + ", nodes=" + nodes.size() + "}";
    }

}
