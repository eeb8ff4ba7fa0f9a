package io.peregrine.agent.container;

import java.util.Map;

/**
 * The workload that owns a pod, from what a node can see without the Kubernetes API: the pod's
 * labels when the runtime kept them (cri-o keeps them on the sandbox, dockershim on the sandbox
 * container), else the names controllers give their pods:
 * <ul>
 *   <li>Deployment: ReplicaSet {@code <deployment>-<pod-template-hash>}, pod
 *       {@code <replicaset>-<5 random>}; label {@code pod-template-hash};
 *   <li>StatefulSet: {@code <statefulset>-<ordinal>}; label
 *       {@code statefulset.kubernetes.io/pod-name};
 *   <li>DaemonSet: {@code <daemonset>-<5 random>}; labels {@code controller-revision-hash} and
 *       {@code pod-template-generation};
 *   <li>Job: {@code <job>-<5 random>}, label {@code batch.kubernetes.io/job-name} (or the older
 *       {@code job-name}); CronJob: its Jobs are {@code <cronjob>-<scheduled time in minutes>}.
 * </ul>
 * The random parts use the alphabet of the apimachinery's {@code rand.SafeEncodeString}
 * ({@code bcdfghjklmnpqrstvwxz2456789}: no vowels, so no words), which keeps a bare pod named
 * {@code my-app-hello} from passing for a DaemonSet's. From the name alone a Job's pod and a
 * DaemonSet's look the same; DaemonSet is assumed, and either way the workload name is right.
 */
public final class KubernetesWorkloads {

  /** A workload kind and name. */
  public record Workload(String kind, String name) {
  }

  static final String POD_TEMPLATE_HASH = "pod-template-hash";
  static final String STATEFULSET_POD_NAME = "statefulset.kubernetes.io/pod-name";
  static final String CONTROLLER_REVISION_HASH = "controller-revision-hash";
  static final String POD_TEMPLATE_GENERATION = "pod-template-generation";
  static final String JOB_NAME = "batch.kubernetes.io/job-name";
  static final String LEGACY_JOB_NAME = "job-name";

  private static final String SAFE = "bcdfghjklmnpqrstvwxz2456789";
  private static final int SUFFIX = 5;
  /** CronJob Jobs are suffixed with the scheduled time in minutes since the epoch: 8 digits now. */
  private static final int CRON_MIN_DIGITS = 8;

  private KubernetesWorkloads() {
  }

  /**
   * @param pod the pod's name
   * @param labels the pod's labels as far as the runtime kept them; empty when unknown
   * @return the owner, or null for a bare (or static) pod
   */
  public static Workload owner(String pod, Map<String, String> labels) {
    if (labels.containsKey(STATEFULSET_POD_NAME) && ordinalAt(pod) > 0) {
      return new Workload("StatefulSet", pod.substring(0, ordinalAt(pod) - 1));
    }
    String job = labels.getOrDefault(JOB_NAME, labels.get(LEGACY_JOB_NAME));
    if (job != null && !job.isEmpty()) {
      String cron = cronJobOf(job);
      return cron != null ? new Workload("CronJob", cron) : new Workload("Job", job);
    }
    String hash = labels.get(POD_TEMPLATE_HASH);
    if (hash != null && !hash.isEmpty()) {
      String marker = "-" + hash + "-";
      int at = pod.lastIndexOf(marker);
      if (at > 0) {
        return new Workload("Deployment", pod.substring(0, at));
      }
      int dash = pod.lastIndexOf('-');
      return dash > 0 ? new Workload("ReplicaSet", pod.substring(0, dash)) : null;
    }
    if (labels.containsKey(CONTROLLER_REVISION_HASH) && labels.containsKey(POD_TEMPLATE_GENERATION)) {
      int dash = pod.lastIndexOf('-');
      return dash > 0 ? new Workload("DaemonSet", pod.substring(0, dash)) : null;
    }
    return fromName(pod);
  }

  /** The owner from the pod name alone. */
  static Workload fromName(String pod) {
    int last = pod.lastIndexOf('-');
    if (last <= 0 || last == pod.length() - 1) {
      return null;
    }
    String tail = pod.substring(last + 1);
    String head = pod.substring(0, last);
    boolean random = tail.length() == SUFFIX && safe(tail);
    int prev = head.lastIndexOf('-');
    if (random && prev > 0 && prev < head.length() - 1) {
      String middle = head.substring(prev + 1);
      if (middle.length() >= CRON_MIN_DIGITS && allDigits(middle)) {
        return new Workload("CronJob", head.substring(0, prev));
      }
      if (middle.length() >= SUFFIX && middle.length() <= 10 && safe(middle)) {
        return new Workload("Deployment", head.substring(0, prev));
      }
    }
    // After the Deployment test: a random suffix can be all digits ("22457"), an ordinal cannot
    // follow a pod-template-hash.
    if (allDigits(tail)) {
      return new Workload("StatefulSet", head);
    }
    return random ? new Workload("DaemonSet", head) : null;
  }

  /** The CronJob of a Job named {@code <cronjob>-<minutes>}, or null. */
  private static String cronJobOf(String job) {
    int dash = job.lastIndexOf('-');
    if (dash <= 0) {
      return null;
    }
    String tail = job.substring(dash + 1);
    return tail.length() >= CRON_MIN_DIGITS && allDigits(tail) ? job.substring(0, dash) : null;
  }

  /** Index where a trailing {@code -<digits>} ordinal starts (after the dash), or -1. */
  private static int ordinalAt(String pod) {
    int dash = pod.lastIndexOf('-');
    return dash > 0 && dash < pod.length() - 1 && allDigits(pod.substring(dash + 1)) ? dash + 1 : -1;
  }

  private static boolean allDigits(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  private static boolean safe(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (SAFE.indexOf(s.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }
}
