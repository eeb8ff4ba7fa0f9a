package io.peregrine.streams;

/**
 * Names of every state store (and so of every changelog topic, {@code <application.id>-<name>-changelog}).
 * Renaming one is a breaking change for a running deployment: its state would start empty.
 */
public final class StoreNames {

    private StoreNames() {
    }

    /** Global: latest raw listen per node|ip|port. */
    public static final String ENDPOINTS_LISTENS = "endpoints-listens";
    /** Global: latest raw node sample per node. */
    public static final String ENDPOINTS_NODES = "endpoints-nodes";
    /** Ingest tasks: dedup trackers, DNS names, last app samples, stream time. */
    public static final String INGEST_STATE = "ingest-state";
    public static final String INGEST_COMMIT_HOOK = "ingest-commit-hook";
    /** Window tasks: open windows' merged partials. */
    public static final String WINDOWS_OPEN = "windows-open";
    /** Window tasks: each ingest task's progress and the watermark. */
    public static final String WINDOWS_CLOCK = "windows-clock";
    public static final String WINDOWS_COMMIT_HOOK = "windows-commit-hook";
    /** Queryable: closed service-map windows by client->server. */
    public static final String SERVICE_MAP_WINDOWS = "service-map-windows";
    /** Queryable: closed SLI windows by app id. */
    public static final String SLI_WINDOWS = "sli-windows";
    /** Queryable: closed app-usage windows by app id. */
    public static final String APP_USAGE_WINDOWS = "app-usage-windows";
    /** Queryable: the current topology by client->server. */
    public static final String TOPOLOGY_EDGES = "topology-edges";
    /** Queryable: applications seen, by app id. */
    public static final String APPS = "apps";
}
